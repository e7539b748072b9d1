//! The ledger's use cases on real PostgreSQL: purchases with shared shipping, the lifecycle,
//! listings, sales with fee lines, P&L on a hand-built ledger, bad input writing nothing, fee
//! quotes against the published examples, and adopted data mapped into the lifecycle.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    reason = "test helpers stop the test loudly on a failed step"
)]

use std::str::FromStr;

use chrono::NaiveDate;
use soleflip_app::ledger::{
    fees_quote, LedgerError, PnlBy, PurchaseLineRequest, PurchaseRequest, SaleRequest,
};
use soleflip_app::{code_of, App, Code};
use soleflip_testkit::{fill_every_table, migrated_db, old_system_db, TestDb};
use sqlx::types::{Decimal, Uuid};
use sqlx::PgConnection;

fn app(db: &TestDb) -> App {
    App::on_server(db.target.clone())
}

fn d(s: &str) -> Decimal {
    Decimal::from_str(s).unwrap()
}

fn date(s: &str) -> NaiveDate {
    NaiveDate::from_str(s).unwrap()
}

fn line(sku: &str, size: &str, price: &str, qty: u32) -> PurchaseLineRequest {
    PurchaseLineRequest {
        sku: sku.to_owned(),
        size: size.to_owned(),
        price: price.to_owned(),
        vat_rate: None,
        quantity: qty,
    }
}

/// One pair bought on `day` for `price` EUR (no VAT, no shipping), moved to available.
async fn bought(app: &App, sku: &str, size: &str, price: &str, day: &str) -> Uuid {
    let report = app
        .purchase_add(&PurchaseRequest {
            date: Some(date(day)),
            lines: vec![line(sku, size, price, 1)],
            ..PurchaseRequest::default()
        })
        .await
        .unwrap();
    let id = report.lines[0].pairs[0].id;
    app.inventory_move(id, "available", Some("arrived"))
        .await
        .unwrap();
    id
}

async fn count(conn: &mut PgConnection, table: &str) -> i64 {
    sqlx::query_scalar(&format!("select count(*) from {table}"))
        .fetch_one(conn)
        .await
        .unwrap()
}

#[tokio::test]
async fn a_purchase_with_several_lines_shares_shipping_by_cost_and_makes_one_pair_per_unit() {
    let db = migrated_db().await;
    let app = app(&db);
    let mut with_vat = line("DD1391-100", "US 10", "100.00", 2);
    with_vat.vat_rate = Some("19".to_owned());
    let mut second = line("GW2871", "US 9", "50.00", 1);
    second.vat_rate = Some("19".to_owned());

    let report = app
        .purchase_add(&PurchaseRequest {
            supplier: Some("Solebox".to_owned()),
            invoice: Some("INV-1".to_owned()),
            date: Some(date("2025-01-10")),
            currency: Some("EUR".to_owned()),
            shipping: Some("10.01".to_owned()),
            discount: None,
            lines: vec![with_vat, second],
        })
        .await
        .unwrap();

    // Regular VAT: the bases are the unit nets 100, 100, 50 (sum 250). Shipping 10.01 is
    // 1001 cents: exact shares 400.4, 400.4, 200.2 cents; rounded down 400 + 400 + 200 = 1000,
    // the cent left goes to the largest remainder (a tie of .4: the first pair).
    assert_eq!(report.vat_treatment, "regular");
    let costs: Vec<Vec<Decimal>> = report
        .lines
        .iter()
        .map(|l| l.pairs.iter().map(|p| p.cost_basis).collect())
        .collect();
    assert_eq!(costs, [vec![d("104.01"), d("104.00")], vec![d("52.00")]]);
    assert_eq!(report.total_cost, d("260.01"));
    // VAT 19 % of 100.00 = 19.00 a pair; of 50.00 = 9.50
    let totals: Vec<(Decimal, Decimal, Decimal)> = report
        .lines
        .iter()
        .map(|l| (l.net, l.vat, l.gross))
        .collect();
    assert_eq!(
        totals,
        [
            (d("200.00"), d("38.00"), d("238.00")),
            (d("50.00"), d("9.50"), d("59.50"))
        ]
    );
    assert!(report.lines.iter().all(|l| l.product_created));
    let mut conn = db.connect().await;
    let brands: Vec<(String, String)> = sqlx::query_as(
        "select p.sku::text, b.slug::text from products.products p \
         join core.brands b on b.id = p.brand_id order by 1",
    )
    .fetch_all(&mut conn)
    .await
    .unwrap();
    assert_eq!(
        brands,
        [
            ("DD1391-100".to_owned(), "nike".to_owned()),
            ("GW2871".to_owned(), "adidas".to_owned())
        ]
    );
    let list = app
        .inventory_list(Some("incoming"), None, None, 100)
        .await
        .unwrap();
    assert_eq!(list.pairs.len(), 3);
    let shown = app
        .inventory_show(report.lines[0].pairs[0].id)
        .await
        .unwrap();
    assert_eq!(shown.events.len(), 1);
    assert_eq!(
        shown.events[0].reason.as_deref(),
        Some("bought on invoice INV-1")
    );
    assert_eq!(shown.events[0].at, "2025-01-10T00:00:00Z");
}

