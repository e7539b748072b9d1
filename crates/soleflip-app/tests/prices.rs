//! `prices migrate-legacy` and `prices latest` on real PostgreSQL: generated legacy rows with
//! the edge cases the mapping documents (docs/prices-mapping.md), the validation failing and
//! rolling back, idempotency, dry runs, --strict and --archive.
#![expect(
    clippy::unwrap_used,
    reason = "helpers outside #[test] functions stop the test loudly"
)]

use soleflip_app::prices::{self, Fault, MigrateOptions, MigrateReport, MigrateStatus};
use soleflip_testkit::migrated_db;
use sqlx::postgres::PgConnection;
use sqlx::types::Uuid;

// Products: ...a1 Nike (sizes US 10.5 and US 11), ...a2 adidas (no sizes).
const NO_PRODUCT: &str = "00000000-0000-0000-0000-0000000000ff";
const US_10_5: &str = "00000000-0000-0000-0000-0000000005a1";

/// Legacy rows, one per edge case; the comment says what each must become.
const LEGACY: &str = "
    insert into products.products (id, sku, brand_id, category_id, name)
    select x.id::uuid, x.sku, b.id, c.id, x.name
    from (values ('00000000-0000-0000-0000-0000000000a1', 'DD1391-100', 'nike', 'Dunk Low'),
                 ('00000000-0000-0000-0000-0000000000a2', 'HQ2153', 'adidas', 'Samba'))
         x(id, sku, brand, name)
    join core.brands b on b.slug = x.brand
    cross join (select id from core.categories where slug = 'sneakers') c;

    insert into products.sizes (id, brand_id, category_id, value, region, cohort, parsed,
                                standardized_value)
    select x.id::uuid, b.id, c.id, x.value, 'US', 'unisex', 'US ' || x.value, x.eu
    from (values ('00000000-0000-0000-0000-0000000005a1', '10.5', 44.5),
                 ('00000000-0000-0000-0000-0000000005a2', '11', 45.0)) x(id, value, eu)
    cross join (select id from core.brands where slug = 'nike') b
    cross join (select id from core.categories where slug = 'sneakers') c;

    insert into core.suppliers (name, slug, supplier_type, status)
    values ('Foot Locker', 'foot-locker', 'retailer', 'active');

    -- An adopted database may hold prices with more than two decimals.
    alter table integration.market_prices alter column buy_price type numeric;

    insert into integration.market_prices
        (id, product_id, source, supplier_name, external_id, buy_price, currency, availability,
         stock_qty, last_updated, created_at)
    values
    -- inserted: awin / FL-1, the latest of two observations, supplier matched by name
    ('00000000-0000-0000-0000-000000000101', '00000000-0000-0000-0000-0000000000a1', 'awin',
     'Foot Locker', 'FL-1', 99.95, 'EUR', 'in stock', 4, now() - interval '1 day',
     now() - interval '10 days'),
    -- merged into 101's price source, recorded at its own time
    ('00000000-0000-0000-0000-000000000102', '00000000-0000-0000-0000-0000000000a1', 'awin',
     'Foot Locker', 'FL-1', 89.95, 'EUR', 'in stock', 2, now() - interval '3 days',
     now() - interval '10 days'),
    -- inserted: no external id (the supplier names the offer), lowercase currency, NULL
    -- last_updated (observed when created)
    ('00000000-0000-0000-0000-000000000103', '00000000-0000-0000-0000-0000000000a1', 'AWIN',
     'Solebox', null, 120.00, 'gbp', 'out of stock', 0, null, now() - interval '2 days'),
    -- half up: 19.995 -> 2000 cents, 19.994 -> 1999
    ('00000000-0000-0000-0000-000000000104', '00000000-0000-0000-0000-0000000000a2', 'eBay',
     'Seller', 'E-4', 19.995, 'CHF', null, 1, now() - interval '1 hour', now()),
    ('00000000-0000-0000-0000-000000000105', '00000000-0000-0000-0000-0000000000a2', 'eBay',
     'Seller', 'E-5', 19.994, 'CHF', null, null, now() - interval '1 hour', now()),
    -- rejected: negative price; unknown currency
    ('00000000-0000-0000-0000-000000000106', '00000000-0000-0000-0000-0000000000a2', 'goat',
     'X', 'G-6', -5.00, 'EUR', null, null, now() - interval '1 hour', now()),
    ('00000000-0000-0000-0000-000000000107', '00000000-0000-0000-0000-0000000000a2', 'goat',
     'X', 'G-7', 50.00, 'XYZ', null, null, now() - interval '1 hour', now());

    -- rejected: the product is gone (the old system deleted products without its foreign key)
    set session_replication_role = replica;
    insert into integration.market_prices (id, product_id, source, supplier_name, external_id,
                                           buy_price, currency)
    values ('00000000-0000-0000-0000-000000000108', '00000000-0000-0000-0000-0000000000ff',
            'awin', 'Foot Locker', 'FL-9', 10.00, 'EUR');
    set session_replication_role = origin;

    insert into pricing.market_prices
        (id, product_id, platform_name, size_value, condition, price_date, lowest_ask,
         highest_bid, last_sale, average_price, sales_volume, created_at)
    values
    -- inserted: StockX 10.5 is US men's 10.5, the Nike size row US 10.5
    ('00000000-0000-0000-0000-000000000201', '00000000-0000-0000-0000-0000000000a1', 'StockX',
     '10.5', 'new', current_date - 1, 150.00, 140.00, 145.00, null, 12, now()),
    -- merged into 201's price source, recorded at its price date
    ('00000000-0000-0000-0000-000000000202', '00000000-0000-0000-0000-0000000000a1', 'StockX',
     '10.5', 'new', current_date - 5, 140.00, null, null, null, null, now()),
    -- inserted without a size; no ask, so the last sale is the price and it is not in stock
    ('00000000-0000-0000-0000-000000000203', '00000000-0000-0000-0000-0000000000a1', 'StockX',
     null, 'new', current_date - 2, null, 120.00, 130.00, null, null, now()),
    -- inserted: StockX 13 is US men's 13; the Nike size row is created for it
    ('00000000-0000-0000-0000-000000000204', '00000000-0000-0000-0000-0000000000a1', 'StockX',
     '13', 'new', current_date - 1, 160.00, null, null, null, null, now()),
    -- rejected: GOAT has no size convention, so a bare 12 is US 12 or UK 12, and no size row
    -- of the brand is written 12 either (never guessed, never created)
    ('00000000-0000-0000-0000-000000000208', '00000000-0000-0000-0000-0000000000a1', 'GOAT',
     '12', 'new', current_date - 1, 170.00, null, null, null, null, now()),
    -- rejected: Alias is not a price source
    ('00000000-0000-0000-0000-000000000205', '00000000-0000-0000-0000-0000000000a1', 'Alias',
     '10.5', 'new', current_date - 1, 155.00, null, null, null, null, now()),
    -- inserted without a size (N/A is no size), condition mapped
    ('00000000-0000-0000-0000-000000000206', '00000000-0000-0000-0000-0000000000a1', 'GOAT',
     'N/A', 'Used - Good', current_date - 1, 110.00, null, null, null, null, now()),
    -- rejected: no price at all
    ('00000000-0000-0000-0000-000000000207', '00000000-0000-0000-0000-0000000000a2', 'StockX',
     '10', 'new', current_date - 1, null, null, null, null, null, now());
