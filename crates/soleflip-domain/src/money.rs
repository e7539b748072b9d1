//! Money: an exact decimal amount in an ISO 4217 currency. No floats anywhere.
//!
//! - [`Currency`] is three uppercase letters that name an active ISO 4217 code in
//!   `data/fees/currencies.csv` (embedded at compile time), with the code's minor units
//!   (JPY and KRW 0, EUR and USD 2, KWD 3).
//! - A [`Money`] never holds more decimals than its currency has minor units: [`Money::new`]
//!   and [`Money::parse`] refuse extra digits, [`Money::rounded`] rounds them away.
//! - **Rounding rule**: to the currency's minor unit, half away from zero. `2.345` → `2.35`,
//!   `-2.345` → `-2.35`, `2.344` → `2.34`; JPY `800.5` → `801`. (Not banker's rounding:
//!   a half cent always goes up in size, as on the platforms' statements.)
//! - Text amounts take a dot or a comma as the decimal mark (`1234.56`, `1234,56`), with the
//!   other mark as a thousands separator in groups of three (`1,234.56`, `1.234,56`). A single
//!   mark is always the decimal mark, so `1,234` reads as 1.234, and then a currency with two
//!   minor units refuses it as having too many decimals rather than guessing a thousand.
//!
//! ```
//! use soleflip_domain::money::{Currency, Money};
//!
//! let eur: Currency = "EUR".parse().unwrap();
//! let price = Money::parse("price", "1.234,56", eur).unwrap();
//! assert_eq!(price.to_string(), "1234.56 EUR");
//! let jpy: Currency = "JPY".parse().unwrap();
//! assert!(Money::parse("price", "800.5", jpy).is_err());
//! ```

use std::fmt;
use std::str::FromStr;
use std::sync::LazyLock;

use rust_decimal::{Decimal, RoundingStrategy};
use serde::{Deserialize, Serialize, Serializer};

const CURRENCIES_FILE: &str = include_str!("../../../data/fees/currencies.csv");

/// `(code, minor units)` of every code in `currencies.csv`, sorted by code.
type CurrencyTable = Vec<([u8; 3], u8)>;

static CURRENCIES: LazyLock<Result<CurrencyTable, String>> =
    LazyLock::new(|| load_currencies(CURRENCIES_FILE));

fn load_currencies(text: &str) -> Result<CurrencyTable, String> {
    let mut lines = text.lines().enumerate();
    match lines.next() {
        Some((_, "code,minor_units")) => {}
        _ => return Err("currencies.csv line 1: header must be `code,minor_units`".into()),
    }
    let mut codes = Vec::new();
    for (index, line) in lines {
        let at = index + 1;
        let (code, minor) = line
            .split_once(',')
            .ok_or_else(|| format!("currencies.csv line {at}: expected `code,minor_units`"))?;
        let code = three_letters(code).ok_or_else(|| {
            format!("currencies.csv line {at}: code `{code}` is not three uppercase letters")
        })?;
        let minor: u8 = match minor.parse() {
            Ok(m) if m <= 4 => m,
            _ => {
                return Err(format!(
                    "currencies.csv line {at}: minor_units `{minor}` is not 0..=4"
                ))
            }
        };
        codes.push((code, minor));
    }
    codes.sort_unstable();
    if codes.windows(2).any(|pair| pair[0].0 == pair[1].0) {
        return Err("currencies.csv: a code is listed twice".into());
    }
    Ok(codes)
}

fn three_letters(text: &str) -> Option<[u8; 3]> {
    match text.as_bytes() {
        &[a, b, c] if [a, b, c].iter().all(u8::is_ascii_uppercase) => Some([a, b, c]),
        _ => None,
    }
}

/// An active ISO 4217 currency and its minor units.
#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Currency {
    code: [u8; 3],
    minor_units: u8,
}

/// A text that is not an active ISO 4217 code.
#[derive(Clone, PartialEq, Eq, Debug, thiserror::Error)]
pub enum CurrencyError {
    /// Not three uppercase ASCII letters.
    #[error("{field}: `{text}` is not a currency code (three uppercase letters, ISO 4217)")]
    Shape { field: String, text: String },
    /// Three letters, but no active ISO 4217 code.
    #[error("{field}: `{text}` is not an ISO 4217 currency code")]
    Unknown { field: String, text: String },
    /// The embedded list itself does not load (a broken commit; tests catch it).
    #[error("{0}")]
    Data(String),
}

impl Currency {
    /// Parses a code, naming `field` in the error.
    pub fn parse(field: &str, text: &str) -> Result<Currency, CurrencyError> {
        let code = three_letters(text).ok_or_else(|| CurrencyError::Shape {
            field: field.to_owned(),
            text: text.to_owned(),
        })?;
        let table = CURRENCIES
            .as_ref()
            .map_err(|e| CurrencyError::Data(e.clone()))?;
        table
            .binary_search_by(|(known, _)| known.cmp(&code))
            .map(|at| Currency {
                code,
                minor_units: table[at].1,
            })
            .map_err(|_| CurrencyError::Unknown {
                field: field.to_owned(),
                text: text.to_owned(),
            })
    }

