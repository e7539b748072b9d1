//! Migration 2 (document_promises) keeps the old document's promises: on the whole catalog
//! (checked over pg_catalog, so every later migration must keep them too), on real rows, and on
//! an adopted database full of rows.
#![expect(
    clippy::unwrap_used,
    reason = "the helpers arrange and read rows: a failure must stop the test loudly"
)]

use soleflip_db::migrate;
use soleflip_testkit::{empty_db, migrated_db};
use sqlx::types::Uuid;
use sqlx::PgConnection;

// ---------------------------------------------------------------------------------------------
// arrange
// ---------------------------------------------------------------------------------------------

/// A connection to a fresh database with every migration applied.
async fn migrated() -> PgConnection {
    migrated_db().await.connect().await
}

/// A connection to a fresh database at migration 1, as an adopted install would be.
async fn at_migration_1() -> PgConnection {
    let db = empty_db().await;
    let mut conn = db.connect().await;
    migrate::migrate(&mut conn, Some(1)).await.unwrap();
    conn
}

async fn to_migration_2(conn: &mut PgConnection) {
    let outcome = migrate::migrate(conn, Some(2)).await.unwrap();
    assert_eq!(outcome.applied, [2]);
}

async fn exec(conn: &mut PgConnection, sql: &str) {
    sqlx::raw_sql(sql).execute(conn).await.unwrap();
}

/// Rows of a query returning one text column (NULL as "NULL"), sorted bytewise (whatever the
/// server's collation).
async fn texts(conn: &mut PgConnection, sql: &str) -> Vec<String> {
    let rows: Vec<(Option<String>,)> = sqlx::query_as(sql).fetch_all(conn).await.unwrap();
    let mut texts: Vec<String> = rows
        .into_iter()
        .map(|(t,)| t.unwrap_or_else(|| "NULL".to_owned()))
        .collect();
    texts.sort();
    texts
}

async fn product(conn: &mut PgConnection, sku: &str) -> Uuid {
    sqlx::query_scalar(
        "insert into products.products (sku, name, brand_id, category_id) \
         values ($1, $1 || ' Runner', (select id from core.brands where slug = 'nike'), \
                 (select id from core.categories where slug = 'sneakers')) \
         returning id",
    )
    .bind(sku)
    .fetch_one(conn)
    .await
    .unwrap()
}

async fn size(conn: &mut PgConnection, value: &str) -> Uuid {
    sqlx::query_scalar(
        "insert into products.sizes (category_id, value, region, standardized_value) \
         values ((select id from core.categories where slug = 'sneakers'), $1, 'EU', \
                 $1::numeric) \
         returning id",
    )
    .bind(value)
    .fetch_one(conn)
    .await
    .unwrap()
}

/// One pair of `product` in `size`, bought for `price` (decimal text) at `bought` (an SQL
/// timestamptz expression).
async fn stock(
    conn: &mut PgConnection,
    product: Uuid,
    size: Uuid,
    price: &str,
    bought: &str,
) -> Uuid {
    sqlx::query_scalar(&format!(
        "insert into products.inventory \
           (product_id, size_id, quantity, status, purchase_price, purchase_date) \
         values ($1, $2, 1, 'in_stock', $3::numeric, {bought}) returning id"
    ))
    .bind(product)
    .bind(size)
    .bind(price)
    .fetch_one(conn)
    .await
    .unwrap()
}

/// A sale of `item` on StockX: (date, sale price, platform fee, shipping cost, status).
struct Sale {
    at: &'static str,
    price: &'static str,
    fee: &'static str,
    shipping: &'static str,
    status: &'static str,
}

impl Sale {
    async fn record(self, conn: &mut PgConnection, item: Uuid) -> Uuid {
        sqlx::query_scalar(
            "insert into transactions.transactions \
               (inventory_id, platform_id, transaction_date, sale_price, platform_fee, \
                shipping_cost, net_profit, status) \
             values ($1, (select id from core.platforms where slug = 'stockx'), \
                     $2::timestamptz, $3::numeric, $4::numeric, $5::numeric, 0, $6) \
             returning id",
        )
        .bind(item)
        .bind(self.at)
        .bind(self.price)
        .bind(self.fee)
        .bind(self.shipping)
        .bind(self.status)
        .fetch_one(conn)
        .await
        .unwrap()
    }
}

fn completed(at: &'static str, price: &'static str) -> Sale {
    Sale {
        at,
        price,
        fee: "0",
        shipping: "0",
        status: "completed",
    }
}

/// An item's (shelf_life_days, roi_percentage, profit_per_shelf_day) as text ("NULL" for NULL).
async fn analytics(conn: &mut PgConnection, item: Uuid) -> [String; 3] {
    let (days, roi, per_day): (Option<String>, Option<String>, Option<String>) = sqlx::query_as(
        "select shelf_life_days::text, roi_percentage::text, profit_per_shelf_day::text \
         from products.inventory where id = $1",
    )
    .bind(item)
    .fetch_one(conn)
    .await
    .unwrap();
    [days, roi, per_day].map(|v| v.unwrap_or_else(|| "NULL".to_owned()))
}