";

async fn legacy_db() -> (soleflip_testkit::TestDb, PgConnection) {
    let db = migrated_db().await;
    let mut conn = db.connect().await;
    sqlx::raw_sql(LEGACY).execute(&mut conn).await.unwrap();
    (db, conn)
}

async fn migrate(conn: &mut PgConnection, opts: MigrateOptions) -> MigrateReport {
    prices::migrate_legacy(conn, &opts).await.unwrap()
}

fn uuid(s: &str) -> Uuid {
    s.parse().unwrap()
}

async fn count(conn: &mut PgConnection, table: &str) -> i64 {
    sqlx::query_scalar(&format!("select count(*) from {table}"))
        .fetch_one(conn)
        .await
        .unwrap()
}

/// Everything the migration may write, as one comparable value.
async fn fingerprint(conn: &mut PgConnection) -> (i64, i64, i64, String) {
    let digest: String = sqlx::query_scalar(
        "select md5(coalesce(string_agg(ps::text, '|' order by id), '')) \
         from integration.price_sources ps",
    )
    .fetch_one(&mut *conn)
    .await
    .unwrap();
    (
        count(conn, "integration.price_sources").await,
        count(conn, "integration.price_history").await,
        count(conn, "integration.legacy_price_migrations").await,
        digest,
    )
}