    /// Every code of the embedded list (for tests and listings).
    pub fn all() -> Result<Vec<Currency>, CurrencyError> {
        let table = CURRENCIES
            .as_ref()
            .map_err(|e| CurrencyError::Data(e.clone()))?;
        Ok(table
            .iter()
            .map(|&(code, minor_units)| Currency { code, minor_units })
            .collect())
    }

    /// The three-letter code.
    pub fn code(&self) -> &str {
        // The bytes are ASCII uppercase letters (checked on construction).
        std::str::from_utf8(&self.code).unwrap_or("???")
    }

    /// Decimal places of the currency's minor unit (EUR 2, JPY 0).
    pub fn minor_units(&self) -> u32 {
        u32::from(self.minor_units)
    }

    /// Rounds to this currency's minor unit, half away from zero.
    pub fn round(&self, amount: Decimal) -> Decimal {
        let mut rounded = amount
            .round_dp_with_strategy(self.minor_units(), RoundingStrategy::MidpointAwayFromZero);
        rounded.rescale(self.minor_units());
        rounded
    }
}

impl FromStr for Currency {
    type Err = CurrencyError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Currency::parse("currency", s)
    }
}

impl fmt::Display for Currency {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.code())
    }
}

impl fmt::Debug for Currency {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.code())
    }
}

impl Serialize for Currency {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(self.code())
    }
}

impl<'de> Deserialize<'de> for Currency {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let text = String::deserialize(deserializer)?;
        text.parse().map_err(serde::de::Error::custom)
    }
}

/// An amount in a currency, with no more decimals than the currency's minor units.
/// Serialized as `{"amount": "105.60", "currency": "EUR"}`.
#[derive(Clone, Copy, PartialEq, Eq, Hash, Debug, Serialize)]
pub struct Money {
    amount: Decimal,
    currency: Currency,
}

/// A money value that cannot be made; every variant names the field it came from.
#[derive(Clone, PartialEq, Eq, Debug, thiserror::Error)]
pub enum MoneyError {
    /// Empty, `N/A` or `-`.
    #[error("{field}: no amount given (`{text}`)")]
    Missing { field: String, text: String },
    /// Not a decimal number in one of the accepted forms.
    #[error("{field}: `{text}` is not an amount (digits with an optional `-`, one decimal mark `.` or `,`, thousands in groups of three)")]
    NotANumber { field: String, text: String },
    /// More decimals than the currency has minor units.
    #[error("{field}: `{text}` has more decimals than {currency} allows ({max})")]
    TooManyDecimals {
        field: String,
        text: String,
        currency: Currency,
        max: u32,
    },
    /// Beyond what a decimal holds (28 significant digits).
    #[error("{field}: `{text}` is out of range")]
    OutOfRange { field: String, text: String },
    /// A negative amount where only zero or more makes sense.
    #[error("{field}: must not be negative (got {amount})")]
    Negative { field: String, amount: Money },
    /// Two amounts in different currencies.
    #[error("{field}: expected an amount in {expected}, got {found}")]
    CurrencyMismatch {
        field: String,
        expected: Currency,
        found: Currency,
    },
}

impl Money {
    /// An exact amount; refused when it has more decimals than the currency allows.
    pub fn new(field: &str, amount: Decimal, currency: Currency) -> Result<Money, MoneyError> {
        let normalized = amount.normalize();
        if normalized.scale() > currency.minor_units() {
            return Err(MoneyError::TooManyDecimals {
                field: field.to_owned(),
                text: amount.to_string(),
                currency,
                max: currency.minor_units(),
            });
        }
        let mut amount = normalized;
        amount.rescale(currency.minor_units());
        Ok(Money { amount, currency })
    }

    /// `amount` rounded to the currency's minor unit, half away from zero.
    pub fn rounded(amount: Decimal, currency: Currency) -> Money {
        Money {
            amount: currency.round(amount),
            currency,
        }
    }

    /// Zero in `currency`.
    pub fn zero(currency: Currency) -> Money {
        Money::rounded(Decimal::ZERO, currency)
    }

    /// The amount (scale = the currency's minor units).
    pub fn amount(&self) -> Decimal {
        self.amount
    }

    /// The currency.
    pub fn currency(&self) -> Currency {
        self.currency
    }

    /// True below zero.
    pub fn is_negative(&self) -> bool {
        self.amount.is_sign_negative() && !self.amount.is_zero()
    }

    /// `self`, or [`MoneyError::Negative`] naming `field`.
    pub fn non_negative(self, field: &str) -> Result<Money, MoneyError> {
        if self.is_negative() {
            Err(MoneyError::Negative {
                field: field.to_owned(),
                amount: self,
            })
        } else {
            Ok(self)
        }
    }

    /// `self + other`; both must be in the same currency.
    pub fn checked_add(self, field: &str, other: Money) -> Result<Money, MoneyError> {
        self.same_currency(field, other)?;
        self.with_amount(field, self.amount.checked_add(other.amount))
    }

