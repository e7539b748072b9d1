//! AWIN feeds on real PostgreSQL: migration 9 on an adopted database holding feed rows, and
//! `import awin` / `import fx` with the hand-written fixtures in `tests/fixtures/awin/`.
#![expect(
    clippy::unwrap_used,
    reason = "helpers outside #[test] functions stop the test loudly"
)]

use std::io::Write as _;
use std::path::{Path, PathBuf};

use soleflip_app::awin::{AwinOptions, AwinReport};
use soleflip_app::App;
use soleflip_db::migrate;
use soleflip_testkit::{migrated_db, old_system_db, TestDb};
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

fn fixture(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures/awin")
        .join(name)
}

async fn fresh() -> (TestDb, App) {
    let db = migrated_db().await;
    let app = App::on_server(db.target.clone());
    (db, app)
}

async fn import(app: &App, path: &Path, full: bool) -> AwinReport {
    app.import_awin(
        path,
        AwinOptions {
            dry_run: false,
            full,
        },
        &mut |_| {},
    )
    .await
    .unwrap()
}

async fn import_err(app: &App, path: &Path) -> String {
    let e = app
        .import_awin(path, AwinOptions::default(), &mut |_| {})
        .await
        .unwrap_err();
    assert_eq!(
        soleflip_app::Coded::code(&e),
        soleflip_app::Code::InvalidInput
    );
    e.to_string()
}

/// merchant_product_id, gtin, price, in_stock, for every offer.
async fn offers(conn: &mut PgConnection) -> Vec<(String, Option<String>, String, bool)> {
    sqlx::query_as(
        "select merchant_product_id, gtin, search_price::text || ' ' || currency, in_stock \
         from integration.awin_products order by merchant_id, merchant_product_id",
    )
    .fetch_all(&mut *conn)
    .await
    .unwrap()
}

fn assert_first_import(r: &AwinReport) {
    assert_eq!(r.rows_read, 8);
    assert_eq!((r.new, r.changed, r.unchanged), (5, 0, 0));
    assert_eq!(r.rejected, 3, "{:#?}", r.rejects);
    let rejects: Vec<(u64, &str)> = r
        .rejects
        .iter()
        .map(|x| (x.line, x.field.as_str()))
        .collect();
    assert_eq!(
        rejects,
        [
            (6, "search_price"),
            (7, "merchant_id"),
            (3, "merchant_product_id")
        ]
    );
    assert!(r.rejects[0].reason.contains("`12,50` is not an amount"));
    assert!(r.rejects[2].reason.contains("line 9"));
    assert_eq!(r.gtins_refused, 1);
    assert_eq!(r.gtin_issues[0].line, 4);
    assert_eq!(r.gtin_issues[0].field, "ean");
    assert!(r.gtin_issues[0]
        .reason
        .contains("check digit 3, expected 4"));
    assert_eq!(r.history_rows, 0);
}

fn s(text: &str) -> String {
    text.to_string()
}

fn first_import_offers() -> Vec<(String, Option<String>, String, bool)> {
    vec![
        (s("00123"), Some(s("00193655458309")), s("119.99 EUR"), true),
        // line 9 wins over line 3
        (s("00124"), Some(s("04066746123454")), s("109.99 EUR"), true),
        // a bad check digit: imported without a GTIN
        (s("00125"), None, s("100.00 EUR"), true),
        (s("00126"), Some(s("04006381333931")), s("89.95 EUR"), false),
        // the UPC-A, as the first valid code
        (s("00129"), Some(s("00193655458309")), s("149.00 EUR"), true),
    ]
}

#[tokio::test]
async fn a_feed_is_imported_with_leading_zeros_kept_and_bad_rows_reported_by_line() {
    // arrange
    let (db, app) = fresh().await;

    // act
    let report = import(&app, &fixture("feed.csv"), false).await;

    // assert
    assert_first_import(&report);
    assert_eq!(report.delimiter.as_deref(), Some(","));
    assert!(!report.gzip);
    let mut conn = db.connect().await;
    assert_eq!(offers(&mut conn).await, first_import_offers());
    let name = text(
        &mut conn,
        "select product_name || ' | ' || size || ' | ' || upc from integration.awin_products \
         where merchant_product_id = '00129'",
    )
    .await;
    assert_eq!(
        name.as_deref(),
        Some("Air Max 1 \"Curry\", Herren 45 | 45 | 193655458309")
    );
}

