//! Marketplace fees as data, and the quote they give for one sale.
//!
//! The schedules are `data/fees/*.csv` (embedded at compile time; format and sources in
//! `data/fees/README.md`, rules in `docs/fees.md`). [`quote`] picks the rows of a platform
//! that apply to a region, seller level, price and date, and turns them into ordered fee lines:
//!
//! 1. `transaction_fee`: the level's percentage of the price.
//! 2. `minimum_fee_topup`: when a minimum seller fee applies and the transaction fee is below
//!    it, the difference. The minimum covers the transaction fee only, not payment processing
//!    (the EU StockX report shows a flat minimum Seller Fee with 3 % processing beside it).
//! 3. `payment_processing`, then `other` (regulatory percentages, fixed seller fees).
//! 4. `cash_out`: a percentage of what is left after lines 1–3.
//!
//! Each line is rounded to the currency's minor unit on its own (half away from zero), and the
//! payout is the price minus their sum, so `price − Σ lines = payout` holds to the cent by
//! construction.
//!
//! ```
//! use chrono::NaiveDate;
//! use soleflip_domain::fees::quote;
//! use soleflip_domain::money::Money;
//!
//! let price = Money::parse("price", "120", "EUR".parse().unwrap()).unwrap();
//! let date = NaiveDate::from_ymd_opt(2025, 3, 1).unwrap();
//! let q = quote("stockx", "EU", Some("1"), price, date).unwrap();
//! assert_eq!(q.payout.to_string(), "105.60 EUR");
//! ```

mod schedule;

use std::fmt;
use std::sync::LazyLock;

use chrono::NaiveDate;
use rust_decimal::Decimal;
use serde::Serialize;

use crate::money::{Money, MoneyError};
pub use schedule::{
    check_overlaps, iso_date, iso_date_opt, parse_file, ComponentKind, Condition, Confidence,
    Regions, RowRef, ScheduleError, ScheduleRow, HEADER,
};

/// The embedded schedule files, by name.
pub const FILES: [(&str, &str); 6] = [
    (
        "stockx.csv",
        include_str!("../../../../data/fees/stockx.csv"),
    ),
    ("goat.csv", include_str!("../../../../data/fees/goat.csv")),
    ("alias.csv", include_str!("../../../../data/fees/alias.csv")),
    ("ebay.csv", include_str!("../../../../data/fees/ebay.csv")),
    (
        "restocks.csv",
        include_str!("../../../../data/fees/restocks.csv"),
    ),
    (
        "manual.csv",
        include_str!("../../../../data/fees/manual.csv"),
    ),
];

static EMBEDDED: LazyLock<Result<Schedule, ScheduleError>> = LazyLock::new(|| {
    let mut rows = Vec::new();
    for (file, text) in FILES {
        rows.extend(parse_file(file, text)?);
    }
    Schedule::new(rows)
});

/// The kind of one fee line (the ledger's `fee_lines.kind`).
#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Debug, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum FeeKind {
    /// The platform's commission.
    TransactionFee,
    /// Card or payment processing.
    PaymentProcessing,
    /// Shipping charged to the seller (reported lines only; no schedule row computes it).
    Shipping,
    /// What a minimum seller fee adds to a transaction fee below it.
    MinimumFeeTopup,
    /// Taken when the earnings are cashed out.
    CashOut,
    /// Anything else (regulatory levies, fixed seller fees).
    Other,
}

impl FeeKind {
    /// The label the database stores.
    pub const fn label(self) -> &'static str {
        match self {
            FeeKind::TransactionFee => "transaction_fee",
            FeeKind::PaymentProcessing => "payment_processing",
            FeeKind::Shipping => "shipping",
            FeeKind::MinimumFeeTopup => "minimum_fee_topup",
            FeeKind::CashOut => "cash_out",
            FeeKind::Other => "other",
        }
    }
}

impl fmt::Display for FeeKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.label())
    }
}

/// One computed fee.
#[derive(Clone, PartialEq, Eq, Debug, Serialize)]
pub struct FeeLine {
    /// What it is.
    pub kind: FeeKind,
    /// The amount, rounded to the currency's minor unit.
    pub amount: Money,
    /// The percentage applied (`9` is 9 %), for a percentage line.
    pub rate_pct: Option<Decimal>,
    /// What the percentage was applied to; for a top-up, the minimum it tops up to; for a
    /// fixed fee, the fee itself.
    pub base: Money,
    /// The schedule row it comes from.
    pub row: RowRef,
}