fn strings<const N: usize>(values: [&str; N]) -> [String; N] {
    values.map(str::to_owned)
}

// ---------------------------------------------------------------------------------------------
// the whole catalog: promises every later migration must keep
// ---------------------------------------------------------------------------------------------

/// Tables of the user schemas (not our runner's version table), as `schema.name`.
const USER_TABLES: &str = "
    select c.oid, n.nspname || '.' || c.relname as name
    from pg_class c join pg_namespace n on n.oid = c.relnamespace
    where c.relkind in ('r', 'p')
      and n.nspname !~ '^pg_' and n.nspname <> 'information_schema'
      and not (n.nspname = 'public' and c.relname = 'soleflip_migrations')";

#[tokio::test]
async fn every_foreign_key_has_a_plain_btree_index_led_by_its_columns() {
    let mut conn = migrated().await;

    // The index's first n key columns, in any order, are the foreign key's n columns
    // (tools/catalog.py's fk_without_index).
    let unindexed = texts(
        &mut conn,
        "select co.conrelid::regclass::text || ' (' || co.conname || ')'
         from pg_constraint co
         join pg_namespace n on n.oid = co.connamespace
         where co.contype = 'f'
           and n.nspname !~ '^pg_' and n.nspname <> 'information_schema'
           and not exists (
               select 1
               from pg_index i
               join pg_class ic on ic.oid = i.indexrelid
               join pg_am am on am.oid = ic.relam
               where i.indrelid = co.conrelid
                 and am.amname = 'btree'
                 and i.indpred is null
                 and i.indnkeyatts >= cardinality(co.conkey)
                 and (select array_agg(k order by k)
                      from unnest((i.indkey::int2[])[0:cardinality(co.conkey) - 1]) k)
                   = (select array_agg(k order by k) from unnest(co.conkey) k))
         order by 1",
    )
    .await;

    assert!(
        unindexed.is_empty(),
        "foreign keys without an index: {unindexed:#?}"
    );
}

#[tokio::test]
async fn no_index_duplicates_another_or_is_a_plain_btree_left_prefix_of_a_wider_one() {
    let mut conn = migrated().await;

    // tools/catalog.py's redundant_indexes: same method, key columns and predicate; or a
    // non-unique, non-partial btree whose key columns begin a non-partial btree's.
    let redundant = texts(
        &mut conn,
        "with ix as (
             select i.indexrelid, i.indrelid, am.amname, i.indisunique,
                    i.indpred is not null as partial,
                    coalesce(pg_get_expr(i.indpred, i.indrelid), '') as predicate,
                    array(select pg_get_indexdef(i.indexrelid, k, true)
                          from generate_series(1, i.indnkeyatts) k order by k) as cols
             from pg_index i
             join pg_class ic on ic.oid = i.indexrelid
             join pg_namespace n on n.oid = ic.relnamespace
             join pg_am am on am.oid = ic.relam
             where n.nspname !~ '^pg_' and n.nspname <> 'information_schema'
         )
         select a.indexrelid::regclass::text
                || case when a.cols = b.cols then ' duplicates ' else ' is a prefix of ' end
                || b.indexrelid::regclass::text
         from ix a
         join ix b on b.indrelid = a.indrelid and b.indexrelid <> a.indexrelid
                  and b.amname = a.amname
         where (a.cols = b.cols and a.predicate = b.predicate and a.indexrelid < b.indexrelid)
            or (a.amname = 'btree' and not a.indisunique and not a.partial and not b.partial
                and cardinality(a.cols) < cardinality(b.cols)
                and b.cols[1:cardinality(a.cols)] = a.cols)
         order by 1",
    )
    .await;

    assert!(redundant.is_empty(), "redundant indexes: {redundant:#?}");
}

#[tokio::test]
async fn every_table_with_updated_at_has_a_before_update_row_trigger_calling_the_shared_function() {
    let mut conn = migrated().await;

    // tgtype bits: 1 row, 2 before, 16 update. No column list and no condition: every update.
    let missing = texts(
        &mut conn,
        &format!(
            "select t.name from ({USER_TABLES}) t
             where exists (select 1 from pg_attribute a
                           where a.attrelid = t.oid and a.attname = 'updated_at'
                             and not a.attisdropped)
               and not exists (
                   select 1 from pg_trigger g
                   where g.tgrelid = t.oid and not g.tgisinternal and g.tgenabled <> 'D'
                     and g.tgfoid = 'core.update_updated_at_column()'::regprocedure
                     and g.tgtype & (1 | 2 | 16) = (1 | 2 | 16)
                     and cardinality(g.tgattr::int2[]) = 0 and g.tgqual is null)
             order by 1"
        ),
    )
    .await;
    let documented = texts(
        &mut conn,
        "select tgrelid::regclass::text || ' ' || tgname from pg_trigger
         where tgname in ('update_products_updated_at', 'update_inventory_updated_at')",
    )
    .await;

    assert!(
        missing.is_empty(),
        "updated_at without its trigger: {missing:#?}"
    );
    assert_eq!(
        documented,
        [
            "products.inventory update_inventory_updated_at",
            "products.products update_products_updated_at"
        ]
    );
}