#[tokio::test]
async fn every_legacy_row_is_migrated_merged_or_rejected_as_documented() {
    let (_db, mut conn) = legacy_db().await;

    let report = migrate(&mut conn, MigrateOptions::default()).await;

    assert_eq!(
        report.status,
        MigrateStatus::Committed,
        "{:#?}",
        report.problems
    );
    assert!(report.problems.is_empty(), "{:#?}", report.problems);
    let tables: Vec<(&str, i64, i64, i64, i64, i64)> = report
        .tables
        .iter()
        .map(|t| {
            (
                t.legacy_table.as_str(),
                t.rows,
                t.inserted,
                t.updated,
                t.merged,
                t.rejected,
            )
        })
        .collect();
    assert_eq!(
        tables,
        [
            ("integration.market_prices", 8, 4, 0, 1, 3),
            ("pricing.market_prices", 8, 4, 0, 1, 3)
        ]
    );
    let mut reasons: Vec<(String, String)> = report
        .rejects
        .iter()
        .map(|r| (r.legacy_id.to_string()[33..].to_string(), r.reason.clone()))
        .collect();
    reasons.sort();
    assert_eq!(
        reasons,
        [
            ("106".to_string(), "negative price: -5.00".to_string()),
            ("107".to_string(), "unknown currency: XYZ".to_string()),
            ("108".to_string(), format!("product missing: {NO_PRODUCT}")),
            ("205".to_string(), "unknown source: Alias".to_string()),
            (
                "207".to_string(),
                "no price: lowest_ask, last_sale, average_price and highest_bid are NULL"
                    .to_string()
            ),
            (
                "208".to_string(),
                "unreadable size: \"12\" is ambiguous: it could be US 12 or UK 12".to_string()
            ),
        ]
    );
    let totals: Vec<(&str, &str, i64, i64)> = report
        .totals
        .iter()
        .map(|t| {
            (
                t.source.as_str(),
                t.currency.as_str(),
                t.migrated_rows,
                t.migrated_cents,
            )
        })
        .collect();
    assert_eq!(
        totals,
        [
            ("awin", "EUR", 2, 9_995 + 8_995),
            ("awin", "GBP", 1, 12_000),
            ("ebay", "CHF", 2, 2_000 + 1_999),
            ("goat", "EUR", 1, 11_000),
            ("stockx", "EUR", 4, 15_000 + 14_000 + 13_000 + 16_000),
        ]
    );
    assert!(report.totals.iter().all(|t| t.ok()));
}

