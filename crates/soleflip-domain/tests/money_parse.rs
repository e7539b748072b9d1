//! Money and currencies: parsing amounts from text, the minor units, rounding.

use rstest::rstest;
use rust_decimal::Decimal;
use soleflip_domain::money::{Currency, CurrencyError, Money, MoneyError};

#[expect(
    clippy::unwrap_used,
    reason = "a fixture that does not parse is a broken test"
)]
fn currency(code: &str) -> Currency {
    code.parse().unwrap()
}

#[expect(
    clippy::unwrap_used,
    reason = "a fixture that does not parse is a broken test"
)]
fn dec(text: &str) -> Decimal {
    text.parse().unwrap()
}

#[rstest]
#[case("120", "EUR", "120.00")]
#[case("105.6", "EUR", "105.60")]
#[case("1234.56", "EUR", "1234.56")]
#[case("1234,56", "EUR", "1234.56")]
#[case("1.234,56", "EUR", "1234.56")]
#[case("1,234.56", "USD", "1234.56")]
#[case("1.234.567", "EUR", "1234567.00")]
#[case("1,234,567.5", "USD", "1234567.50")]
#[case("-12.50", "EUR", "-12.50")]
#[case("-0,01", "EUR", "-0.01")]
#[case("  8.00 ", "EUR", "8.00")]
#[case("7500", "KRW", "7500")]
#[case("800", "JPY", "800")]
#[case("1,234", "KWD", "1.234")]
#[case("0", "EUR", "0.00")]
fn an_amount_in_an_accepted_form_parses_exactly(
    #[case] text: &str,
    #[case] code: &str,
    #[case] expected: &str,
) {
    let money = Money::parse("price", text, currency(code)).unwrap();

    assert_eq!(money.amount().to_string(), expected);
    assert_eq!(money.currency().code(), code);
}

#[rstest]
#[case("")]
#[case("   ")]
#[case("N/A")]
#[case("n/a")]
#[case("-")]
fn a_missing_amount_is_refused_as_missing_and_names_the_field(#[case] text: &str) {
    let error = Money::parse("Seller Fee", text, currency("EUR")).unwrap_err();

    assert!(matches!(error, MoneyError::Missing { .. }), "{error:?}");
    assert!(error.to_string().starts_with("Seller Fee: "), "{error}");
}

#[rstest]
#[case("12.5.0,1")]
#[case("1.234,56.7")]
#[case("1,2,3")]
#[case("12,34,567")]
#[case("12.")]
#[case(".5")]
#[case("€12")]
#[case("12 EUR")]
#[case("1e3")]
#[case("+5")]
#[case("--5")]
#[case("1 234,56")]
#[case("1.23.456")]
#[case("abc")]
fn a_text_that_is_no_amount_is_refused_and_names_the_field(#[case] text: &str) {
    let error = Money::parse("price", text, currency("EUR")).unwrap_err();

    assert!(
        matches!(error, MoneyError::NotANumber { .. }),
        "{text}: {error:?}"
    );
    assert!(error.to_string().starts_with("price: "), "{error}");
}

#[rstest]
#[case("800.5", "JPY")]
#[case("800.0", "JPY")]
#[case("1,000", "JPY")]
#[case("7500.00", "KRW")]
#[case("1.234", "EUR")]
#[case("1,000", "EUR")]
#[case("10.505", "USD")]
fn more_decimals_than_the_currency_has_are_refused_not_rounded(
    #[case] text: &str,
    #[case] code: &str,
) {
    let error = Money::parse("price", text, currency(code)).unwrap_err();

    assert!(
        matches!(error, MoneyError::TooManyDecimals { .. }),
        "{text} {code}: {error:?}"
    );
    assert!(error.to_string().starts_with("price: "), "{error}");
}

