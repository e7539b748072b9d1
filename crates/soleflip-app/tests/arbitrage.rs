//! The matching cascade and arbitrage on real PostgreSQL, with the hand-written feed
//! `tests/fixtures/awin/arbitrage_feed.csv`:
//! - 000777 (EUR): GTIN 0195866000018, which the catalog knows as DD1391-100 US M 9 (EU 42.5);
//! - 000778 (EUR): mpn DD1391-100, size `EU 44` (Nike men: US 10);
//! - 000779 (EUR): a style token in its name, size `UK 8 / EU 43` (labels that disagree);
//! - 0042 (GBP, another merchant): mpn DD1391-100, size `UK 9` (Nike: US 10, EU 44);
//! - 000780: a style code the catalog does not have.
#![expect(
    clippy::unwrap_used,
    reason = "helpers outside #[test] functions stop the test loudly"
)]

use std::path::{Path, PathBuf};

use soleflip_app::arbitrage::ArbitrageOptions;
use soleflip_app::awin::AwinOptions;
use soleflip_app::matching::MatchStatus;
use soleflip_app::{App, Decimal, Uuid};
use soleflip_db::variants::{ensure_variants, SizeOf};
use soleflip_testkit::{migrated_db, TestDb};
use sqlx::postgres::PgConnection;

fn fixture(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures/awin")
        .join(name)
}

fn dec(s: &str) -> Decimal {
    s.parse().unwrap()
}

/// The catalog: DD1391-100 (Nike), its US M 9 variant with the GTIN StockX gives it, the size
/// row US M 10 (EU 44) StockX quotes are kept on, ECB rates, and StockX quotes:
/// US 9: bid 50.00, ask 80.00; US 10: bid 150.00, ask 170.00 (EUR).
async fn business(db: &TestDb) -> (App, PgConnection, Uuid) {
    let app = App::on_server(db.target.clone());
    let mut conn = db.connect().await;
    let product: Uuid = sqlx::query_scalar(
        "insert into products.products (sku, name, brand_id, category_id)
         select 'DD1391-100', 'Nike Dunk Low Retro White Black', b.id, c.id
           from core.brands b, core.categories c
          where b.slug = 'nike' order by c.id limit 1
         returning id",
    )
    .fetch_one(&mut conn)
    .await
    .unwrap();
    let us9 = ensure_variants(
        &mut conn,
        &[SizeOf {
            product_id: product,
            region: "US".into(),
            value: "9.0".into(),
            standardized: Some(dec("42.5")),
            cohort: "M".into(),
        }],
    )
    .await
    .unwrap()[0];
    sqlx::raw_sql(&format!(
        "insert into products.variant_gtins (gtin, variant_id, source)
         values ('00195866000018', '{us9}', 'stockx');
         insert into products.sizes (brand_id, cohort, region, value, standardized_value)
         select b.id, 'M', 'US', v.value, v.eu from core.brands b,
                (values ('9.0', 42.5), ('10.0', 44.0)) v(value, eu)
          where b.slug = 'nike';
         insert into integration.price_sources
             (product_id, size_id, source_type, source_product_id, price_type, price_cents,
              currency, in_stock, last_updated)
         select '{product}', s.id, 'stockxapi', q.id, 'resale', q.cents, 'EUR', true,
                now() - interval '2 hours'
           from products.sizes s
           join (values ('9.0', 'v9:highest_bid', 5000), ('9.0', 'v9:lowest_ask', 8000),
                        ('10.0', 'v10:highest_bid', 15000), ('10.0', 'v10:lowest_ask', 17000))
                q(value, id, cents) on q.value = s.value
          where s.region = 'US' and s.brand_id = (select id from core.brands where slug = 'nike');"
    ))
    .execute(&mut conn)
    .await
    .unwrap();
    let rates = tempfile::NamedTempFile::new().unwrap();
    std::fs::write(
        rates.path(),
        "Date, USD, GBP,\n2026-11-20, 1.0500, 0.8500,\n",
    )
    .unwrap();
    app.import_fx(rates.path()).await.unwrap();
    app.import_awin(
        &fixture("arbitrage_feed.csv"),
        AwinOptions::default(),
        &mut |_| {},
    )
    .await
    .unwrap();
    (app, conn, product)
}

async fn decisions(conn: &mut PgConnection) -> Vec<(String, String, String, Option<String>)> {
    sqlx::query_as(
        "select o.merchant_product_id, m.status, m.method, v.size_key
           from integration.offer_matches m
           join integration.awin_products o on o.id = m.offer_id
           left join products.variants v on v.id = m.variant_id
          order by 1, 2",
    )
    .fetch_all(conn)
    .await
    .unwrap()
}