#[tokio::test]
async fn no_json_column_remains_and_no_function_lives_in_public() {
    let mut conn = migrated().await;

    let json = texts(
        &mut conn,
        "select n.nspname || '.' || c.relname || '.' || a.attname
         from pg_attribute a
         join pg_class c on c.oid = a.attrelid
         join pg_namespace n on n.oid = c.relnamespace
         where a.atttypid in ('json'::regtype, 'json[]'::regtype) and not a.attisdropped
           and c.relkind in ('r', 'p', 'v', 'm')
           and n.nspname !~ '^pg_' and n.nspname <> 'information_schema'
         order by 1",
    )
    .await;
    let in_public = texts(
        &mut conn,
        "select proname::text from pg_proc where pronamespace = 'public'::regnamespace",
    )
    .await;

    assert!(json.is_empty(), "json columns: {json:#?}");
    assert!(in_public.is_empty(), "functions in public: {in_public:#?}");
}

#[tokio::test]
async fn every_table_has_a_comment_saying_what_it_holds() {
    let mut conn = migrated().await;

    let uncommented = texts(
        &mut conn,
        &format!(
            "select t.name from ({USER_TABLES}) t
             where coalesce(obj_description(t.oid, 'pg_class'), '') = ''
             order by 1"
        ),
    )
    .await;

    assert!(
        uncommented.is_empty(),
        "tables without a comment: {uncommented:#?}"
    );
}

#[tokio::test]
async fn the_jsonb_columns_queried_by_content_have_gin_indexes_with_the_chosen_operator_classes() {
    let mut conn = migrated().await;

    let gin = texts(
        &mut conn,
        "select i.indrelid::regclass::text || '.' || a.attname || ' ' || oc.opcname
         from pg_index i
         join pg_class ic on ic.oid = i.indexrelid
         join pg_am am on am.oid = ic.relam
         join pg_attribute a on a.attrelid = i.indrelid and a.attnum = i.indkey[0]
         join pg_opclass oc on oc.oid = i.indclass[0]
         where am.amname = 'gin'",
    )
    .await;

    assert_eq!(
        gin,
        [
            "integration.price_sources.metadata jsonb_path_ops",
            "products.inventory.external_ids jsonb_path_ops",
            "products.products.enrichment_data jsonb_ops",
        ]
    );
}

// ---------------------------------------------------------------------------------------------
// updated_at
// ---------------------------------------------------------------------------------------------

#[tokio::test]
async fn updated_at_advances_on_update_of_products_inventory_and_price_sources() {
    let mut conn = migrated().await;
    let old = "'2020-01-01 00:00+00'";
    exec(
        &mut conn,
        &format!(
            "insert into products.products (sku, name, category_id, updated_at)
                 select 'P1', 'Runner', id, {old} from core.categories;
             insert into products.sizes (value, region) values ('42.5', 'EU');
             insert into products.inventory (product_id, size_id, quantity, status, updated_at)
                 select p.id, z.id, 1, 'in_stock', {old}
                 from products.products p, products.sizes z;
             insert into integration.price_sources
                 (product_id, source_type, source_product_id, price_type, price_cents,
                  updated_at)
                 select id, 'stockx', 'sx-1', 'resale', 10000, {old} from products.products;"
        ),
    )
    .await;
    let before: String = sqlx::query_scalar("select now()::text")
        .fetch_one(&mut conn)
        .await
        .unwrap();

    exec(&mut conn, "update products.products set name = 'Renamed'").await;
    exec(&mut conn, "update products.inventory set notes = 'checked'").await;
    // A value given by the update itself is overridden too: updated_at means "last written".
    exec(
        &mut conn,
        "update integration.price_sources set price_cents = 9000, updated_at = '2020-01-01'",
    )
    .await;

    let mut current: Vec<(String, bool)> = sqlx::query_as(
        "select t, updated_at >= $1::timestamptz from (
             select 'products' t, updated_at from products.products
             union all select 'inventory', updated_at from products.inventory
             union all select 'price_sources', updated_at from integration.price_sources) u",
    )
    .bind(before)
    .fetch_all(&mut conn)
    .await
    .unwrap();
    current.sort();
    assert_eq!(
        current,
        [
            ("inventory".to_owned(), true),
            ("price_sources".to_owned(), true),
            ("products".to_owned(), true)
        ]
    );
}

// ---------------------------------------------------------------------------------------------
// integration.latest_prices
// ---------------------------------------------------------------------------------------------

/// An in-stock StockX resale price of `product` with id `id`, in `size`, stamped by the source
/// at `last_updated` and by us at `updated_at` (SQL expressions).
async fn stamped_price(
    conn: &mut PgConnection,
    id: &str,
    product: Uuid,
    size: Option<Uuid>,
    cents: i32,
    last_updated: &str,
    updated_at: &str,
) {
    sqlx::query(&format!(
        "insert into integration.price_sources \
           (id, product_id, size_id, source_type, source_product_id, price_type, price_cents, \
            in_stock, last_updated, updated_at) \
         values ($1::uuid, $2, $3, 'stockx', $1, 'resale', $4, true, {last_updated}, \
                 {updated_at})"
    ))
    .bind(id)
    .bind(product)
    .bind(size)
    .bind(cents)
    .execute(conn)
    .await
    .unwrap();
}

