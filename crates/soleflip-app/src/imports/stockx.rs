//! The StockX "historical seller sales report" (DOMAIN.md §9.1): 44 columns, RFC 4180 with a
//! multi-line `Special references` field, dates `YYYY-MM-DD HH:MM:SS +00`, an amount and a
//! currency column per money field (`N/A` when empty). Only the columns below are read: the
//! seller's and buyer's names, addresses, VAT numbers and the fiscal representative are not
//! even copied out of the reader's buffer.

use std::path::Path;

use chrono::{DateTime, NaiveDate, NaiveDateTime, Utc};
use soleflip_db::imports::{StagedFee, StagedSale};
use soleflip_domain::fees::{ComponentKind, Schedule};
use soleflip_domain::money::Currency;
use sqlx::types::Decimal;
use tokio::sync::mpsc;

use super::read::{self, Hashing, ReadSummary, Record};
use super::sale;
use super::{ImportError, Progress};

const COLUMNS: [&str; 18] = [
    "Order Number",
    "Sale Date",
    "Payout date",
    "Item",
    "Sku Size",
    "Style",
    "Quantity",
    "Listing Price",
    "Listing Price Currency",
    "Seller Fee",
    "Seller Fee Currency",
    "Payment Processing",
    "Payment Processing Currency",
    "Shipping Fee",
    "Shipping Fee Currency",
    "Total Gross Amount (Total Payout)",
    "Total Gross Amount (Total Payout) Currency",
    "Buyer Destination Country",
];
const CITY: &str = "Buyer Destination City";

/// A payout short of the listing price minus the reported fees by at most this much, with no
/// other explanation, is rounding.
const ROUNDING: Decimal = Decimal::from_parts(5, 0, 0, false, 2);

/// Reads the report at `path`, sending staged lines down `out`.
pub fn read(
    path: &Path,
    out: &mpsc::Sender<Vec<StagedSale>>,
    progress: &(dyn Fn(Progress) + Send + Sync),
) -> Result<ReadSummary, ImportError> {
    let mut reader = read::csv_reader(Hashing::open(path, progress)?, b',');
    let header = read::header(path, &mut reader)?;
    let at = read::columns(path, &header, COLUMNS, "a StockX seller sales report")?;
    let city = header.iter().position(|h| h.eq_ignore_ascii_case(CITY));
    let schedule = Schedule::embedded().map_err(|e| anyhow::anyhow!(e))?;
    let width = header.len();
    let rows = read::for_each_record(path, &mut reader, width, out, |record| {
        match line(record, &at, city, schedule) {
            Ok(s) => s,
            Err(reason) => {
                let mut s = read::rejected(record, reason);
                s.order_number = record.get(at[0]).chars().take(100).collect();
                s
            }
        }
    })?;
    let sha256 = reader.into_inner().finish();
    Ok(ReadSummary {
        rows,
        sha256,
        notes: Vec::new(),
    })
}

/// `YYYY-MM-DD HH:MM:SS +HH` (StockX's form), `… +HH:MM`, or a bare `YYYY-MM-DD`.
pub fn timestamp(field: &str, text: &str) -> Result<DateTime<Utc>, String> {
    let t = text.trim();
    let bad = || format!("{field}: `{t}` is not a date and time (YYYY-MM-DD HH:MM:SS +00)");
    if let Ok(d) = NaiveDate::parse_from_str(t, "%Y-%m-%d") {
        return Ok(d.and_time(chrono::NaiveTime::MIN).and_utc());
    }
    let (stamp, offset) = match t.rfind([' ', '+', '-']) {
        Some(i) if t.len() - i <= 6 && t[i..].trim_start().starts_with(['+', '-']) => {
            (t[..i].trim(), t[i..].trim())
        }
        _ => (t, "+00"),
    };
    let naive = NaiveDateTime::parse_from_str(stamp, "%Y-%m-%d %H:%M:%S").map_err(|_| bad())?;
    let sign: i64 = if offset.starts_with('-') { -1 } else { 1 };
    let digits: String = offset.chars().filter(char::is_ascii_digit).collect();
    let (h, m) = match digits.len() {
        2 => (digits.parse::<i64>().map_err(|_| bad())?, 0),
        4 => (
            digits[..2].parse::<i64>().map_err(|_| bad())?,
            digits[2..].parse::<i64>().map_err(|_| bad())?,
        ),
        _ => return Err(bad()),
    };
    if h > 14 || m > 59 {
        return Err(bad());
    }
    Ok((naive - chrono::Duration::minutes(sign * (h * 60 + m))).and_utc())
}

