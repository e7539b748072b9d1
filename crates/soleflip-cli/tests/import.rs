//! `soleflip import awin` and `import fx` end to end against real PostgreSQL: the report, and a
//! refused file (exit 4, one line naming file and line, nothing written).
#![expect(
    clippy::expect_used,
    reason = "the helpers of tests/common stop the test loudly"
)]

mod common;

use common::{soleflip_on, stderr, stdout};
use soleflip_testkit::migrated_db;

fn fixture(name: &str) -> String {
    std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../soleflip-app/tests/fixtures/awin")
        .join(name)
        .display()
        .to_string()
}

#[tokio::test]
async fn a_feed_import_reports_its_counts_and_rejected_lines_as_text_and_json() {
    // arrange
    let db = migrated_db().await;

    // act
    let text = soleflip_on(&db.url, &["import", "awin", &fixture("feed.csv")]);
    let json = soleflip_on(
        &db.url,
        &[
            "import",
            "awin",
            &fixture("feed.csv"),
            "--full",
            "--format",
            "json",
        ],
    );

    // assert
    assert_eq!(text.status.code(), Some(0), "{}", stderr(&text));
    let out = stdout(&text);
    assert!(
        out.contains("rows read 8, new 5, changed 0, unchanged 0, rejected 3"),
        "{out}"
    );
    assert!(
        out.contains("  line 6: search_price: `12,50` is not an amount"),
        "{out}"
    );
    assert!(out.contains("  line 4: ean: "), "{out}");
    assert!(
        stderr(&text).is_empty(),
        "no progress line when not on a terminal"
    );
    assert_eq!(json.status.code(), Some(0), "{}", stderr(&json));
    let report: serde_json::Value = serde_json::from_slice(&json.stdout).unwrap();
    assert_eq!(report["unchanged"], 5);
    assert_eq!(report["marked_out_of_stock"], 0);
    assert_eq!(report["rejects"][1]["line"], 7);
}

#[tokio::test]
async fn a_feed_without_a_required_column_is_refused_with_exit_4_and_nothing_written() {
    // arrange
    let db = migrated_db().await;
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("no-currency.csv");
    let feed = std::fs::read_to_string(fixture("feed.csv")).unwrap();
    std::fs::write(&file, feed.replacen(",currency,", ",waehrung,", 1)).unwrap();

    // act
    let out = soleflip_on(&db.url, &["import", "awin", &file.display().to_string()]);

    // assert
    assert_eq!(out.status.code(), Some(4));
    let err = stderr(&out);
    assert_eq!(err.lines().count(), 1, "{err}");
    assert!(
        err.contains("no-currency.csv line 1: required column `currency` is missing"),
        "{err}"
    );
    let mut conn = db.connect().await;
    let rows: i64 = sqlx::query_scalar("select count(*) from integration.awin_products")
        .fetch_one(&mut conn)
        .await
        .unwrap();
    assert_eq!(rows, 0);
}

#[tokio::test]
async fn ecb_rates_import_and_report() {
    // arrange
    let db = migrated_db().await;
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("eurofxref.csv");
    std::fs::write(
        &file,
        "Date, USD, JPY, BGN, \n25 November 2026, 1.0412, 163.11, N/A, \n",
    )
    .unwrap();

    // act
    let out = soleflip_on(&db.url, &["import", "fx", &file.display().to_string()]);

    // assert
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let text = stdout(&out);
    assert!(
        text.contains("rates read 2, new 2, updated 0, unchanged 0, cells without a rate (N/A) 1"),
        "{text}"
    );
    assert!(text.contains("2026-11-25 to 2026-11-25"), "{text}");
}
