//! The StockX sync against a fake StockX started by each test (soleflip_testkit::stockx_fake,
//! serving hand-written fixtures in the documented v2 shapes), on real PostgreSQL: credentials
//! encrypted at rest, token refresh and expiry, a 401 then success, a 429 with Retry-After,
//! paging to the end, the request budget shared by two concurrent syncs, a resumed sync after a
//! kill, the daily budget stopping a sync cleanly, and an order arriving both by report import
//! and by API being one order.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    reason = "test helpers stop the test loudly on a failed step"
)]

use std::os::unix::fs::PermissionsExt as _;
use std::path::{Path, PathBuf};

use secrecy::ExposeSecret as _;
use soleflip_app::imports::Progress;
use soleflip_app::stockx::catalog::CatalogSource;
use soleflip_app::stockx::{Credentials, StockxError, StockxSettings};
use soleflip_app::{App, AppConfig};
use soleflip_testkit::stockx_fake::{self, FakeStockx};
use soleflip_testkit::{migrated_db, TestDb};
use sqlx::PgConnection;

/// An app on the test database with its own home (where the key file goes).
fn app(db: &TestDb, home: &Path) -> App {
    App::new(AppConfig {
        home: home.to_path_buf(),
        database: Some(db.target.clone()),
    })
}

fn settings(fake: &FakeStockx) -> StockxSettings {
    StockxSettings {
        api_url: fake.url.clone(),
        auth_url: fake.url.clone(),
        min_interval_ms: 0,
        max_retries: 3,
        ..StockxSettings::default()
    }
}

fn credentials() -> Credentials {
    Credentials::parse(&stockx_fake::credentials_json()).unwrap()
}

/// A connected app: credentials stored, the fake running.
async fn connected() -> (TestDb, tempfile::TempDir, App, FakeStockx) {
    let db = migrated_db().await;
    let home = tempfile::tempdir().unwrap();
    let app = app(&db, home.path());
    let fake = FakeStockx::start().await;
    app.stockx_connect(&settings(&fake), &credentials())
        .await
        .unwrap();
    (db, home, app, fake)
}

async fn count(conn: &mut PgConnection, sql: &str) -> i64 {
    sqlx::query_scalar(sql).fetch_one(conn).await.unwrap()
}

fn report_fixture() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/imports/stockx_sales.csv")
}

fn quiet(_: Progress) {}

#[tokio::test]
async fn connecting_stores_the_credentials_encrypted_and_status_names_none_of_them() {
    let (db, home, app, fake) = connected().await;

    let stored: Vec<(String, String)> = sqlx::query_as(
        "select key, value_encrypted from system.config where key like 'stockx.%' order by key",
    )
    .fetch_all(&mut db.connect().await)
    .await
    .unwrap();
    let status = app.stockx_status(&settings(&fake)).await.unwrap();
    let key_file = home.path().join("secrets/stockx.key");

    assert_eq!(stored.len(), 4);
    for (_, v) in &stored {
        for secret in [
            stockx_fake::CLIENT_ID,
            stockx_fake::CLIENT_SECRET,
            stockx_fake::API_KEY,
            stockx_fake::REFRESH_TOKEN,
        ] {
            assert!(
                !v.contains(secret),
                "a stored value holds a secret in clear text"
            );
        }
        assert!(v.starts_with("v1:"), "{v}");
    }
    assert!(status.connected);
    assert_eq!(status.key_ok, Some(true));
    let shown = serde_json::to_string(&status).unwrap();
    assert!(!shown.contains(stockx_fake::API_KEY) && !shown.contains(stockx_fake::REFRESH_TOKEN));
    assert_eq!(
        std::fs::metadata(&key_file).unwrap().permissions().mode() & 0o777,
        0o600
    );
    assert_eq!(
        std::fs::metadata(key_file.parent().unwrap())
            .unwrap()
            .permissions()
            .mode()
            & 0o777,
        0o700
    );
    let back = app.stockx_credentials(&settings(&fake)).await.unwrap();
    assert_eq!(back.api_key.expose_secret(), stockx_fake::API_KEY);
}

