//! integration.price_history partitioned by month (migration 11): rows land in their month's
//! partition, a month without a partition still takes rows, the partitions list with their
//! bounds, and the migration keeps every row of a database that holds history already.
#![expect(
    clippy::unwrap_used,
    reason = "helpers outside #[test] functions stop the test loudly"
)]

use soleflip_db::integration::history;
use soleflip_db::migrate;
use soleflip_testkit::{empty_db, migrated_db};
use sqlx::postgres::PgConnection;
use sqlx::types::Uuid;

/// One product with one StockX price source; returns the price source's id.
async fn price_source(conn: &mut PgConnection) -> Uuid {
    sqlx::raw_sql(
        "insert into products.products (sku, brand_id, category_id, name)
         select 'PART-1', b.id, c.id, 'Partitioned'
         from core.brands b, core.categories c order by b.slug, c.slug limit 1",
    )
    .execute(&mut *conn)
    .await
    .unwrap();
    sqlx::query_scalar(
        "insert into integration.price_sources
             (product_id, source_type, price_type, price_cents, currency, source_product_id)
         select id, 'stockx', 'resale', 10000, 'EUR', 'part-1'
         from products.products where sku = 'PART-1'
         returning id",
    )
    .fetch_one(conn)
    .await
    .unwrap()
}

/// The partition holding each history row, by recorded_at.
async fn where_rows_are(conn: &mut PgConnection) -> Vec<(String, String)> {
    sqlx::query_as(
        "select tableoid::regclass::text,
                case when isfinite(recorded_at)
                     then to_char(recorded_at at time zone 'UTC', 'YYYY-MM-DD HH24:MI')
                     else recorded_at::text end
         from integration.price_history order by recorded_at",
    )
    .fetch_all(conn)
    .await
    .unwrap()
}

async fn exec(conn: &mut PgConnection, sql: &str) {
    sqlx::raw_sql(sql).execute(conn).await.unwrap();
}

#[tokio::test]
async fn a_price_change_lands_in_the_partition_of_the_month_it_was_observed_in() {
    let db = migrated_db().await;
    let mut conn = db.connect().await;
    let id = price_source(&mut conn).await;
    exec(
        &mut conn,
        &format!(
            "set timezone = 'Pacific/Auckland'; -- there, 2024-03-31 23:30 UTC is in April
             update integration.price_sources set last_updated = '2024-03-31 23:30:00+00' where id = '{id}';
             update integration.price_sources set price_cents = 11000 where id = '{id}';"
        ),
    )
    .await;

    assert_eq!(
        where_rows_are(&mut conn).await,
        [(
            "integration.price_history_2024_03".to_string(),
            "2024-03-31 23:30".to_string()
        )],
        "the trigger made March 2024's partition (UTC: not April, whatever the session's zone)"
    );
    assert_eq!(history::default_rows(&mut conn).await.unwrap(), 0);
}

#[tokio::test]
async fn a_month_without_a_partition_still_accepts_rows_and_the_split_moves_them_into_it() {
    let db = migrated_db().await;
    let mut conn = db.connect().await;
    let id = price_source(&mut conn).await;

    exec(
        &mut conn,
        &format!(
            "insert into integration.price_history (price_source_id, price_cents, currency, recorded_at)
             values ('{id}', 9000, 'EUR', '2019-07-04 12:00:00+00'),
                    ('{id}', 9100, 'EUR', '2019-07-20 12:00:00+00'),
                    ('{id}', 9200, 'EUR', 'infinity')"
        ),
    )
    .await;
    let before = where_rows_are(&mut conn).await;
    let created = history::split_default(&mut conn).await.unwrap();

    assert_eq!(
        before.iter().map(|r| r.0.as_str()).collect::<Vec<_>>(),
        ["integration.price_history_default"; 3],
        "a plain insert for a month without a partition goes to the default partition"
    );
    assert_eq!(created, 1);
    assert_eq!(
        where_rows_are(&mut conn).await,
        [
            (
                "integration.price_history_2019_07".to_string(),
                "2019-07-04 12:00".to_string()
            ),
            (
                "integration.price_history_2019_07".to_string(),
                "2019-07-20 12:00".to_string()
            ),
            (
                "integration.price_history_default".to_string(),
                "infinity".to_string()
            ),
        ],
        "the month's rows moved; a time without a month stays in the default partition"
    );
    let july = history::partitions(&mut conn)
        .await
        .unwrap()
        .into_iter()
        .find(|p| p.name == "price_history_2019_07")
        .unwrap();
    assert_eq!(july.starts.to_rfc3339(), "2019-07-01T00:00:00+00:00");
    assert_eq!(july.ends.to_rfc3339(), "2019-08-01T00:00:00+00:00");
}