#[tokio::test]
async fn bad_input_names_its_field_is_invalid_input_and_writes_nothing() {
    let db = migrated_db().await;
    let app = app(&db);
    let pair = bought(&app, "DD1391-100", "US 10", "100.00", "2025-01-10").await;
    let mut conn = db.connect().await;
    let tables = [
        "products.products",
        "products.sizes",
        "products.inventory",
        "products.inventory_events",
        "transactions.purchases",
        "transactions.orders",
    ];
    let mut before = Vec::new();
    for t in tables {
        before.push(count(&mut conn, t).await);
    }
    let purchase = |sku: &str, size: &str, price: &str, currency: &str| PurchaseRequest {
        currency: Some(currency.to_owned()),
        // the second line is good: it must not be written either
        lines: vec![
            line("DD1391-100", "US 11", "90", 1),
            line(sku, size, price, 1),
        ],
        ..PurchaseRequest::default()
    };

    let errors: Vec<LedgerError> = vec![
        app.purchase_add(&purchase("not a sku", "US 10", "100", "EUR"))
            .await
            .unwrap_err(),
        app.purchase_add(&purchase("GW2871", "banana", "100", "EUR"))
            .await
            .unwrap_err(),
        app.purchase_add(&purchase("GW2871", "US 9", "-5", "EUR"))
            .await
            .unwrap_err(),
        app.purchase_add(&purchase("GW2871", "US 9", "100", "EURO"))
            .await
            .unwrap_err(),
        app.inventory_move(pair, "sale_completed", None)
            .await
            .unwrap_err(),
        app.sale_record(&SaleRequest {
            pair,
            platform: "stockx".to_owned(),
            price: "-120".to_owned(),
            level: Some("1".to_owned()),
            ..SaleRequest::default()
        })
        .await
        .unwrap_err(),
    ];

    let messages: Vec<String> = errors.iter().map(ToString::to_string).collect();
    for e in &errors {
        assert_eq!(code_of(e), Code::InvalidInput, "{e}");
    }
    let fields: Vec<&str> = messages
        .iter()
        .map(|m| m.split(':').next().unwrap())
        .collect();
    assert_eq!(
        fields,
        [
            "line 2 sku",
            "line 2 size",
            "line 2 price",
            "currency",
            "inventory state",
            "price"
        ],
        "{messages:#?}"
    );
    assert!(
        messages[4]
            .ends_with("from available the allowed next states are consigned, need_shipping"),
        "{}",
        messages[4]
    );
    let mut after = Vec::new();
    for t in tables {
        after.push(count(&mut conn, t).await);
    }
    assert_eq!(after, before, "nothing written");
}