#[tokio::test]
async fn disconnecting_removes_the_credentials_and_a_sync_then_says_to_connect() {
    let (_db, _home, app, fake) = connected().await;

    let removed = app.stockx_disconnect().await.unwrap();
    let status = app.stockx_status(&settings(&fake)).await.unwrap();
    let err = app
        .stockx_sync_orders(&settings(&fake), None)
        .await
        .unwrap_err();

    assert_eq!(removed.removed, 4);
    assert!(!status.connected);
    assert!(matches!(err, StockxError::NotConnected), "{err}");
}

#[tokio::test]
async fn a_key_file_others_may_read_is_refused() {
    let (_db, home, app, fake) = connected().await;
    let key_file = home.path().join("secrets/stockx.key");
    std::fs::set_permissions(&key_file, std::fs::Permissions::from_mode(0o644)).unwrap();

    let err = app.stockx_credentials(&settings(&fake)).await.unwrap_err();

    assert!(err.to_string().contains("others may read it"), "{err}");
}

#[tokio::test]
async fn rotating_the_key_re_encrypts_every_value_and_the_old_key_opens_none() {
    let (db, home, app, fake) = connected().await;
    let key_file = home.path().join("secrets/stockx.key");
    let old_key = std::fs::read_to_string(&key_file).unwrap();

    let report = app.stockx_rotate_key(&settings(&fake), None).await.unwrap();
    let stored: String = sqlx::query_scalar(
        "select value_encrypted from system.config where key = 'stockx.api_key'",
    )
    .fetch_one(&mut db.connect().await)
    .await
    .unwrap();
    let old = soleflip_app::stockx::SecretKey::parse(&old_key).unwrap();

    assert_eq!(report.re_encrypted, 4);
    assert_ne!(report.old_key_id, report.new_key_id);
    assert!(old.open("stockx.api_key", &stored).is_err());
    assert!(!home.path().join("secrets/stockx.key.new").exists());
    let back = app.stockx_credentials(&settings(&fake)).await.unwrap();
    assert_eq!(
        back.client_secret.expose_secret(),
        stockx_fake::CLIENT_SECRET
    );
}

#[tokio::test]
async fn orders_are_paged_to_the_end_and_completed_ones_become_balanced_orders() {
    let (db, _home, app, fake) = connected().await;
    fake.set_max_page_size(2);

    let report = app
        .stockx_sync_orders(&settings(&fake), None)
        .await
        .unwrap();
    let mut conn = db.connect().await;

    assert!(report.complete);
    assert_eq!(report.pages, 3, "six orders, two per page");
    assert_eq!(report.orders_fetched, 6);
    assert_eq!(report.imported, 3, "{report:?}");
    assert_eq!(report.rejected.len(), 1, "{report:?}");
    assert!(
        report.rejected[0].starts_with("41000004-41000104: no style code"),
        "a book with no style code names no product: {:?}",
        report.rejected
    );
    assert_eq!(report.skipped.get("CANCELED"), Some(&1));
    assert_eq!(report.skipped.get("RETURNED"), Some(&1));
    let pages: Vec<String> = fake.requests().iter().map(|r| r.query.clone()).collect();
    assert!(
        pages.iter().any(|q| q.contains("pageNumber=3")),
        "{pages:?}"
    );
    assert_eq!(
        count(&mut conn, "select count(*) from transactions.orders o join core.platforms p on p.id = o.platform_id where p.slug = 'stockx'").await,
        3
    );
    let (price, payout, fees): (sqlx::types::Decimal, sqlx::types::Decimal, sqlx::types::Decimal) = sqlx::query_as(
        "select o.sale_price, o.payout, (select sum(amount) from transactions.order_fee_lines f where f.order_id = o.id) \
           from transactions.orders o where o.order_number = '41000003-41000103'",
    )
    .fetch_one(&mut conn)
    .await
    .unwrap();
    assert_eq!(price - fees, payout, "fee lines and payout balance");
    assert_eq!(payout.to_string(), "113.84");

    let again = app
        .stockx_sync_orders(&settings(&fake), None)
        .await
        .unwrap();
    assert_eq!(
        (again.imported, again.already_present),
        (0, 3),
        "a second sync adds nothing"
    );
}

