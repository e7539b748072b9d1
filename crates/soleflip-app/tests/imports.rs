//! The importers on real PostgreSQL, with hand-written fixtures in the real formats: a StockX
//! seller report (multi-line and quoted fields, `N/A`, compound and missing styles, apparel and
//! kids' sizes, the unreported minimum fee, ±0.01 rounding, a duplicate, an impossible date, a
//! negative price), an Alias export and a German purchase list. Sums equal the file's columns,
//! every order balances, re-imports add nothing, sales consume the oldest pair in stock, a
//! failure or a dry run leaves nothing, and no personal data is stored.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    reason = "test helpers stop the test loudly on a failed step"
)]

use std::path::{Path, PathBuf};
use std::str::FromStr;

use soleflip_app::imports::{AliasOptions, PriceUnit, Progress};
use soleflip_app::{code_of, App, Code};
use soleflip_testkit::{migrated_db, TestDb};
use sqlx::types::Decimal;
use sqlx::PgConnection;

fn app(db: &TestDb) -> App {
    App::on_server(db.target.clone())
}

fn fixture(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures/imports")
        .join(name)
}

fn d(s: &str) -> Decimal {
    Decimal::from_str(s).unwrap()
}

fn quiet(_: Progress) {}

async fn count(conn: &mut PgConnection, sql: &str) -> i64 {
    sqlx::query_scalar(sql).fetch_one(conn).await.unwrap()
}

/// Every row of every table of ours, as text, that contains `needle`.
async fn rows_containing(conn: &mut PgConnection, needle: &str) -> Vec<String> {
    let tables: Vec<String> = sqlx::query_scalar(
        "select format('%I.%I', table_schema, table_name) from information_schema.tables \
          where table_type = 'BASE TABLE' \
            and table_schema not in ('pg_catalog', 'information_schema')",
    )
    .fetch_all(&mut *conn)
    .await
    .unwrap();
    let mut found = Vec::new();
    for t in tables {
        let n: i64 = sqlx::query_scalar(&format!(
            "select count(*) from {t} x where x::text ilike '%' || $1 || '%'"
        ))
        .bind(needle)
        .fetch_one(&mut *conn)
        .await
        .unwrap();
        if n > 0 {
            found.push(t);
        }
    }
    found
}

async fn unbalanced_orders(conn: &mut PgConnection) -> i64 {
    count(
        conn,
        "select count(*) from transactions.orders o \
          where o.payout is not null and o.sale_price - o.payout <> \
                (select coalesce(sum(amount), 0) from transactions.order_fee_lines f \
                  where f.order_id = o.id)",
    )
    .await
}

#[tokio::test]
async fn a_stockx_report_imports_every_valid_line_and_its_sums_equal_the_file_columns() {
    let db = migrated_db().await;
    let report = app(&db)
        .import_stockx_sales(&fixture("stockx_sales.csv"), false, &quiet)
        .await
        .unwrap();

    assert_eq!(report.rows_read, 11);
    assert_eq!(
        (report.imported, report.already_present, report.rejected),
        (7, 0, 4)
    );
    let lines: Vec<i64> = report.rejected_lines.iter().map(|r| r.line).collect();
    assert_eq!(lines, [11, 15, 17, 19], "{:?}", report.rejected_lines);
    assert!(report.rejected_lines[0].reason.contains("no style code"));
    assert!(report.rejected_lines[1].reason.contains("also on line 2"));
    assert!(report.rejected_lines[2]
        .reason
        .starts_with("Sale Date: `2023-02-30"));
    assert!(report.rejected_lines[3]
        .reason
        .starts_with("Listing Price: -50"));
    // Sums of the seven accepted lines, by hand from the file's columns.
    let s = &report.imported_sums[0];
    assert_eq!(s.currency, "EUR");
    assert_eq!(s.orders, 7);
    assert_eq!(s.sale_price, d("809.00"));
    assert_eq!(s.transaction_fee, d("52.43"));
    assert_eq!(s.payment_processing, d("24.27"));
    assert_eq!(s.shipping, d("0.53"));
    assert_eq!(
        s.minimum_fee_topup,
        d("8.00"),
        "the unreported 2023 minimum seller fee"
    );
    assert_eq!(s.other, d("-0.01"), "one cent of rounding");
    assert_eq!(s.payout, d("723.78"));
    assert_eq!(report.pairs_created_cost_unknown, 7);
    assert_eq!(report.products_created, 6);

    let mut conn = db.connect().await;
    assert_eq!(unbalanced_orders(&mut conn).await, 0);
    assert_eq!(
        count(&mut conn, "select count(*) from transactions.order_fee_lines where kind = 'minimum_fee_topup' and source = 'derived' and schedule_row like 'stockx.csv:%'").await,
        1
    );
    assert_eq!(
        count(&mut conn, "select count(*) from integration.import_records").await,
        11
    );
    assert_eq!(
        count(&mut conn, "select count(*) from products.inventory where detailed_status = 'sale_completed' and cost_basis is null and purchase_price is null").await,
        7
    );
    for personal in [
        "Erika Example",
        "Beispielweg",
        "DE000000000",
        "Fiscal Example",
        "Self-billing",
    ] {
        assert_eq!(
            rows_containing(&mut conn, personal).await,
            Vec::<String>::new(),
            "{personal}"
        );
    }
}

