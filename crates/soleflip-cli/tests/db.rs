//! `soleflip db` and `soleflip user` end to end, against real PostgreSQL.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    reason = "test helpers stop the test loudly on a failed step"
)]

mod common;

use std::process::Stdio;
use std::time::{Duration, Instant};

use common::{soleflip_on, stderr, stdout};
use soleflip_testkit::{empty_db, migrated_db, server, unique_name};

/// A URL for a database that does not exist yet.
fn new_database_url() -> String {
    server().url(&unique_name("sf_cli"))
}

async fn scalar(url: &str, sql: &str) -> i64 {
    use sqlx::Connection;
    let mut conn = sqlx::PgConnection::connect(url).await.unwrap();
    sqlx::query_scalar(sql).fetch_one(&mut conn).await.unwrap()
}

#[test]
fn db_up_creates_migrates_and_verifies_then_is_a_no_op() {
    let url = new_database_url();
    let first = soleflip_on(&url, &["db", "up"]);
    assert!(first.status.success(), "{}", stderr(&first));
    let report = stdout(&first);
    let latest = soleflip_db::migrate::latest_version();
    let promised = soleflip_db::schema::manifest(latest).unwrap();
    assert!(
        report.contains(&format!("migration: {latest} (")),
        "{report}"
    );
    assert!(
        report.contains(&format!("tables: {} (", promised.names("table").len())),
        "{report}"
    );
    assert!(report
        .contains("seed data: auth.users 1, core.brands 10, core.categories 1, core.platforms"));
    assert!(report.trim_end().ends_with("result: OK"), "{report}");

    let again = soleflip_on(&url, &["db", "up", "--format", "json"]);
    assert!(again.status.success(), "{}", stderr(&again));
    let json: serde_json::Value = serde_json::from_slice(&again.stdout).unwrap();
    assert_eq!(json["verify"]["ok"], true);
    assert_eq!(json["verify"]["index_count"], promised.names("index").len());
    assert_eq!(
        json["migrate"]["applied"],
        serde_json::json!([]),
        "the second run applies nothing and says so"
    );
    assert!(
        stdout(&soleflip_on(&url, &["db", "up"]))
            .contains("nothing to do: no migration was pending"),
        "db up says that nothing was pending"
    );
}

#[tokio::test]
async fn a_closed_stdout_cannot_undo_or_fake_the_build() {
    let url = new_database_url();
    let bin = assert_cmd::cargo::cargo_bin("soleflip");
    let status = std::process::Command::new("sh")
        .arg("-c")
        .arg("\"$SF\" db up | head -c0")
        .env("SF", &bin)
        .env("DATABASE_URL", &url)
        .status()
        .unwrap();
    assert!(status.success());
    let applied = scalar(&url, "select count(*) from public.soleflip_migrations").await;
    assert_eq!(applied, soleflip_db::migrate::MIGRATIONS.len() as i64);
}

#[tokio::test]
async fn eight_concurrent_db_ups_on_one_new_database_all_succeed_and_build_once() {
    let url = new_database_url();
    let outputs: Vec<_> = std::thread::scope(|s| {
        let runs: Vec<_> = (0..8)
            .map(|_| s.spawn(|| soleflip_on(&url, &["db", "up"])))
            .collect();
        runs.into_iter().map(|r| r.join().unwrap()).collect()
    });
    for o in &outputs {
        assert!(o.status.success(), "{}", stderr(o));
        assert!(stdout(o).contains("result: OK"));
    }
    let applied = scalar(&url, "select count(*) from public.soleflip_migrations").await;
    assert_eq!(applied, soleflip_db::migrate::MIGRATIONS.len() as i64);
}