#[tokio::test]
async fn a_migrated_price_keeps_its_legacy_id_size_supplier_times_and_named_metadata() {
    let (_db, mut conn) = legacy_db().await;
    migrate(&mut conn, MigrateOptions::default()).await;

    let row: String = sqlx::query_scalar(
        "select concat_ws(' ', ps.source_type, ps.source_product_id, ps.price_type, \
                ps.price_cents, ps.currency, ps.stock_quantity, ps.in_stock, \
                ps.supplier_id = (select id from core.suppliers where slug = 'foot-locker'), \
                ps.created_at = m.created_at and ps.last_updated = m.last_updated) \
         from integration.price_sources ps join integration.market_prices m on m.id = ps.id \
         where ps.id = '00000000-0000-0000-0000-000000000101'",
    )
    .fetch_one(&mut conn)
    .await
    .unwrap();
    // source, id at the source, type, cents, currency, stock, in stock, supplier, times kept
    assert_eq!(row, "awin FL-1 retail 9995 EUR 4 t t t");
    let metadata: serde_json::Value = sqlx::query_scalar(
        "select metadata from integration.price_sources \
         where id = '00000000-0000-0000-0000-000000000101'",
    )
    .fetch_one(&mut conn)
    .await
    .unwrap();
    assert_eq!(
        metadata,
        serde_json::json!({
            "legacy_table": "integration.market_prices",
            "legacy_id": "00000000-0000-0000-0000-000000000101",
            "availability": "in stock",
        })
    );

    let sized: (Option<Uuid>, i32, bool, serde_json::Value) = sqlx::query_as(
        "select size_id, price_cents, in_stock, metadata from integration.price_sources \
         where id = '00000000-0000-0000-0000-000000000201'",
    )
    .fetch_one(&mut conn)
    .await
    .unwrap();
    assert_eq!(sized.0, Some(uuid(US_10_5)));
    assert_eq!((sized.1, sized.2), (15_000, true));
    assert_eq!(sized.3["size_value"], "10.5");
    assert_eq!(sized.3["price_field"], "lowest_ask");
    assert_eq!(sized.3["highest_bid"], serde_json::json!(140.00));
    assert_eq!(sized.3["last_sale"], serde_json::json!(145.00));
    assert_eq!(sized.3["legacy_table"], "pricing.market_prices");
}

#[tokio::test]
async fn null_and_missing_sizes_rounding_currencies_and_null_last_updated_are_mapped() {
    let (_db, mut conn) = legacy_db().await;
    migrate(&mut conn, MigrateOptions::default()).await;

    // legacy id, sized?, cents, currency, in stock, condition, price field
    let rows: Vec<String> = sqlx::query_scalar(
        "select concat_ws(' ', right(id::text, 3), size_id is not null, price_cents, currency, \
                in_stock, condition, metadata->>'price_field') \
         from integration.price_sources order by id",
    )
    .fetch_all(&mut conn)
    .await
    .unwrap();
    assert_eq!(
        rows,
        [
            "101 f 9995 EUR t new",
            "103 f 12000 GBP f new",
            "104 f 2000 CHF t new",
            "105 f 1999 CHF f new",
            "201 t 15000 EUR t new lowest_ask",
            "203 f 13000 EUR f new last_sale",
            "204 t 16000 EUR t new lowest_ask",
            "206 f 11000 EUR t used_good lowest_ask",
        ]
    );
    let exact: String = sqlx::query_scalar(
        "select metadata->>'price_exact' from integration.price_sources \
         where id = '00000000-0000-0000-0000-000000000104'",
    )
    .fetch_one(&mut conn)
    .await
    .unwrap();
    assert_eq!(exact, "19.995");
    let null_last_updated: (String, String, bool) = sqlx::query_as(
        "select ps.source_product_id, ps.metadata->>'last_updated_from', \
                ps.last_updated = m.created_at \
         from integration.price_sources ps join integration.market_prices m on m.id = ps.id \
         where ps.id = '00000000-0000-0000-0000-000000000103'",
    )
    .fetch_one(&mut conn)
    .await
    .unwrap();
    assert_eq!(
        null_last_updated,
        ("Solebox".into(), "created_at".into(), true)
    );
}

#[tokio::test]
async fn older_observations_of_one_key_become_history_rows_at_their_own_time() {
    let (_db, mut conn) = legacy_db().await;
    migrate(&mut conn, MigrateOptions::default()).await;

    let history: Vec<(String, i32, String, Option<i32>, bool)> = sqlx::query_as(
        "select right(h.price_source_id::text, 3), h.price_cents, h.currency, h.stock_quantity, \
                h.recorded_at = coalesce(m.last_updated, \
                                         (p.price_date::timestamp at time zone 'UTC')) \
         from integration.price_history h \
         join integration.legacy_price_migrations l on l.price_history_id = h.id \
         left join integration.market_prices m on m.id = l.legacy_id \
         left join pricing.market_prices p on p.id = l.legacy_id \
         order by 1",
    )
    .fetch_all(&mut conn)
    .await
    .unwrap();
    assert_eq!(
        history,
        [
            ("101".into(), 8_995, "EUR".into(), Some(2), true),
            ("201".into(), 14_000, "EUR".into(), None, true),
        ]
    );
    let merged: Vec<(String, String)> = sqlx::query_as(
        "select right(legacy_id::text, 3), right(price_source_id::text, 3) \
         from integration.legacy_price_migrations where outcome = 'merged' order by 1",
    )
    .fetch_all(&mut conn)
    .await
    .unwrap();
    assert_eq!(
        merged,
        [("102".into(), "101".into()), ("202".into(), "201".into())]
    );
}