#[tokio::test]
async fn importing_the_same_report_again_adds_nothing() {
    let db = migrated_db().await;
    let app = app(&db);
    app.import_stockx_sales(&fixture("stockx_sales.csv"), false, &quiet)
        .await
        .unwrap();
    let mut conn = db.connect().await;
    let before = count(&mut conn, "select count(*) from transactions.orders").await;

    let again = app
        .import_stockx_sales(&fixture("stockx_sales.csv"), false, &quiet)
        .await
        .unwrap();

    assert_eq!((again.imported, again.already_present), (0, 7));
    assert!(again.imported_sums.is_empty());
    assert_eq!(again.file_sums[0].sale_price, d("809.00"));
    assert_eq!(
        count(&mut conn, "select count(*) from transactions.orders").await,
        before
    );
    assert_eq!(
        count(&mut conn, "select count(*) from products.inventory").await,
        7
    );
}

#[tokio::test]
async fn a_dry_run_reports_everything_and_keeps_nothing() {
    let db = migrated_db().await;
    let report = app(&db)
        .import_stockx_sales(&fixture("stockx_sales.csv"), true, &quiet)
        .await
        .unwrap();
    assert!(report.dry_run);
    assert_eq!(report.imported, 7);
    let mut conn = db.connect().await;
    for table in [
        "transactions.orders",
        "products.inventory",
        "integration.import_batches",
        "integration.import_records",
    ] {
        assert_eq!(
            count(&mut conn, &format!("select count(*) from {table}")).await,
            0,
            "{table}"
        );
    }
}