#[tokio::test]
async fn the_cascade_matches_by_gtin_then_by_style_and_a_converted_size_and_queues_the_rest() {
    // arrange
    let db = migrated_db().await;
    let (app, mut conn, _) = business(&db).await;

    // act
    let report = app.match_run().await.unwrap();

    // assert
    assert_eq!(
        (report.by_gtin, report.by_style_size, report.to_review),
        (1, 2, 1)
    );
    let d = decisions(&mut conn).await;
    let row = |id: &str| d.iter().find(|r| r.0 == id).cloned();
    assert_eq!(
        row("000777"),
        Some((
            "000777".into(),
            "matched".into(),
            "gtin".into(),
            Some("EU 42.5".into())
        ))
    );
    assert_eq!(
        row("000778"),
        Some((
            "000778".into(),
            "matched".into(),
            "style_size".into(),
            Some("EU 44.0".into())
        ))
    );
    // UK 9 on Nike's chart is US 10, the same foot as EU 44: the same variant.
    assert_eq!(
        row("0042"),
        Some((
            "0042".into(),
            "matched".into(),
            "style_size".into(),
            Some("EU 44.0".into())
        ))
    );
    assert_eq!(row("000779").map(|r| r.1), Some("review".into()));
    assert_eq!(
        row("000780"),
        None,
        "a style code the catalog lacks is not proposed"
    );
    let reason: String =
        sqlx::query_scalar("select reason from integration.offer_matches where status = 'review'")
            .fetch_one(&mut conn)
            .await
            .unwrap();
    assert!(reason.contains("disagree"), "{reason}");
    // The style match taught the variant the retailer's product id.
    let ids: i64 = sqlx::query_scalar(
        "select count(*) from products.variant_ids where source = 'awin' and scope = '30'
            and external_id = '0042'",
    )
    .fetch_one(&mut conn)
    .await
    .unwrap();
    assert_eq!(ids, 1);

    // A second run decides nothing again.
    let again = app.match_run().await.unwrap();
    assert_eq!(
        (again.by_gtin, again.by_style_size, again.to_review),
        (0, 0, 0)
    );
}

#[tokio::test]
async fn a_proposal_accepted_with_its_size_matches_and_a_rejection_is_never_proposed_again() {
    // arrange
    let db = migrated_db().await;
    let (app, mut conn, _) = business(&db).await;
    app.match_run().await.unwrap();
    let queue = app
        .match_list(Some(MatchStatus::Review), None, 50)
        .await
        .unwrap();
    assert_eq!(queue.matches.len(), 1);
    let proposal = queue.matches[0].id;
    let gbp: Uuid = sqlx::query_scalar(
        "select m.id from integration.offer_matches m
           join integration.awin_products o on o.id = m.offer_id
          where o.merchant_product_id = '0042'",
    )
    .fetch_one(&mut conn)
    .await
    .unwrap();

    // act
    let no_size = app.match_accept(proposal, None, None).await;
    let accepted = app
        .match_accept(proposal, Some("US 9"), None)
        .await
        .unwrap();
    let rejected = app.match_reject(gbp, None).await.unwrap();
    let rerun = app.match_run().await.unwrap();

    // assert
    assert!(no_size.unwrap_err().to_string().contains("give the size"));
    assert_eq!(accepted.status, "matched");
    assert_eq!(rejected.status, "rejected");
    assert_eq!(
        (rerun.by_gtin, rerun.by_style_size, rerun.to_review),
        (0, 0, 0)
    );
    let d = decisions(&mut conn).await;
    assert!(d.contains(&(
        "000779".into(),
        "matched".into(),
        "manual".into(),
        Some("EU 42.5".into())
    )));
    assert!(d.contains(&(
        "0042".into(),
        "rejected".into(),
        "manual".into(),
        Some("EU 44.0".into())
    )));
    assert!(!d.iter().any(|r| r.0 == "0042" && r.1 != "rejected"));
    let again = app.match_reject(gbp, None).await.unwrap_err();
    assert!(again.to_string().contains("rejected already"), "{again}");
}