#[tokio::test]
async fn an_order_imported_from_the_report_and_synced_from_the_api_is_one_order() {
    let (db, _home, app, fake) = connected().await;

    let imported = app
        .import_stockx_sales(&report_fixture(), false, &quiet)
        .await
        .unwrap();
    let synced = app
        .stockx_sync_orders(&settings(&fake), None)
        .await
        .unwrap();
    let mut conn = db.connect().await;

    assert!(imported.imported > 0);
    assert_eq!(synced.already_present, 1, "{synced:?}");
    assert_eq!(synced.imported, 2);
    assert_eq!(
        count(
            &mut conn,
            "select count(*) from transactions.orders where order_number = '40000001-40000101'"
        )
        .await,
        1
    );
}

#[tokio::test]
async fn an_order_synced_from_the_api_and_then_imported_from_the_report_is_one_order() {
    let (db, _home, app, fake) = connected().await;

    let synced = app
        .stockx_sync_orders(&settings(&fake), None)
        .await
        .unwrap();
    let imported = app
        .import_stockx_sales(&report_fixture(), false, &quiet)
        .await
        .unwrap();
    let mut conn = db.connect().await;

    assert_eq!(synced.imported, 3);
    assert_eq!(imported.already_present, 1);
    assert_eq!(
        count(
            &mut conn,
            "select count(*) from transactions.orders where order_number = '40000001-40000101'"
        )
        .await,
        1
    );
}

#[tokio::test]
async fn a_401_is_answered_by_one_token_refresh_and_the_request_then_succeeds() {
    let (_db, _home, app, fake) = connected().await;
    fake.fail_401(1);

    let report = app.stockx_sync_listings(&settings(&fake)).await.unwrap();

    assert!(report.complete);
    assert_eq!(
        fake.token_requests(),
        2,
        "the first token, then one after the 401"
    );
    assert_eq!(report.calls.token_refreshes, 2);
    let statuses: Vec<u16> = fake.requests().iter().map(|r| r.status).collect();
    assert_eq!(statuses, vec![401, 200]);
}

#[tokio::test]
async fn a_token_about_to_expire_is_renewed_before_use_and_an_expired_one_after_a_401() {
    let (_db, _home, app, fake) = connected().await;
    // Tokens that live 30 s are within a minute of expiry when issued: renewed before each call.
    fake.set_token_lifetime(30);
    fake.set_max_page_size(2);

    let short = app
        .stockx_sync_orders(&settings(&fake), None)
        .await
        .unwrap();

    assert_eq!(short.calls.requests, 3);
    assert_eq!(fake.token_requests(), 3, "one token per request");
    assert!(fake.requests().iter().all(|r| r.status == 200));

    // A long-lived token the server expires early: the 401 gets one refresh, then success.
    fake.set_token_lifetime(3600);
    let client = app.stockx_client(&settings(&fake)).await.unwrap();
    let _: serde_json::Value = client.get("/v2/selling/listings", &[]).await.unwrap();
    fake.expire_tokens();
    let second: serde_json::Value = client.get("/v2/selling/listings", &[]).await.unwrap();

    assert!(second["listings"].is_array());
    assert_eq!(client.counts().token_refreshes, 2);
}

#[tokio::test]
async fn credentials_stockx_refuses_stop_the_sync_with_a_clear_error() {
    let (_db, _home, app, fake) = connected().await;
    let wrong = Credentials::parse("fake-client-id-7Qx2\nwrong-secret\nk\nr\n").unwrap();
    app.stockx_connect(&settings(&fake), &wrong).await.unwrap();

    let err = app
        .stockx_sync_listings(&settings(&fake))
        .await
        .unwrap_err();

    assert!(matches!(err, StockxError::Unauthenticated(_)), "{err}");
    assert!(err.to_string().contains("stockx connect"), "{err}");
    assert!(!err.to_string().contains("wrong-secret"));
}

#[tokio::test]
async fn a_429_is_retried_after_its_retry_after() {
    let (_db, _home, app, fake) = connected().await;
    fake.fail_429(1, 1);

    let report = app.stockx_sync_listings(&settings(&fake)).await.unwrap();

    assert!(report.complete);
    assert_eq!(report.calls.retries, 1);
    let log = fake.requests();
    assert_eq!(
        log.iter().map(|r| r.status).collect::<Vec<_>>(),
        vec![429, 200]
    );
    let waited = log[1].at.duration_since(log[0].at).unwrap();
    assert!(waited >= std::time::Duration::from_secs(1), "{waited:?}");
}