#[tokio::test]
async fn a_second_run_moves_nothing() {
    let (_db, mut conn) = legacy_db().await;
    migrate(&mut conn, MigrateOptions::default()).await;
    let after_first = fingerprint(&mut conn).await;

    let second = migrate(&mut conn, MigrateOptions::default()).await;

    assert_eq!(
        second.status,
        MigrateStatus::Committed,
        "{:#?}",
        second.problems
    );
    let moved: Vec<(i64, i64, i64, i64, i64)> = second
        .tables
        .iter()
        .map(|t| (t.moved_before, t.inserted, t.updated, t.merged, t.rejected))
        .collect();
    // The rejected rows are considered again (and rejected again); nothing else is.
    assert_eq!(moved, [(5, 0, 0, 0, 3), (5, 0, 0, 0, 3)]);
    assert_eq!(fingerprint(&mut conn).await, after_first);
}

#[tokio::test]
async fn a_row_fixed_after_a_run_is_moved_by_the_next_one() {
    let (_db, mut conn) = legacy_db().await;
    migrate(&mut conn, MigrateOptions::default()).await;
    sqlx::raw_sql(
        "insert into products.sizes (brand_id, category_id, value, region, cohort, parsed) \
         select b.id, c.id, '12', 'US', 'unisex', 'US 12' from core.brands b, core.categories c \
         where b.slug = 'nike' and c.slug = 'sneakers'",
    )
    .execute(&mut conn)
    .await
    .unwrap();

    let second = migrate(&mut conn, MigrateOptions::default()).await;

    assert_eq!(second.tables[1].inserted, 1, "{:#?}", second.tables);
    assert!(second
        .rejects
        .iter()
        .all(|r| !r.reason.starts_with("unreadable size")));
}

#[tokio::test]
async fn a_validation_mismatch_rolls_back_and_leaves_the_database_unchanged() {
    for fault in [Fault::RepriceOne, Fault::ForgetOne] {
        let (_db, mut conn) = legacy_db().await;
        let before = fingerprint(&mut conn).await;

        let report = migrate(
            &mut conn,
            MigrateOptions {
                fault: Some(fault),
                ..MigrateOptions::default()
            },
        )
        .await;

        assert_eq!(report.status, MigrateStatus::Mismatch, "{fault:?}");
        assert!(!report.problems.is_empty());
        assert_eq!(
            fingerprint(&mut conn).await,
            before,
            "{fault:?}: nothing stays"
        );
        match fault {
            Fault::RepriceOne => assert!(
                report.problems.iter().any(|p| p.contains(
                    "legacy 2 rows, 189.90 in total; \
                                                            migrated 2 rows, 189.91 in total"
                )),
                "{:#?}",
                report.problems
            ),
            Fault::ForgetOne => assert!(
                report
                    .problems
                    .iter()
                    .any(|p| p.contains("recorded in integration.legacy_price_migrations")),
                "{:#?}",
                report.problems
            ),
        }
    }
}

#[tokio::test]
async fn a_dry_run_reports_what_a_real_run_does_and_changes_nothing() {
    let (_db, mut conn) = legacy_db().await;
    let before = fingerprint(&mut conn).await;

    let dry = migrate(
        &mut conn,
        MigrateOptions {
            dry_run: true,
            ..MigrateOptions::default()
        },
    )
    .await;

    assert_eq!(dry.status, MigrateStatus::DryRun);
    assert_eq!(fingerprint(&mut conn).await, before);
    let real = migrate(&mut conn, MigrateOptions::default()).await;
    assert_eq!(dry.tables, real.tables);
    assert_eq!(dry.totals, real.totals);
    assert_eq!(dry.rejects, real.rejects);
}

