//! The ledger's commands end to end against real PostgreSQL: buy, move, list, sell, report,
//! and refused input (exit 4, one line naming the field, nothing written).
#![expect(
    clippy::unwrap_used,
    clippy::expect_used,
    reason = "helpers outside #[test] functions (and tests/common) stop the test loudly"
)]

mod common;

use common::{soleflip_on, stderr, stdout};
use soleflip_testkit::migrated_db;

fn json(out: &std::process::Output) -> serde_json::Value {
    serde_json::from_slice(&out.stdout).unwrap()
}

#[tokio::test]
async fn a_pair_is_bought_moved_listed_sold_and_reported_from_the_command_line() {
    let db = migrated_db().await;
    let url = db.url.as_str();

    let bought = soleflip_on(
        url,
        &[
            "purchase",
            "add",
            "--sku",
            "DD1391-100",
            "--size",
            "US 10",
            "--price",
            "100",
            "--date",
            "2025-01-10",
            "--invoice",
            "INV-7",
            "--format",
            "json",
        ],
    );
    assert_eq!(bought.status.code(), Some(0), "{}", stderr(&bought));
    let pair = json(&bought)["lines"][0]["pairs"][0]["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let moved = soleflip_on(url, &["inventory", "move", &pair, "--to", "available"]);
    let listed = soleflip_on(
        url,
        &[
            "listing",
            "add",
            &pair,
            "--platform",
            "stockx",
            "--price",
            "140",
        ],
    );
    let sold = soleflip_on(
        url,
        &[
            "sale",
            "record",
            &pair,
            "--platform",
            "stockx",
            "--price",
            "120",
            "--level",
            "1",
            "--date",
            "2025-02-09",
            "--format",
            "json",
        ],
    );
    let shown = soleflip_on(url, &["inventory", "show", &pair]);
    let pnl = soleflip_on(
        url,
        &["report", "pnl", "--by", "platform", "--format", "json"],
    );
    let stock = soleflip_on(url, &["report", "stock"]);

    for out in [&moved, &listed, &sold, &shown, &pnl, &stock] {
        assert_eq!(out.status.code(), Some(0), "{}", stderr(out));
    }
    assert_eq!(json(&sold)["payout"], "105.60");
    assert!(
        stdout(&shown).contains("available -> need_shipping  sold on stockx"),
        "{}",
        stdout(&shown)
    );
    let row = &json(&pnl)["rows"][0];
    assert_eq!(row["group"], "stockx");
    assert_eq!(row["gross_profit"], "5.60");
}

#[tokio::test]
async fn refused_input_exits_4_with_one_line_naming_the_field_and_writes_nothing() {
    let db = migrated_db().await;
    let url = db.url.as_str();

    let cases: [(&[&str], &str); 4] = [
        (
            &[
                "purchase", "add", "--sku", "nonsense", "--size", "US 10", "--price", "100",
            ],
            "sku: ",
        ),
        (
            &[
                "purchase", "add", "--sku", "GW2871", "--size", "US 9", "--price", "-1",
            ],
            "price: ",
        ),
        (
            &[
                "purchase",
                "add",
                "--sku",
                "GW2871",
                "--size",
                "US 9",
                "--price",
                "1",
                "--currency",
                "XYZ",
            ],
            "currency: ",
        ),
        (
            &[
                "fees",
                "quote",
                "--platform",
                "stockx",
                "--level",
                "9",
                "--price",
                "120",
                "--currency",
                "EUR",
            ],
            "level: ",
        ),
    ];
    for (args, field) in cases {
        let out = soleflip_on(url, args);
        let err = stderr(&out);
        assert_eq!(out.status.code(), Some(4), "{args:?}: {err}");
        assert_eq!(err.lines().count(), 1, "{err}");
        assert!(
            err.starts_with(&format!("soleflip: error: {field}")),
            "{err}"
        );
    }
    let listed = soleflip_on(url, &["inventory", "list", "--format", "json"]);
    assert_eq!(json(&listed)["pairs"].as_array().unwrap().len(), 0);
}