#[tokio::test]
async fn sigkill_at_any_moment_of_db_up_leaves_a_database_the_next_db_up_completes() {
    let url = new_database_url();
    let bin = assert_cmd::cargo::cargo_bin("soleflip");
    // Kill points spread over the whole run (connect, create, migrate, commit, verify).
    for round in 0..12u64 {
        let mut child = std::process::Command::new(&bin)
            .args(["--database-url", &url, "db", "up"])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        std::thread::sleep(Duration::from_millis(round * 25));
        let _ = child.kill();
        let _ = child.wait();
    }
    let out = soleflip_on(&url, &["db", "up"]);
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(stdout(&out).contains("result: OK"));
    let verify = soleflip_on(&url, &["db", "verify"]);
    assert_eq!(verify.status.code(), Some(0), "{}", stdout(&verify));
}

#[tokio::test]
async fn drift_is_listed_one_object_per_line_and_exits_2() {
    let db = migrated_db().await;
    let mut conn = db.connect().await;
    sqlx::raw_sql(
        "drop index products.idx_products_ean; \
         alter table core.brands alter column slug type varchar(120); \
         create table core.extra (id int);",
    )
    .execute(&mut conn)
    .await
    .unwrap();
    let out = soleflip_on(&db.url, &["db", "verify"]);
    assert_eq!(out.status.code(), Some(2));
    let text = stdout(&out);
    assert!(
        text.contains("  index products.idx_products_ean is missing (expected: CREATE INDEX"),
        "{text}"
    );
    assert!(
        text.contains(
            "  column core.brands.slug differs: expected 3: character varying(100) not null, \
             found 3: character varying(120) not null"
        ),
        "{text}"
    );
    assert!(
        text.contains("  table core.extra is not made by any migration"),
        "{text}"
    );
    assert!(text.trim_end().ends_with("result: DRIFT"));
    let json = soleflip_on(&db.url, &["db", "verify", "--format", "json"]);
    assert_eq!(json.status.code(), Some(2));
    let v: serde_json::Value = serde_json::from_slice(&json.stdout).unwrap();
    assert_eq!(v["ok"], false);
    // The extra table counts twice: the table and its column.
    assert_eq!(v["drift"].as_array().map(Vec::len), Some(4));
}

#[tokio::test]
async fn reset_needs_yes_and_then_rebuilds_from_nothing() {
    let db = migrated_db().await;
    let mut conn = db.connect().await;
    sqlx::query("insert into core.brands (name, slug) values ('Gone', 'gone')")
        .execute(&mut conn)
        .await
        .unwrap();
    drop(conn);
    let refused = soleflip_on(&db.url, &["db", "reset"]);
    assert_eq!(refused.status.code(), Some(1));
    assert!(
        stderr(&refused).contains("without --yes"),
        "{}",
        stderr(&refused)
    );
    assert!(stderr(&refused).contains(&db.name), "names the target");
    // A server other than the embedded one needs its database name typed, not just --yes.
    let yes = soleflip_on(&db.url, &["db", "reset", "--yes"]);
    assert_eq!(yes.status.code(), Some(1));
    assert!(stderr(&yes).contains("--yes-really"), "{}", stderr(&yes));
    let wrong = soleflip_on(&db.url, &["db", "reset", "--yes-really", "postgres"]);
    assert_eq!(
        wrong.status.code(),
        Some(1),
        "another name is no confirmation"
    );
    assert_eq!(
        scalar(&db.url, "select count(*) from core.brands").await,
        11,
        "nothing dropped"
    );
    let reset = soleflip_on(&db.url, &["db", "reset", "--yes-really", &db.name]);
    assert!(reset.status.success(), "{}", stderr(&reset));
    assert_eq!(
        scalar(&db.url, "select count(*) from core.brands").await,
        10
    );
}