#[tokio::test]
async fn strict_refuses_a_run_with_rejected_rows_and_changes_nothing() {
    let (_db, mut conn) = legacy_db().await;
    let before = fingerprint(&mut conn).await;

    let report = migrate(
        &mut conn,
        MigrateOptions {
            strict: true,
            ..MigrateOptions::default()
        },
    )
    .await;

    assert_eq!(report.status, MigrateStatus::Refused);
    assert_eq!(report.rejects.len(), 6);
    assert_eq!(fingerprint(&mut conn).await, before);
}

#[tokio::test]
async fn archive_moves_the_legacy_tables_with_their_rows_and_verify_still_passes() {
    let (db, mut conn) = legacy_db().await;

    let report = migrate(
        &mut conn,
        MigrateOptions {
            archive: true,
            ..MigrateOptions::default()
        },
    )
    .await;

    assert!(report.archived);
    let legacy_left: bool = sqlx::query_scalar(
        "select to_regclass('integration.market_prices') is not null \
             or to_regclass('pricing.market_prices') is not null",
    )
    .fetch_one(&mut conn)
    .await
    .unwrap();
    assert!(!legacy_left);
    assert_eq!(
        count(&mut conn, "archive.integration_market_prices").await,
        8
    );
    assert_eq!(count(&mut conn, "archive.pricing_market_prices").await, 8);
    let verify = soleflip_db::verify::verify(&mut conn, &db.name)
        .await
        .unwrap();
    assert!(verify.ok, "{:#?}", verify.drift);
    let again = migrate(&mut conn, MigrateOptions::default()).await;
    assert_eq!(again.status, MigrateStatus::NothingToDo);
}

#[tokio::test]
async fn a_newer_existing_price_stays_and_an_older_one_is_replaced_with_its_value_in_history() {
    let (_db, mut conn) = legacy_db().await;
    // Awin FL-1 of P1 (legacy: 99.95 a day ago) exists newer; Solebox (legacy: 120.00 GBP two
    // days ago) exists older.
    sqlx::raw_sql(
        "insert into integration.price_sources (product_id, source_type, source_product_id, \
             price_type, price_cents, currency, in_stock, last_updated) values \
         ('00000000-0000-0000-0000-0000000000a1', 'awin', 'FL-1', 'retail', 9000, 'EUR', true, \
          now() - interval '1 hour'), \
         ('00000000-0000-0000-0000-0000000000a1', 'awin', 'Solebox', 'retail', 11000, 'GBP', \
          true, now() - interval '5 days')",
    )
    .execute(&mut conn)
    .await
    .unwrap();

    let report = migrate(&mut conn, MigrateOptions::default()).await;

    assert_eq!(
        report.status,
        MigrateStatus::Committed,
        "{:#?}",
        report.problems
    );
    assert_eq!(
        (
            report.tables[0].inserted,
            report.tables[0].updated,
            report.tables[0].merged
        ),
        (2, 1, 2)
    );
    let current: Vec<(String, i32)> = sqlx::query_as(
        "select source_product_id, price_cents from integration.price_sources \
         where source_type = 'awin' order by 1",
    )
    .fetch_all(&mut conn)
    .await
    .unwrap();
    assert_eq!(
        current,
        [("FL-1".into(), 9_000), ("Solebox".into(), 12_000)]
    );
    // FL-1: both legacy rows are older; Solebox: the trigger kept the replaced 110.00.
    let history: Vec<(String, i32)> = sqlx::query_as(
        "select ps.source_product_id, h.price_cents from integration.price_history h \
         join integration.price_sources ps on ps.id = h.price_source_id \
         where ps.source_type = 'awin' order by 1, 2",
    )
    .fetch_all(&mut conn)
    .await
    .unwrap();
    assert_eq!(
        history,
        [
            ("FL-1".into(), 8_995),
            ("FL-1".into(), 9_995),
            ("Solebox".into(), 11_000)
        ]
    );
}

