//! The upsert path of `integration.price_sources` on real PostgreSQL: both partial unique
//! indexes, history appended exactly on a change of price, currency or stock and never on an
//! unchanged re-import, older observations ignored, bad rows refused with nothing written.
#![expect(
    clippy::unwrap_used,
    reason = "helpers outside #[test] functions stop the test loudly"
)]

use soleflip_db::integration::{
    list_latest_prices, upsert_price_sources, Condition, NewPriceSource, PriceType, SourceType,
    UpsertError, UpsertOutcome,
};
use soleflip_testkit::migrated_db;
use sqlx::postgres::PgConnection;
use sqlx::types::chrono::{DateTime, Utc};
use sqlx::types::Uuid;

/// A fresh database with one Nike product and its size US 10; returns (product, size).
async fn catalog() -> (PgConnection, Uuid, Uuid) {
    let db = migrated_db().await;
    let mut conn = db.connect().await;
    let product: Uuid = sqlx::query_scalar(
        "insert into products.products (sku, brand_id, category_id, name) \
         select 'DD1391-100', b.id, c.id, 'Dunk Low' from core.brands b, core.categories c \
         where b.slug = 'nike' and c.slug = 'sneakers' returning id",
    )
    .fetch_one(&mut conn)
    .await
    .unwrap();
    let size: Uuid = sqlx::query_scalar(
        "insert into products.sizes (brand_id, value, region, standardized_value) \
         select id, '10', 'US', 44.0 from core.brands where slug = 'nike' returning id",
    )
    .fetch_one(&mut conn)
    .await
    .unwrap();
    (conn, product, size)
}

/// `hours_ago` before one fixed moment of this test process, in whole seconds (so that what
/// PostgreSQL returns compares equal to what was sent).
fn at(hours_ago: i64) -> Option<DateTime<Utc>> {
    static NOW: std::sync::OnceLock<i64> = std::sync::OnceLock::new();
    let now = *NOW.get_or_init(|| Utc::now().timestamp());
    DateTime::from_timestamp(now - hours_ago * 3600, 0)
}

fn price(product: Uuid, size: Option<Uuid>, source_product_id: &str, cents: i32) -> NewPriceSource {
    NewPriceSource {
        product_id: product,
        size_id: size,
        source_type: SourceType::Stockx,
        source_product_id: source_product_id.to_string(),
        source_name: Some("StockX".to_string()),
        price_type: PriceType::Resale,
        price_cents: cents,
        currency: "EUR".to_string(),
        stock_quantity: Some(2),
        in_stock: true,
        condition: Some(Condition::New),
        source_url: None,
        affiliate_link: None,
        supplier_id: None,
        metadata: Some(serde_json::json!({"variant_id": source_product_id})),
        last_updated: at(2),
    }
}

async fn history(conn: &mut PgConnection) -> Vec<(String, i32, String, Option<i32>, bool)> {
    sqlx::query_as(
        "select ps.source_product_id, h.price_cents, h.currency, h.stock_quantity, h.in_stock \
         from integration.price_history h \
         join integration.price_sources ps on ps.id = h.price_source_id \
         order by ps.source_product_id, h.recorded_at",
    )
    .fetch_all(conn)
    .await
    .unwrap()
}

async fn stored(conn: &mut PgConnection) -> Vec<(String, Option<Uuid>, i32, String)> {
    sqlx::query_as(
        "select source_product_id, size_id, price_cents, currency \
         from integration.price_sources order by source_product_id",
    )
    .fetch_all(conn)
    .await
    .unwrap()
}

#[tokio::test]
async fn new_prices_with_and_without_a_size_are_inserted_and_written_again_as_updates() {
    let (mut conn, product, size) = catalog().await;
    let rows = vec![
        price(product, Some(size), "sized", 15_000),
        price(product, None, "unsized", 14_000),
    ];
    let first = upsert_price_sources(&mut conn, &rows).await.unwrap();
    assert_eq!((first.inserted, first.updated), (2, 0));

    // The same keys again with new prices: both partial unique indexes are matched, so this
    // updates (migration 1's upsert matched neither and failed here).
    let changed = vec![
        NewPriceSource {
            last_updated: at(1),
            ..price(product, Some(size), "sized", 15_500)
        },
        NewPriceSource {
            last_updated: at(1),
            ..price(product, None, "unsized", 13_900)
        },
    ];
    let second = upsert_price_sources(&mut conn, &changed).await.unwrap();

    assert_eq!(
        second,
        UpsertOutcome {
            received: 2,
            distinct: 2,
            inserted: 0,
            updated: 2,
            unchanged: 0
        }
    );
    assert_eq!(
        stored(&mut conn).await,
        [
            ("sized".into(), Some(size), 15_500, "EUR".into()),
            ("unsized".into(), None, 13_900, "EUR".into())
        ]
    );
}

