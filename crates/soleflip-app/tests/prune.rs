//! `prices prune` on real PostgreSQL: only whole months older than the cutoff are dropped and
//! reported, a dry run changes nothing, rows hiding in the default partition are moved into
//! their months first. Times are relative to now, so the tests hold whatever the date.
#![expect(
    clippy::unwrap_used,
    reason = "helpers outside #[test] functions stop the test loudly"
)]

use soleflip_app::prices::prune::{prune, Age, PruneOptions, PruneReport};
use soleflip_testkit::migrated_db;
use sqlx::postgres::PgConnection;

/// A product with one price source and history rows at: 3 years ago, 13 months ago (twice),
/// the first instant of the month 12 months ago (older than a 12-month cutoff, but in the
/// cutoff's month), and now.
const HISTORY: &str = "
    insert into products.products (sku, brand_id, category_id, name)
    select 'PRUNE-1', b.id, c.id, 'Pruned'
    from core.brands b, core.categories c order by b.slug, c.slug limit 1;
    insert into integration.price_sources
        (product_id, source_type, price_type, price_cents, currency, source_product_id)
    select id, 'stockx', 'resale', 10000, 'EUR', 'prune-1'
    from products.products where sku = 'PRUNE-1';
    insert into integration.price_history (price_source_id, price_cents, currency, recorded_at)
    select ps.id, x.cents, 'EUR', x.at
    from integration.price_sources ps,
         (values (1, now() - interval '3 years'),
                 (2, now() - interval '13 months'),
                 (3, now() - interval '13 months' - interval '1 second'),
                 (4, date_trunc('month', now() - interval '12 months', 'UTC')),
                 (5, now())) x(cents, at);
    select integration.price_history_split_default();";

async fn arrange(conn: &mut PgConnection) {
    sqlx::raw_sql(HISTORY).execute(conn).await.unwrap();
}

/// `YYYY-MM` (UTC) of now minus `interval`.
async fn month_of(conn: &mut PgConnection, interval: &str) -> String {
    sqlx::query_scalar(&format!(
        "select to_char((now() - interval '{interval}') at time zone 'UTC', 'YYYY-MM')"
    ))
    .fetch_one(conn)
    .await
    .unwrap()
}

/// The prices left, and the month partitions.
async fn state(conn: &mut PgConnection) -> (Vec<i32>, Vec<String>) {
    let cents = sqlx::query_scalar("select price_cents from integration.price_history order by 1")
        .fetch_all(&mut *conn)
        .await
        .unwrap();
    let parts = sqlx::query_scalar(
        "select c.relname::text from pg_inherits i join pg_class c on c.oid = i.inhrelid
         where i.inhparent = 'integration.price_history'::regclass order by 1",
    )
    .fetch_all(&mut *conn)
    .await
    .unwrap();
    (cents, parts)
}

fn options(age: &str, dry_run: bool) -> PruneOptions {
    PruneOptions {
        older_than: Age::parse(age).unwrap(),
        dry_run,
    }
}

fn dropped(report: &PruneReport) -> Vec<(String, Option<i64>)> {
    report
        .dropped
        .iter()
        .map(|m| (m.month.clone(), m.rows))
        .collect()
}

#[tokio::test]
async fn prune_drops_only_the_whole_months_older_than_the_cutoff_and_reports_them() {
    let db = migrated_db().await;
    let mut conn = db.connect().await;
    arrange(&mut conn).await;
    let three_years = month_of(&mut conn, "3 years").await;
    let thirteen_months = month_of(&mut conn, "13 months").await;
    let cutoff_month = month_of(&mut conn, "12 months").await;

    let report = prune(&mut conn, &options("12months", false)).await.unwrap();

    assert_eq!(
        dropped(&report),
        [(three_years, Some(1)), (thirteen_months, Some(2))]
    );
    assert_eq!(report.rows_removed, 3);
    assert_eq!(report.older_than, "12 months");
    assert!(!report.dry_run);
    let kept: Vec<&str> = report.kept.iter().map(|m| m.month.as_str()).collect();
    assert_eq!(kept.first(), Some(&cutoff_month.as_str()), "{kept:?}");
    let (cents, parts) = state(&mut conn).await;
    assert_eq!(
        cents,
        [4, 5],
        "the row older than the cutoff but in the cutoff's month stays, with its month"
    );
    assert_eq!(
        parts.len(),
        report.kept.len() + 1,
        "kept months and the default"
    );
    assert!(parts.contains(&"price_history_default".to_string()));
}

#[tokio::test]
async fn a_dry_run_reports_the_same_and_changes_nothing() {
    let db = migrated_db().await;
    let mut conn = db.connect().await;
    arrange(&mut conn).await;
    let before = state(&mut conn).await;

    let dry = prune(&mut conn, &options("12months", true)).await.unwrap();
    let after_dry = state(&mut conn).await;
    let real = prune(&mut conn, &options("12months", false)).await.unwrap();

    assert!(dry.dry_run);
    assert_eq!(after_dry, before, "nothing changed");
    assert_eq!(dropped(&dry), dropped(&real));
    assert_eq!(dry.rows_removed, real.rows_removed);
}

#[tokio::test]
async fn rows_in_the_default_partition_are_moved_into_their_months_before_pruning() {
    let db = migrated_db().await;
    let mut conn = db.connect().await;
    arrange(&mut conn).await;
    sqlx::raw_sql(
        "insert into integration.price_history (price_source_id, price_cents, currency, recorded_at)
         select id, 6, 'EUR', now() - interval '5 years' from integration.price_sources",
    )
    .execute(&mut conn)
    .await
    .unwrap();
    let five_years = month_of(&mut conn, "5 years").await;

    let report = prune(&mut conn, &options("2y", false)).await.unwrap();

    assert_eq!(report.months_split_from_default, 1);
    assert_eq!(dropped(&report).first(), Some(&(five_years, Some(1))));
    assert_eq!(report.default_rows, 0);
    assert_eq!(state(&mut conn).await.0, [2, 3, 4, 5]);
}

#[tokio::test]
async fn pruning_an_empty_history_drops_nothing() {
    let db = migrated_db().await;
    let mut conn = db.connect().await;

    let report = prune(&mut conn, &options("90d", false)).await.unwrap();

    assert!(report.dropped.is_empty());
    assert_eq!(report.rows_removed, 0);
}