#[tokio::test]
async fn latest_shows_one_price_per_size_and_source_and_filters_by_size_and_source() {
    let (_db, mut conn) = legacy_db().await;
    migrate(&mut conn, MigrateOptions::default()).await;

    let all = prices::latest(&mut conn, "DD1391-100", None, None)
        .await
        .unwrap();
    let lines: Vec<(Option<&str>, &str, i32)> = all
        .prices
        .iter()
        .map(|p| (p.size_value.as_deref(), p.source.as_str(), p.price_cents))
        .collect();
    // In stock only (203, priced by its last sale, has no ask), unsized first.
    assert_eq!(
        lines,
        [
            (None, "awin", 9_995),
            (None, "goat", 11_000),
            (Some("10.5"), "stockx", 15_000),
            (Some("13"), "stockx", 16_000)
        ]
    );

    let sized = prices::latest(&mut conn, "DD1391-100", Some("10.5"), Some("stockx"))
        .await
        .unwrap();
    assert_eq!(sized.prices.len(), 1);
    assert_eq!(sized.prices[0].size_id, Some(uuid(US_10_5)));
    let eu = prices::latest(&mut conn, "DD1391-100", Some("EU 44.5"), None)
        .await
        .unwrap();
    assert_eq!(
        eu.prices.len(),
        1,
        "EU 44.5 is Nike US 10.5 by its standardized value"
    );

    let err = prices::latest(&mut conn, "DD1391-100", Some("10.5"), None)
        .await
        .unwrap_err();
    assert!(
        err.to_string()
            .contains("\"10.5\" is ambiguous: it could be US 10.5 or UK 10.5"),
        "a bare number without a source is as ambiguous as in sizes parse: {err}"
    );
    let err = prices::latest(&mut conn, "DD1391-100", Some("14"), Some("stockx"))
        .await
        .unwrap_err();
    assert!(
        err.to_string().contains("unknown size: 14 for brand Nike"),
        "{err}"
    );
    let err = prices::latest(&mut conn, "NOPE", None, None)
        .await
        .unwrap_err();
    assert_eq!(err.to_string(), "no product has SKU \"NOPE\"");
    let err = prices::latest(&mut conn, "DD1391-100", None, Some("alias"))
        .await
        .unwrap_err();
    assert!(
        err.to_string()
            .starts_with("source \"alias\": unknown source"),
        "{err}"
    );
}

#[tokio::test]
async fn an_unknown_pricing_currency_is_refused_before_anything_happens() {
    let (_db, mut conn) = legacy_db().await;
    let err = prices::migrate_legacy(
        &mut conn,
        &MigrateOptions {
            pricing_currency: "EURO".into(),
            ..MigrateOptions::default()
        },
    )
    .await
    .unwrap_err();
    assert_eq!(
        err.to_string(),
        "pricing currency \"EURO\": not a currency of core.currencies"
    );
}

#[tokio::test]
async fn a_database_before_migration_4_is_told_to_migrate_first() {
    let db = soleflip_testkit::empty_db().await;
    let mut conn = db.connect().await;
    soleflip_db::migrate::migrate(&mut conn, Some(3))
        .await
        .unwrap();

    let err = prices::migrate_legacy(&mut conn, &MigrateOptions::default())
        .await
        .unwrap_err();

    assert!(
        err.to_string().contains("run `soleflip db migrate` first"),
        "{err}"
    );
}

/// Every index, constraint and comment of the price tables, as the catalog prints them.
async fn price_table_definitions(conn: &mut PgConnection) -> Vec<String> {
    sqlx::query_scalar(
        "select kind || ' ' || name || ' ' || def from ( \
             select 'index' as kind, indexrelid::regclass::text as name, \
                    pg_get_indexdef(indexrelid) || ' ' \
                    || coalesce(obj_description(indexrelid, 'pg_class'), '') as def \
             from pg_index where indrelid = any($1::regclass[]) \
             union all \
             select 'constraint', conrelid::regclass || '.' || conname, \
                    pg_get_constraintdef(oid) || ' ' \
                    || coalesce(obj_description(oid, 'pg_constraint'), '') \
             from pg_constraint where conrelid = any($1::regclass[])) d \
         order by 1",
    )
    .bind(vec![
        "integration.price_sources",
        "integration.price_history",
        "integration.legacy_price_migrations",
    ])
    .fetch_all(conn)
    .await
    .unwrap()
}

