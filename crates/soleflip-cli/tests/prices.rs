//! `soleflip prices` end to end against real PostgreSQL: a dry run, the migration, the latest
//! prices, the archive, and `db verify` afterwards.
#![expect(
    clippy::unwrap_used,
    clippy::expect_used,
    reason = "helpers outside #[test] functions (and tests/common) stop the test loudly"
)]

mod common;

use common::{soleflip_on, stderr, stdout};
use soleflip_testkit::migrated_db;

const LEGACY: &str = "
    insert into products.products (sku, brand_id, category_id, name)
    select 'DD1391-100', b.id, c.id, 'Dunk Low' from core.brands b, core.categories c
    where b.slug = 'nike' and c.slug = 'sneakers';
    insert into products.sizes (brand_id, category_id, value, region, cohort, parsed)
    select b.id, c.id, '10.5', 'US', 'unisex', 'US 10.5' from core.brands b, core.categories c
    where b.slug = 'nike' and c.slug = 'sneakers';
    insert into pricing.market_prices (product_id, platform_name, size_value, condition,
                                       price_date, lowest_ask)
    select p.id, 'StockX', x.size, 'new', current_date - x.age, x.ask
    from products.products p,
         (values ('10.5', 1, 150.00), ('10.5', 4, 140.00), ('13', 1, 160.00)) x(size, age, ask)
    where p.sku = 'DD1391-100';
    insert into pricing.market_prices (product_id, platform_name, size_value, condition,
                                       price_date, lowest_ask)
    select p.id, 'GOAT', '12', 'new', current_date - 1, 170.00
    from products.products p where p.sku = 'DD1391-100';
    insert into integration.market_prices (product_id, source, supplier_name, external_id,
                                           buy_price, currency, availability, stock_qty,
                                           last_updated)
    select p.id, 'awin', 'Foot Locker', 'FL-1', 99.95, 'EUR', 'in stock', 3,
           now() - interval '1 hour'
    from products.products p where p.sku = 'DD1391-100';
";

fn json(out: &std::process::Output) -> serde_json::Value {
    serde_json::from_slice(&out.stdout).unwrap()
}

#[tokio::test]
async fn the_legacy_prices_are_migrated_shown_and_archived_and_the_database_still_verifies() {
    let db = migrated_db().await;
    let mut conn = db.connect().await;
    sqlx::raw_sql(LEGACY).execute(&mut conn).await.unwrap();

    let dry = soleflip_on(&db.url, &["prices", "migrate-legacy", "--dry-run"]);
    assert_eq!(dry.status.code(), Some(0), "{}", stderr(&dry));
    let text = stdout(&dry);
    assert!(text.contains("dry run: validated, rolled back"), "{text}");
    assert!(
        text.contains("created 1 size row(s) for sizes the legacy prices name"),
        "{text}"
    );
    assert!(
        text.contains("unreadable size: \"12\" is ambiguous: it could be US 12 or UK 12"),
        "{text}"
    );

    let strict = soleflip_on(&db.url, &["prices", "migrate-legacy", "--strict"]);
    assert_eq!(strict.status.code(), Some(1));
    assert!(
        stderr(&strict).contains("--strict: 1 legacy row(s) rejected; rolled back"),
        "{}",
        stderr(&strict)
    );

    let run = soleflip_on(
        &db.url,
        &["prices", "migrate-legacy", "--archive", "--format", "json"],
    );
    assert_eq!(run.status.code(), Some(0), "{}", stderr(&run));
    let report = json(&run);
    assert_eq!(report["status"], "committed");
    assert_eq!(report["archived"], true);
    assert_eq!(report["tables"][1]["inserted"], 2);
    assert_eq!(report["sizes_created"], 1);
    assert_eq!(report["tables"][1]["merged"], 1);
    assert_eq!(
        report["rejects"][0]["reason"],
        "unreadable size: \"12\" is ambiguous: it could be US 12 or UK 12"
    );

    let latest = soleflip_on(&db.url, &["prices", "latest", "--sku", "DD1391-100"]);
    assert_eq!(latest.status.code(), Some(0), "{}", stderr(&latest));
    let text = stdout(&latest);
    let line = |start: &str, parts: &[&str]| {
        text.lines()
            .any(|l| l.starts_with(start) && parts.iter().all(|p| l.contains(p)))
    };
    assert!(line("US 10.5 ", &["stockx", "150.00 EUR"]), "{text}");
    assert!(line("- ", &["awin", "99.95 EUR", "Foot Locker"]), "{text}");

    let sized = soleflip_on(
        &db.url,
        &[
            "prices",
            "latest",
            "--sku",
            "DD1391-100",
            "--size",
            "10.5",
            "--source",
            "stockx",
            "--format",
            "json",
        ],
    );
    assert_eq!(sized.status.code(), Some(0), "{}", stderr(&sized));
    let v = json(&sized);
    assert_eq!(v["prices"].as_array().map(Vec::len), Some(1));
    assert_eq!(v["prices"][0]["price_cents"], 15_000);

    let verify = soleflip_on(&db.url, &["db", "verify"]);
    assert_eq!(verify.status.code(), Some(0), "{}", stdout(&verify));

    let again = soleflip_on(&db.url, &["prices", "migrate-legacy"]);
    assert_eq!(again.status.code(), Some(0));
    assert!(
        stdout(&again).contains("nothing to do"),
        "{}",
        stdout(&again)
    );

    let missing = soleflip_on(&db.url, &["prices", "latest", "--sku", "NOPE"]);
    assert_eq!(missing.status.code(), Some(1));
    assert!(
        stderr(&missing).contains("no product has SKU \"NOPE\""),
        "{}",
        stderr(&missing)
    );
}