async fn updated_stamps(conn: &mut PgConnection) -> String {
    sqlx::query_scalar(
        "select string_agg(updated_at::text, ',' order by id) from integration.price_sources",
    )
    .fetch_one(conn)
    .await
    .unwrap()
}

#[tokio::test]
async fn an_unchanged_reimport_writes_nothing_and_appends_no_history() {
    let (mut conn, product, size) = catalog().await;
    let rows = vec![
        price(product, Some(size), "sized", 15_000),
        price(product, None, "unsized", 14_000),
    ];
    upsert_price_sources(&mut conn, &rows).await.unwrap();
    let before = updated_stamps(&mut conn).await;

    let again = upsert_price_sources(&mut conn, &rows).await.unwrap();

    assert_eq!((again.inserted, again.updated, again.unchanged), (0, 0, 2));
    assert!(history(&mut conn).await.is_empty());
    assert_eq!(
        updated_stamps(&mut conn).await,
        before,
        "no row was even touched"
    );
}

#[tokio::test]
async fn each_change_of_price_currency_or_stock_appends_exactly_one_history_row() {
    let (mut conn, product, size) = catalog().await;
    let base = vec![
        price(product, Some(size), "a-price", 15_000),
        price(product, Some(size), "b-stock", 15_000),
        price(product, Some(size), "c-currency", 15_000),
        price(product, Some(size), "d-name-only", 15_000),
        price(product, Some(size), "e-same", 15_000),
    ];
    upsert_price_sources(&mut conn, &base).await.unwrap();
    let newer = |p: NewPriceSource| NewPriceSource {
        last_updated: at(1),
        ..p
    };
    let next = vec![
        newer(price(product, Some(size), "a-price", 16_000)),
        newer(NewPriceSource {
            stock_quantity: Some(0),
            in_stock: false,
            ..price(product, Some(size), "b-stock", 15_000)
        }),
        newer(NewPriceSource {
            currency: "GBP".into(),
            ..price(product, Some(size), "c-currency", 15_000)
        }),
        newer(NewPriceSource {
            source_name: Some("StockX EU".into()),
            ..price(product, Some(size), "d-name-only", 15_000)
        }),
        price(product, Some(size), "e-same", 15_000),
    ];

    let outcome = upsert_price_sources(&mut conn, &next).await.unwrap();

    assert_eq!((outcome.updated, outcome.unchanged), (4, 1));
    // Each changed source recorded the observation it replaced, at its own time.
    assert_eq!(
        history(&mut conn).await,
        [
            ("a-price".into(), 15_000, "EUR".into(), Some(2), true),
            ("b-stock".into(), 15_000, "EUR".into(), Some(2), true),
            ("c-currency".into(), 15_000, "EUR".into(), Some(2), true),
        ]
    );
    let stamped_at_observation: bool =
        sqlx::query_scalar("select bool_and(recorded_at = $1) from integration.price_history")
            .bind(at(2))
            .fetch_one(&mut conn)
            .await
            .unwrap();
    assert!(stamped_at_observation);

    // A third change appends one more row, never rewriting the earlier ones.
    let third = vec![NewPriceSource {
        last_updated: at(0),
        ..price(product, Some(size), "a-price", 17_000)
    }];
    upsert_price_sources(&mut conn, &third).await.unwrap();
    let a: Vec<i32> = history(&mut conn)
        .await
        .into_iter()
        .filter(|h| h.0 == "a-price")
        .map(|h| h.1)
        .collect();
    assert_eq!(a, [15_000, 16_000]);
}