/// `integration.latest_prices` as (size value or "-", cents), by size.
async fn latest(conn: &mut PgConnection) -> Vec<(String, i32)> {
    let mut rows: Vec<(String, i32)> = sqlx::query_as(
        "select coalesce(z.value, '-'), l.price_cents from integration.latest_prices l \
         left join products.sizes z on z.id = l.size_id",
    )
    .fetch_all(conn)
    .await
    .unwrap();
    rows.sort();
    rows
}

const ID_1: &str = "00000000-0000-0000-0000-000000000001";
const ID_2: &str = "00000000-0000-0000-0000-000000000002";
const ID_3: &str = "00000000-0000-0000-0000-000000000003";
const ID_4: &str = "00000000-0000-0000-0000-000000000004";

#[tokio::test]
async fn latest_prices_keeps_one_row_per_product_size_and_source_the_one_updated_last() {
    let mut conn = migrated().await;
    let p = product(&mut conn, "P1").await;
    let eu42 = size(&mut conn, "42.5").await;
    let eu44 = size(&mut conn, "44").await;
    let day = |n: u8| format!("'2024-05-0{n} 12:00+00'");
    stamped_price(&mut conn, ID_1, p, Some(eu42), 11_000, &day(1), "now()").await;
    stamped_price(&mut conn, ID_2, p, Some(eu42), 12_000, &day(3), "now()").await;
    stamped_price(&mut conn, ID_3, p, Some(eu44), 13_000, &day(2), "now()").await;
    stamped_price(&mut conn, ID_4, p, None, 9_000, &day(1), "now()").await;

    let rows = latest(&mut conn).await;

    assert_eq!(
        rows,
        [
            ("-".to_owned(), 9_000),
            ("42.5".to_owned(), 12_000),
            ("44".to_owned(), 13_000)
        ],
        "each size (and no size) keeps its own newest row"
    );
}

#[tokio::test]
async fn latest_prices_puts_a_row_never_stamped_by_its_source_last() {
    let mut conn = migrated().await;
    let p = product(&mut conn, "P1").await;
    let q = product(&mut conn, "Q1").await;
    stamped_price(
        &mut conn,
        ID_1,
        p,
        None,
        10_000,
        "'2024-05-01 12:00+00'",
        "now()",
    )
    .await;
    stamped_price(&mut conn, ID_2, p, None, 50_000, "null", "now()").await;
    stamped_price(&mut conn, ID_3, q, None, 70_000, "null", "now()").await;

    let rows = texts(
        &mut conn,
        "select product_sku || ' ' || price_cents from integration.latest_prices",
    )
    .await;

    assert_eq!(
        rows,
        ["P1 10000", "Q1 70000"],
        "a dated row beats an undated one; an undated one alone still shows"
    );
}

#[tokio::test]
async fn latest_prices_breaks_ties_by_our_updated_at_then_by_the_smallest_id() {
    let mut conn = migrated().await;
    let p = product(&mut conn, "P1").await;
    let q = product(&mut conn, "Q1").await;
    let same = "'2024-05-01 12:00+00'";
    stamped_price(
        &mut conn,
        ID_1,
        p,
        None,
        10_000,
        same,
        "'2024-05-01 13:00+00'",
    )
    .await;
    stamped_price(
        &mut conn,
        ID_2,
        p,
        None,
        20_000,
        same,
        "'2024-05-01 14:00+00'",
    )
    .await;
    stamped_price(&mut conn, ID_4, q, None, 40_000, same, same).await;
    stamped_price(&mut conn, ID_3, q, None, 30_000, same, same).await;

    let rows = texts(
        &mut conn,
        "select product_sku || ' ' || price_cents from integration.latest_prices",
    )
    .await;

    assert_eq!(rows, ["P1 20000", "Q1 30000"]);
}

// ---------------------------------------------------------------------------------------------
// platforms
// ---------------------------------------------------------------------------------------------

async fn platform_id(conn: &mut PgConnection, slug: &str) -> Option<Uuid> {
    sqlx::query_scalar("select id from core.platforms where slug = $1")
        .bind(slug)
        .fetch_optional(conn)
        .await
        .unwrap()
}