#[tokio::test]
async fn a_new_partition_gets_the_tables_keys_indexes_and_comment() {
    let db = migrated_db().await;
    let mut conn = db.connect().await;
    let id = price_source(&mut conn).await;
    exec(
        &mut conn,
        &format!(
            "insert into integration.price_history (price_source_id, price_cents, currency, recorded_at)
             values ('{id}', 9000, 'EUR', '2020-02-29 12:00:00+00')"
        ),
    )
    .await;
    history::split_default(&mut conn).await.unwrap();

    let (constraints, indexes, comment): (Vec<String>, i64, Option<String>) = sqlx::query_as(
        "select array(select contype::text from pg_constraint
                      where conrelid = 'integration.price_history_2020_02'::regclass order by 1),
                (select count(*) from pg_index
                 where indrelid = 'integration.price_history_2020_02'::regclass),
                obj_description('integration.price_history_2020_02'::regclass, 'pg_class')",
    )
    .fetch_one(&mut conn)
    .await
    .unwrap();
    exec(
        &mut conn,
        &format!("delete from integration.price_sources where id = '{id}'"),
    )
    .await;
    let left: i64 = sqlx::query_scalar("select count(*) from integration.price_history")
        .fetch_one(&mut conn)
        .await
        .unwrap();

    assert_eq!(
        constraints,
        ["c", "f", "p"],
        "check, foreign key, primary key"
    );
    assert_eq!(
        indexes, 2,
        "the primary key's and (price_source_id, recorded_at)"
    );
    assert!(comment.unwrap().contains("2020-02"));
    assert_eq!(
        left, 0,
        "deleting the price source cascades into the partition"
    );
}

#[tokio::test]
async fn the_migration_keeps_every_history_row_of_a_database_that_holds_some() {
    let db = empty_db().await;
    let mut conn = db.connect().await;
    migrate::migrate(&mut conn, Some(10)).await.unwrap();
    let id = price_source(&mut conn).await;
    exec(
        &mut conn,
        &format!(
            "insert into integration.price_history
                 (id, price_source_id, price_cents, in_stock, stock_quantity, recorded_at, currency)
             values ('00000000-0000-0000-0000-000000000001', '{id}', 9000, true, 3, '2022-12-31 23:59:59+00', 'EUR'),
                    ('00000000-0000-0000-0000-000000000002', '{id}', 9100, false, null, '2023-01-01 00:00:00+00', 'USD'),
                    ('00000000-0000-0000-0000-000000000003', '{id}', 9200, null, 0, '2025-06-15 08:00:00+02', 'GBP')"
        ),
    )
    .await;
    let all = "select array_agg(h::text order by id) from integration.price_history h";
    let before: Vec<String> = sqlx::query_scalar(all).fetch_one(&mut conn).await.unwrap();

    migrate::migrate(&mut conn, None).await.unwrap();

    let after: Vec<String> = sqlx::query_scalar(all).fetch_one(&mut conn).await.unwrap();
    assert_eq!(after, before, "every row, every value");
    let rows = where_rows_are(&mut conn).await;
    assert_eq!(
        rows.iter().map(|r| r.0.as_str()).collect::<Vec<_>>(),
        [
            "integration.price_history_2022_12",
            "integration.price_history_2023_01",
            "integration.price_history_2025_06",
        ]
    );
    let names: Vec<String> = history::partitions(&mut conn)
        .await
        .unwrap()
        .into_iter()
        .map(|p| p.name)
        .collect();
    let this_month: String =
        sqlx::query_scalar("select to_char(now() at time zone 'UTC', '\"price_history_\"YYYY_MM')")
            .fetch_one(&mut conn)
            .await
            .unwrap();
    assert!(names.contains(&this_month), "{names:?}");
    let report = soleflip_db::verify::verify(&mut conn, &db.name)
        .await
        .unwrap();
    assert!(report.drift.is_empty(), "{:#?}", report.drift);
}