#[tokio::test]
async fn a_semicolon_feed_and_a_gzipped_feed_read_as_the_comma_one() {
    // arrange
    let (db_semi, app_semi) = fresh().await;
    let (db_gz, app_gz) = fresh().await;
    let dir = tempfile::tempdir().unwrap();
    let gz = dir.path().join("feed.csv.gz");
    let mut encoder = flate2::write::GzEncoder::new(
        std::fs::File::create(&gz).unwrap(),
        flate2::Compression::default(),
    );
    encoder
        .write_all(&std::fs::read(fixture("feed.csv")).unwrap())
        .unwrap();
    encoder.finish().unwrap();

    // act
    let semi = import(&app_semi, &fixture("feed_semicolon.csv"), false).await;
    let gzip = import(&app_gz, &gz, false).await;

    // assert
    assert_eq!(semi.delimiter.as_deref(), Some(";"));
    assert_first_import(&semi);
    assert!(gzip.gzip);
    assert_first_import(&gzip);
    assert_eq!(
        offers(&mut db_semi.connect().await).await,
        first_import_offers()
    );
    assert_eq!(
        offers(&mut db_gz.connect().await).await,
        first_import_offers()
    );
}

#[tokio::test]
async fn an_unchanged_reimport_appends_no_history_and_one_changed_price_appends_one_row() {
    // arrange
    let (db, app) = fresh().await;
    import(&app, &fixture("feed.csv"), false).await;

    // act
    let again = import(&app, &fixture("feed.csv"), false).await;
    let changed = import(&app, &fixture("feed_one_price_changed.csv"), false).await;

    // assert
    assert_eq!((again.new, again.changed, again.unchanged), (0, 0, 5));
    assert_eq!(again.history_rows, 0);
    assert_eq!((changed.new, changed.changed, changed.unchanged), (0, 1, 4));
    assert_eq!(changed.history_rows, 1);
    let mut conn = db.connect().await;
    let history = text(
        &mut conn,
        "select string_agg(p.merchant_product_id || ' ' || h.previous_price::text || ' -> ' \
                || h.price::text || ' ' || h.currency || ' ' || (h.batch_id = $$batch$$::uuid)::text, '; ') \
         from integration.awin_price_history h \
         join integration.awin_products p on p.id = h.product_id"
            .replace("$$batch$$", &format!("'{}'", changed.batch_id.unwrap()))
            .as_str(),
    )
    .await;
    assert_eq!(history.as_deref(), Some("00123 119.99 -> 109.99 EUR true"));
}

#[tokio::test]
async fn a_full_feed_marks_the_merchants_absent_offers_out_of_stock_and_deletes_none() {
    // arrange
    let (db, app) = fresh().await;
    import(&app, &fixture("feed.csv"), false).await;
    let partial = fixture("feed_partial.csv");

    // act
    let without_full = import(&app, &partial, false).await;
    let full = import(&app, &partial, true).await;

    // assert
    assert_eq!(without_full.marked_out_of_stock, 0);
    assert_eq!(full.marked_out_of_stock, 2);
    assert_eq!(full.history_rows, 2, "one per offer whose stock changed");
    let mut conn = db.connect().await;
    let stock: Vec<(String, bool)> = offers(&mut conn)
        .await
        .into_iter()
        .map(|(id, _, _, in_stock)| (id, in_stock))
        .collect();
    assert_eq!(
        stock,
        [
            (s("00123"), true),
            (s("00124"), true),
            (s("00125"), false),
            (s("00126"), false),
            (s("00129"), false)
        ]
    );
}

#[tokio::test]
async fn a_dry_run_reports_and_writes_nothing() {
    // arrange
    let (db, app) = fresh().await;

    // act
    let report = app
        .import_awin(
            &fixture("feed.csv"),
            AwinOptions {
                dry_run: true,
                full: false,
            },
            &mut |_| {},
        )
        .await
        .unwrap();

    // assert
    assert_first_import(&report);
    assert_eq!(report.batch_id, None);
    let mut conn = db.connect().await;
    assert!(offers(&mut conn).await.is_empty());
    assert_eq!(
        count(&mut conn, "select count(*) from integration.import_batches").await,
        0
    );
}