#[tokio::test]
async fn wtn_becomes_wethenew_in_place_restocks_is_added_and_klekt_stays() {
    let mut conn = at_migration_1().await;
    let wtn = platform_id(&mut conn, "wtn").await.unwrap();
    exec(
        &mut conn,
        "insert into pricing.price_rules (name, rule_type, effective_from, platform_id)
         select 'WTN markup', 'markup', now(), id from core.platforms where slug = 'wtn'",
    )
    .await;

    to_migration_2(&mut conn).await;

    let platforms = texts(&mut conn, "select name || ' ' || slug from core.platforms").await;
    assert_eq!(
        platforms,
        [
            "Alias alias",
            "GOAT goat",
            "Kleinanzeigen kleinanzeigen",
            "Klekt klekt",
            "Laced laced",
            "Restocks restocks",
            "StockX stockx",
            "Wethenew wethenew",
            "eBay ebay",
        ]
    );
    assert_eq!(platform_id(&mut conn, "wethenew").await, Some(wtn));
    let rule_platform: Uuid =
        sqlx::query_scalar("select platform_id from pricing.price_rules where name = 'WTN markup'")
            .fetch_one(&mut conn)
            .await
            .unwrap();
    assert_eq!(
        rule_platform, wtn,
        "rows referring to WTN now refer to Wethenew"
    );
}

#[tokio::test]
async fn an_install_that_already_added_wethenew_keeps_both_rows_and_renames_the_others() {
    let mut conn = at_migration_1().await;
    exec(
        &mut conn,
        "insert into core.platforms (name, slug) values ('wethenew.com', 'wethenew');
         update core.platforms set name = 'Ebay' where slug = 'ebay';",
    )
    .await;
    let wethenew = platform_id(&mut conn, "wethenew").await.unwrap();

    to_migration_2(&mut conn).await;

    let platforms = texts(
        &mut conn,
        "select name || ' ' || slug from core.platforms \
         where slug in ('ebay', 'wtn', 'wethenew')",
    )
    .await;
    assert_eq!(platforms, ["WTN wtn", "Wethenew wethenew", "eBay ebay"]);
    assert_eq!(platform_id(&mut conn, "wethenew").await, Some(wethenew));
}

// ---------------------------------------------------------------------------------------------
// inventory analytics
// ---------------------------------------------------------------------------------------------

/// A fresh database at migration 5 (the last one with stored analytics: migration 6 computes
/// them at query time instead) with one product in one size.
async fn shop() -> (PgConnection, Uuid, Uuid) {
    let mut conn = at_migration_1().await;
    migrate::migrate(&mut conn, Some(5)).await.unwrap();
    let p = product(&mut conn, "P1").await;
    let eu42 = size(&mut conn, "42.5").await;
    (conn, p, eu42)
}

#[tokio::test]
async fn an_unsold_item_has_no_roi_and_a_shelf_life_counted_to_today() {
    let (mut conn, p, eu42) = shop().await;

    let item = stock(&mut conn, p, eu42, "100.00", "now() - interval '240 hours'").await;
    let inserted = analytics(&mut conn, item).await;
    sqlx::query("update products.inventory set location = 'B2' where id = $1")
        .bind(item)
        .execute(&mut conn)
        .await
        .unwrap();

    assert_eq!(inserted, strings(["10", "NULL", "NULL"]));
    assert_eq!(
        analytics(&mut conn, item).await,
        strings(["10", "NULL", "NULL"])
    );
}

#[tokio::test]
async fn recording_a_sale_fills_roi_shelf_life_to_the_sale_and_profit_per_shelf_day() {
    let (mut conn, p, eu42) = shop().await;
    let item = stock(&mut conn, p, eu42, "100.00", "'2024-01-01 12:00+00'").await;

    Sale {
        at: "2024-01-31 12:00+00",
        price: "180.00",
        fee: "15.00",
        shipping: "5.00",
        status: "completed",
    }
    .record(&mut conn, item)
    .await;

    // net proceeds 180 - 15 - 5 = 160; ROI (160 - 100) / 100 * 100 = 60 %;
    // 30 days on the shelf; 60.00 profit / 30 days = 2.00 a day
    assert_eq!(
        analytics(&mut conn, item).await,
        strings(["30", "60.00", "2.00"])
    );
}

#[tokio::test]
async fn a_sale_on_the_purchase_day_counts_as_one_shelf_day_and_a_loss_is_negative() {
    let (mut conn, p, eu42) = shop().await;
    let item = stock(&mut conn, p, eu42, "200.00", "'2024-03-01 09:00+00'").await;

    Sale {
        fee: "20.00",
        ..completed("2024-03-01 18:00+00", "170.00")
    }
    .record(&mut conn, item)
    .await;

    // (150 - 200) / 200 = -25 %; -50.00 over max(0, 1) = 1 day
    assert_eq!(
        analytics(&mut conn, item).await,
        strings(["0", "-25.00", "-50.00"])
    );
}

#[tokio::test]
async fn a_twentyfold_roi_is_recorded_instead_of_failing_the_sale() {
    let (mut conn, p, eu42) = shop().await;
    let item = stock(&mut conn, p, eu42, "10.00", "'2024-01-01 12:00+00'").await;

    completed("2024-01-11 12:00+00", "210.00")
        .record(&mut conn, item)
        .await;

    // (210 - 10) / 10 * 100 = 2000 %, beyond the old numeric(5,2)'s 999.99
    assert_eq!(
        analytics(&mut conn, item).await,
        strings(["10", "2000.00", "20.00"])
    );
}