    /// `self - other`; both must be in the same currency.
    pub fn checked_sub(self, field: &str, other: Money) -> Result<Money, MoneyError> {
        self.same_currency(field, other)?;
        self.with_amount(field, self.amount.checked_sub(other.amount))
    }

    fn same_currency(&self, field: &str, other: Money) -> Result<(), MoneyError> {
        if self.currency == other.currency {
            Ok(())
        } else {
            Err(MoneyError::CurrencyMismatch {
                field: field.to_owned(),
                expected: self.currency,
                found: other.currency,
            })
        }
    }

    fn with_amount(&self, field: &str, amount: Option<Decimal>) -> Result<Money, MoneyError> {
        let amount = amount.ok_or_else(|| MoneyError::OutOfRange {
            field: field.to_owned(),
            text: self.amount.to_string(),
        })?;
        Ok(Money::rounded(amount, self.currency))
    }

    /// Parses a text amount (see the module docs for the accepted forms), naming `field` in
    /// any error. Negative amounts parse; use [`Money::non_negative`] where they make no sense.
    pub fn parse(field: &str, text: &str, currency: Currency) -> Result<Money, MoneyError> {
        let amount = parse_decimal(field, text)?;
        if amount.fraction_digits > currency.minor_units() {
            return Err(MoneyError::TooManyDecimals {
                field: field.to_owned(),
                text: text.to_owned(),
                currency,
                max: currency.minor_units(),
            });
        }
        Money::new(field, amount.value, currency)
    }
}

impl fmt::Display for Money {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} {}", self.amount, self.currency)
    }
}

/// A decimal read from text, with the number of fraction digits as written.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub struct ParsedDecimal {
    /// The value.
    pub value: Decimal,
    /// Digits after the decimal mark as written (`1.50` has 2).
    pub fraction_digits: u32,
}

/// Reads a decimal written with `.` or `,` as the decimal mark (module docs), without floats.
/// Empty, `N/A`, `NA` and `-` are [`MoneyError::Missing`].
pub fn parse_decimal(field: &str, text: &str) -> Result<ParsedDecimal, MoneyError> {
    let trimmed = text.trim();
    if trimmed.is_empty()
        || trimmed == "-"
        || trimmed.eq_ignore_ascii_case("n/a")
        || trimmed.eq_ignore_ascii_case("na")
    {
        return Err(MoneyError::Missing {
            field: field.to_owned(),
            text: text.to_owned(),
        });
    }
    let not_a_number = || MoneyError::NotANumber {
        field: field.to_owned(),
        text: text.to_owned(),
    };
    let (negative, body) = match trimmed.strip_prefix('-') {
        Some(rest) => (true, rest),
        None => (false, trimmed),
    };
    if body.is_empty()
        || !body
            .chars()
            .all(|c| c.is_ascii_digit() || c == '.' || c == ',')
    {
        return Err(not_a_number());
    }
    let last_dot = body.rfind('.');
    let last_comma = body.rfind(',');
    let dots = body.matches('.').count();
    let commas = body.matches(',').count();
    // (decimal mark position, thousands separator)
    let (decimal_at, grouping) = match (last_dot, last_comma) {
        (None, None) => (None, None),
        (Some(d), Some(c)) => {
            let (at, mark, other) = if d > c {
                (d, dots, ',')
            } else {
                (c, commas, '.')
            };
            if mark != 1 {
                return Err(not_a_number());
            }
            (Some(at), Some(other))
        }
        (Some(d), None) if dots == 1 => (Some(d), None),
        (None, Some(c)) if commas == 1 => (Some(c), None),
        (Some(_), None) => (None, Some('.')),
        (None, Some(_)) => (None, Some(',')),
    };
    let (integer, fraction) = match decimal_at {
        Some(at) => (&body[..at], &body[at + 1..]),
        None => (body, ""),
    };
    if integer.is_empty() || (decimal_at.is_some() && fraction.is_empty()) {
        return Err(not_a_number());
    }
    if !fraction.chars().all(|c| c.is_ascii_digit()) {
        return Err(not_a_number());
    }
    let digits: String = match grouping {
        None => integer.to_owned(),
        Some(separator) => {
            let groups: Vec<&str> = integer.split(separator).collect();
            let first_ok = groups.first().is_some_and(|g| (1..=3).contains(&g.len()));
            let rest_ok = groups.iter().skip(1).all(|g| g.len() == 3);
            if !first_ok || !rest_ok {
                return Err(not_a_number());
            }
            groups.concat()
        }
    };
    if !digits.chars().all(|c| c.is_ascii_digit()) {
        return Err(not_a_number());
    }
    let mut canonical = String::with_capacity(digits.len() + fraction.len() + 2);
    if negative {
        canonical.push('-');
    }
    canonical.push_str(&digits);
    if !fraction.is_empty() {
        canonical.push('.');
        canonical.push_str(fraction);
    }
    let value = Decimal::from_str_exact(&canonical).map_err(|_| MoneyError::OutOfRange {
        field: field.to_owned(),
        text: text.to_owned(),
    })?;
    let fraction_digits = u32::try_from(fraction.len()).map_err(|_| not_a_number())?;
    Ok(ParsedDecimal {
        value,
        fraction_digits,
    })
}
