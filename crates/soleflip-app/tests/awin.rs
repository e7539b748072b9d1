//! AWIN feeds on real PostgreSQL: migration 8 on an adopted database holding feed rows, and
//! `import awin` / `import fx` with the hand-written fixtures in `tests/fixtures/awin/`.
#![expect(
    clippy::unwrap_used,
    reason = "helpers outside #[test] functions stop the test loudly"
)]

use soleflip_app::App;
use soleflip_db::migrate;
use soleflip_testkit::old_system_db;
use sqlx::postgres::PgConnection;

async fn exec(conn: &mut PgConnection, sql: &str) {
    sqlx::raw_sql(sql).execute(&mut *conn).await.unwrap();
}

async fn text(conn: &mut PgConnection, sql: &str) -> Option<String> {
    sqlx::query_scalar(sql).fetch_one(&mut *conn).await.unwrap()
}

async fn count(conn: &mut PgConnection, sql: &str) -> i64 {
    sqlx::query_scalar(sql).fetch_one(&mut *conn).await.unwrap()
}

/// Feed rows as the old system kept them: one offer under two aw_product_ids (the older with
/// a history row), a row without merchant_product_id, a valid UPC-A with a leading zero in
/// its EAN-13 form and an EAN with a wrong check digit.
const OLD_ROWS: &str = "
    insert into integration.awin_products
        (awin_product_id, merchant_product_id, merchant_id, product_name, ean,
         retail_price_cents, currency, in_stock, last_updated)
    values
        ('A1', '00123', 10, 'Dunk Low 42', '0193655458309', 11999, 'EUR', true,
         now() - interval '9 days'),
        ('A2', '00123', 10, 'Dunk Low 42', '0193655458309', 12999, 'EUR', true,
         now() - interval '1 day'),
        ('A3', null, 10, 'Samba 40', '4066746123453', 9995, null, null, null);
    insert into integration.awin_price_history (awin_product_id, price_cents, in_stock)
    values ('A1', 11999, true);
";

#[tokio::test]
async fn an_adopted_feed_table_is_rekeyed_with_duplicates_archived_and_history_kept() {
    // arrange
    let old = old_system_db().await;
    let mut conn = old.connect().await;
    exec(&mut conn, OLD_ROWS).await;
    App::on_server(old.target.clone())
        .db_adopt(false)
        .await
        .unwrap();

    // act
    migrate::migrate(&mut conn, None).await.unwrap();

    // assert
    let live = count(&mut conn, "select count(*) from integration.awin_products").await;
    assert_eq!(live, 2, "one row per (merchant_id, merchant_product_id)");
    let survivor = text(
        &mut conn,
        "select awin_product_id || ' ' || search_price::text || ' ' || gtin \
         from integration.awin_products where merchant_product_id = '00123'",
    )
    .await;
    assert_eq!(survivor.as_deref(), Some("A2 129.99 00193655458309"));
    let archived = text(
        &mut conn,
        "select string_agg(awin_product_id, ',') \
         from archive.integration_awin_products_superseded",
    )
    .await;
    assert_eq!(archived.as_deref(), Some("A1"));
    let history = text(
        &mut conn,
        "select p.awin_product_id || ' ' || h.price::text || ' ' || h.currency \
         from integration.awin_price_history h \
         join integration.awin_products p on p.id = h.product_id",
    )
    .await;
    assert_eq!(history.as_deref(), Some("A2 119.99 EUR"));
    let no_key = text(
        &mut conn,
        "select merchant_product_id || ' ' || coalesce(gtin, 'no gtin') || ' ' || ean || ' ' \
                || currency || ' ' || in_stock::text \
         from integration.awin_products where awin_product_id = 'A3'",
    )
    .await;
    assert_eq!(
        no_key.as_deref(),
        Some("A3 no gtin 4066746123453 EUR false")
    );
    let report = soleflip_db::verify::verify(&mut conn, &old.name)
        .await
        .unwrap();
    assert!(report.ok, "{:#?}", report.drift);
}
