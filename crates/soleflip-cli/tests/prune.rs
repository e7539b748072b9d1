//! `soleflip prices prune` end to end: a bad duration is one line and changes nothing, a dry run
//! reports the months it would drop, the real run drops them, and the database still verifies.
#![expect(
    clippy::unwrap_used,
    clippy::expect_used,
    reason = "helpers outside #[test] functions (and tests/common) stop the test loudly"
)]

mod common;

use common::{soleflip_on, stderr, stdout};
use soleflip_testkit::migrated_db;

/// One price source with a history row three years old and one from now.
const HISTORY: &str = "
    insert into products.products (sku, brand_id, category_id, name)
    select 'DD1391-100', b.id, c.id, 'Dunk Low' from core.brands b, core.categories c
    where b.slug = 'nike' and c.slug = 'sneakers';
    insert into integration.price_sources
        (product_id, source_type, price_type, price_cents, currency, source_product_id)
    select id, 'stockx', 'resale', 15000, 'EUR', 'dunk' from products.products;
    insert into integration.price_history (price_source_id, price_cents, currency, recorded_at)
    select id, x.cents, 'EUR', x.at from integration.price_sources,
           (values (14000, now() - interval '3 years'), (14500, now())) x(cents, at);
";

async fn history_rows(db: &soleflip_testkit::TestDb) -> i64 {
    sqlx::query_scalar("select count(*) from integration.price_history")
        .fetch_one(&mut db.connect().await)
        .await
        .unwrap()
}

#[tokio::test]
async fn a_bad_duration_is_one_line_naming_the_flag_and_changes_nothing() {
    let db = migrated_db().await;
    sqlx::raw_sql(HISTORY)
        .execute(&mut db.connect().await)
        .await
        .unwrap();

    let out = soleflip_on(&db.url, &["prices", "prune", "--older-than", "18 parsecs"]);

    assert_ne!(out.status.code(), Some(0));
    let err = stderr(&out);
    assert_eq!(err.trim_end().lines().count(), 1, "{err}");
    assert!(
        err.contains("--older-than \"18 parsecs\": not a duration (unknown unit)"),
        "{err}"
    );
    assert_eq!(history_rows(&db).await, 2);
}

#[tokio::test]
async fn a_dry_run_reports_the_old_month_then_the_run_drops_it_and_the_database_verifies() {
    let db = migrated_db().await;
    sqlx::raw_sql(HISTORY)
        .execute(&mut db.connect().await)
        .await
        .unwrap();

    let dry = soleflip_on(
        &db.url,
        &["prices", "prune", "--older-than", "2y", "--dry-run"],
    );
    assert_eq!(dry.status.code(), Some(0), "{}", stderr(&dry));
    let text = stdout(&dry);
    assert!(
        text.contains("dry run, nothing was changed: would drop 1 month(s), 1 row(s)"),
        "{text}"
    );
    assert_eq!(history_rows(&db).await, 2);

    let run = soleflip_on(
        &db.url,
        &["prices", "prune", "--older-than", "2y", "--format", "json"],
    );
    assert_eq!(run.status.code(), Some(0), "{}", stderr(&run));
    let report: serde_json::Value = serde_json::from_slice(&run.stdout).unwrap();
    assert_eq!(report["rows_removed"], 1);
    assert_eq!(report["dropped"].as_array().unwrap().len(), 1);
    assert_eq!(history_rows(&db).await, 1);

    let verify = soleflip_on(&db.url, &["db", "verify"]);
    assert_eq!(verify.status.code(), Some(0), "{}", stdout(&verify));
}
