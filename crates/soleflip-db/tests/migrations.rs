//! The migrations build what the manifests promise, once, safely under concurrency, and refuse
//! databases they must not touch.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    reason = "test helpers stop the test loudly on a failed step"
)]

use soleflip_db::migrate::{self, MigrateError, MIGRATIONS};
use soleflip_db::schema::{self as catalog, Snapshot};
use soleflip_testkit::{empty_db, migrated_db};

#[tokio::test]
async fn every_committed_manifest_equals_the_catalog_its_migrations_build() {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../migrations/manifest");
    let write = std::env::var_os("SOLEFLIP_WRITE_MANIFESTS").is_some();
    let db = empty_db().await;
    let mut conn = db.connect().await;
    for m in MIGRATIONS {
        migrate::migrate(&mut conn, Some(m.version)).await.unwrap();
        let built = Snapshot::read(&mut conn).await.unwrap();
        let path = dir.join(format!("{:04}.txt", m.version));
        if write {
            std::fs::write(&path, built.to_manifest()).unwrap();
            continue;
        }
        let committed = catalog::manifest(m.version).unwrap();
        let drift: Vec<String> = built
            .drift_from(&committed)
            .iter()
            .map(ToString::to_string)
            .collect();
        assert!(
            drift.is_empty(),
            "{} is stale; regenerate with SOLEFLIP_WRITE_MANIFESTS=1 cargo test -p soleflip-db \
             --test migrations manifest:\n{}",
            path.display(),
            drift.join("\n")
        );
    }
}

#[tokio::test]
async fn consolidated_v1_verifies_clean_with_the_promised_counts() {
    let db = empty_db().await;
    let mut conn = db.connect().await;
    migrate::migrate(&mut conn, Some(1)).await.unwrap();
    let report = soleflip_db::verify::verify(&mut conn, &db.name)
        .await
        .unwrap();
    assert!(report.drift.is_empty(), "{:#?}", report.drift);
    assert_eq!(report.migration.as_ref().map(|m| m.0), Some(1));
    assert_eq!(report.schemas.len(), 10, "9 schemas plus public");
    assert_eq!(report.enums.len(), 6);
    assert_eq!(report.table_count, 37);
    assert_eq!(report.index_count, 160);
    assert_eq!(report.views.len(), 4);
    assert_eq!(report.triggers.len(), 3);
    let seeds: Vec<(&str, i64)> = report
        .seed_rows
        .iter()
        .map(|(k, v)| (k.as_str(), *v))
        .collect();
    assert_eq!(
        seeds,
        [
            ("auth.users", 1),
            ("core.brands", 10),
            ("core.categories", 1),
            ("core.platforms", 8)
        ]
    );
}

#[tokio::test]
async fn the_latest_database_verifies_clean_and_keeps_the_documents_promises() {
    let db = migrated_db().await;
    let mut conn = db.connect().await;
    let report = soleflip_db::verify::verify(&mut conn, &db.name)
        .await
        .unwrap();
    assert_eq!(
        report.migration.as_ref().map(|m| m.0),
        Some(migrate::latest_version())
    );
    assert!(report.ok, "{:#?}", report.drift);
    assert!(soleflip_db::invariants::broken(&mut conn)
        .await
        .unwrap()
        .is_empty());
}

/// The drift lines `db verify` prints for a migrated database after `sql` ran on it.
async fn drift_after(sql: &str) -> Vec<String> {
    let db = migrated_db().await;
    let mut conn = db.connect().await;
    sqlx::raw_sql(sql).execute(&mut conn).await.unwrap();
    let report = soleflip_db::verify::verify(&mut conn, &db.name)
        .await
        .unwrap();
    report.drift.iter().map(ToString::to_string).collect()
}

#[tokio::test]
async fn a_broken_promise_is_reported_as_drift() {
    let lines = drift_after(
        "create index idx_extra_prefix on products.products (brand_id); \
         delete from core.platforms where slug = 'restocks';",
    )
    .await;
    assert!(
        lines.iter().any(|l| l
            .starts_with("redundant index products.idx_extra_prefix is not made by any")
            || l.starts_with("redundant index products.idx_products_brand_id is not made")),
        "{lines:#?}"
    );
    assert!(
        lines
            .iter()
            .any(|l| l.starts_with("platform restocks is missing (expected: documented platform")),
        "{lines:#?}"
    );
}