#[tokio::test]
async fn server_errors_are_retried_with_back_off_and_then_given_up() {
    let (_db, _home, app, fake) = connected().await;
    fake.fail_503(2);

    let report = app.stockx_sync_listings(&settings(&fake)).await.unwrap();
    assert!(report.complete);
    assert_eq!(report.calls.retries, 2);

    fake.fail_path("/v2/selling/listings", 503, None);
    let err = app
        .stockx_sync_listings(&settings(&fake))
        .await
        .unwrap_err();
    assert!(matches!(err, StockxError::Unavailable(_)), "{err}");
}

#[tokio::test]
async fn two_concurrent_syncs_share_one_budget_of_one_request_a_second() {
    let (db, home, first, fake) = connected().await;
    // A second process: its own app, pool and client, the same database.
    let second = app(&db, home.path());
    fake.set_max_page_size(1);
    let limited = StockxSettings {
        min_interval_ms: 1000,
        ..settings(&fake)
    };

    let (a, b) = tokio::join!(
        first.stockx_sync_listings(&limited),
        second.stockx_sync_orders(
            &limited,
            Some(chrono::NaiveDate::from_ymd_opt(2024, 5, 1).unwrap())
        ),
    );

    let (a, b) = (a.unwrap(), b.unwrap());
    assert_eq!(
        a.calls.requests + b.calls.requests,
        5,
        "three listings pages, two orders pages"
    );
    let mut times: Vec<_> = fake.requests().iter().map(|r| r.at).collect();
    times.sort();
    for w in times.windows(2) {
        let gap = w[1].duration_since(w[0]).unwrap();
        assert!(
            gap >= std::time::Duration::from_secs(1),
            "two requests {gap:?} apart"
        );
    }
}

#[tokio::test]
async fn a_sync_killed_midway_resumes_from_its_checkpoint() {
    let (db, _home, app, fake) = connected().await;
    fake.set_max_page_size(2);
    // Page 2 fails for good: the run dies after committing page 1, as a kill would leave it.
    fake.fail_path("pageNumber=2", 500, None);
    let no_retries = StockxSettings {
        max_retries: 0,
        ..settings(&fake)
    };

    let killed = app.stockx_sync_orders(&no_retries, None).await;
    let after_kill = count(
        &mut db.connect().await,
        "select count(*) from transactions.orders",
    )
    .await;
    fake.heal();
    let resumed = app.stockx_sync_orders(&no_retries, None).await.unwrap();

    assert!(killed.is_err(), "{killed:?}");
    assert_eq!(after_kill, 2, "page 1 (two completed orders) was committed");
    assert!(resumed.resumed);
    assert_eq!(resumed.pages, 2, "pages 2 and 3 only");
    assert_eq!(resumed.imported, 1, "the book on page 3 is rejected");
    let page1 = fake
        .requests()
        .iter()
        .filter(|r| r.query.contains("pageNumber=1&"))
        .count();
    assert_eq!(page1, 1, "page 1 is not fetched again");
    let status = app.stockx_status(&settings(&fake)).await.unwrap();
    assert!(status
        .jobs
        .iter()
        .any(|j| j.job == "stockx.orders" && j.status == "finished"));
}

#[tokio::test]
async fn a_spent_daily_budget_stops_the_sync_cleanly_and_says_when_it_resumes() {
    let (_db, _home, app, fake) = connected().await;
    fake.set_max_page_size(2);
    let two_a_day = StockxSettings {
        daily_limit: 2,
        ..settings(&fake)
    };

    let report = app.stockx_sync_orders(&two_a_day, None).await.unwrap();

    assert!(!report.complete);
    assert_eq!(report.pages, 2);
    let stopped = report.stopped.expect("stopped");
    assert!(stopped.reason.contains("resume"), "{}", stopped.reason);
    let resumes =
        chrono::DateTime::parse_from_rfc3339(stopped.resumes_at.as_deref().unwrap()).unwrap();
    let in_a_day = chrono::Utc::now() + chrono::TimeDelta::hours(24);
    assert!(resumes <= in_a_day && resumes > chrono::Utc::now() + chrono::TimeDelta::hours(23));
    assert_eq!(fake.requests().len(), 2);
}