/// The fees and payout of one sale, and the rows they come from.
#[derive(Clone, PartialEq, Eq, Debug, Serialize)]
pub struct Quote {
    /// The platform asked for.
    pub platform: String,
    /// The seller's region.
    pub region: String,
    /// The seller level, if the platform has levels.
    pub level: Option<String>,
    /// The day the schedule was read for.
    #[serde(serialize_with = "schedule::iso_date")]
    pub date: NaiveDate,
    /// The sale price.
    pub price: Money,
    /// The fee lines, in the order they are computed.
    pub lines: Vec<FeeLine>,
    /// The sum of the lines.
    pub total_fees: Money,
    /// `price − total_fees`.
    pub payout: Money,
    /// Every row that matched (a minimum that did not bind is listed, without a line).
    pub rows_used: Vec<RowRef>,
    /// The weakest confidence among the rows that produced a line.
    pub confidence: Confidence,
}

/// Why a quote cannot be given. Each names the input at fault.
#[derive(Clone, PartialEq, Eq, Debug, thiserror::Error)]
pub enum QuoteError {
    /// No schedule for this platform.
    #[error("platform: `{platform}` has no fee schedule (known: {})", .known.join(", "))]
    UnknownPlatform {
        platform: String,
        known: Vec<String>,
    },
    /// A level the platform does not have.
    #[error("level: {platform} has no seller level `{level}` ({})", known_levels(.known))]
    UnknownLevel {
        platform: String,
        level: String,
        known: Vec<String>,
    },
    /// The platform's fee depends on a level and none was given.
    #[error("level: {platform} needs a seller level (one of {})", .known.join(", "))]
    LevelRequired {
        platform: String,
        known: Vec<String>,
    },
    /// Not a two-letter region code.
    #[error("region: `{region}` is not a two-letter code (a country such as DE, or EU)")]
    InvalidRegion { region: String },
    /// A region the platform's schedule does not cover.
    #[error("region: {platform} has no fees recorded for `{region}` (known: {})", .known.join(", "))]
    UnknownRegion {
        platform: String,
        region: String,
        known: Vec<String>,
    },
    /// No transaction fee row is in force on the date.
    #[error("date: {platform} has no fee schedule in force on {date} (recorded: {})", .ranges.join(", "))]
    OutOfRange {
        platform: String,
        date: NaiveDate,
        ranges: Vec<String>,
    },
    /// Rows exist for the date, but none gives a transaction fee for this case.
    #[error("price: {platform} {region} has no transaction fee recorded for {price} on {date}{}", condition_note(.conditions))]
    NotCovered {
        platform: String,
        region: String,
        price: Money,
        date: NaiveDate,
        conditions: Vec<String>,
    },
    /// The price is in another currency than the schedule row.
    #[error(
        "currency: {platform} {region} fees are in {expected}, the price is in {found} ({row})"
    )]
    CurrencyMismatch {
        platform: String,
        region: String,
        expected: String,
        found: String,
        row: RowRef,
    },
    /// The fees before cash-out exceed the price.
    #[error("price: {price} is below the fees it would pay ({fees})")]
    FeesExceedPrice { price: Money, fees: Money },
    /// A bad price (negative, out of range).
    #[error(transparent)]
    Money(#[from] MoneyError),
    /// Two rows of one kind apply at once (a data error).
    #[error("fee schedule: {first} and {second} both apply ({kind})")]
    Ambiguous {
        kind: &'static str,
        first: RowRef,
        second: RowRef,
    },
    /// The embedded schedule does not load (a broken commit; the tests catch it).
    #[error(transparent)]
    Schedule(#[from] ScheduleError),
}

fn known_levels(known: &[String]) -> String {
    if known.is_empty() {
        "it has no seller levels: leave the level out".to_owned()
    } else {
        format!("known: {}", known.join(", "))
    }
}

fn condition_note(conditions: &[String]) -> String {
    if conditions.is_empty() {
        String::new()
    } else {
        format!(" (the recorded rows require {})", conditions.join(" or "))
    }
}

/// Every schedule row, checked: no two rows that would both apply to one sale.
#[derive(Clone, Debug)]
pub struct Schedule {
    rows: Vec<ScheduleRow>,
}

impl Schedule {
    /// A schedule from rows, refused when two rows overlap ([`check_overlaps`]).
    pub fn new(rows: Vec<ScheduleRow>) -> Result<Schedule, ScheduleError> {
        check_overlaps(&rows)?;
        Ok(Schedule { rows })
    }

    /// The schedule of `data/fees/*.csv`, loaded on first use.
    pub fn embedded() -> Result<&'static Schedule, ScheduleError> {
        EMBEDDED.as_ref().map_err(Clone::clone)
    }

    /// The rows, in file order.
    pub fn rows(&self) -> &[ScheduleRow] {
        &self.rows
    }

    /// Platform names, sorted.
    pub fn platforms(&self) -> Vec<String> {
        let mut names: Vec<String> = self.rows.iter().map(|r| r.platform.clone()).collect();
        names.sort();
        names.dedup();
        names
    }

    /// The named levels of `platform`, sorted.
    pub fn levels(&self, platform: &str) -> Vec<String> {
        let mut levels: Vec<String> = self
            .rows
            .iter()
            .filter(|r| r.platform == platform)
            .filter_map(|r| r.level.clone())
            .collect();
        levels.sort();
        levels.dedup();
        levels
    }

    /// The fee lines and payout of selling at `price` on `platform` on `date`, for a seller in
    /// `region` at `level` (`None` for a platform without levels). See the module docs.
    pub fn quote(
        &self,
        platform: &str,
        region: &str,
        level: Option<&str>,
        price: Money,
        date: NaiveDate,
    ) -> Result<Quote, QuoteError> {
        let platform_rows: Vec<&ScheduleRow> = self
            .rows
            .iter()
            .filter(|r| r.platform == platform)
            .collect();
        if platform_rows.is_empty() {
            return Err(QuoteError::UnknownPlatform {
                platform: platform.to_owned(),
                known: self.platforms(),
            });
        }
        let levels = self.levels(platform);
        if let Some(level) = level {
            if !levels.iter().any(|l| l == level) {
                return Err(QuoteError::UnknownLevel {
                    platform: platform.to_owned(),
                    level: level.to_owned(),
                    known: levels,
                });
            }
        }
        if !(region.len() == 2 && region.bytes().all(|b| b.is_ascii_uppercase())) {
            return Err(QuoteError::InvalidRegion {
                region: region.to_owned(),
            });
        }
        let any_region = platform_rows.iter().any(|r| r.regions == Regions::Any);
        if !any_region && !platform_rows.iter().any(|r| r.regions.names(region)) {
            let mut known: Vec<String> = platform_rows
                .iter()
                .filter_map(|r| match &r.regions {
                    Regions::Listed(list) => Some(list.clone()),
                    Regions::Any => None,
                })
                .flatten()
                .collect();
            known.sort();
            known.dedup();
            return Err(QuoteError::UnknownRegion {
                platform: platform.to_owned(),
                region: region.to_owned(),
                known,
            });
        }
        let price = price.non_negative("price")?;

        // Rows for this level and region, before the date and the condition are looked at.
        let fitting: Vec<&ScheduleRow> = platform_rows
            .iter()
            .copied()
            .filter(|r| r.level.is_none() || r.level.as_deref() == level)
            .filter(|r| r.regions == Regions::Any || r.regions.names(region))
            .collect();
        let transaction_rows: Vec<&&ScheduleRow> = fitting
            .iter()
            .filter(|r| r.kind == ComponentKind::TransactionPct)
            .collect();
        let named_level_here = platform_rows.iter().any(|r| {
            r.kind == ComponentKind::TransactionPct
                && r.level.is_some()
                && (r.regions == Regions::Any || r.regions.names(region))
        });
        if transaction_rows.is_empty() && level.is_none() && named_level_here {
            return Err(QuoteError::LevelRequired {
                platform: platform.to_owned(),
                known: levels,
            });
        }
        if !transaction_rows.is_empty() && !transaction_rows.iter().any(|r| r.in_force(date)) {
            let mut ranges: Vec<String> = transaction_rows
                .iter()
                .map(|r| match r.effective_to {
                    Some(to) => format!("{} to {}", r.effective_from, to),
                    None => format!("from {}", r.effective_from),
                })
                .collect();
            ranges.sort();
            ranges.dedup();
            return Err(QuoteError::OutOfRange {
                platform: platform.to_owned(),
                date,
                ranges,
            });
        }
        let in_force: Vec<&ScheduleRow> =
            fitting.into_iter().filter(|r| r.in_force(date)).collect();
        for row in &in_force {
            if let Some(expected) = row.currency {
                if expected != price.currency() {
                    return Err(QuoteError::CurrencyMismatch {
                        platform: platform.to_owned(),
                        region: region.to_owned(),
                        expected: expected.to_string(),
                        found: price.currency().to_string(),
                        row: row.at,
                    });
                }
            }
        }
        let pick = |kind: ComponentKind| -> Result<Option<&ScheduleRow>, QuoteError> {
            let applying: Vec<&ScheduleRow> = in_force
                .iter()
                .copied()
                .filter(|r| r.kind == kind)
                .filter(|r| r.condition.is_none_or(|c| c.holds(price.amount())))
                .collect();
            let named: Vec<&ScheduleRow> = applying
                .iter()
                .copied()
                .filter(|r| r.regions.names(region))
                .collect();
            let chosen = if named.is_empty() { applying } else { named };
            match chosen.as_slice() {
                [] => Ok(None),
                [one] => Ok(Some(*one)),
                [first, second, ..] => Err(QuoteError::Ambiguous {
                    kind: kind.label(),
                    first: first.at,
                    second: second.at,
                }),
            }
        };

        let Some(transaction) = pick(ComponentKind::TransactionPct)? else {
            let conditions = in_force
                .iter()
                .filter(|r| r.kind == ComponentKind::TransactionPct)
                .filter_map(|r| r.condition.map(|c| c.to_string()))
                .collect();
            return Err(QuoteError::NotCovered {
                platform: platform.to_owned(),
                region: region.to_owned(),
                price,
                date,
                conditions,
            });
        };
        let currency = price.currency();
        let pct_of = |base: Money, row: &ScheduleRow, kind: FeeKind| FeeLine {
            kind,
            amount: Money::rounded(base.amount() * row.value / Decimal::ONE_HUNDRED, currency),
            rate_pct: Some(row.value),
            base,
            row: row.at,
        };
        let mut lines = Vec::new();
        let mut rows_used = vec![transaction.at];
        let transaction_line = pct_of(price, transaction, FeeKind::TransactionFee);
        let transaction_fee = transaction_line.amount;
        lines.push(transaction_line);
        if let Some(minimum_row) = pick(ComponentKind::MinimumSellerFee)? {
            rows_used.push(minimum_row.at);
            let minimum = Money::new("value", minimum_row.value, currency)?;
            if transaction_fee.amount() < minimum.amount() {
                lines.push(FeeLine {
                    kind: FeeKind::MinimumFeeTopup,
                    amount: minimum.checked_sub("minimum_fee_topup", transaction_fee)?,
                    rate_pct: None,
                    base: minimum,
                    row: minimum_row.at,
                });
            }
        }
        if let Some(row) = pick(ComponentKind::ProcessingPct)? {
            rows_used.push(row.at);
            lines.push(pct_of(price, row, FeeKind::PaymentProcessing));
        }
        if let Some(row) = pick(ComponentKind::RegulatoryPct)? {
            rows_used.push(row.at);
            lines.push(pct_of(price, row, FeeKind::Other));
        }
        if let Some(row) = pick(ComponentKind::SellerFeeFixed)? {
            rows_used.push(row.at);
            let fee = Money::new("value", row.value, currency)?;
            lines.push(FeeLine {
                kind: FeeKind::Other,
                amount: fee,
                rate_pct: None,
                base: fee,
                row: row.at,
            });
        }
        let before_cash_out = sum(price, &lines)?;
        let remaining = price.checked_sub("payout", before_cash_out)?;
        if remaining.is_negative() {
            return Err(QuoteError::FeesExceedPrice {
                price,
                fees: before_cash_out,
            });
        }
        if let Some(row) = pick(ComponentKind::CashOutPct)? {
            rows_used.push(row.at);
            lines.push(pct_of(remaining, row, FeeKind::CashOut));
        }
        let total_fees = sum(price, &lines)?;
        let payout = price.checked_sub("payout", total_fees)?;
        let confidence = lines
            .iter()
            .filter_map(|line| self.rows.iter().find(|r| r.at == line.row))
            .map(|r| r.confidence)
            .max()
            .unwrap_or(Confidence::Published);
        Ok(Quote {
            platform: platform.to_owned(),
            region: region.to_owned(),
            level: level.map(str::to_owned),
            date,
            price,
            lines,
            total_fees,
            payout,
            rows_used,
            confidence,
        })
    }
}

fn sum(price: Money, lines: &[FeeLine]) -> Result<Money, MoneyError> {
    lines
        .iter()
        .try_fold(Money::zero(price.currency()), |total, line| {
            total.checked_add("fees", line.amount)
        })
}

/// [`Schedule::quote`] on the embedded schedule.
pub fn quote(
    platform: &str,
    region: &str,
    level: Option<&str>,
    price: Money,
    date: NaiveDate,
) -> Result<Quote, QuoteError> {
    Schedule::embedded()?.quote(platform, region, level, price, date)
}
