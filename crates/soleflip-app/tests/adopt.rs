//! Adopting a database built by the old Python system: structure compared with migration 1,
//! migration 1 recorded without running it, not a row touched.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    reason = "test helpers stop the test loudly on a failed step"
)]

use soleflip_app::db::{DbError as AdoptError, Drift, DriftKind};
use soleflip_app::App;
use soleflip_db::migrate;
use soleflip_db::schema as catalog;
use soleflip_testkit::{fill_every_table, migrated_db, old_system_db, TestDb};

/// `db adopt` on the test database, through the application layer as the CLI calls it.
async fn adopt(db: &TestDb, force: bool) -> Result<Vec<Drift>, AdoptError> {
    let app = App::on_server(db.target.clone());
    app.db_adopt(force).await.map(|r| r.accepted_drift)
}
use sqlx::postgres::PgConnection;

/// Every row of every SoleFlip table as one JSON text per table (jsonb, so json and jsonb
/// columns compare by value), sorted. A partitioned table is read through its parent (its
/// partitions are where the rows are, not tables of their own).
async fn all_rows(conn: &mut PgConnection, except: &[(&str, &[&str])]) -> Vec<(String, String)> {
    let tables: Vec<String> = sqlx::query_scalar(
        "select n.nspname || '.' || c.relname from pg_class c \
         join pg_namespace n on n.oid = c.relnamespace \
         where c.relkind in ('r', 'p') and not c.relispartition \
           and n.nspname not in ('public', 'pg_catalog', 'information_schema') \
           and n.nspname !~ '^pg_' order by 1",
    )
    .fetch_all(&mut *conn)
    .await
    .unwrap();
    let mut out = Vec::new();
    for t in tables {
        let dropped: String = except
            .iter()
            .filter(|(table, _)| *table == t)
            .flat_map(|(_, cols)| cols.iter())
            .map(|c| format!(" - '{c}'"))
            .collect();
        let sql = format!(
            "select coalesce(jsonb_agg(r order by r::text), '[]')::text \
             from (select to_jsonb(x){dropped} as r from {t} x) q"
        );
        out.push((
            t,
            sqlx::query_scalar(&sql)
                .fetch_one(&mut *conn)
                .await
                .unwrap(),
        ));
    }
    out
}

#[tokio::test]
async fn an_old_system_database_is_adopted_without_touching_a_row() {
    let db = old_system_db().await;
    let mut conn = db.connect().await;
    let filled = fill_every_table(&mut conn).await;
    assert!(
        filled.len() >= 30,
        "rows in (nearly) every table: {filled:?}"
    );
    let before = all_rows(&mut conn, &[]).await;

    let adopted = adopt(&db, false).await.unwrap();
    assert!(adopted.is_empty());

    assert_eq!(all_rows(&mut conn, &[]).await, before, "no row changed");
    let state = migrate::status(&mut conn).await.unwrap();
    assert_eq!(state[0].version, 1);
    assert_eq!(state[0].applied_by.as_deref(), Some("adopt"));
    assert_eq!(state[0].checksum_ok, Some(true));
    assert_eq!(
        migrate::alembic_revision(&mut conn).await.unwrap(),
        None,
        "alembic table retired"
    );
    let kept: String =
        sqlx::query_scalar("select version_num::text from public.alembic_version_adopted")
            .fetch_one(&mut conn)
            .await
            .unwrap();
    assert_eq!(
        kept, "consolidated_v1",
        "the retired table is kept with its row"
    );
    let again = adopt(&db, false).await.unwrap_err();
    assert!(matches!(again, AdoptError::AlreadyManaged(1)), "{again}");
}

#[tokio::test]
async fn an_old_database_that_drifted_is_refused_with_the_drift_listed_unless_forced() {
    let db = old_system_db().await;
    let mut conn = db.connect().await;
    sqlx::raw_sql(
        "drop index products.idx_products_ean; alter table core.brands add column note text",
    )
    .execute(&mut conn)
    .await
    .unwrap();
    let err = adopt(&db, false).await.unwrap_err();
    let AdoptError::AdoptDrift(drift) = err else {
        panic!("expected drift, got {err}")
    };
    let lines: Vec<String> = drift.iter().map(ToString::to_string).collect();
    assert_eq!(drift.len(), 2, "{lines:?}");
    assert!(drift
        .iter()
        .any(|d| d.drift == DriftKind::Missing && d.object == "index products.idx_products_ean"));
    assert!(drift
        .iter()
        .any(|d| d.drift == DriftKind::Unexpected && d.object == "column core.brands.note"));
    assert_eq!(
        migrate::current_version(&mut conn).await.unwrap(),
        None,
        "nothing recorded"
    );

    let forced = adopt(&db, true).await.unwrap();
    assert_eq!(forced.len(), 2, "--force still lists the drift");
    assert_eq!(
        migrate::current_version(&mut conn)
            .await
            .unwrap()
            .map(|v| v.0),
        Some(1)
    );
}