#[tokio::test]
async fn status_lists_applied_migrations_with_their_checksum_state() {
    let db = migrated_db().await;
    let out = soleflip_on(&db.url, &["db", "status"]);
    assert!(out.status.success());
    let line = stdout(&out).lines().nth(2).unwrap_or_default().to_string();
    assert!(
        line.starts_with("1 ") && line.contains("consolidated_v1") && line.ends_with("ok"),
        "{line}"
    );
    let json = soleflip_on(&db.url, &["db", "status", "--format", "json"]);
    let v: serde_json::Value = serde_json::from_slice(&json.stdout).unwrap();
    assert_eq!(v["migrations"][0]["checksum_ok"], true);
}

#[tokio::test]
async fn migrate_to_a_version_stops_there_and_refuses_unknown_ones() {
    let db = empty_db().await;
    let out = soleflip_on(&db.url, &["db", "migrate", "--to", "1"]);
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(stdout(&out).contains("at migration 1"));
    let bad = soleflip_on(&db.url, &["db", "migrate", "--to", "99"]);
    assert_eq!(
        bad.status.code(),
        Some(4),
        "an unknown version is refused input"
    );
    assert!(
        stderr(&bad).contains("migration 99 is not a known migration version"),
        "{}",
        stderr(&bad)
    );
}

#[tokio::test]
async fn db_up_on_a_database_of_the_old_system_says_to_adopt_it() {
    let db = soleflip_testkit::old_system_db().await;
    let out = soleflip_on(&db.url, &["db", "up"]);
    assert_eq!(out.status.code(), Some(1));
    assert!(
        stderr(&out).contains("soleflip db adopt"),
        "{}",
        stderr(&out)
    );
}

#[tokio::test]
async fn a_connection_lost_mid_migration_rolls_back_and_says_so() {
    let db = empty_db().await;
    let mut admin = migrated_db().await.connect().await;
    let bin = assert_cmd::cargo::cargo_bin("soleflip");
    let child = std::process::Command::new(&bin)
        .args(["--database-url", &db.url, "db", "migrate"])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    // Terminate the migrating backend while it runs the migration's DDL (pg_stat_activity
    // shows the statement's first kilobyte: the file's header comment).
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        let killed: i64 = sqlx::query_scalar(
            "select count(*) from (select pg_terminate_backend(pid) from pg_stat_activity \
             where datname = $1 and application_name = 'soleflip' and state = 'active' \
               and query like '%0001_consolidated_v1%') t",
        )
        .bind(&db.name)
        .fetch_one(&mut admin)
        .await
        .unwrap();
        if killed > 0 || Instant::now() > deadline {
            break;
        }
    }
    let out = child.wait_with_output().unwrap();
    assert_eq!(out.status.code(), Some(1), "{}", stdout(&out));
    assert!(
        stderr(&out).contains("connection to PostgreSQL was lost"),
        "{}",
        stderr(&out)
    );
    let mut conn = db.connect().await;
    let schemas: i64 =
        sqlx::query_scalar("select count(*) from pg_namespace where nspname = 'core'")
            .fetch_one(&mut conn)
            .await
            .unwrap();
    assert_eq!(
        schemas, 0,
        "nothing of the interrupted migration was committed"
    );
}

#[tokio::test]
async fn set_password_stores_an_argon2id_hash_for_the_admin() {
    let db = migrated_db().await;
    let mut cmd = common::soleflip(std::path::Path::new("/"));
    let out = cmd
        .args([
            "--database-url",
            &db.url,
            "user",
            "set-password",
            "admin",
            "--stdin",
        ])
        .write_stdin("s3cure passphrase\n")
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(!stdout(&out).contains("s3cure"));
    let mut conn = db.connect().await;
    let hash: String =
        sqlx::query_scalar("select hashed_password from auth.users where username = 'admin'")
            .fetch_one(&mut conn)
            .await
            .unwrap();
    assert!(hash.starts_with("$argon2id$"), "{hash}");

    let unknown = common::soleflip(std::path::Path::new("/"))
        .args([
            "--database-url",
            &db.url,
            "user",
            "set-password",
            "nobody",
            "--stdin",
        ])
        .write_stdin("long enough password\n")
        .output()
        .unwrap();
    assert_eq!(unknown.status.code(), Some(1));
    assert!(stderr(&unknown).contains("no user named nobody"));
}