#[tokio::test]
async fn a_sale_consumes_the_oldest_pair_in_stock_and_moves_it_to_sold() {
    let db = migrated_db().await;
    let app = app(&db);
    let bought = app
        .import_purchases(&fixture("purchases.csv"), false, &quiet)
        .await
        .unwrap();
    assert_eq!(bought.pairs_created, 4);

    let sold = app
        .import_stockx_sales(&fixture("stockx_sales.csv"), false, &quiet)
        .await
        .unwrap();

    // DD1391-100 US 10.5 (bought 1 March, sold 2 March), CW2288-111 EU 43 (sold 1 May) and
    // 1201A789-020 US 9 would match, but that pair was bought 12 April, after its sale on
    // 20 January: it stays in stock.
    assert_eq!(sold.pairs_matched, 2, "{sold:?}");
    assert_eq!(sold.pairs_created_cost_unknown, 5);
    let mut conn = db.connect().await;
    let states: Vec<(String, String)> = sqlx::query_as(
        "select p.sku::text, i.detailed_status::text from products.inventory i \
           join products.products p on p.id = i.product_id \
          where i.purchase_line_id is not null order by p.sku, i.id",
    )
    .fetch_all(&mut conn)
    .await
    .unwrap();
    let sold_pairs = states.iter().filter(|(_, s)| s == "sale_completed").count();
    assert_eq!(sold_pairs, 2, "{states:?}");
    let path: Vec<String> = sqlx::query_scalar(
        "select e.to_state::text from products.inventory_events e \
           join transactions.orders o on o.inventory_id = e.inventory_id \
          where o.order_number = '40000001-40000101' order by e.occurred_at, e.seq",
    )
    .fetch_all(&mut conn)
    .await
    .unwrap();
    assert_eq!(
        path,
        ["incoming", "need_shipping", "outgoing", "sale_completed"]
    );
    // Each move names the order and happened when the report says: shipped at the sale,
    // completed at the payout.
    let moves: Vec<(String, String, bool)> = sqlx::query_as(
        "select e.to_state::text, to_char(e.occurred_at, 'YYYY-MM-DD HH24:MI'), \
                e.order_id is not distinct from o.id \
           from products.inventory_events e \
           join transactions.orders o on o.inventory_id = e.inventory_id \
          where o.order_number = '40000001-40000101' and e.from_state is not null \
          order by e.occurred_at, e.seq",
    )
    .fetch_all(&mut conn)
    .await
    .unwrap();
    assert_eq!(
        moves,
        [
            (
                "need_shipping".to_owned(),
                "2024-03-02 10:15".to_owned(),
                true
            ),
            ("outgoing".to_owned(), "2024-03-02 10:15".to_owned(), true),
            (
                "sale_completed".to_owned(),
                "2024-03-06 08:00".to_owned(),
                true
            ),
        ]
    );
    // The pair that was sold is the older one of the two bought on the same line (the first).
    let orders_without_cost = count(
        &mut conn,
        "select count(*) from transactions.orders o join products.inventory i \
           on i.id = o.inventory_id where i.cost_basis is null",
    )
    .await;
    assert_eq!(orders_without_cost, 5);
    let pnl = app
        .report_pnl(None, None, soleflip_app::ledger::PnlBy::All)
        .await
        .unwrap();
    assert_eq!(
        pnl.rows[0].orders_without_cost, 5,
        "unknown costs are shown apart"
    );
}

#[tokio::test]
async fn a_failure_in_the_middle_of_the_merge_leaves_nothing_behind() {
    let db = migrated_db().await;
    let mut conn = db.connect().await;
    // A check that one fee line of the file breaks, after its orders were written.
    sqlx::raw_sql(
        "alter table transactions.order_fee_lines add constraint boom check (amount <> 6.93)",
    )
    .execute(&mut conn)
    .await
    .unwrap();

    let err = app(&db)
        .import_stockx_sales(&fixture("stockx_sales.csv"), false, &quiet)
        .await
        .unwrap_err();

    assert!(err.to_string().contains("boom"), "{err}");
    for table in [
        "transactions.orders",
        "products.products",
        "products.inventory",
        "integration.import_batches",
    ] {
        assert_eq!(
            count(&mut conn, &format!("select count(*) from {table}")).await,
            0,
            "{table}"
        );
    }
}

#[tokio::test]
async fn a_truncated_last_line_is_refused_with_its_line_number_and_the_rest_imported() {
    let db = migrated_db().await;
    let text = std::fs::read_to_string(fixture("stockx_sales.csv")).unwrap();
    let cut = &text[..text.len() - 400];
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("cut.csv");
    std::fs::write(&file, cut).unwrap();

    let report = app(&db)
        .import_stockx_sales(&file, false, &quiet)
        .await
        .unwrap();

    let last = report.rejected_lines.last().unwrap();
    assert_eq!(last.line, 23);
    assert!(last.reason.contains("truncated"), "{}", last.reason);
    assert_eq!(report.imported, 6);
}