#[tokio::test]
async fn a_cancelled_sale_does_not_count_the_earliest_standing_one_does_and_removing_it_unsells() {
    let (mut conn, p, eu42) = shop().await;
    let item = stock(&mut conn, p, eu42, "100.00", "'2024-01-01 12:00+00'").await;
    Sale {
        status: "Cancelled",
        ..completed("2024-01-02 12:00+00", "500.00")
    }
    .record(&mut conn, item)
    .await;
    let after_cancelled = analytics(&mut conn, item).await;
    let later = completed("2024-01-05 12:00+00", "900.00")
        .record(&mut conn, item)
        .await;
    let earlier = completed("2024-01-03 12:00+00", "150.00")
        .record(&mut conn, item)
        .await;
    let with_two_sales = analytics(&mut conn, item).await;

    for sale in [earlier, later] {
        sqlx::query("delete from transactions.transactions where id = $1")
            .bind(sale)
            .execute(&mut conn)
            .await
            .unwrap();
    }

    assert_eq!(after_cancelled[1..], strings(["NULL", "NULL"]));
    // the 150.00 sale on 3 January: 2 days, (150 - 100) / 100 = 50 %, 50.00 / 2 = 25.00 a day
    assert_eq!(with_two_sales, strings(["2", "50.00", "25.00"]));
    let unsold = analytics(&mut conn, item).await;
    assert_eq!(unsold[1..], strings(["NULL", "NULL"]));
    assert!(
        unsold[0].parse::<i32>().unwrap() > 365,
        "counted to today: {unsold:?}"
    );
}

#[tokio::test]
async fn an_item_without_a_purchase_price_has_shelf_life_but_no_roi_once_sold() {
    let (mut conn, p, eu42) = shop().await;
    let item: Uuid = sqlx::query_scalar(
        "insert into products.inventory (product_id, size_id, quantity, status, purchase_date) \
         values ($1, $2, 1, 'in_stock', '2024-01-01 12:00+00') returning id",
    )
    .bind(p)
    .bind(eu42)
    .fetch_one(&mut conn)
    .await
    .unwrap();

    completed("2024-01-08 12:00+00", "120.00")
        .record(&mut conn, item)
        .await;

    assert_eq!(
        analytics(&mut conn, item).await,
        strings(["7", "NULL", "NULL"])
    );
}

// ---------------------------------------------------------------------------------------------
// integration.price_sources.last_updated: clock skew
// ---------------------------------------------------------------------------------------------

async fn price_stamped_ahead(conn: &mut PgConnection, ahead: &str) -> Result<(), sqlx::Error> {
    let p = product(conn, &format!("SKEW-{ahead}")).await;
    sqlx::query(
        "insert into integration.price_sources \
           (product_id, source_type, source_product_id, price_type, price_cents, last_updated) \
         values ($1, 'stockx', 'sx-1', 'resale', 10000, now() + $2::interval)",
    )
    .bind(p)
    .bind(ahead)
    .execute(conn)
    .await
    .map(|_| ())
}

#[tokio::test]
async fn a_source_clock_two_minutes_ahead_is_accepted_and_one_an_hour_ahead_is_rejected() {
    let mut conn = migrated().await;

    let two_minutes = price_stamped_ahead(&mut conn, "2 minutes").await;
    let one_hour = price_stamped_ahead(&mut conn, "1 hour").await;

    assert!(two_minutes.is_ok(), "{two_minutes:?}");
    let err = one_hour.unwrap_err();
    let constraint = err.as_database_error().and_then(|e| e.constraint());
    assert_eq!(constraint, Some("chk_last_updated_past"), "{err}");
}

// ---------------------------------------------------------------------------------------------
// an adopted database: real rows in every table
// ---------------------------------------------------------------------------------------------

/// At least one row in every table of migration 1, as an old install would have them: json
/// values (one holding the \u0000 escape jsonb cannot store), rows referring to WTN, a sold
/// and an unsold item with the old placeholder ROI.
const OLD_ROWS: &str = r#"
insert into core.suppliers (name, slug, supplier_type, status, tags)
    values ('Solebox', 'solebox', 'retailer', 'active', '["berlin"]');
insert into core.brand_patterns (brand_id, pattern_type, pattern, priority)
    select id, 'keyword', 'air max', 1 from core.brands where slug = 'nike';
insert into core.supplier_accounts (supplier_id, email)
    select id, 'buyer@example.com' from core.suppliers;
insert into core.supplier_history (supplier_id, event_date, event_type, event_title)
    select id, '2010-01-01', 'founded', 'Founded' from core.suppliers;
insert into core.supplier_performance (supplier_id, month_year)
    select id, '2024-01-01' from core.suppliers;
insert into products.products (sku, name, brand_id, category_id, enrichment_data)
    select 'OLD-1', 'Old Runner', b.id, c.id, '{"stockx": {"urlKey": "old-runner"}}'
    from core.brands b, core.categories c where b.slug = 'nike' and c.slug = 'sneakers';
insert into products.sizes (category_id, value, region, standardized_value)
    select id, '42.5', 'EU', 42.5 from core.categories;