#[tokio::test]
async fn listings_update_the_ledgers_stockx_listings_by_their_id() {
    let (db, _home, app, fake) = connected().await;
    let pairs = listed_pairs(&app, &db).await;

    let report = app.stockx_sync_listings(&settings(&fake)).await.unwrap();
    let rows: Vec<(String, String, Option<sqlx::types::Decimal>)> = sqlx::query_as(
        "select external_id, status, price from platforms.listings \
          where external_id is not null order by external_id",
    )
    .fetch_all(&mut db.connect().await)
    .await
    .unwrap();

    assert_eq!(pairs, 2);
    assert_eq!(report.fetched, 3);
    assert_eq!((report.matched, report.changed, report.unlinked), (2, 2, 1));
    assert_eq!(rows[0].1, "active");
    assert_eq!(rows[0].2.unwrap().to_string(), "145.00");
    assert_eq!(rows[1].1, "ended");
}

/// Two pairs listed on StockX at 150 with StockX's listing ids `…0001` (StockX says active at
/// 145) and `…0002` (StockX says canceled).
async fn listed_pairs(app: &App, db: &TestDb) -> usize {
    use soleflip_app::ledger::{PurchaseLineRequest, PurchaseRequest};
    let report = app
        .purchase_add(&PurchaseRequest {
            lines: vec![PurchaseLineRequest {
                sku: "DD1391-100".to_owned(),
                size: "US 9".to_owned(),
                price: "90".to_owned(),
                vat_rate: None,
                quantity: 2,
            }],
            ..PurchaseRequest::default()
        })
        .await
        .unwrap();
    let mut conn = db.connect().await;
    let pairs = &report.lines[0].pairs;
    for (i, pair) in pairs.iter().enumerate() {
        app.inventory_move(pair.id, "available", Some("arrived"))
            .await
            .unwrap();
        let listing = app
            .listing_add(pair.id, "stockx", "150", None)
            .await
            .unwrap()
            .listing;
        sqlx::query("update platforms.listings set external_id = $2 where id = $1")
            .bind(listing.id)
            .bind(format!("98e2e748-8000-45bf-a624-5531d6a6000{}", i + 1))
            .execute(&mut conn)
            .await
            .unwrap();
    }
    pairs.len()
}

#[tokio::test]
async fn the_catalog_sync_takes_sizes_from_stockxs_chart_with_gtins_and_variant_ids() {
    let (db, _home, app, fake) = connected().await;

    let by_sku = app
        .stockx_sync_catalog(&settings(&fake), &CatalogSource::Sku("dd1391-100".into()))
        .await
        .unwrap();
    let by_gtin = app
        .stockx_sync_catalog(
            &settings(&fake),
            &CatalogSource::Gtin("4066749950118".into()),
        )
        .await
        .unwrap();
    let again = app
        .stockx_sync_catalog(&settings(&fake), &CatalogSource::Sku("DD1391-100".into()))
        .await
        .unwrap();
    let mut conn = db.connect().await;
    let keys: Vec<String> = sqlx::query_scalar(
        "select v.size_key from products.variants v join products.products p on p.id = v.product_id \
          where p.stockx_product_id = 'bf364c53-eb77-4522-955c-6a6ce952cc6f' order by 1",
    )
    .fetch_all(&mut conn)
    .await
    .unwrap();

    assert_eq!(
        (by_sku.products, by_sku.products_created, by_sku.variants),
        (1, 1, 3)
    );
    assert_eq!(by_sku.variant_links, 3);
    assert_eq!(
        by_sku.gtin_links, 2,
        "the UPC and its EAN-13 are one GTIN-14"
    );
    assert_eq!(keys, ["EU 42.5", "EU 44.0", "EU 44.5"]);
    assert_eq!(
        (by_gtin.products, by_gtin.variants, by_gtin.gtin_links),
        (1, 1, 1)
    );
    assert_eq!(
        (
            again.products_created,
            again.variant_links,
            again.gtin_links
        ),
        (0, 0, 0)
    );
    assert_eq!(
        count(&mut conn, "select count(*) from products.variant_gtins where gtin = '00195237031481' and source = 'stockx'").await,
        1
    );
    assert_eq!(
        count(
            &mut conn,
            "select count(*) from products.variants where size_id is null"
        )
        .await,
        0,
        "every variant has the EU size row of StockX's chart"
    );
}