#[tokio::test]
async fn a_changed_storage_setting_is_reported_as_drift() {
    let lines = drift_after("alter table products.sizes set (fillfactor = 100)").await;
    assert!(
        lines.iter().any(|l| l.contains("storage products.sizes")
            && l.contains("fillfactor=40")
            && l.contains("fillfactor=100")),
        "{lines:#?}"
    );
}

#[tokio::test]
async fn migrating_a_migrated_database_again_applies_nothing() {
    let db = migrated_db().await;
    let mut conn = db.connect().await;
    let outcome = migrate::migrate(&mut conn, None).await.unwrap();
    assert!(outcome.applied.is_empty());
    assert_eq!(outcome.version, migrate::latest_version());
}

#[tokio::test]
async fn eight_concurrent_migrations_build_the_schema_exactly_once() {
    let db = empty_db().await;
    let runs = (0..8).map(|_| async {
        let mut conn = db.target.connect().await.unwrap();
        migrate::migrate(&mut conn, None)
            .await
            .map(|o| o.applied.len())
    });
    let mut applied = 0;
    for outcome in futures_util::future::join_all(runs).await {
        applied += outcome.unwrap();
    }
    assert_eq!(
        applied,
        MIGRATIONS.len(),
        "each migration applied by exactly one run"
    );
    let mut conn = db.connect().await;
    let rows: i64 = sqlx::query_scalar("select count(*) from public.soleflip_migrations")
        .fetch_one(&mut conn)
        .await
        .unwrap();
    assert_eq!(rows, MIGRATIONS.len() as i64);
}

#[tokio::test]
async fn a_changed_migration_file_is_refused_by_checksum() {
    let db = migrated_db().await;
    let mut conn = db.connect().await;
    sqlx::query("update public.soleflip_migrations set checksum = 'edited' where version = 1")
        .execute(&mut conn)
        .await
        .unwrap();
    let err = migrate::migrate(&mut conn, None).await.unwrap_err();
    assert!(
        matches!(err, MigrateError::ChecksumMismatch { version: 1, .. }),
        "{err}"
    );
    assert!(err.to_string().contains("checksum mismatch"));
}

#[tokio::test]
async fn a_database_from_a_newer_binary_is_refused() {
    let db = migrated_db().await;
    let mut conn = db.connect().await;
    sqlx::query(
        "insert into public.soleflip_migrations (version, name, checksum) values (999, 'future', 'x')",
    )
    .execute(&mut conn)
    .await
    .unwrap();
    let err = migrate::migrate(&mut conn, None).await.unwrap_err();
    assert!(
        matches!(err, MigrateError::UnknownVersion { version: 999, .. }),
        "{err}"
    );
}

#[tokio::test]
async fn a_database_built_by_the_old_system_is_left_for_adoption() {
    let db = soleflip_testkit::old_system_db().await;
    let mut conn = db.connect().await;
    let err = migrate::migrate(&mut conn, None).await.unwrap_err();
    assert!(
        matches!(err, MigrateError::NeedsAdopt(ref v) if v == "consolidated_v1"),
        "{err}"
    );
    assert!(err.to_string().contains("soleflip db adopt"));
}

#[tokio::test]
async fn a_failing_migration_is_rolled_back_whole() {
    let db = empty_db().await;
    let mut conn = db.connect().await;
    // An empty schema passes the emptiness check but makes `create schema transactions`, the
    // ninth statement, fail after eight schemas and more were already created.
    sqlx::raw_sql("create schema transactions")
        .execute(&mut conn)
        .await
        .unwrap();
    let err = migrate::migrate(&mut conn, None).await.unwrap_err();
    assert!(
        matches!(err, MigrateError::Failed { version: 1, .. }),
        "{err}"
    );
    let leftovers: i64 = sqlx::query_scalar(
        "select count(*) from pg_namespace where nspname in ('analytics', 'auth', 'core')",
    )
    .fetch_one(&mut conn)
    .await
    .unwrap();
    assert_eq!(leftovers, 0, "nothing of the failed migration remains");
    assert_eq!(migrate::current_version(&mut conn).await.unwrap(), None);
}

#[tokio::test]
async fn a_database_holding_foreign_soleflip_objects_is_not_built_over() {
    let db = empty_db().await;
    let mut conn = db.connect().await;
    sqlx::raw_sql("create schema products; create table products.sizes (id int)")
        .execute(&mut conn)
        .await
        .unwrap();
    let err = migrate::migrate(&mut conn, None).await.unwrap_err();
    assert!(
        matches!(err, MigrateError::NotEmpty(ref o) if o == "products.sizes"),
        "{err}"
    );
}