#[tokio::test]
async fn a_database_of_another_revision_or_system_is_not_adopted() {
    let db = old_system_db().await;
    let mut conn = db.connect().await;
    sqlx::query("update public.alembic_version set version_num = 'a1b2c3'")
        .execute(&mut conn)
        .await
        .unwrap();
    let err = adopt(&db, true).await.unwrap_err();
    assert!(
        matches!(err, AdoptError::NotOldSystem(ref m) if m.contains("a1b2c3")),
        "{err}"
    );

    let fresh = migrated_db().await;
    let err = adopt(&fresh, false).await.unwrap_err();
    assert!(matches!(err, AdoptError::AlreadyManaged(_)), "{err}");
}

#[tokio::test]
async fn adopted_and_migrated_equals_fresh_in_structure_and_keeps_every_row() {
    let old = old_system_db().await;
    let mut conn = old.connect().await;
    fill_every_table(&mut conn).await;
    // Later migrations change these by design: migration 2 renames a platform (and adds
    // Restocks) and recomputes the inventory analytics; migration 3 gives size rows a brand and
    // new columns; migration 4 adds a column. updated_at moves where they update rows.
    let by_design: &[(&str, &[&str])] = &[
        ("core.platforms", &["name", "slug", "updated_at"]),
        (
            "products.inventory",
            &[
                "shelf_life_days",
                "roi_percentage",
                "profit_per_shelf_day",
                "updated_at",
                // migration 6: the state from the status text, and the purchase columns
                "detailed_status",
                "purchase_line_id",
                "cost_basis",
                "currency",
                // migration 8: the import run that created a pair
                "import_batch_id",
            ],
        ),
        // Migration 8 records a run's file and report.
        (
            "integration.import_batches",
            &["file_name", "file_sha256", "summary", "dry_run"],
        ),
        // Migration 6 gives an order its pair, listing, currency and payout.
        (
            "transactions.orders",
            &[
                "inventory_id",
                "pair_listing_id",
                "currency",
                "payout",
                "payout_flagged",
                // migration 8: the natural key (from stockx_order_number or external_id) and
                // the import run
                "order_number",
                "import_batch_id",
            ],
        ),
        (
            "products.sizes",
            &[
                "brand_id",
                "cohort",
                "parsed",
                "standardized_exact",
                "updated_at",
            ],
        ),
        // Migration 4 records the currency of each observation (backfilled from its source).
        ("integration.price_history", &["currency"]),
        // Migration 8 re-keys the AWIN offers (merchant_product_id filled), turns cents into
        // numeric prices, adds the GTIN-14 and last-seen columns, and points history rows at
        // their offer with the values of a change.
        (
            "integration.awin_products",
            &[
                "merchant_product_id",
                "retail_price_cents",
                "store_price_cents",
                "rrp_price_cents",
                "search_price",
                "store_price",
                "rrp_price",
                "delivery_cost",
                "upc",
                "gtin",
                "parent_product_id",
                "last_seen_batch_id",
                "last_seen_at",
                "updated_at",
            ],
        ),
        (
            "integration.awin_price_history",
            &[
                "awin_product_id",
                "price_cents",
                "product_id",
                "batch_id",
                "price",
                "currency",
                "stock_quantity",
                "previous_price",
                "previous_in_stock",
                "previous_stock_quantity",
            ],
        ),
    ];
    let before = all_rows(&mut conn, by_design).await;
    let platform_ids: Vec<String> =
        sqlx::query_scalar("select id::text from core.platforms order by 1")
            .fetch_all(&mut conn)
            .await
            .unwrap();

    adopt(&old, false).await.unwrap();
    migrate::migrate(&mut conn, None).await.unwrap();

    let fresh = migrated_db().await;
    let mut fresh_conn = fresh.connect().await;
    let fresh_catalog = catalog::Snapshot::read(&mut fresh_conn).await.unwrap();
    let adopted_catalog = catalog::Snapshot::read(&mut conn).await.unwrap();
    let drift: Vec<String> = adopted_catalog
        .drift_from(&fresh_catalog)
        .iter()
        .map(ToString::to_string)
        .collect();
    assert!(
        drift.is_empty(),
        "adopted differs from fresh:\n{}",
        drift.join("\n")
    );
    let report = soleflip_db::verify::verify(&mut conn, &old.name)
        .await
        .unwrap();
    assert!(report.ok, "{:#?}", report.drift);

    let after = all_rows(&mut conn, by_design).await;
    // The platforms table gains rows by design; compare the others exactly.
    let strip = |rows: Vec<(String, String)>| -> Vec<(String, String)> {
        rows.into_iter()
            .filter(|(t, _)| t != "core.platforms")
            .collect()
    };
    // Tables added by later migrations are new by design; every table that existed before
    // keeps exactly its rows.
    let after: std::collections::BTreeMap<String, String> = strip(after).into_iter().collect();
    let changed: Vec<String> = strip(before)
        .into_iter()
        .filter(|(table, rows)| after.get(table) != Some(rows))
        .map(|(table, _)| table)
        .collect();
    assert!(changed.is_empty(), "rows changed in {changed:?}");
    for id in platform_ids {
        let kept: bool =
            sqlx::query_scalar("select exists (select 1 from core.platforms where id::text = $1)")
                .bind(&id)
                .fetch_one(&mut conn)
                .await
                .unwrap();
        assert!(kept, "platform {id} kept its id");
    }
}