insert into products.inventory (product_id, size_id, supplier_id, quantity, status,
        purchase_price, purchase_date, external_ids, notes, updated_at)
    select p.id, z.id, s.id, 1, 'sold', 100.00, '2024-01-01 12:00+00',
           '{"stockx_listing_id": "L1"}', 'sold', '2024-02-01 00:00+00'
    from products.products p, products.sizes z, core.suppliers s;
insert into products.inventory (product_id, size_id, quantity, status, purchase_price,
        purchase_date, notes, updated_at)
    select p.id, z.id, 1, 'in_stock', 80.00, now() - interval '72 hours', 'unsold',
           '2024-02-01 00:00+00'
    from products.products p, products.sizes z;
insert into core.account_purchase_history (account_id, supplier_id, product_id,
        purchase_amount, purchase_date, purchase_status)
    select a.id, a.supplier_id, p.id, 100.00, now(), 'completed'
    from core.supplier_accounts a, products.products p;
insert into integration.import_batches (source, total_records, status)
    values ('stockx', 1, 'completed');
insert into integration.import_records (batch_id, source_data)
    select id, '{"row": 1}' from integration.import_batches;
insert into integration.awin_products (awin_product_id, merchant_id, product_name,
        alternate_images, retail_price_cents)
    values ('AW1', 1, 'Old Runner', '["a.jpg", "b\u0000.jpg"]', 9000);
insert into integration.awin_price_history (awin_product_id, price_cents)
    values ('AW1', 9500);
insert into integration.awin_enrichment_jobs (job_type, status, results_summary)
    values ('match', 'completed', '{"matched": 1, "matched": 2}');
insert into integration.market_prices (product_id, source, supplier_name, buy_price)
    select id, 'awin', 'Solebox', 90.00 from products.products;
insert into integration.price_sources (product_id, size_id, source_type, source_product_id,
        price_type, price_cents, in_stock, metadata, last_updated)
    select p.id, z.id, 'stockx', 'sx-1', 'resale', 15000, true,
           '{"variant_id": "v1", "market": {"lowest_ask": 150}}', now() - interval '1 day'
    from products.products p, products.sizes z;
insert into integration.price_history (price_source_id, price_cents)
    select id, 14000 from integration.price_sources;
insert into platforms.stockx_listings (product_id, stockx_listing_id, stockx_product_id,
        ask_price)
    select id, 'L1', 'SP1', 150.00 from products.products;
insert into platforms.pricing_history (listing_id, new_price)
    select id, 149.00 from platforms.stockx_listings;
insert into platforms.stockx_orders (listing_id, stockx_order_number, sale_price, sold_at,
        order_status)
    select id, 'O1', 150.00, now(), 'completed' from platforms.stockx_listings;
insert into pricing.brand_multipliers (brand_id, multiplier_type, multiplier_value,
        effective_from)
    select id, 'hype', 1.100, '2024-01-01' from core.brands where slug = 'nike';
insert into pricing.market_prices (product_id, platform_name, condition, price_date)
    select id, 'StockX', 'new', '2024-01-01' from products.products;
insert into pricing.price_history (product_id, inventory_item_id, platform_id, price_date,
        price_type, price_amount, source, metadata)
    select p.id, i.id, pl.id, '2024-01-01', 'ask', 150.00, 'stockx', '{"note": "wtn"}'
    from products.products p, products.inventory i, core.platforms pl
    where i.notes = 'sold' and pl.slug = 'wtn';
insert into pricing.price_rules (name, rule_type, effective_from, platform_id,
        condition_multipliers, seasonal_adjustments)
    select 'WTN markup', 'markup', now(), id, '{"new": 1.0}', '[]'
    from core.platforms where slug = 'wtn';
insert into analytics.demand_patterns (category_id, analysis_level, pattern_date, period_type,
        demand_score, pattern_metadata)
    select id, 'category', '2024-01-01', 'month', 1.5, '{"peak": "december"}'
    from core.categories;
insert into analytics.forecast_accuracy (forecast_run_id, model_name, forecast_level,
        forecast_horizon, accuracy_date, records_evaluated, evaluation_period_days)
    values (gen_random_uuid(), 'prophet', 'product', '30d', '2024-01-01', 10, 30);
insert into analytics.marketplace_data (inventory_item_id, platform_id)
    select i.id, pl.id from products.inventory i, core.platforms pl
    where i.notes = 'sold' and pl.slug = 'wtn';
insert into analytics.pricing_kpis (kpi_date, aggregation_level, platform_id)
    select '2024-01-01', 'platform', id from core.platforms where slug = 'wtn';
insert into analytics.sales_forecasts (forecast_run_id, forecast_level, forecast_date,
        forecast_horizon, forecasted_units, forecasted_revenue, model_name, model_version,
        feature_importance)
    values (gen_random_uuid(), 'product', '2024-02-01', '30d', 3, 450.00, 'prophet', '1',
            '{"season": 0.7}');
