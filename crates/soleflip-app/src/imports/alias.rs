//! The Alias (GOAT group) sales export (DOMAIN.md §9.3): `USERNAME, ORDER_NUMBER, SKU, SIZE,
//! NAME, PRODUCT_PRICE_CENTS_SALE_PRICE, CREDIT_DATE, PURCHASED_DATE`. USERNAME is the seller's
//! handle: it is not read. SKUs have a space for the style code's dash; dates are `D/M/YY`.
//!
//! The price column says cents, but the exports seen hold whole US dollars. The unit is decided
//! from the file: the median price read as dollars and as cents, and the one that is a
//! plausible sneaker price wins; when both or neither are, the import is refused and the user
//! says which (`--price-unit`). Alias reports no fees: the fee lines come from the fee schedule
//! for the seller's region and rating (marked `schedule`); before the schedule's first day the
//! payout stays unknown rather than guessed.

use std::path::Path;

use chrono::NaiveDate;
use serde::Serialize;
use soleflip_db::imports::{StagedFee, StagedSale};
use soleflip_domain::fees::{self, FeeKind};
use soleflip_domain::money::{Currency, Money};
use sqlx::types::Decimal;
use tokio::sync::mpsc;

use super::read::{self, Hashing, ReadSummary, Record};
use super::sale;
use super::{ImportError, Progress};

const COLUMNS: [&str; 6] = [
    "ORDER_NUMBER",
    "SKU",
    "SIZE",
    "NAME",
    "PRODUCT_PRICE_CENTS_SALE_PRICE",
    "PURCHASED_DATE",
];
const CREDIT: &str = "CREDIT_DATE";
const PRICE: &str = "PRODUCT_PRICE_CENTS_SALE_PRICE";

/// What the price column holds.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum PriceUnit {
    Cents,
    Dollars,
}

impl std::str::FromStr for PriceUnit {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s.trim().to_ascii_lowercase().as_str() {
            "cents" => Ok(PriceUnit::Cents),
            "dollars" => Ok(PriceUnit::Dollars),
            other => Err(format!("price unit: `{other}` is not cents or dollars")),
        }
    }
}

/// The choices an Alias import needs from its user.
#[derive(Debug, Clone, Default)]
pub struct AliasOptions {
    /// Where the seller ships from (the seller fee depends on it): a country code, e.g. `DE`.
    pub region: Option<String>,
    /// The seller rating band of the fee schedule (default `90-100`, where every seller starts).
    pub level: Option<String>,
    /// The price column's unit, when the file does not tell.
    pub price_unit: Option<PriceUnit>,
}

/// The decisions taken before reading: unit, region, level.
#[derive(Debug, Clone)]
pub struct Plan {
    unit: PriceUnit,
    unit_note: String,
    region: String,
    level: String,
}

/// A plausible sneaker sale price in US dollars.
fn plausible(dollars: Decimal) -> bool {
    dollars >= Decimal::from(15) && dollars <= Decimal::from(5000)
}

/// Decides the price unit (from the median price of the file unless given) and checks the
/// options; a first pass over the price column only.
pub fn plan(path: &Path, options: &AliasOptions) -> Result<Plan, ImportError> {
    let region = options
        .region
        .as_deref()
        .map(|r| r.trim().to_ascii_uppercase())
        .filter(|r| r.len() == 2 && r.chars().all(|c| c.is_ascii_uppercase()))
        .ok_or_else(|| {
            ImportError::Invalid(
                "region: Alias's seller fee depends on where you ship from; give your country \
                 code (e.g. DE)"
                    .to_owned(),
            )
        })?;
    let level = options.level.clone().unwrap_or_else(|| "90-100".to_owned());
    read::check_readable(path)?;
    let quiet = |_: Progress| {};
    let mut reader = read::csv_reader(Hashing::open(path, &quiet)?, b',');
    let header = read::header(path, &mut reader)?;
    let [_, _, _, _, price, _] = read::columns(path, &header, COLUMNS, "an Alias sales export")?;
    if let Some(unit) = options.price_unit {
        return Ok(Plan {
            unit,
            unit_note: format!("prices read as {unit:?} (as given)").to_lowercase(),
            region,
            level,
        });
    }
    let mut prices = Vec::new();
    let mut raw = csv::ByteRecord::new();
    while reader
        .read_byte_record(&mut raw)
        .map_err(|e| ImportError::Invalid(format!("{}: {e}", path.display())))?
    {
        if let Some(v) = raw
            .get(price)
            .and_then(|f| std::str::from_utf8(f).ok())
            .and_then(|t| t.trim().parse::<i64>().ok())
        {
            prices.push(v);
        }
    }
    prices.sort_unstable();
    let Some(&median) = prices.get(prices.len() / 2) else {
        return Err(ImportError::Invalid(format!(
            "{}: no line has a whole number in {PRICE}",
            path.display()
        )));
    };
    let as_dollars = plausible(Decimal::from(median));
    let as_cents = plausible(Decimal::new(median, 2));
    let unit = match (as_dollars, as_cents) {
        (true, false) => PriceUnit::Dollars,
        (false, true) => PriceUnit::Cents,
        _ => {
            return Err(ImportError::Invalid(format!(
                "{}: {PRICE}: cannot tell whether the prices are cents or dollars (median \
                 {median}); say which with --price-unit cents|dollars",
                path.display()
            )))
        }
    };
    Ok(Plan {
        unit,
        unit_note: format!(
            "prices read as {} (median {median} of {} lines is a plausible sneaker price only \
             that way)",
            if unit == PriceUnit::Dollars {
                "whole US dollars"
            } else {
                "US cents"
            },
            prices.len()
        ),
        region,
        level,
    })
}