#[tokio::test]
async fn the_seeded_admin_cannot_log_in_before_a_password_is_set() {
    let db = migrated_db().await;
    let mut conn = db.connect().await;
    let hash: String =
        sqlx::query_scalar("select hashed_password from auth.users where username = 'admin'")
            .fetch_one(&mut conn)
            .await
            .unwrap();
    assert!(hash.starts_with('!'), "a locked marker, not a hash: {hash}");
}

#[tokio::test]
async fn adopt_takes_over_an_old_database_then_db_up_completes_it() {
    let db = soleflip_testkit::old_system_db().await;
    let mut conn = db.connect().await;
    sqlx::raw_sql("drop index products.idx_products_ean")
        .execute(&mut conn)
        .await
        .unwrap();
    let refused = soleflip_on(&db.url, &["db", "adopt"]);
    assert_eq!(refused.status.code(), Some(2), "{}", stderr(&refused));
    assert!(stdout(&refused).contains("  index products.idx_products_ean is missing"));
    sqlx::raw_sql("create index idx_products_ean on products.products using btree (ean)")
        .execute(&mut conn)
        .await
        .unwrap();
    let adopted = soleflip_on(&db.url, &["db", "adopt"]);
    assert!(adopted.status.success(), "{}", stderr(&adopted));
    assert!(stdout(&adopted).contains("migration 1 (consolidated_v1) recorded as applied"));
    let up = soleflip_on(&db.url, &["db", "up"]);
    assert!(up.status.success(), "{}", stderr(&up));
    assert!(stdout(&up).contains("result: OK"), "{}", stdout(&up));
}

#[test]
fn db_up_to_a_version_builds_and_verifies_that_version_only() {
    let url = new_database_url();
    let out = soleflip_on(&url, &["db", "up", "--to", "1"]);
    assert!(out.status.success(), "{}", stderr(&out));
    let report = stdout(&out);
    assert!(
        report.contains("migration: 1 (consolidated_v1)"),
        "{report}"
    );
    assert!(
        report.contains("tables: 37 (") && report.contains("indexes: 160"),
        "{report}"
    );
    assert!(report.trim_end().ends_with("result: OK"), "{report}");
}

#[tokio::test]
async fn a_table_named_with_terminal_escapes_or_a_newline_is_printed_escaped() {
    let db = migrated_db().await;
    let mut conn = db.connect().await;
    sqlx::raw_sql("create table core.\"evil\u{1b}[2J\nresult: OK\" (id int)")
        .execute(&mut conn)
        .await
        .unwrap();
    drop(conn);
    let out = soleflip_on(&db.url, &["db", "verify"]);
    assert_eq!(out.status.code(), Some(2));
    let text = stdout(&out);
    assert!(
        !text.contains('\u{1b}'),
        "no raw escape reaches the terminal"
    );
    assert!(text.contains("evil\\u{1b}[2J"), "{text}");
    assert!(
        !text.lines().any(|l| l == "result: OK"),
        "a name cannot forge a line of the report: {text}"
    );
    assert!(text.trim_end().ends_with("result: DRIFT"));
}

#[tokio::test]
async fn verify_reports_an_applied_migration_whose_file_changed() {
    let db = migrated_db().await;
    let mut conn = db.connect().await;
    sqlx::query("update public.soleflip_migrations set checksum = 'edited' where version = 2")
        .execute(&mut conn)
        .await
        .unwrap();
    drop(conn);
    let out = soleflip_on(&db.url, &["db", "verify"]);
    assert_eq!(out.status.code(), Some(2), "{}", stdout(&out));
    assert!(
        stdout(&out).contains(
            "  migration 2 (document_promises) differs: expected the file as it was applied"
        ),
        "{}",
        stdout(&out)
    );
}