#[tokio::test]
async fn a_file_in_another_encoding_or_without_a_column_is_refused_in_one_line() {
    let db = migrated_db().await;
    let dir = tempfile::tempdir().unwrap();
    let mut bytes = std::fs::read(fixture("stockx_sales.csv")).unwrap();
    let at = bytes.iter().position(|b| *b == b'\n').unwrap() + 20;
    bytes[at] = 0xe9; // a Latin-1 é
    let latin = dir.path().join("latin1.csv");
    std::fs::write(&latin, &bytes).unwrap();
    let no_style = dir.path().join("no_order.csv");
    std::fs::write(&no_style, "Item,Sku Size,Style\nA,10,DD1391-100\n").unwrap();

    let app = app(&db);
    let e1 = app
        .import_stockx_sales(&latin, false, &quiet)
        .await
        .unwrap_err();
    let e2 = app
        .import_stockx_sales(&no_style, false, &quiet)
        .await
        .unwrap_err();

    assert_eq!(code_of(&e1), Code::InvalidInput);
    assert!(e1.to_string().contains("line 2: not UTF-8"), "{e1}");
    assert!(
        e2.to_string()
            .contains("the column `Order Number` is missing"),
        "{e2}"
    );
    assert!(!e2.to_string().contains('\n'));
}

#[tokio::test]
async fn an_alias_export_in_whole_dollars_is_read_as_dollars_with_fees_from_the_schedule() {
    let db = migrated_db().await;
    let options = AliasOptions {
        region: Some("DE".to_owned()),
        ..AliasOptions::default()
    };
    let report = app(&db)
        .import_alias_sales(&fixture("alias_sales.csv"), &options, false, &quiet)
        .await
        .unwrap();

    assert_eq!((report.imported, report.rejected), (3, 1));
    assert_eq!(report.rejected_lines[0].line, 5);
    assert!(
        report.notes[0].contains("whole US dollars"),
        "{:?}",
        report.notes
    );
    let s = &report.imported_sums[0];
    assert_eq!(s.currency, "USD");
    assert_eq!(s.sale_price, d("550"));
    // 180 and 120 USD in June 2024: 9.5 % commission, the DE seller fee of 12 USD, then 2.9 %
    // cash-out of the rest; the 2023 sale predates the schedule and has no payout.
    let expected = |p: &str| {
        let p = d(p);
        let commission = (p * d("0.095")).round_dp(2);
        let rest = p - commission - d("12");
        let cash_out = (rest * d("0.029")).round_dp(2);
        rest - cash_out
    };
    assert_eq!(s.payout, expected("180") + expected("120"));
    assert!(report.notes.iter().any(|n| n.contains("1 sales predate")));
    let mut conn = db.connect().await;
    assert_eq!(unbalanced_orders(&mut conn).await, 0);
    assert_eq!(
        rows_containing(&mut conn, "example_seller").await,
        Vec::<String>::new()
    );
    assert_eq!(
        count(
            &mut conn,
            "select count(*) from products.products where sku = 'DM7866-200'"
        )
        .await,
        1
    );
}

#[tokio::test]
async fn an_alias_price_column_that_could_be_cents_or_dollars_is_refused_until_the_user_says() {
    let db = migrated_db().await;
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("alias.csv");
    std::fs::write(
        &file,
        "USERNAME,ORDER_NUMBER,SKU,SIZE,NAME,PRODUCT_PRICE_CENTS_SALE_PRICE,CREDIT_DATE,PURCHASED_DATE\n\
         someone,B-1,DD1391 100,10,Dunk,2000,24/6/24,20/6/24\n",
    )
    .unwrap();
    let app = app(&db);
    let mut options = AliasOptions {
        region: Some("DE".to_owned()),
        ..AliasOptions::default()
    };

    let err = app
        .import_alias_sales(&file, &options, false, &quiet)
        .await
        .unwrap_err();
    assert!(err.to_string().contains("cents or dollars"), "{err}");
    options.price_unit = Some(PriceUnit::Cents);
    let report = app
        .import_alias_sales(&file, &options, false, &quiet)
        .await
        .unwrap();
    assert_eq!(report.imported_sums[0].sale_price, d("20.00"));
    options.region = None;
    let err = app
        .import_alias_sales(&file, &options, false, &quiet)
        .await
        .unwrap_err();
    assert!(err.to_string().starts_with("region:"), "{err}");
}