#[tokio::test]
async fn arbitrage_figures_for_an_offer_match_fees_vat_and_fx_computed_by_hand() {
    // arrange
    let db = migrated_db().await;
    let (app, _conn, _) = business(&db).await;
    app.match_run().await.unwrap();
    let options = ArbitrageOptions {
        min_profit: dec("30"),
        date: chrono::NaiveDate::from_ymd_opt(2026, 11, 26).unwrap(),
        ..ArbitrageOptions::default()
    };

    // act
    let report = app.arbitrage_list(&options).await.unwrap();

    // assert
    // StockX EU level 1 on 2026-11-26: 9 % transaction fee (at least 5.00), 3 % processing.
    // US 10 (EU 44): bid 150.00 -> 150 - 13.50 - 4.50 = 132.00; ask 170.00 -> 170 - 15.30 -
    // 5.10 = 149.60.
    // 0042: 85.00 GBP, no delivery, at 0.85 GBP per EUR -> 85 / 0.85 = 100.00 EUR;
    // profit now 32.00 (32.00 %), listed 49.60 (49.60 %).
    // 000778: 99.95 + 4.95 = 104.90 EUR; profit now 27.10 (25.83 %), listed 44.70 (42.61 %).
    // 000777 (US 9) lists for 80.00 -> 80 - 7.20 - 2.40 = 70.40, cost 44.90: 25.50 < 30.
    let o = &report.opportunities;
    assert_eq!(o.len(), 2, "{o:#?}");
    assert_eq!(o[0].merchant_product_id, "0042");
    assert_eq!(o[0].buy_cost, dec("100.00"));
    let fx = o[0].fx.as_ref().unwrap();
    assert_eq!(
        (fx.from.as_str(), fx.to.as_str(), fx.source),
        ("GBP", "EUR", "ecb")
    );
    assert_eq!(fx.date.unwrap().to_string(), "2026-11-20");
    let now = o[0].sell_now.as_ref().unwrap();
    let list = o[0].list.as_ref().unwrap();
    assert_eq!(
        (now.payout, now.profit, now.roi_pct),
        (dec("132.00"), dec("32.00"), dec("32.00"))
    );
    assert_eq!(
        (list.payout, list.profit, list.roi_pct),
        (dec("149.60"), dec("49.60"), dec("49.60"))
    );
    assert_eq!(now.price_age_hours, 2);
    assert_eq!(o[1].merchant_product_id, "000778");
    assert_eq!(o[1].buy_cost, dec("104.90"));
    assert!(o[1].fx.is_none());
    let now = o[1].sell_now.as_ref().unwrap();
    let list = o[1].list.as_ref().unwrap();
    assert_eq!((now.profit, now.roi_pct), (dec("27.10"), dec("25.83")));
    assert_eq!((list.profit, list.roi_pct), (dec("44.70"), dec("42.61")));
    let kinds: Vec<String> = now.fees.iter().map(|f| f.kind.to_string()).collect();
    assert_eq!(kinds, ["transaction_fee", "payment_processing"]);
    assert!(report.vat_treatment.contains("incl. VAT"));

    // Below the minimum seller fee the top-up is a line of its own: US 9 sells now at 50.00
    // -> 4.50 + 0.50 top-up + 1.50 = 6.50 in fees.
    let all = app
        .arbitrage_list(&ArbitrageOptions {
            min_profit: dec("-1000"),
            ..options.clone()
        })
        .await
        .unwrap();
    let us9 = all
        .opportunities
        .iter()
        .find(|x| x.merchant_product_id == "000777")
        .unwrap();
    let now = us9.sell_now.as_ref().unwrap();
    assert_eq!((now.payout, now.profit), (dec("43.50"), dec("-1.40")));
    assert_eq!(now.fees.len(), 3);
}

#[tokio::test]
async fn arbitrage_new_shows_an_opportunity_once_until_it_changes_materially() {
    // arrange
    let db = migrated_db().await;
    let (app, mut conn, _) = business(&db).await;
    app.match_run().await.unwrap();
    let options = ArbitrageOptions {
        new_only: true,
        min_profit: dec("30"),
        ..ArbitrageOptions::default()
    };

    // act
    let first = app.arbitrage_list(&options).await.unwrap();
    let second = app.arbitrage_list(&options).await.unwrap();
    sqlx::query("update integration.awin_products set search_price = 100.45 where merchant_product_id = '000778'")
        .execute(&mut conn)
        .await
        .unwrap();
    let small = app.arbitrage_list(&options).await.unwrap();
    sqlx::query("update integration.awin_products set search_price = 89.95 where merchant_product_id = '000778'")
        .execute(&mut conn)
        .await
        .unwrap();
    let big = app.arbitrage_list(&options).await.unwrap();

    // assert
    let novelty = |r: &soleflip_app::arbitrage::ArbitrageReport| {
        r.opportunities
            .iter()
            .map(|o| (o.merchant_product_id.clone(), o.novelty.unwrap_or("-")))
            .collect::<Vec<_>>()
    };
    assert_eq!(
        novelty(&first),
        [("0042".into(), "new"), ("000778".into(), "new")]
    );
    assert!(second.opportunities.is_empty());
    assert!(
        small.opportunities.is_empty(),
        "a 0.50 change is not material"
    );
    assert_eq!(novelty(&big), [("000778".into(), "changed")]);
}