insert into system.config (key, value_encrypted) values ('stockx.api_key', 'encrypted');
insert into system.logs (level, component, message) values ('info', 'import', 'done');
insert into transactions.orders (listing_id, platform_id, sale_price, sold_at)
    select l.id, pl.id, 150.00, now() from platforms.stockx_listings l, core.platforms pl
    where pl.slug = 'stockx';
insert into transactions.transactions (inventory_id, platform_id, transaction_date, sale_price,
        platform_fee, shipping_cost, net_profit, status)
    select i.id, pl.id, '2024-01-21 12:00+00', 150.00, 10.00, 5.00, 35.00, 'completed'
    from products.inventory i, core.platforms pl where i.notes = 'sold' and pl.slug = 'wtn';
"#;

/// An inventory row as (notes, shelf_life_days, roi_percentage, profit_per_shelf_day,
/// whether updated_at is still the value the old system wrote), as text.
type ItemAnalytics = (String, Option<i32>, Option<String>, Option<String>, String);

/// Row counts of every user table, as (table, rows), by table.
async fn row_counts(conn: &mut PgConnection) -> Vec<(String, i64)> {
    sqlx::query_as(&format!(
        "select t.name, (xpath('/row/n/text()', query_to_xml(
                    format('select count(*) as n from %s', t.oid::regclass), false, true, '')
                ))[1]::text::bigint
         from ({USER_TABLES}) t order by 1"
    ))
    .fetch_all(conn)
    .await
    .unwrap()
}

#[tokio::test]
async fn an_adopted_database_with_rows_in_every_table_keeps_every_row_and_gets_real_analytics() {
    let mut conn = at_migration_1().await;
    exec(&mut conn, OLD_ROWS).await;
    let before = row_counts(&mut conn).await;
    let wtn = platform_id(&mut conn, "wtn").await.unwrap();
    let placeholder_rois = texts(
        &mut conn,
        "select roi_percentage::text from products.inventory order by notes",
    )
    .await;

    to_migration_2(&mut conn).await;

    let empty: Vec<&String> = before.iter().filter(|r| r.1 == 0).map(|r| &r.0).collect();
    assert!(
        empty.is_empty(),
        "the arrangement fills every table: {empty:?}"
    );
    let expected: Vec<(String, i64)> = before
        .iter()
        .map(|(t, n)| (t.clone(), if t == "core.platforms" { n + 1 } else { *n }))
        .collect();
    assert_eq!(
        row_counts(&mut conn).await,
        expected,
        "only Restocks is new"
    );
    let json = texts(
        &mut conn,
        "select v::text from (
             select alternate_images v from integration.awin_products
             union all select results_summary from integration.awin_enrichment_jobs
             union all select metadata from integration.price_sources
             union all select metadata from pricing.price_history
             union all select condition_multipliers from pricing.price_rules
             union all select seasonal_adjustments from pricing.price_rules
             union all select pattern_metadata from analytics.demand_patterns
             union all select feature_importance from analytics.sales_forecasts) j",
    )
    .await;
    assert_eq!(
        json,
        [
            r#"["a.jpg", "b.jpg"]"#,
            "[]",
            r#"{"market": {"lowest_ask": 150}, "variant_id": "v1"}"#,
            r#"{"matched": 2}"#,
            r#"{"new": 1.0}"#,
            r#"{"note": "wtn"}"#,
            r#"{"peak": "december"}"#,
            r#"{"season": 0.7}"#,
        ],
        "every json value kept as jsonb; the \\u0000 escape dropped from its string"
    );
    let references: (i64, i64, i64) = sqlx::query_as(
        "select (select count(*) from transactions.transactions where platform_id = $1),
                (select count(*) from analytics.marketplace_data where platform_id = $1),
                (select count(*) from pricing.price_rules where platform_id = $1)",
    )
    .bind(wtn)
    .fetch_one(&mut conn)
    .await
    .unwrap();
    assert_eq!(
        references,
        (1, 1, 1),
        "rows referring to WTN refer to Wethenew"
    );
    assert_eq!(platform_id(&mut conn, "wethenew").await, Some(wtn));
    assert_eq!(
        placeholder_rois,
        ["0.00", "0.00"],
        "as built: a placeholder"
    );
    let items: Vec<ItemAnalytics> = sqlx::query_as(
        "select notes, shelf_life_days, roi_percentage::text, profit_per_shelf_day::text, \
                    (updated_at = '2024-02-01 00:00+00')::text \
             from products.inventory order by notes",
    )
    .fetch_all(&mut conn)
    .await
    .unwrap();
    // sold: bought 100.00 on 1 Jan, sold 21 Jan for 150 - 10 - 5 = 135: 20 days, 35 %,
    // 35.00 / 20 = 1.75 a day. unsold: 72 hours on the shelf. updated_at is left alone: the
    // recompute is the migration's, not a business edit.
    let owned = |s: &str| Some(s.to_owned());
    assert_eq!(
        items,
        [
            (
                "sold".to_owned(),
                Some(20),
                owned("35.00"),
                owned("1.75"),
                "true".to_owned()
            ),
            ("unsold".to_owned(), Some(3), None, None, "true".to_owned()),
        ]
    );
}