#[tokio::test]
async fn the_profit_and_loss_of_a_hand_built_ledger_is_what_the_hand_computes() {
    let db = migrated_db().await;
    let app = app(&db);
    let a = bought(&app, "DD1391-100", "US 10", "100.00", "2025-01-10").await;
    let b = bought(&app, "GW2871", "US 9", "80.00", "2025-01-20").await;
    let _c = bought(&app, "M990GL6", "US 10", "150.00", "2025-02-01").await;

    // A on StockX level 1, EU: 120.00 - 10.80 (9 %) - 3.60 (3 %) = 105.60, on 9 Feb (30 days).
    let sold_a = app
        .sale_record(&SaleRequest {
            pair: a,
            platform: "stockx".to_owned(),
            price: "120.00".to_owned(),
            level: Some("1".to_owned()),
            date: Some(date("2025-02-09")),
            ..SaleRequest::default()
        })
        .await
        .unwrap();
    // B by hand for 100.00, paid 95.00: no fees in the schedule, so a derived 5.00 (40 days).
    let sold_b = app
        .sale_record(&SaleRequest {
            pair: b,
            platform: "manual".to_owned(),
            price: "100.00".to_owned(),
            payout: Some("95.00".to_owned()),
            date: Some(date("2025-03-01")),
            ..SaleRequest::default()
        })
        .await
        .unwrap();

    assert_eq!(sold_a.payout, d("105.60"));
    assert!(!sold_a.flagged);
    assert!(sold_b.flagged);
    assert_eq!(
        sold_b
            .lines
            .iter()
            .map(|l| (l.kind.as_str(), l.amount, l.source))
            .collect::<Vec<_>>(),
        [("other", d("5.00"), "derived")]
    );

    let all = app.report_pnl(None, None, PnlBy::All).await.unwrap();
    assert_eq!(all.rows.len(), 1);
    let r = &all.rows[0];
    assert_eq!((r.orders, r.revenue), (2, d("220.00")));
    assert_eq!(
        (r.fee_transaction, r.fee_payment_processing, r.fee_other),
        (d("10.80"), d("3.60"), d("5.00"))
    );
    // payouts 105.60 + 95.00; cost 100 + 80; profit 5.60 + 15.00 = 20.60;
    // ROI 20.60 / 180 = 11.444 %; days to sell (30 + 40) / 2 = 35
    assert_eq!(r.payouts, d("200.60"));
    assert_eq!(r.cogs, d("180.00"));
    assert_eq!(r.gross_profit, d("20.60"));
    assert_eq!(r.roi_pct, Some(d("11.44")));
    assert_eq!(r.avg_days_to_sell, Some(d("35.0")));

    let by_month = app.report_pnl(None, None, PnlBy::Month).await.unwrap();
    let months: Vec<(&str, Decimal)> = by_month
        .rows
        .iter()
        .map(|r| (r.group.as_str(), r.gross_profit))
        .collect();
    assert_eq!(months, [("2025-02", d("5.60")), ("2025-03", d("15.00"))]);
    let february = app
        .report_pnl(
            Some(date("2025-02-01")),
            Some(date("2025-02-28")),
            PnlBy::Platform,
        )
        .await
        .unwrap();
    let platforms: Vec<(&str, i64)> = february
        .rows
        .iter()
        .map(|r| (r.group.as_str(), r.orders))
        .collect();
    assert_eq!(platforms, [("stockx", 1)]);

    let stock = app.report_stock().await.unwrap();
    let rows: Vec<(&str, &str, i64, Decimal)> = stock
        .rows
        .iter()
        .map(|r| (r.state.as_str(), r.age_band.as_str(), r.pairs, r.capital))
        .collect();
    assert_eq!(rows, [("available", "90+", 1, d("150.00"))]);
    assert_eq!(stock.oldest.len(), 1);
}

#[tokio::test]
async fn a_sale_marks_its_listing_sold_ends_the_others_and_the_pair_cannot_go_back() {
    let db = migrated_db().await;
    let app = app(&db);
    let pair = bought(&app, "DD1391-100", "US 10", "100.00", "2025-01-10").await;
    let on_stockx = app
        .listing_add(pair, "stockx", "140", None)
        .await
        .unwrap()
        .listing;
    let on_alias = app
        .listing_add(pair, "alias", "135", None)
        .await
        .unwrap()
        .listing;
    let twice = app
        .listing_add(pair, "stockx", "150", None)
        .await
        .unwrap_err();

    let sale = app
        .sale_record(&SaleRequest {
            pair,
            platform: "stockx".to_owned(),
            price: "140".to_owned(),
            fees: vec![("transaction_fee".to_owned(), "12.60".to_owned())],
            level: Some("1".to_owned()),
            ..SaleRequest::default()
        })
        .await
        .unwrap();
    let back = app
        .inventory_move(pair, "available", None)
        .await
        .unwrap_err();

    assert_eq!(code_of(&twice), Code::Conflict);
    assert_eq!(sale.listing_sold, Some(on_stockx.id));
    assert_eq!(sale.listings_ended, 1);
    // the reported fee stays; the processing fee comes from the schedule: 3 % of 140 = 4.20
    let lines: Vec<(&str, Decimal, &str)> = sale
        .lines
        .iter()
        .map(|l| (l.kind.as_str(), l.amount, l.source))
        .collect();
    assert_eq!(
        lines,
        [
            ("transaction_fee", d("12.60"), "reported"),
            ("payment_processing", d("4.20"), "schedule")
        ]
    );
    assert_eq!(sale.payout, d("123.20"));
    let shown = app.inventory_show(pair).await.unwrap();
    let statuses: Vec<(Uuid, &str)> = shown
        .listings
        .iter()
        .map(|l| (l.id, l.status.as_str()))
        .collect();
    assert!(statuses.contains(&(on_stockx.id, "sold")));
    assert!(statuses.contains(&(on_alias.id, "ended")));
    assert_eq!(shown.pair.state.as_deref(), Some("need_shipping"));
    assert_eq!(shown.events.last().unwrap().order_id, Some(sale.order_id));
    assert_eq!(code_of(&back), Code::InvalidInput);
    assert!(
        back.to_string().contains(
            "need_shipping -> available is not allowed; from need_shipping the allowed next \
             states are packed, outgoing, cancelled"
        ),
        "{back}"
    );

    app.inventory_move(pair, "outgoing", None).await.unwrap();
    let done = app
        .inventory_move(pair, "sale_completed", Some("paid out"))
        .await
        .unwrap();
    assert_eq!(done.order_status, Some("completed"));
}

