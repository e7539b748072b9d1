//! Fee quotes against published examples worked out by hand, the schedule files' checks, and
//! the errors for what the schedule does not cover.

use chrono::NaiveDate;
use soleflip_domain::fees::{parse_file, quote, Confidence, FeeKind, QuoteError, Schedule, HEADER};
use soleflip_domain::money::Money;

#[expect(
    clippy::unwrap_used,
    reason = "a fixture that does not parse is a broken test"
)]
fn money(text: &str, code: &str) -> Money {
    Money::parse("price", text, code.parse().unwrap()).unwrap()
}

#[expect(
    clippy::unwrap_used,
    reason = "a fixture that does not parse is a broken test"
)]
fn day(y: i32, m: u32, d: u32) -> NaiveDate {
    NaiveDate::from_ymd_opt(y, m, d).unwrap()
}

/// The lines as `(kind, amount)` text pairs, in order.
fn lines(q: &soleflip_domain::fees::Quote) -> Vec<(&'static str, String)> {
    q.lines
        .iter()
        .map(|l| (l.kind.label(), l.amount.amount().to_string()))
        .collect()
}

fn pairs(expected: &[(&'static str, &str)]) -> Vec<(&'static str, String)> {
    expected.iter().map(|&(k, a)| (k, a.to_owned())).collect()
}

#[test]
fn stockx_level_1_at_120_eur_pays_9_and_3_percent_and_leaves_105_60() {
    // 9 % of 120.00 = 10.80; 3 % of 120.00 = 3.60; 120.00 - 14.40 = 105.60.
    // The EU minimum (5.00 since 2024) is below 10.80, so it adds nothing.
    let q = quote(
        "stockx",
        "EU",
        Some("1"),
        money("120", "EUR"),
        day(2025, 3, 1),
    )
    .unwrap();

    assert_eq!(
        lines(&q),
        pairs(&[("transaction_fee", "10.80"), ("payment_processing", "3.60")])
    );
    assert_eq!(q.total_fees.to_string(), "14.40 EUR");
    assert_eq!(q.payout.to_string(), "105.60 EUR");
    let used: Vec<String> = q.rows_used.iter().map(ToString::to_string).collect();
    assert_eq!(used, ["stockx.csv:7", "stockx.csv:24", "stockx.csv:12"]);
    assert_eq!(q.confidence, Confidence::Published);
}

#[test]
fn a_low_stockx_price_raises_the_transaction_fee_to_the_minimum_with_a_top_up_line() {
    // Level 1, 40.00 EUR in 2025: 9 % = 3.60 < minimum 5.00, so a top-up of 1.40;
    // processing stays 3 % = 1.20 beside it; 40.00 - (3.60 + 1.40 + 1.20) = 33.80.
    let q = quote(
        "stockx",
        "EU",
        Some("1"),
        money("40", "EUR"),
        day(2025, 3, 1),
    )
    .unwrap();

    assert_eq!(
        lines(&q),
        pairs(&[
            ("transaction_fee", "3.60"),
            ("minimum_fee_topup", "1.40"),
            ("payment_processing", "1.20"),
        ])
    );
    assert_eq!(q.payout.to_string(), "33.80 EUR");
    assert_eq!(q.confidence, Confidence::Inferred);
}

#[test]
fn in_2023_the_eu_minimum_was_8_eur_as_the_report_s_short_payouts_show() {
    // Level 1 before 1 Jul 2023 was 10 %: 60.00 -> 6.00, topped up by 2.00 to 8.00;
    // processing 1.80; payout 60.00 - 9.80 = 50.20.
    let q = quote(
        "stockx",
        "EU",
        Some("1"),
        money("60", "EUR"),
        day(2023, 3, 1),
    )
    .unwrap();

    assert_eq!(
        lines(&q),
        pairs(&[
            ("transaction_fee", "6.00"),
            ("minimum_fee_topup", "2.00"),
            ("payment_processing", "1.80"),
        ])
    );
    assert_eq!(q.payout.to_string(), "50.20 EUR");
}

#[test]
fn each_line_rounds_half_away_from_zero_and_the_payout_takes_the_rest() {
    // Level 2, 125.50 EUR: 8.5 % = 10.6675 -> 10.67; 3 % = 3.765 -> 3.77 (a half cent up);
    // 125.50 - 14.44 = 111.06.
    let q = quote(
        "stockx",
        "EU",
        Some("2"),
        money("125.50", "EUR"),
        day(2024, 8, 1),
    )
    .unwrap();

    assert_eq!(
        lines(&q),
        pairs(&[("transaction_fee", "10.67"), ("payment_processing", "3.77")])
    );
    assert_eq!(q.payout.to_string(), "111.06 EUR");
}

#[test]
fn yen_quotes_round_to_whole_yen_and_use_the_800_yen_minimum() {
    // Level 2, 5,000 JPY: 8.5 % = 425 < 800, top-up 375; 3 % = 150; payout 5,000 - 950 = 4,050.
    let low = quote(
        "stockx",
        "JP",
        Some("2"),
        money("5000", "JPY"),
        day(2024, 1, 10),
    )
    .unwrap();
    // Level 2, 10,001 JPY: 8.5 % = 850.085 -> 850; 3 % = 300.03 -> 300; payout 8,851.
    let high = quote(
        "stockx",
        "JP",
        Some("2"),
        money("10001", "JPY"),
        day(2024, 1, 10),
    )
    .unwrap();

    assert_eq!(
        lines(&low),
        pairs(&[
            ("transaction_fee", "425"),
            ("minimum_fee_topup", "375"),
            ("payment_processing", "150"),
        ])
    );
    assert_eq!(low.payout.to_string(), "4050 JPY");
    assert_eq!(
        lines(&high),
        pairs(&[("transaction_fee", "850"), ("payment_processing", "300")])
    );
    assert_eq!(high.payout.to_string(), "8851 JPY");
}

#[test]
fn goat_takes_commission_and_seller_fee_then_2_9_percent_of_the_rest_on_cash_out() {
    // US seller, rating 90+, 200.00 USD in Nov 2020: 9.5 % = 19.00; seller fee 5.00;
    // cash-out 2.9 % of 176.00 = 5.104 -> 5.10; payout 200.00 - 29.10 = 170.90.
    let q = quote(
        "goat",
        "US",
        Some("90-100"),
        money("200", "USD"),
        day(2020, 11, 1),
    )
    .unwrap();

    assert_eq!(
        lines(&q),
        pairs(&[
            ("transaction_fee", "19.00"),
            ("other", "5.00"),
            ("cash_out", "5.10"),
        ])
    );
    assert_eq!(q.lines[2].base.to_string(), "176.00 USD");
    assert_eq!(q.payout.to_string(), "170.90 USD");
}

#[test]
fn a_goat_seller_in_germany_with_a_lower_rating_pays_15_percent_and_12_usd() {
    // 300.00 USD: 15 % = 45.00; 12.00; cash-out 2.9 % of 243.00 = 7.047 -> 7.05; payout 235.95.
    let q = quote(
        "goat",
        "DE",
        Some("70-89"),
        money("300", "USD"),
        day(2020, 11, 1),
    )
    .unwrap();

    assert_eq!(
        lines(&q),
        pairs(&[
            ("transaction_fee", "45.00"),
            ("other", "12.00"),
            ("cash_out", "7.05"),
        ])
    );
    assert_eq!(q.payout.to_string(), "235.95 USD");
}

#[test]
fn a_goat_seller_in_an_unlisted_country_pays_the_30_usd_fee_and_before_october_2020_no_cash_out() {
    // Poland, 100.00 USD in June 2020: 9.50 + 30.00; no cash-out fee yet; payout 60.50.
    let q = quote(
        "goat",
        "PL",
        Some("90-100"),
        money("100", "USD"),
        day(2020, 6, 1),
    )
    .unwrap();

    assert_eq!(
        lines(&q),
        pairs(&[("transaction_fee", "9.50"), ("other", "30.00")])
    );
    assert_eq!(q.payout.to_string(), "60.50 USD");
}

#[test]
fn alias_uses_goat_s_fee_amounts_and_says_they_are_assumed() {
    // US, 150.00 USD: 9.5 % = 14.25; 5.00; cash-out 2.9 % of 130.75 = 3.79175 -> 3.79;
    // payout 150.00 - 23.04 = 126.96.
    let q = quote(
        "alias",
        "US",
        Some("90-100"),
        money("150", "USD"),
        day(2025, 1, 15),
    )
    .unwrap();

    assert_eq!(
        lines(&q),
        pairs(&[
            ("transaction_fee", "14.25"),
            ("other", "5.00"),
            ("cash_out", "3.79"),
        ])
    );
    assert_eq!(q.payout.to_string(), "126.96 USD");
    assert_eq!(q.confidence, Confidence::Assumed);
}

#[test]
fn ebay_us_sneakers_from_150_usd_pay_8_percent_and_below_it_are_not_covered() {
    let at_threshold = quote("ebay", "US", None, money("150", "USD"), day(2025, 5, 1)).unwrap();
    let below = quote("ebay", "US", None, money("149.99", "USD"), day(2025, 5, 1)).unwrap_err();

    assert_eq!(lines(&at_threshold), pairs(&[("transaction_fee", "12.00")]));
    assert_eq!(at_threshold.payout.to_string(), "138.00 USD");
    assert!(matches!(below, QuoteError::NotCovered { .. }), "{below:?}");
    assert_eq!(
        below.to_string(),
        "price: ebay US has no transaction fee recorded for 149.99 USD on 2025-05-01 \
         (the recorded rows require price>=150)"
    );
}

#[test]
fn a_private_seller_on_ebay_de_pays_nothing() {
    let q = quote(
        "ebay",
        "DE",
        Some("private"),
        money("80", "EUR"),
        day(2024, 6, 1),
    )
    .unwrap();
    let without_level = quote("ebay", "DE", None, money("80", "EUR"), day(2024, 6, 1));

    assert_eq!(lines(&q), pairs(&[("transaction_fee", "0.00")]));
    assert_eq!(q.payout.to_string(), "80.00 EUR");
    assert!(matches!(
        without_level,
        Err(QuoteError::LevelRequired { .. })
    ));
}

#[test]
fn ebay_sites_with_only_the_regulatory_fee_recorded_are_not_covered() {
    let error = quote("ebay", "NL", None, money("100", "EUR"), day(2025, 1, 1)).unwrap_err();

    assert!(matches!(error, QuoteError::NotCovered { .. }), "{error:?}");
}

#[test]
fn restocks_takes_6_percent_commission_and_3_percent_processing() {
    let q = quote("restocks", "NL", None, money("100", "EUR"), day(2025, 1, 1)).unwrap();

    assert_eq!(
        lines(&q),
        pairs(&[("transaction_fee", "6.00"), ("payment_processing", "3.00")])
    );
    assert_eq!(q.payout.to_string(), "91.00 EUR");
}

#[test]
fn a_manual_sale_pays_no_fee_in_any_currency() {
    let q = quote("manual", "DE", None, money("95.50", "EUR"), day(2026, 1, 1)).unwrap();
    let yen = quote("manual", "JP", None, money("12000", "JPY"), day(2026, 1, 1)).unwrap();

    assert_eq!(q.payout.to_string(), "95.50 EUR");
    assert_eq!(yen.payout.to_string(), "12000 JPY");
    assert_eq!(q.lines[0].kind, FeeKind::TransactionFee);
}

#[test]
fn each_unanswerable_request_names_its_field() {
    let price = money("100", "EUR");
    let date = day(2025, 1, 1);
    let cases = [
        (
            quote("vinted", "EU", None, price, date),
            "platform: `vinted` has no fee schedule (known: alias, ebay, goat, manual, restocks, stockx)",
        ),
        (
            quote("stockx", "EU", Some("6"), price, date),
            "level: stockx has no seller level `6` (known: 1, 2, 3, 4, 5)",
        ),
        (
            quote("restocks", "DE", Some("1"), price, date),
            "level: restocks has no seller level `1` (it has no seller levels: leave the level out)",
        ),
        (
            quote("stockx", "EU", None, price, date),
            "level: stockx needs a seller level (one of 1, 2, 3, 4, 5)",
        ),
        (
            quote("stockx", "GB", Some("1"), price, date),
            "region: stockx has no fees recorded for `GB` (known: AU, CA, CH, EU, HK, JP, KR, MX, NZ, SG, US)",
        ),
        (
            quote("stockx", "de", Some("1"), price, date),
            "region: `de` is not a two-letter code (a country such as DE, or EU)",
        ),
        (
            quote("stockx", "EU", Some("1"), price, day(2021, 7, 31)),
            "date: stockx has no fee schedule in force on 2021-07-31 (recorded: 2021-08-01 to 2023-06-30, from 2023-07-01)",
        ),
        (
            quote("goat", "US", Some("90-100"), money("100", "USD"), date),
            "date: goat has no fee schedule in force on 2025-01-01 (recorded: 2020-02-27 to 2020-12-13)",
        ),
        (
            quote("stockx", "EU", Some("1"), money("100", "USD"), date),
            "currency: stockx EU fees are in EUR, the price is in USD (stockx.csv:24)",
        ),
        (
            quote("stockx", "EU", Some("1"), money("-1", "EUR"), date),
            "price: must not be negative (got -1.00 EUR)",
        ),
        (
            quote("stockx", "EU", Some("1"), money("3", "EUR"), date),
            "price: 3.00 EUR is below the fees it would pay (5.09 EUR)",
        ),
    ];

    for (result, message) in cases {
        let error = result.unwrap_err();
        assert_eq!(error.to_string(), message);
    }
}

#[test]
fn the_embedded_schedule_loads_and_every_row_names_its_source_and_check_date() {
    let schedule = Schedule::embedded().unwrap();

    assert!(schedule.rows().len() >= 40, "{}", schedule.rows().len());
    for row in schedule.rows() {
        assert!(
            row.source_url.starts_with("https://") || row.source_url.starts_with("docs/"),
            "{}: {}",
            row.at,
            row.source_url
        );
        assert!(
            row.verified_at >= row.effective_from || row.effective_to.is_some(),
            "{}",
            row.at
        );
        assert!(!row.notes.is_empty(), "{}: no notes", row.at);
    }
}

#[test]
fn a_schedule_row_without_a_source_url_is_refused_naming_file_line_and_field() {
    let text = format!(
        "{HEADER}\n\
         shop,*,*,transaction_pct,5,,,2024-01-01,,published,https://shop.invalid/fees,2026-11-25,ok\n\
         shop,*,*,processing_pct,2,,,2024-01-01,,published,,2026-11-25,no source\n"
    );

    let error = parse_file("shop.csv", &text).unwrap_err();

    assert_eq!(
        error.to_string(),
        "fee schedule shop.csv line 3: source_url: missing: every row names where its figure comes from"
    );
}

#[test]
fn malformed_schedule_rows_are_refused_naming_the_field() {
    let row = |cells: &str| format!("{HEADER}\n{cells}\n");
    let cases = [
        ("shop,*,*,transaction_pct,5,,,2024-01-01,,published,https://x.invalid,2026-11-25", "row"),
        ("shop,*,*,tip_pct,5,,,2024-01-01,,published,https://x.invalid,2026-11-25,n", "kind"),
        ("shop,*,*,transaction_pct,150,,,2024-01-01,,published,https://x.invalid,2026-11-25,n", "value"),
        ("shop,*,*,seller_fee_fixed,5,,,2024-01-01,,published,https://x.invalid,2026-11-25,n", "currency"),
        ("shop,*,*,seller_fee_fixed,5.001,EUR,,2024-01-01,,published,https://x.invalid,2026-11-25,n", "value"),
        ("shop,Europe,*,transaction_pct,5,,,2024-01-01,,published,https://x.invalid,2026-11-25,n", "region"),
        ("shop,*,*,transaction_pct,5,EUR,price~5,2024-01-01,,published,https://x.invalid,2026-11-25,n", "condition"),
        ("shop,*,*,transaction_pct,5,,,2024-02-30,,published,https://x.invalid,2026-11-25,n", "effective_from"),
        ("shop,*,*,transaction_pct,5,,,2024-02-01,2024-01-01,published,https://x.invalid,2026-11-25,n", "effective_to"),
        ("shop,*,*,transaction_pct,5,,,2024-02-01,,sure,https://x.invalid,2026-11-25,n", "confidence"),
        ("shop,*,*,transaction_pct,5,,,2024-02-01,,published,http://x.invalid,2026-11-25,n", "source_url"),
        ("shop,*,*,transaction_pct,5,,,2024-02-01,,published,https://x.invalid,yesterday,n", "verified_at"),
    ];

    for (cells, field) in cases {
        let error = parse_file("shop.csv", &row(cells)).unwrap_err();
        assert_eq!(
            (error.line, error.field.as_str()),
            (2, field),
            "{cells}: {error}"
        );
    }
}

#[test]
fn a_quoted_note_may_hold_commas_and_quotes() {
    let text = format!(
        "{HEADER}\nshop,*,*,transaction_pct,5,,,2024-01-01,,published,https://x.invalid,2026-11-25,\"a, b and \"\"c\"\"\"\n"
    );

    let rows = parse_file("shop.csv", &text).unwrap();

    assert_eq!(rows[0].notes, "a, b and \"c\"");
}

#[test]
fn two_rows_that_would_both_apply_to_one_sale_are_refused() {
    let text = format!(
        "{HEADER}\n\
         shop,DE|FR,*,transaction_pct,5,,,2024-01-01,2024-12-31,published,https://x.invalid,2026-11-25,n\n\
         shop,FR,*,transaction_pct,6,,,2024-06-01,,published,https://x.invalid,2026-11-25,n\n"
    );
    let rows = parse_file("shop.csv", &text).unwrap();

    let error = Schedule::new(rows).unwrap_err();

    assert_eq!(
        error.to_string(),
        "fee schedule shop.csv line 2: row: overlaps shop.csv:3 (same platform, kind, level, region and dates)"
    );
}

#[test]
fn a_named_region_row_wins_over_the_any_region_row_of_the_same_kind() {
    let text = format!(
        "{HEADER}\n\
         shop,*,*,transaction_pct,5,,,2024-01-01,,published,https://x.invalid,2026-11-25,n\n\
         shop,*,*,seller_fee_fixed,9,EUR,,2024-01-01,,published,https://x.invalid,2026-11-25,n\n\
         shop,FR,*,seller_fee_fixed,2,EUR,,2024-01-01,,published,https://x.invalid,2026-11-25,n\n"
    );
    let schedule = Schedule::new(parse_file("shop.csv", &text).unwrap()).unwrap();

    let fr = schedule
        .quote("shop", "FR", None, money("100", "EUR"), day(2025, 1, 1))
        .unwrap();
    let de = schedule
        .quote("shop", "DE", None, money("100", "EUR"), day(2025, 1, 1))
        .unwrap();

    assert_eq!(fr.payout.to_string(), "93.00 EUR");
    assert_eq!(de.payout.to_string(), "86.00 EUR");
}

#[test]
fn a_quote_serializes_with_lines_payout_and_rows() {
    let q = quote(
        "stockx",
        "EU",
        Some("1"),
        money("120", "EUR"),
        day(2025, 3, 1),
    )
    .unwrap();

    let json = serde_json::to_value(&q).unwrap();

    assert_eq!(json["payout"]["amount"], "105.60");
    assert_eq!(json["lines"][0]["kind"], "transaction_fee");
    assert_eq!(json["lines"][0]["rate_pct"], "9");
    assert_eq!(json["date"], "2025-03-01");
    assert_eq!(json["rows_used"][0]["file"], "stockx.csv");
}