#[tokio::test]
async fn a_german_purchase_list_imports_its_invoices_once() {
    let db = migrated_db().await;
    let app = app(&db);
    let report = app
        .import_purchases(&fixture("purchases.csv"), false, &quiet)
        .await
        .unwrap();

    assert_eq!(report.rows_read, 4);
    assert_eq!((report.imported, report.rejected), (3, 1));
    assert_eq!(report.invoices_imported, 2);
    assert_eq!(report.pairs_created, 4);
    assert_eq!(report.rejected_lines[0].line, 5);
    assert!(report.rejected_lines[0]
        .reason
        .starts_with("date: `31.02.2024`"));
    let eur = &report.sums[0];
    // 2 × 100 + 80 net with 19 % VAT; 70 gross without VAT
    assert_eq!(eur.net, d("350.00"));
    assert_eq!(eur.vat, d("53.20"));
    assert_eq!(eur.gross, d("403.20"));

    let again = app
        .import_purchases(&fixture("purchases.csv"), false, &quiet)
        .await
        .unwrap();
    assert_eq!((again.imported, again.already_present), (0, 3));
    let mut conn = db.connect().await;
    assert_eq!(
        count(&mut conn, "select count(*) from products.inventory").await,
        4
    );
}

#[tokio::test]
async fn adopted_orders_keep_their_order_number_as_the_natural_key_unless_it_is_ambiguous() {
    let old = soleflip_testkit::old_system_db().await;
    let mut conn = old.connect().await;
    soleflip_testkit::fill_every_table(&mut conn).await;
    sqlx::raw_sql(
        "insert into transactions.orders (listing_id, platform_id, stockx_order_number, \
                                          sale_price, sold_at, notes) \
         select o.listing_id, o.platform_id, v.number, 100, now(), v.note \
         from (select listing_id, platform_id from transactions.orders limit 1) o, \
              (values ('11111111-22222222', 'twice a'), ('11111111-22222222', 'twice b'), \
                      ('33333333-44444444', 'once')) v(number, note)",
    )
    .execute(&mut conn)
    .await
    .unwrap();
    let app = app(&old);

    app.db_adopt(false).await.unwrap();
    app.db_migrate(None).await.unwrap();

    let keys: Vec<(String, Option<String>)> = sqlx::query_as(
        "select notes, order_number::text from transactions.orders \
          where notes in ('twice a', 'twice b', 'once') order by notes",
    )
    .fetch_all(&mut conn)
    .await
    .unwrap();
    assert_eq!(
        keys,
        [
            ("once".to_owned(), Some("33333333-44444444".to_owned())),
            ("twice a".to_owned(), None),
            ("twice b".to_owned(), None),
        ]
    );
}

#[tokio::test]
async fn the_per_row_trigger_path_imports_exactly_what_the_bulk_path_does() {
    let bulk_db = migrated_db().await;
    let rows_db = migrated_db().await;
    let bulk = app(&bulk_db)
        .import_stockx_sales(&fixture("stockx_sales.csv"), false, &quiet)
        .await
        .unwrap();
    // Both paths are correct, so another test running meanwhile may take either.
    std::env::set_var("SOLEFLIP_IMPORT_TRIGGERS", "on");
    let rows = app(&rows_db)
        .import_stockx_sales(&fixture("stockx_sales.csv"), false, &quiet)
        .await;
    std::env::remove_var("SOLEFLIP_IMPORT_TRIGGERS");
    let rows = rows.unwrap();

    assert_eq!(rows.imported_sums, bulk.imported_sums);
    for db in [&bulk_db, &rows_db] {
        let mut conn = db.connect().await;
        assert_eq!(unbalanced_orders(&mut conn).await, 0);
        let events: Vec<(String, String)> = sqlx::query_as(
            "select to_state::text, to_char(occurred_at, 'YYYY-MM-DD HH24:MI') \
               from products.inventory_events order by occurred_at",
        )
        .fetch_all(&mut conn)
        .await
        .unwrap();
        assert_eq!(events.len(), 7);
        assert_eq!(
            events[0],
            ("sale_completed".to_owned(), "2023-05-10 18:30".to_owned())
        );
    }
}