#[test]
fn fee_quotes_give_the_published_worked_examples() {
    let q = |platform: &str, level: Option<&str>, price: &str, currency: &str, day: &str| {
        fees_quote(platform, level, price, currency, Some(date(day)), None)
            .unwrap()
            .payout
            .to_string()
    };
    // docs/fees.md, computed by hand there from DOMAIN.md section 2
    assert_eq!(
        q("stockx", Some("1"), "120", "EUR", "2025-03-01"),
        "105.60 EUR"
    );
    assert_eq!(
        q("stockx", Some("1"), "40", "EUR", "2025-03-01"),
        "33.80 EUR"
    );
    assert_eq!(q("ebay", None, "150", "USD", "2025-03-01"), "138.00 USD");
    assert_eq!(q("restocks", None, "100", "EUR", "2025-03-01"), "91.00 EUR");
    assert_eq!(
        q("goat", Some("90-100"), "200", "USD", "2020-11-01"),
        "170.90 USD"
    );
    let refused = fees_quote("stockx", Some("1"), "120", "EUROS", None, None).unwrap_err();
    assert_eq!(code_of(&refused), Code::InvalidInput);
    assert!(refused.to_string().starts_with("currency"), "{refused}");
}

/// (notes, state, the event's legacy_status, the event's to_state, its reason)
type FirstEvent = (
    String,
    Option<String>,
    Option<String>,
    Option<String>,
    String,
);

#[tokio::test]
async fn adopted_pairs_are_mapped_into_the_lifecycle_and_keep_their_old_status_text() {
    let old = old_system_db().await;
    let mut conn = old.connect().await;
    fill_every_table(&mut conn).await;
    sqlx::raw_sql(
        "insert into products.inventory (product_id, size_id, quantity, status, detailed_status,
                 notes, listed_stockx, purchase_date)
         select p.id, s.id, 1, v.status, v.detailed::products.inventory_status, v.note, v.listed,
                '2024-05-01 00:00+00'
         from (select id from products.products order by 1 limit 1) p,
              (select id from products.sizes order by 1 limit 1) s,
              (values ('in_stock', null, 'a', false),
                      ('Listed-StockX', null, 'b', false),
                      ('sold', null, 'c', false),
                      ('presale', null, 'd', false),
                      ('sold', 'consigned', 'e', false),
                      ('reserved', null, 'f', true),
                      ('in_stock', null, 'g', true)) v(status, detailed, note, listed)",
    )
    .execute(&mut conn)
    .await
    .unwrap();
    let pairs_before = count(&mut conn, "products.inventory").await;
    let app = app(&old);

    app.db_adopt(false).await.unwrap();
    app.db_migrate(None).await.unwrap();

    let rows: Vec<FirstEvent> = sqlx::query_as(
        "select i.notes, i.detailed_status::text, e.legacy_status, e.to_state::text, e.reason
             from products.inventory i
             join products.inventory_events e on e.inventory_id = i.id
             where i.notes in ('a', 'b', 'c', 'd', 'e', 'f', 'g') order by i.notes",
    )
    .fetch_all(&mut conn)
    .await
    .unwrap();
    let s = |v: &str| Some(v.to_owned());
    let expected = [
        (
            "a",
            s("available"),
            s("in_stock"),
            "adopted: state from the status text",
        ),
        (
            "b",
            s("available"),
            s("Listed-StockX"),
            "adopted: state from the status text",
        ),
        (
            "c",
            s("sale_completed"),
            s("sold"),
            "adopted: state from the status text",
        ),
        (
            "d",
            s("incoming"),
            s("presale"),
            "adopted: state from the status text",
        ),
        (
            "e",
            s("consigned"),
            s("sold"),
            "adopted: state from detailed_status",
        ),
        (
            "f",
            None,
            s("reserved"),
            "adopted: the status text has no mapping; state unknown",
        ),
        (
            "g",
            s("available"),
            s("in_stock"),
            "adopted: state from the status text",
        ),
    ];
    assert_eq!(rows.len(), expected.len(), "one first event per pair");
    for (row, (note, state, legacy, reason)) in rows.iter().zip(expected) {
        assert_eq!(row.0, note);
        assert_eq!(row.1, state, "{note}");
        assert_eq!(row.2, legacy, "{note}: the original text is kept");
        assert_eq!(row.3, state, "{note}: the event enters the state");
        assert_eq!(row.4, reason, "{note}");
    }
    assert_eq!(count(&mut conn, "products.inventory").await, pairs_before);
    let listed: Vec<String> = sqlx::query_scalar(
        "select i.notes from platforms.listings l join products.inventory i \
         on i.id = l.inventory_id join core.platforms p on p.id = l.platform_id \
         where p.slug = 'stockx' order by 1",
    )
    .fetch_all(&mut conn)
    .await
    .unwrap();
    assert_eq!(
        listed,
        ["b", "g"],
        "listed on StockX and in a listable state"
    );
    let unknown = app
        .inventory_list(Some("unknown"), None, None, 100)
        .await
        .unwrap();
    assert!(unknown.pairs.iter().any(|p| p.state.is_none()));
    let report = app.db_verify().await.unwrap();
    assert!(report.ok, "{:#?}", report.drift);
}