#[test]
fn a_negative_amount_parses_but_is_refused_where_it_must_not_be_negative() {
    let money = Money::parse("price", "-5", currency("EUR")).unwrap();

    let error = money.non_negative("price").unwrap_err();

    assert_eq!(
        error.to_string(),
        "price: must not be negative (got -5.00 EUR)"
    );
    assert!(Money::parse("price", "-0", currency("EUR"))
        .unwrap()
        .non_negative("price")
        .is_ok());
}

#[test]
fn an_amount_beyond_what_a_decimal_holds_is_out_of_range() {
    let error =
        Money::parse("price", "123456789012345678901234567890", currency("EUR")).unwrap_err();

    assert!(matches!(error, MoneyError::OutOfRange { .. }), "{error:?}");
}

#[rstest]
#[case("2.345", "EUR", "2.35")]
#[case("-2.345", "EUR", "-2.35")]
#[case("2.344", "EUR", "2.34")]
#[case("0.005", "EUR", "0.01")]
#[case("-0.005", "EUR", "-0.01")]
#[case("3.765", "EUR", "3.77")]
#[case("800.5", "JPY", "801")]
#[case("799.49", "JPY", "799")]
#[case("-0.5", "KRW", "-1")]
#[case("1.2345", "KWD", "1.235")]
fn rounding_goes_to_the_minor_unit_half_away_from_zero(
    #[case] amount: &str,
    #[case] code: &str,
    #[case] expected: &str,
) {
    let money = Money::rounded(dec(amount), currency(code));

    assert_eq!(money.amount().to_string(), expected);
}

#[rstest]
#[case("EUR", 2)]
#[case("USD", 2)]
#[case("JPY", 0)]
#[case("KRW", 0)]
#[case("CHF", 2)]
#[case("KWD", 3)]
#[case("CLF", 4)]
fn a_currency_knows_its_minor_units(#[case] code: &str, #[case] minor: u32) {
    let parsed = currency(code);

    assert_eq!(parsed.minor_units(), minor);
    assert_eq!(parsed.to_string(), code);
}

#[rstest]
#[case("eur")]
#[case("EU")]
#[case("EURO")]
#[case("€")]
#[case("")]
fn a_currency_that_is_not_three_uppercase_letters_is_refused_by_shape(#[case] text: &str) {
    let error = text.parse::<Currency>().unwrap_err();

    assert!(matches!(error, CurrencyError::Shape { .. }), "{error:?}");
    assert!(error.to_string().starts_with("currency: "), "{error}");
}

#[rstest]
#[case("ABC")]
#[case("XXY")]
#[case("DEM")]
#[case("HRK")]
fn three_letters_that_are_no_active_iso_code_are_refused(#[case] text: &str) {
    let error = Currency::parse("Listing Price Currency", text).unwrap_err();

    assert_eq!(
        error.to_string(),
        format!("Listing Price Currency: `{text}` is not an ISO 4217 currency code")
    );
}

#[test]
fn the_embedded_currency_list_loads_and_holds_the_codes_the_fee_schedules_use() {
    let all = Currency::all().unwrap();

    assert!(all.len() > 150, "{}", all.len());
    for code in [
        "AUD", "CAD", "CHF", "EUR", "GBP", "HKD", "JPY", "KRW", "MXN", "NZD", "SGD", "USD",
    ] {
        assert!(all.iter().any(|c| c.code() == code), "{code}");
    }
}

#[test]
fn money_serializes_its_amount_as_text_with_the_minor_units() {
    let money = Money::parse("price", "105.6", currency("EUR")).unwrap();

    let json = serde_json::to_string(&money).unwrap();

    assert_eq!(json, r#"{"amount":"105.60","currency":"EUR"}"#);
}

#[test]
fn adding_amounts_in_two_currencies_is_refused() {
    let eur = Money::parse("price", "1", currency("EUR")).unwrap();
    let usd = Money::parse("fee", "1", currency("USD")).unwrap();

    let error = eur.checked_add("fee", usd).unwrap_err();

    assert_eq!(error.to_string(), "fee: expected an amount in EUR, got USD");
}
