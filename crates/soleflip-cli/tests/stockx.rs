//! `soleflip stockx` end to end against a fake StockX: credentials read from stdin, never on
//! stdout, stderr (even at the most verbose log level) or in a `pg_dump` of the database in
//! clear text; bad input named without its value.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    reason = "test helpers stop the test loudly on a failed step"
)]

mod common;

use std::path::Path;
use std::process::Output;

use common::{soleflip, stderr, stdout};
use soleflip_testkit::migrated_db;
use soleflip_testkit::stockx_fake::{self, FakeStockx};

const SECRETS: [&str; 5] = [
    stockx_fake::CLIENT_ID,
    stockx_fake::CLIENT_SECRET,
    stockx_fake::API_KEY,
    stockx_fake::REFRESH_TOKEN,
    // The access tokens the fake hands out (`fake-access-token-N`).
    "fake-access-token-",
];

/// `soleflip --database-url URL --home HOME args...` with the fake's URLs and `stdin`, on a
/// blocking thread (the fake serves on this runtime meanwhile).
async fn run(url: &str, home: &Path, fake: &str, args: &[&str], stdin: &str) -> Output {
    let (url, home, fake) = (url.to_owned(), home.to_owned(), fake.to_owned());
    let args: Vec<String> = args.iter().map(|a| (*a).to_owned()).collect();
    let stdin = stdin.to_owned();
    tokio::task::spawn_blocking(move || {
        let cwd = tempfile::tempdir().unwrap();
        soleflip(cwd.path())
            .arg("--database-url")
            .arg(&url)
            .arg("--home")
            .arg(&home)
            .args(&args)
            .env("SOLEFLIP_STOCKX_API_URL", &fake)
            .env("SOLEFLIP_STOCKX_AUTH_URL", &fake)
            .env("SOLEFLIP_STOCKX_MIN_INTERVAL_MS", "0")
            .env("SOLEFLIP_LOG", "trace")
            .env_remove("SOLEFLIP_SECRET_KEY")
            .write_stdin(stdin)
            .output()
            .unwrap()
    })
    .await
    .unwrap()
}

fn assert_no_secret(what: &str, text: &str) {
    for s in SECRETS {
        assert!(!text.contains(s), "{what} shows a credential in clear text");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn credentials_never_reach_the_output_the_logs_or_a_pg_dump_in_clear_text() {
    let db = migrated_db().await;
    let fake = FakeStockx::start().await;
    let home = tempfile::tempdir().unwrap();

    let connect = run(
        &db.url,
        home.path(),
        &fake.url,
        &["stockx", "connect"],
        &stockx_fake::credentials_json(),
    )
    .await;
    let status = run(
        &db.url,
        home.path(),
        &fake.url,
        &["stockx", "status", "--format", "json"],
        "",
    )
    .await;
    let sync = run(
        &db.url,
        home.path(),
        &fake.url,
        &["stockx", "sync", "orders"],
        "",
    )
    .await;
    let listings = run(
        &db.url,
        home.path(),
        &fake.url,
        &["stockx", "sync", "listings", "--format", "json"],
        "",
    )
    .await;
    let bins = soleflip_pg::PgBinaries::locate().unwrap();
    let dump = std::process::Command::new(bins.program("pg_dump"))
        .arg("--dbname")
        .arg(&db.url)
        .output()
        .unwrap();

    assert!(connect.status.success(), "{}", stderr(&connect));
    assert!(
        stdout(&connect).contains("4 credential fields stored"),
        "{}",
        stdout(&connect)
    );
    let s: serde_json::Value = serde_json::from_slice(&status.stdout).unwrap();
    assert_eq!(s["connected"], true);
    assert!(sync.status.success(), "{}", stderr(&sync));
    assert!(stdout(&sync).contains("3 imported"), "{}", stdout(&sync));
    assert!(listings.status.success(), "{}", stderr(&listings));
    assert!(
        dump.status.success(),
        "{}",
        String::from_utf8_lossy(&dump.stderr)
    );
    let dumped = String::from_utf8_lossy(&dump.stdout);
    assert!(
        dumped.contains("stockx.api_key"),
        "the dump holds the encrypted rows"
    );
    for (what, out) in [
        ("connect", &connect),
        ("status", &status),
        ("sync", &sync),
        ("listings", &listings),
    ] {
        assert_no_secret(&format!("{what} stdout"), &stdout(out));
        assert_no_secret(&format!("{what} stderr"), &stderr(out));
    }
    assert!(!stderr(&sync).is_empty(), "trace logging was on");
    assert_no_secret("pg_dump", &dumped);
    let key = std::fs::read_to_string(home.path().join("secrets/stockx.key")).unwrap();
    assert!(
        !dumped.contains(key.trim()),
        "the key is not in the database"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_credential_missing_from_stdin_is_named_and_nothing_is_stored() {
    let db = migrated_db().await;
    let fake = FakeStockx::start().await;
    let home = tempfile::tempdir().unwrap();
    let partial = format!(
        r#"{{"client_id":"{}","client_secret":"{}","api_key":"{}"}}"#,
        stockx_fake::CLIENT_ID,
        stockx_fake::CLIENT_SECRET,
        stockx_fake::API_KEY
    );

    let out = run(
        &db.url,
        home.path(),
        &fake.url,
        &["stockx", "connect"],
        &partial,
    )
    .await;
    let status = run(&db.url, home.path(), &fake.url, &["stockx", "status"], "").await;

    assert_eq!(out.status.code(), Some(4), "{}", stderr(&out));
    assert!(
        stderr(&out).contains("refresh_token: missing"),
        "{}",
        stderr(&out)
    );
    assert_no_secret("the error", &stderr(&out));
    assert!(
        stdout(&status).starts_with("stockx: not connected"),
        "{}",
        stdout(&status)
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn status_on_a_database_never_connected_says_so_and_exits_0() {
    let db = migrated_db().await;

    let url = db.url.clone();
    let out = tokio::task::spawn_blocking(move || common::soleflip_on(&url, &["stockx", "status"]))
        .await
        .unwrap();

    assert!(out.status.success(), "{}", stderr(&out));
    assert!(
        stdout(&out).starts_with("stockx: not connected"),
        "{}",
        stdout(&out)
    );
}