fn line(
    r: &Record,
    at: &[usize; 18],
    city: Option<usize>,
    schedule: &Schedule,
) -> Result<StagedSale, String> {
    let [order, sold, paid, item, size, style, qty, price, price_cur, seller_fee, seller_fee_cur, processing, processing_cur, shipping, shipping_cur, payout, payout_cur, country] =
        *at;
    let mut s = StagedSale {
        line_no: r.line,
        ..StagedSale::default()
    };
    s.order_number = r.get(order).to_owned();
    if s.order_number.is_empty() || s.order_number.len() > 100 {
        return Err("Order Number: missing".to_owned());
    }
    match r.get(qty) {
        "1" | "" => {}
        q => return Err(format!("Quantity: {q}; one line per pair is expected (1)")),
    }
    s.sold_at = Some(timestamp("Sale Date", r.get(sold))?);
    s.payout_at = match r.get(paid) {
        "" | "N/A" => None,
        t => Some(timestamp("Payout date", t)?),
    };
    s.item = r.get(item).chars().take(255).collect();
    let styles = sale::style(r.get(style)).map_err(|e| format!("Style: {e}"))?;
    if let Some((first, second)) = styles {
        s.style = Some(first);
        s.style_alt = second;
    }
    if s.style.is_none() && s.item.is_empty() {
        return Err("Style and Item: both empty; the product cannot be found".to_owned());
    }
    s.brand_slug = sale::brand(s.style.as_deref());
    sale::size(r.get(size), &mut s).map_err(|e| format!("Sku Size: {e}"))?;

    let currency =
        Currency::parse("Listing Price Currency", r.get(price_cur)).map_err(|e| e.to_string())?;
    s.currency = currency.code().to_owned();
    let same = |field: &str, col: usize, amount: Option<Decimal>| -> Result<(), String> {
        let c = r.get(col);
        if amount.is_some() && !c.eq_ignore_ascii_case(currency.code()) {
            return Err(format!(
                "{field}: in `{c}`, not in the listing price's currency {}",
                currency.code()
            ));
        }
        Ok(())
    };
    let listing =
        sale::amount("Listing Price", r.get(price), currency)?.ok_or("Listing Price: missing")?;
    if listing <= Decimal::ZERO {
        return Err(format!(
            "Listing Price: {listing} is not a sale price (above 0)"
        ));
    }
    s.price = listing;
    let fee = sale::amount("Seller Fee", r.get(seller_fee), currency)?;
    same("Seller Fee", seller_fee_cur, fee)?;
    let proc = sale::amount("Payment Processing", r.get(processing), currency)?;
    same("Payment Processing", processing_cur, proc)?;
    let ship = sale::amount("Shipping Fee", r.get(shipping), currency)?;
    same("Shipping Fee", shipping_cur, ship)?;
    let paid_out = sale::amount("Total Gross Amount (Total Payout)", r.get(payout), currency)?
        .ok_or("Total Gross Amount (Total Payout): missing")?;
    same(
        "Total Gross Amount (Total Payout)",
        payout_cur,
        Some(paid_out),
    )?;
    for (name, v) in [("Seller Fee", fee), ("Payment Processing", proc)] {
        if v.is_some_and(|v| v.is_sign_negative()) {
            return Err(format!("{name}: a negative fee"));
        }
    }
    s.payout = Some(paid_out);
    let reported = |amount: Decimal| StagedFee {
        amount,
        source: "reported",
        rate_pct: None,
        schedule_row: None,
    };
    s.fees[0] = fee.map(reported);
    s.fees[1] = proc.map(reported);
    s.fees[2] = ship.map(reported);
    let rest = listing
        - fee.unwrap_or_default()
        - proc.unwrap_or_default()
        - ship.unwrap_or_default()
        - paid_out;
    if !rest.is_zero() {
        let date = s.sold_at.map(|t| t.date_naive()).unwrap_or_default();
        let minimum = if fee.is_none() {
            minimum_seller_fee(schedule, currency, date).filter(|(m, _)| *m == rest)
        } else {
            None
        };
        match minimum {
            Some((amount, row)) => {
                s.fees[3] = Some(StagedFee {
                    amount,
                    source: "derived",
                    rate_pct: None,
                    schedule_row: Some(row),
                });
            }
            None => {
                s.fees[5] = Some(StagedFee {
                    amount: rest,
                    source: "derived",
                    rate_pct: None,
                    schedule_row: None,
                });
                s.flagged = rest.abs() > ROUNDING;
            }
        }
    }
    s.buyer_country = Some(r.get(country))
        .filter(|c| !c.is_empty() && *c != "N/A")
        .map(str::to_owned);
    s.buyer_city = city
        .map(|c| r.get(c))
        .filter(|c| !c.is_empty() && *c != "N/A")
        .map(str::to_owned);
    Ok(s)
}

/// StockX's minimum seller fee for a seller paid in `currency` on `date`, with its schedule
/// row: what a payout is short by when the report leaves Seller Fee empty (stored as a derived
/// `minimum_fee_topup` line: the whole fee is the minimum).
fn minimum_seller_fee(
    schedule: &Schedule,
    currency: Currency,
    date: NaiveDate,
) -> Option<(Decimal, String)> {
    let region = crate::ledger::region_of_currency(currency);
    schedule
        .rows()
        .iter()
        .find(|row| {
            row.platform == "stockx"
                && row.kind == ComponentKind::MinimumSellerFee
                && row.regions.names(&region)
                && row.currency == Some(currency)
                && row.in_force(date)
        })
        .map(|row| (row.value, row.at.to_string()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stockx_times_with_a_two_digit_offset_read_as_utc() {
        let t = timestamp("Sale Date", "2022-07-08 00:46:09 +00").unwrap();
        assert_eq!(t.to_rfc3339(), "2022-07-08T00:46:09+00:00");
        let t = timestamp("Sale Date", "2022-07-08 02:46:09 +02").unwrap();
        assert_eq!(t.to_rfc3339(), "2022-07-08T00:46:09+00:00");
    }

    #[test]
    fn an_impossible_date_is_refused_naming_the_column() {
        let e = timestamp("Sale Date", "2023-02-30 10:00:00 +00").unwrap_err();
        assert!(e.starts_with("Sale Date: `2023-02-30"), "{e}");
    }

    #[test]
    fn the_eu_minimum_seller_fee_is_eight_euros_in_2023_and_five_in_2024() {
        let s = Schedule::embedded().unwrap();
        let eur = Currency::parse("c", "EUR").unwrap();
        let d = |t: &str| NaiveDate::parse_from_str(t, "%Y-%m-%d").unwrap();
        assert_eq!(
            minimum_seller_fee(s, eur, d("2023-03-01")).map(|m| m.0),
            Some(Decimal::new(800, 2))
        );
        assert_eq!(
            minimum_seller_fee(s, eur, d("2024-03-01")).map(|m| m.0),
            Some(Decimal::new(500, 2))
        );
    }
}