#[tokio::test]
async fn an_older_observation_does_not_replace_a_newer_one() {
    let (mut conn, product, size) = catalog().await;
    upsert_price_sources(&mut conn, &[price(product, Some(size), "p", 15_000)])
        .await
        .unwrap();

    let stale = NewPriceSource {
        last_updated: at(30),
        ..price(product, Some(size), "p", 9_900)
    };
    let outcome = upsert_price_sources(&mut conn, &[stale]).await.unwrap();

    assert_eq!((outcome.updated, outcome.unchanged), (0, 1));
    assert_eq!(stored(&mut conn).await[0].2, 15_000);
    assert!(history(&mut conn).await.is_empty());
}

#[tokio::test]
async fn the_last_row_of_a_key_in_one_batch_wins() {
    let (mut conn, product, size) = catalog().await;
    let rows = vec![
        price(product, Some(size), "p", 15_000),
        price(product, Some(size), "p", 15_100),
        price(product, None, "q", 1_000),
        price(product, None, "q", 1_100),
    ];

    let outcome = upsert_price_sources(&mut conn, &rows).await.unwrap();

    assert_eq!(
        (outcome.received, outcome.distinct, outcome.inserted),
        (4, 2, 2)
    );
    let prices: Vec<i32> = stored(&mut conn).await.into_iter().map(|r| r.2).collect();
    assert_eq!(prices, [15_100, 1_100]);
}

#[tokio::test]
async fn a_row_naming_an_unknown_currency_or_product_is_refused_and_nothing_is_written() {
    let (mut conn, product, size) = catalog().await;
    let rows = vec![
        price(product, Some(size), "ok", 15_000),
        NewPriceSource {
            currency: "XYZ".into(),
            ..price(product, Some(size), "bad", 15_000)
        },
    ];
    let err = upsert_price_sources(&mut conn, &rows).await.unwrap_err();
    assert!(matches!(err, UpsertError::Unknown { row: 2, .. }), "{err}");
    assert_eq!(
        err.to_string(),
        "price row 2: currency XYZ is not in core.currencies"
    );

    let ghost = Uuid::from_u128(7);
    let err = upsert_price_sources(&mut conn, &[price(ghost, None, "x", 1)])
        .await
        .unwrap_err();
    assert_eq!(
        err.to_string(),
        format!("price row 1: product {ghost} does not exist")
    );
    assert!(stored(&mut conn).await.is_empty(), "nothing half-written");
}

#[tokio::test]
async fn a_negative_price_is_refused_before_anything_is_sent() {
    let (mut conn, product, _) = catalog().await;
    let err = upsert_price_sources(&mut conn, &[price(product, None, "n", -1)])
        .await
        .unwrap_err();
    assert_eq!(err.to_string(), "price row 1: price_cents: -1 is negative");
}

#[tokio::test]
async fn an_upsert_inside_a_callers_transaction_rolls_back_with_it() {
    use sqlx::Connection;
    let (mut conn, product, _) = catalog().await;
    let mut tx = conn.begin().await.unwrap();
    upsert_price_sources(&mut tx, &[price(product, None, "p", 100)])
        .await
        .unwrap();
    tx.rollback().await.unwrap();
    assert!(stored(&mut conn).await.is_empty());
}

#[tokio::test]
async fn latest_prices_are_one_per_size_and_source_in_stock_only() {
    let (mut conn, product, size) = catalog().await;
    let rows = vec![
        price(product, Some(size), "older", 15_000),
        NewPriceSource {
            last_updated: at(1),
            ..price(product, Some(size), "newer", 15_500)
        },
        NewPriceSource {
            in_stock: false,
            last_updated: at(0),
            ..price(product, Some(size), "gone", 9_000)
        },
        NewPriceSource {
            source_type: SourceType::Awin,
            price_type: PriceType::Retail,
            ..price(product, None, "shop", 11_000)
        },
    ];
    upsert_price_sources(&mut conn, &rows).await.unwrap();

    let latest = list_latest_prices(&mut conn, product, None, None)
        .await
        .unwrap();
    let lines: Vec<(Option<&str>, &str, i32)> = latest
        .iter()
        .map(|p| (p.size_value.as_deref(), p.source.as_str(), p.price_cents))
        .collect();
    assert_eq!(
        lines,
        [(None, "awin", 11_000), (Some("10"), "stockx", 15_500)]
    );

    let only_stockx =
        list_latest_prices(&mut conn, product, Some(&[size]), Some(SourceType::Stockx))
            .await
            .unwrap();
    assert_eq!(only_stockx.len(), 1);
}
