//! `soleflip sizes parse`: the structured size and its equivalents, or why it is refused.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    reason = "test helpers stop the test loudly on a failed step"
)]

mod common;

use common::{soleflip, stderr, stdout};

fn sizes(args: &[&str]) -> std::process::Output {
    let dir = tempfile::tempdir().unwrap();
    soleflip(dir.path())
        .arg("sizes")
        .arg("parse")
        .args(args)
        .output()
        .unwrap()
}

#[test]
fn a_nike_us_size_shows_its_equivalents_and_eu_standard() {
    let out = sizes(&["US 10", "--brand", "Nike"]);
    assert!(out.status.success(), "{}", stderr(&out));
    let text = stdout(&out);
    assert!(text.contains("standardized EU: 44 (44.0)"), "{text}");
    assert!(text.contains("UK    UK 9 (verified)"), "{text}");
    assert!(text.contains("US W  US W 11.5"), "{text}");
}

#[test]
fn adidas_thirds_stay_exact_in_json() {
    let out = sizes(&[
        "10.5", "--brand", "adidas", "--source", "stockx", "--format", "json",
    ]);
    assert!(out.status.success(), "{}", stderr(&out));
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(v["standardized"]["eu"], "44 2/3");
    assert_eq!(v["standardized"]["eu_decimal"], "44.7");
    assert_eq!(v["size"]["label"], "US M 10.5");
}

#[test]
fn an_ambiguous_size_is_refused_with_its_candidates_and_exit_4() {
    let out = sizes(&["10"]);
    assert_eq!(out.status.code(), Some(4));
    let text = stdout(&out);
    assert!(
        text.contains("candidate: US 10") && text.contains("candidate: UK 10"),
        "{text}"
    );
}

#[test]
fn an_unknown_brand_is_a_one_line_error_naming_the_field() {
    let out = sizes(&["9", "--brand", "Balenciaga"]);
    assert_eq!(
        out.status.code(),
        Some(4),
        "an unknown brand is refused input"
    );
    let err = stderr(&out);
    assert!(err.contains("brand \"Balenciaga\": unknown brand"), "{err}");
    assert_eq!(err.trim().lines().count(), 1);
}

#[test]
fn any_text_is_answered_without_a_panic() {
    for input in [
        "",
        "N/A",
        "🦶 42",
        "\u{7f}",
        "44⅔",
        "W33 L32",
        "S / Men's 9-10",
    ] {
        let out = sizes(&[input]);
        assert!(
            matches!(out.status.code(), Some(0 | 4)),
            "{input:?}: {}",
            stderr(&out)
        );
    }
}

#[tokio::test]
async fn normalize_reports_counts_and_lists_refused_rows_and_dry_run_changes_nothing() {
    let db = soleflip_testkit::migrated_db().await;
    let mut conn = db.connect().await;
    sqlx::raw_sql(
        "insert into products.sizes (value, region, brand_id) \
         select v, r, (select id from core.brands where slug = 'nike') \
         from (values ('10', 'US'), ('44', 'EU'), ('6', 'UK'), ('banana', 'US')) t(v, r)",
    )
    .execute(&mut conn)
    .await
    .unwrap();
    let dry = common::soleflip_on(&db.url, &["sizes", "normalize", "--dry-run"]);
    assert!(dry.status.success(), "{}", stderr(&dry));
    let text = stdout(&dry);
    assert!(
        text.starts_with("considered 4 size row(s); normalized 2"),
        "{text}"
    );
    assert!(text.contains("(dry run: nothing changed)"), "{text}");
    assert!(text.contains("ambiguous: \"6\" (UK, nike"), "{text}");
    assert!(text.contains("unparsable: \"banana\""), "{text}");
    let still_null: i64 =
        sqlx::query_scalar("select count(*) from products.sizes where standardized_value is null")
            .fetch_one(&mut conn)
            .await
            .unwrap();
    assert_eq!(still_null, 4);
    let real = common::soleflip_on(&db.url, &["sizes", "normalize", "--format", "json"]);
    let v: serde_json::Value = serde_json::from_slice(&real.stdout).unwrap();
    assert_eq!(v["updated"], 2);
}

#[test]
fn a_sizeless_brand_reads_no_size_and_an_alias_finds_its_chart() {
    let out = sizes(&["N/A", "--brand", "LEGO", "--format", "json"]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(v["size"]["label"], "No Size", "{v}");
    let out = sizes(&["10", "--brand", "Air Jordan", "--source", "stockx"]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    assert!(
        stdout(&out).contains("standardized EU: 44"),
        "{}",
        stdout(&out)
    );
}