#[tokio::test]
async fn a_pair_sold_in_another_currency_than_it_was_bought_in_is_counted_without_a_cost() {
    let db = migrated_db().await;
    let app = app(&db);
    let pair = bought(&app, "DD1391-100", "US 10", "100.00", "2025-01-10").await;

    app.sale_record(&SaleRequest {
        pair,
        platform: "manual".to_owned(),
        price: "150.00".to_owned(),
        currency: Some("USD".to_owned()),
        date: Some(date("2025-02-01")),
        ..SaleRequest::default()
    })
    .await
    .unwrap();
    let pnl = app.report_pnl(None, None, PnlBy::All).await.unwrap();

    let r = &pnl.rows[0];
    assert_eq!(r.currency, "USD");
    assert_eq!(
        (r.payouts, r.cogs, r.gross_profit, r.orders_without_cost),
        (d("150.00"), d("0"), d("0"), 1),
        "100.00 EUR is not subtracted from 150.00 USD"
    );
    assert_eq!(r.roi_pct, None);
}

#[tokio::test]
async fn a_reported_minimum_seller_fee_is_not_topped_up_again_by_the_schedule() {
    let db = migrated_db().await;
    let app = app(&db);
    let pair = bought(&app, "DD1391-100", "US 10", "20.00", "2025-01-10").await;

    // StockX EU 2025, 40.00: the report shows a seller fee of 5.00 (the minimum) and no top-up;
    // the schedule adds only the 3 % processing (1.20): payout 40.00 - 5.00 - 1.20 = 33.80.
    let sale = app
        .sale_record(&SaleRequest {
            pair,
            platform: "stockx".to_owned(),
            price: "40.00".to_owned(),
            fees: vec![("transaction_fee".to_owned(), "5.00".to_owned())],
            level: Some("1".to_owned()),
            date: Some(date("2025-03-01")),
            ..SaleRequest::default()
        })
        .await
        .unwrap();

    let kinds: Vec<&str> = sale.lines.iter().map(|l| l.kind.as_str()).collect();
    assert_eq!(kinds, ["transaction_fee", "payment_processing"]);
    assert_eq!(sale.payout, d("33.80"));
}

#[tokio::test]
async fn a_new_sku_on_two_lines_of_one_invoice_is_created_once() {
    let db = migrated_db().await;
    let app = app(&db);

    let report = app
        .purchase_add(&PurchaseRequest {
            lines: vec![
                line("DD1391-100", "US 10", "100.00", 1),
                line("DD1391-100", "US 11", "100.00", 1),
            ],
            ..PurchaseRequest::default()
        })
        .await
        .unwrap();

    let created: Vec<bool> = report.lines.iter().map(|l| l.product_created).collect();
    assert_eq!(created, [true, false]);
    let mut conn = db.connect().await;
    assert_eq!(count(&mut conn, "products.products").await, 1);
    assert_eq!(count(&mut conn, "products.inventory").await, 2);
}