/// Reads the export at `path` with the decisions of `plan`.
pub fn read(
    path: &Path,
    plan: &Plan,
    out: &mpsc::Sender<Vec<StagedSale>>,
    progress: &(dyn Fn(Progress) + Send + Sync),
) -> Result<ReadSummary, ImportError> {
    let mut reader = read::csv_reader(Hashing::open(path, progress)?, b',');
    let header = read::header(path, &mut reader)?;
    let at = read::columns(path, &header, COLUMNS, "an Alias sales export")?;
    let credit = header.iter().position(|h| h.eq_ignore_ascii_case(CREDIT));
    let usd = Currency::parse("currency", "USD").map_err(|e| anyhow::anyhow!(e))?;
    let mut unknown_fees = 0u64;
    let rows = read::for_each_record(path, &mut reader, header.len(), out, |record| {
        match line(record, &at, credit, plan, usd) {
            Ok(s) => {
                if s.payout.is_none() {
                    unknown_fees += 1;
                }
                s
            }
            Err(reason) => {
                let mut s = read::rejected(record, reason);
                s.order_number = record.get(at[0]).chars().take(100).collect();
                s
            }
        }
    })?;
    let mut notes = vec![plan.unit_note.clone()];
    notes.push(format!(
        "fees from the Alias fee schedule for a seller in {} with rating {}",
        plan.region, plan.level
    ));
    if unknown_fees > 0 {
        notes.push(format!(
            "{unknown_fees} sales predate the fee schedule: imported without fees or payout"
        ));
    }
    Ok(ReadSummary {
        rows,
        sha256: reader.into_inner().finish(),
        notes,
    })
}

/// `D/M/YY` (Alias), or `YYYY-MM-DD`.
pub fn date(field: &str, text: &str) -> Result<NaiveDate, String> {
    let t = text.trim();
    NaiveDate::parse_from_str(t, "%Y-%m-%d")
        .or_else(|_| NaiveDate::parse_from_str(t, "%d/%m/%y"))
        .map_err(|_| format!("{field}: `{t}` is not a date (D/M/YY)"))
}

fn line(
    r: &Record,
    at: &[usize; 6],
    credit: Option<usize>,
    plan: &Plan,
    usd: Currency,
) -> Result<StagedSale, String> {
    let [order, sku, size, name, price, purchased] = *at;
    let mut s = StagedSale {
        line_no: r.line,
        ..StagedSale::default()
    };
    s.order_number = r.get(order).to_owned();
    if s.order_number.is_empty() || s.order_number.len() > 100 {
        return Err("ORDER_NUMBER: missing".to_owned());
    }
    let sold = date("PURCHASED_DATE", r.get(purchased))?;
    s.sold_at = Some(sold.and_time(chrono::NaiveTime::MIN).and_utc());
    s.payout_at = match credit.map(|c| r.get(c)) {
        None | Some("") => None,
        Some(t) => Some(
            date("CREDIT_DATE", t)?
                .and_time(chrono::NaiveTime::MIN)
                .and_utc(),
        ),
    };
    s.item = r.get(name).chars().take(255).collect();
    if let Some((first, second)) = sale::style(r.get(sku)).map_err(|e| format!("SKU: {e}"))? {
        s.style = Some(first);
        s.style_alt = second;
    }
    if s.style.is_none() && s.item.is_empty() {
        return Err("SKU and NAME: both empty; the product cannot be found".to_owned());
    }
    s.brand_slug = sale::brand(s.style.as_deref());
    sale::size(r.get(size), &mut s).map_err(|e| format!("SIZE: {e}"))?;
    let whole: i64 = r
        .get(price)
        .parse()
        .map_err(|_| format!("{PRICE}: `{}` is not a whole number", r.get(price)))?;
    if whole <= 0 {
        return Err(format!("{PRICE}: {whole} is not a sale price (above 0)"));
    }
    s.price = match plan.unit {
        PriceUnit::Dollars => Decimal::from(whole),
        PriceUnit::Cents => Decimal::new(whole, 2),
    };
    s.currency = usd.code().to_owned();
    let money = Money::new(PRICE, s.price, usd).map_err(|e| e.to_string())?;
    match fees::quote("alias", &plan.region, Some(&plan.level), money, sold) {
        Ok(q) => {
            for l in q.lines {
                let slot = match l.kind {
                    FeeKind::TransactionFee => 0,
                    FeeKind::PaymentProcessing => 1,
                    FeeKind::Shipping => 2,
                    FeeKind::MinimumFeeTopup => 3,
                    FeeKind::CashOut => 4,
                    FeeKind::Other => 5,
                };
                let amount =
                    l.amount.amount() + s.fees[slot].as_ref().map_or(Decimal::ZERO, |f| f.amount);
                s.fees[slot] = Some(StagedFee {
                    amount,
                    source: "schedule",
                    rate_pct: l.rate_pct,
                    schedule_row: Some(l.row.to_string()),
                });
            }
            s.payout = Some(q.payout.amount());
        }
        Err(fees::QuoteError::OutOfRange { .. }) => s.payout = None,
        Err(e) => return Err(e.to_string()),
    }
    Ok(s)
}