#[tokio::test]
async fn a_style_code_stockx_does_not_know_is_reported_not_found() {
    let (_db, _home, app, fake) = connected().await;

    let report = app
        .stockx_sync_catalog(&settings(&fake), &CatalogSource::Sku("ZZ9999-999".into()))
        .await
        .unwrap();

    assert!(report.complete);
    assert_eq!(report.not_found, ["ZZ9999-999"]);
}

#[tokio::test]
async fn market_prices_of_known_variants_are_two_series_through_the_one_upsert_path() {
    let (db, _home, app, fake) = connected().await;
    app.stockx_sync_catalog(&settings(&fake), &CatalogSource::Sku("DD1391-100".into()))
        .await
        .unwrap();

    let first = app.stockx_sync_prices(&settings(&fake)).await.unwrap();
    let again = app.stockx_sync_prices(&settings(&fake)).await.unwrap();
    let rows: Vec<(String, i32, bool, bool)> = sqlx::query_as(
        "select source_product_id, price_cents, in_stock, size_id is not null \
           from integration.price_sources where source_type = 'stockxapi' order by 1",
    )
    .fetch_all(&mut db.connect().await)
    .await
    .unwrap();

    assert!(first.complete);
    assert_eq!((first.products_fetched, first.variants), (1, 3));
    assert_eq!((first.quotes, first.no_quote), (3, 3));
    assert_eq!(first.rows.inserted, 3);
    assert_eq!(
        first.calls.requests, 1,
        "one request for all variants of a product"
    );
    assert_eq!(again.rows.inserted, 0);
    assert_eq!(
        again.rows.updated, 3,
        "the same quotes, observed again: their time moves on, their history does not"
    );
    assert_eq!(
        count(
            &mut db.connect().await,
            "select count(*) from integration.price_history"
        )
        .await,
        0
    );
    assert_eq!(
        rows,
        [
            (
                "0b6d1c86-2c0a-4e3f-9a1b-6f1f5b3c2d10:lowest_ask".to_owned(),
                13_350,
                true,
                true
            ),
            (
                "586c3334-4dac-4ee0-bce3-eea845581a08:highest_bid".to_owned(),
                10_400,
                true,
                true
            ),
            (
                "586c3334-4dac-4ee0-bce3-eea845581a08:lowest_ask".to_owned(),
                12_100,
                true,
                true
            ),
        ]
    );
}

#[tokio::test]
async fn a_series_stockx_stops_quoting_is_marked_out_of_stock_with_its_last_price() {
    let (db, _home, app, fake) = connected().await;
    app.stockx_sync_catalog(&settings(&fake), &CatalogSource::Sku("DD1391-100".into()))
        .await
        .unwrap();
    app.stockx_sync_prices(&settings(&fake)).await.unwrap();
    fake.set_market(
        "bf364c53-eb77-4522-955c-6a6ce952cc6f",
        "586c3334-4dac-4ee0-bce3-eea845581a08",
        None,
        Some("110"),
    );

    let second = app.stockx_sync_prices(&settings(&fake)).await.unwrap();
    let ask: (i32, bool) = sqlx::query_as(
        "select price_cents, in_stock from integration.price_sources \
          where source_product_id = '586c3334-4dac-4ee0-bce3-eea845581a08:lowest_ask'",
    )
    .fetch_one(&mut db.connect().await)
    .await
    .unwrap();

    assert_eq!(second.marked_out_of_stock, 1);
    assert_eq!(second.rows.updated, 3);
    assert_eq!(
        count(
            &mut db.connect().await,
            "select count(*) from integration.price_history"
        )
        .await,
        2,
        "the ask went out of stock, the bid changed"
    );
    assert_eq!(ask, (12_100, false));
}