#[tokio::test]
async fn a_bulk_load_rebuilds_every_index_key_and_comment_as_it_was() {
    let (_db, mut conn) = legacy_db().await;
    sqlx::raw_sql(
        "comment on index integration.idx_price_sources_size is 'prices of one size'; \
         comment on constraint price_sources_product_id_fkey on integration.price_sources \
             is 'the priced product'",
    )
    .execute(&mut conn)
    .await
    .unwrap();
    let before = price_table_definitions(&mut conn).await;

    let report = migrate(&mut conn, MigrateOptions::default()).await;

    assert_eq!(report.status, MigrateStatus::Committed, "{report:#?}");
    // Empty tables receive more rows than they hold: all three are written in bulk.
    assert_eq!(
        report.bulk_loaded,
        [
            "integration.legacy_price_migrations",
            "integration.price_history",
            "integration.price_sources"
        ]
    );
    assert_eq!(price_table_definitions(&mut conn).await, before);
}

#[tokio::test]
async fn a_run_smaller_than_the_price_table_writes_through_its_indexes() {
    let (_db, mut conn) = legacy_db().await;
    // More existing price sources than legacy rows: no bulk load of price_sources.
    sqlx::raw_sql(
        "insert into integration.price_sources (product_id, source_type, source_product_id, \
             price_type, price_cents, currency, in_stock, last_updated) \
         select '00000000-0000-0000-0000-0000000000a1', 'awin', 'OLD-' || g, 'retail', 1000, \
                'EUR', true, now() - interval '30 days' \
         from generate_series(1, 100) g",
    )
    .execute(&mut conn)
    .await
    .unwrap();

    let report = migrate(&mut conn, MigrateOptions::default()).await;

    assert_eq!(report.status, MigrateStatus::Committed, "{report:#?}");
    assert!(
        !report
            .bulk_loaded
            .contains(&"integration.price_sources".to_string()),
        "{:?}",
        report.bulk_loaded
    );
}

#[tokio::test]
async fn a_reader_holding_the_price_table_gets_a_run_through_the_indexes_not_a_wait() {
    let (db, mut conn) = legacy_db().await;
    let mut reader = db.connect().await;
    sqlx::raw_sql("begin; select count(*) from integration.price_sources;")
        .execute(&mut reader)
        .await
        .unwrap();

    let report = migrate(&mut conn, MigrateOptions::default()).await;

    assert_eq!(report.status, MigrateStatus::Committed, "{report:#?}");
    assert!(report.bulk_loaded.is_empty(), "{:?}", report.bulk_loaded);
    sqlx::raw_sql("commit").execute(&mut reader).await.unwrap();
    let written = count(&mut conn, "integration.price_sources").await;
    assert_eq!(
        report.tables.iter().map(|t| t.inserted).sum::<i64>(),
        written
    );
}

#[tokio::test]
async fn on_a_fresh_install_the_sizes_legacy_prices_name_are_created_brand_and_cohort_aware() {
    let (_db, mut conn) = legacy_db().await;

    let report = migrate(&mut conn, MigrateOptions::default()).await;

    // Nike US M 13 (row 204) and adidas US M 10 (row 207, itself rejected for having no price:
    // its size is real all the same).
    assert_eq!(report.sizes_created, 2, "{:#?}", report.rejects);
    let created: (String, String, String, Option<String>, String) = sqlx::query_as(
        "select s.value::text, s.region::text, s.cohort::text, s.parsed::text, \
                s.standardized_value::text \
         from products.sizes s join core.brands b on b.id = s.brand_id \
         where b.slug = 'nike' and s.value = '13'",
    )
    .fetch_one(&mut conn)
    .await
    .unwrap();
    assert_eq!(
        created,
        (
            "13".into(),
            "US".into(),
            "M".into(),
            Some("US M 13".into()),
            "47.5".into()
        ),
        "a StockX 13 of a Nike product is US men's 13, EU 47.5 on Nike's chart"
    );
    let again = migrate(&mut conn, MigrateOptions::default()).await;
    assert_eq!(again.sizes_created, 0, "created once");
}
