//! The balance invariant of every quote: price − Σ lines = payout, to the minor unit.

use chrono::NaiveDate;
use proptest::prelude::*;
use rust_decimal::Decimal;
use soleflip_domain::fees::{quote, QuoteError};
use soleflip_domain::money::{Currency, Money};

type Ymd = (i32, u32, u32);

/// (platform, region, levels, currency, first day, last day) of cases the schedule covers.
type Case = (
    &'static str,
    &'static str,
    &'static [&'static str],
    &'static str,
    Ymd,
    Ymd,
);

const CASES: [Case; 7] = [
    (
        "stockx",
        "EU",
        &["1", "2", "3", "4", "5"],
        "EUR",
        (2021, 8, 1),
        (2026, 12, 31),
    ),
    (
        "stockx",
        "JP",
        &["1", "2", "3", "4", "5"],
        "JPY",
        (2023, 7, 1),
        (2026, 12, 31),
    ),
    (
        "stockx",
        "US",
        &["1", "2", "3", "4", "5"],
        "USD",
        (2023, 7, 1),
        (2026, 12, 31),
    ),
    (
        "goat",
        "DE",
        &["90-100", "70-89", "50-69", "0-49"],
        "USD",
        (2020, 2, 27),
        (2020, 12, 13),
    ),
    (
        "alias",
        "PL",
        &["90-100", "70-89", "50-69", "0-49"],
        "USD",
        (2024, 5, 10),
        (2026, 12, 31),
    ),
    ("restocks", "NL", &[], "EUR", (2021, 1, 1), (2026, 12, 31)),
    ("ebay", "US", &[], "USD", (2022, 1, 1), (2026, 12, 31)),
];

#[expect(
    clippy::unwrap_used,
    reason = "a fixture that does not parse is a broken test"
)]
fn date_between(from: Ymd, to: Ymd, pick: u32) -> NaiveDate {
    let first = NaiveDate::from_ymd_opt(from.0, from.1, from.2).unwrap();
    let last = NaiveDate::from_ymd_opt(to.0, to.1, to.2).unwrap();
    let span = u32::try_from((last - first).num_days()).unwrap();
    first + chrono::Days::new(u64::from(pick % (span + 1)))
}

proptest! {
    #[test]
    fn price_minus_the_lines_is_the_payout_to_the_minor_unit(
        case in 0..CASES.len(),
        level_pick in 0usize..5,
        day_pick in 0u32..10_000,
        // Half the prices are small, where minimum fees bind; half span up to a million.
        minor_units_of_price in prop_oneof![0i64..20_000, 0i64..100_000_000],
    ) {
        let (platform, region, levels, code, from, to) = CASES[case];
        let currency: Currency = code.parse().unwrap();
        let price = Money::new(
            "price",
            Decimal::new(minor_units_of_price, currency.minor_units()),
            currency,
        )
        .unwrap();
        let level = levels.get(level_pick % levels.len().max(1)).copied();
        let date = date_between(from, to, day_pick);

        let result = quote(platform, region, level, price, date);

        let q = match result {
            Ok(q) => q,
            // Tiny prices below a minimum, and eBay below 150 USD, are refused by design.
            Err(QuoteError::FeesExceedPrice { .. } | QuoteError::NotCovered { .. }) => return Ok(()),
            Err(other) => return Err(TestCaseError::fail(other.to_string())),
        };
        let sum: Decimal = q.lines.iter().map(|l| l.amount.amount()).sum();
        prop_assert_eq!(q.price.amount() - sum, q.payout.amount());
        prop_assert_eq!(q.total_fees.amount(), sum);
        prop_assert!(!q.payout.is_negative());
        for line in &q.lines {
            prop_assert!(!line.amount.is_negative(), "{:?}", line);
            prop_assert!(line.amount.amount().scale() <= currency.minor_units());
            prop_assert_eq!(line.amount.currency(), currency);
        }
    }
}