#[tokio::test]
async fn the_enhanced_jsonl_feed_is_imported_with_its_meta_merchant_and_sale_price() {
    // arrange
    let (db, app) = fresh().await;

    // act
    let report = import(&app, &fixture("enhanced.jsonl"), false).await;

    // assert
    assert_eq!(report.format, "jsonl");
    assert_eq!((report.rows_read, report.new, report.rejected), (2, 2, 0));
    assert_eq!(report.gtins_refused, 1);
    assert_eq!(report.gtin_issues[0].line, 3);
    let mut conn = db.connect().await;
    let row = text(
        &mut conn,
        "select string_agg(merchant_id || ' ' || merchant_product_id || ' ' \
                || coalesce(gtin, '-') || ' ' || search_price || '/' || coalesce(rrp_price::text, '-') \
                || ' ' || in_stock || ' ' || size, '; ' order by merchant_product_id) \
         from integration.awin_products",
    )
    .await;
    assert_eq!(
        row.as_deref(),
        Some(
            "20 000451 04550455123459 129.95/160.00 true 44; \
             20 000452 - 160.00/- false 45"
        )
    );
}

#[tokio::test]
async fn input_that_is_not_a_feed_is_refused_naming_file_and_line_and_nothing_is_written() {
    // arrange
    let (db, app) = fresh().await;
    let dir = tempfile::tempdir().unwrap();
    let feed = std::fs::read_to_string(fixture("feed.csv")).unwrap();
    let missing = dir.path().join("missing.csv");
    std::fs::write(&missing, feed.replacen("search_price", "price", 1)).unwrap();
    let truncated = dir.path().join("truncated.csv");
    let cut = feed.lines().take(3).collect::<Vec<_>>().join("\n");
    std::fs::write(&truncated, format!("{}\n", &cut[..cut.len() - 40])).unwrap();
    let latin1 = dir.path().join("latin1.csv");
    let mut bytes = feed.into_bytes();
    let at = bytes
        .windows(4)
        .position(|w| w == "Weiß".as_bytes().get(..4).unwrap())
        .unwrap();
    bytes.splice(at + 3..at + 5, [0xdf]);
    std::fs::write(&latin1, bytes).unwrap();
    let gz = dir.path().join("cut.csv.gz");
    let mut encoder = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
    encoder
        .write_all(&std::fs::read(fixture("feed.csv")).unwrap())
        .unwrap();
    let whole = encoder.finish().unwrap();
    std::fs::write(&gz, &whole[..whole.len() / 2]).unwrap();

    // act
    let errors = [
        import_err(&app, &missing).await,
        import_err(&app, &truncated).await,
        import_err(&app, &latin1).await,
        import_err(&app, &gz).await,
    ];

    // assert
    assert!(
        errors[0].ends_with(
            "missing.csv line 1: required column `search_price` is missing from the header \
             (delimiter `,` detected)"
        ),
        "{}",
        errors[0]
    );
    assert!(
        errors[1].contains("truncated.csv line 3: "),
        "{}",
        errors[1]
    );
    assert!(
        errors[1].contains("where the header has 92"),
        "{}",
        errors[1]
    );
    assert!(errors[2].contains("latin1.csv line 2: "), "{}", errors[2]);
    assert!(errors[2].contains("not UTF-8"), "{}", errors[2]);
    assert!(errors[3].contains("cut.csv.gz"), "{}", errors[3]);
    assert!(errors[3].contains("truncated"), "{}", errors[3]);
    let mut conn = db.connect().await;
    assert!(offers(&mut conn).await.is_empty());
}

const ECB_DAILY: &str = "Date, USD, JPY, BGN, CHF, GBP, \n\
                         25 November 2026, 1.0412, 163.11, N/A, 0.9312, 0.8311, \n";

#[tokio::test]
async fn ecb_rates_are_stored_with_date_and_source_and_a_second_import_changes_nothing() {
    // arrange
    let (db, app) = fresh().await;
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("eurofxref.csv");
    std::fs::write(&file, ECB_DAILY).unwrap();

    // act
    let first = app.import_fx(&file).await.unwrap();
    let again = app.import_fx(&file).await.unwrap();

    // assert
    assert_eq!((first.rates_read, first.inserted, first.skipped), (4, 4, 1));
    assert_eq!(first.first_date.as_deref(), Some("2026-11-25"));
    assert_eq!((again.inserted, again.updated, again.unchanged), (0, 0, 4));
    let mut conn = db.connect().await;
    let usd = text(
        &mut conn,
        "select source || ' ' || rate_date || ' ' || base_currency || ' ' || rate::text \
         from core.fx_rates where currency = 'USD'",
    )
    .await;
    assert_eq!(usd.as_deref(), Some("ecb 2026-11-25 EUR 1.0412000000"));
}
