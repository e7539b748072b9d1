//! `import fx`: the ECB's euro foreign exchange reference rates (the `eurofxref` CSV: a
//! `Date, USD, JPY, ...` header and one row per day, `N/A` where a currency has no rate) into
//! `core.fx_rates`, with their date and source, in one transaction. Importing the same file
//! again changes nothing; a republished rate that differs replaces the stored one.
//!
//! A file that is not such a CSV (no `Date` column first, a column that is not a currency code,
//! a date or rate that does not read, a row longer than the header) is refused whole: one error
//! naming the file, line and column, nothing written.

use std::path::Path;
use std::str::FromStr;
use std::time::Instant;

use chrono::NaiveDate;
use serde::Serialize;
use soleflip_db::awin::{self as sql, NewFxRate};
use sqlx::types::Decimal;
use sqlx::Connection as _;

use crate::awin::FeedError;
use crate::App;

/// The source recorded with ECB rates, and their base currency.
pub const ECB: &str = "ecb";
pub const ECB_BASE: &str = "EUR";

/// Rates are written in statements of at most this many.
const CHUNK: usize = 10_000;

/// What `import fx` did.
#[derive(Debug, Clone, Serialize)]
pub struct FxReport {
    pub file: String,
    pub source: &'static str,
    pub base_currency: &'static str,
    /// Days (rows) read.
    pub dates: u64,
    /// The first and last day read (YYYY-MM-DD).
    pub first_date: Option<String>,
    pub last_date: Option<String>,
    pub rates_read: u64,
    pub inserted: i64,
    pub updated: i64,
    pub unchanged: i64,
    /// `N/A` or empty cells: no rate that day.
    pub skipped: u64,
    pub elapsed_ms: u128,
}

/// Reads an ECB reference-rate CSV. Returns the rates and the count of skipped cells.
pub fn parse_ecb_csv(text: &str, file: &str) -> Result<(Vec<NewFxRate>, u64), FeedError> {
    let bad = |line: usize, reason: String| FeedError::BadInput {
        file: file.to_string(),
        line: Some(line as u64),
        reason,
    };
    let mut lines = text.lines().enumerate().map(|(i, l)| (i + 1, l));
    let Some((_, header)) = lines.next() else {
        return Err(bad(
            1,
            "empty file: expected a `Date, USD, ...` header".into(),
        ));
    };
    let mut columns: Vec<&str> = header.split(',').map(str::trim).collect();
    if columns.last() == Some(&"") {
        columns.pop();
    }
    let first = columns.first().map(|c| c.trim_start_matches('\u{feff}'));
    if !first.is_some_and(|c| c.eq_ignore_ascii_case("date")) {
        return Err(bad(
            1,
            "the first column must be `Date` (the ECB eurofxref CSV)".into(),
        ));
    }
    for (i, c) in columns.iter().enumerate().skip(1) {
        if !(c.len() == 3 && c.bytes().all(|b| b.is_ascii_uppercase())) || *c == ECB_BASE {
            return Err(bad(
                1,
                format!("column {}: `{c}` is not a currency code", i + 1),
            ));
        }
    }
    let mut rates = Vec::new();
    let mut skipped = 0;
    for (at, line) in lines {
        if line.trim().is_empty() {
            continue;
        }
        let mut cells: Vec<&str> = line.split(',').map(str::trim).collect();
        if cells.len() > columns.len() && cells.last() == Some(&"") {
            cells.pop();
        }
        if cells.len() != columns.len() {
            return Err(bad(
                at,
                format!(
                    "{} cells where the header has {} (a truncated line?)",
                    cells.len(),
                    columns.len()
                ),
            ));
        }
        let date_text = cells[0];
        let rate_date = NaiveDate::parse_from_str(date_text, "%Y-%m-%d")
            .or_else(|_| NaiveDate::parse_from_str(date_text, "%d %B %Y"))
            .map_err(|_| {
                bad(
                    at,
                    format!("Date: `{date_text}` is not a date (2026-11-25 or 25 November 2026)"),
                )
            })?;
        for (currency, cell) in columns.iter().zip(&cells).skip(1) {
            if cell.is_empty() || cell.eq_ignore_ascii_case("N/A") {
                skipped += 1;
                continue;
            }
            let rate = Decimal::from_str(cell)
                .ok()
                .filter(|r| {
                    *r > Decimal::ZERO && r.scale() <= 10 && *r < Decimal::from(10_000_000_000_i64)
                })
                .ok_or_else(|| bad(at, format!("{currency}: `{cell}` is not a positive rate")))?;
            rates.push(NewFxRate {
                rate_date,
                currency: (*currency).to_string(),
                rate,
            });
        }
    }
    Ok((rates, skipped))
}

impl App {
    /// `import fx FILE`: stores the ECB reference rates of the file.
    pub async fn import_fx(&self, path: &Path) -> Result<FxReport, FeedError> {
        let started = Instant::now();
        let file = path.display().to_string();
        let bytes = std::fs::read(path).map_err(|source| FeedError::Open {
            file: file.clone(),
            source,
        })?;
        let text = String::from_utf8(bytes).map_err(|e| {
            let before = &e.as_bytes()[..e.utf8_error().valid_up_to()];
            FeedError::BadInput {
                file: file.clone(),
                line: Some(before.iter().filter(|&&b| b == b'\n').count() as u64 + 1),
                reason: "not UTF-8".into(),
            }
        })?;
        let (rates, skipped) = parse_ecb_csv(&text, &file)?;
        let mut dates: Vec<NaiveDate> = rates.iter().map(|r| r.rate_date).collect();
        dates.sort_unstable();
        dates.dedup();
        let mut conn = self.conn().await?;
        let mut tx = conn.begin().await?;
        let (mut inserted, mut updated) = (0, 0);
        for chunk in rates.chunks(CHUNK) {
            let done = sql::upsert_fx_rates(&mut tx, ECB, ECB_BASE, chunk).await?;
            inserted += done.inserted;
            updated += done.updated;
        }
        tx.commit().await?;
        let read = rates.len() as i64;
        Ok(FxReport {
            file,
            source: ECB,
            base_currency: ECB_BASE,
            dates: dates.len() as u64,
            first_date: dates.first().map(ToString::to_string),
            last_date: dates.last().map(ToString::to_string),
            rates_read: rates.len() as u64,
            inserted,
            updated,
            unchanged: read - inserted - updated,
            skipped,
            elapsed_ms: started.elapsed().as_millis(),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_daily_ecb_file_reads_with_its_trailing_commas_and_skips_na() {
        let text = "Date, USD, JPY, BGN, \n25 November 2026, 1.0412, 163.11, N/A, \n";
        let (rates, skipped) = parse_ecb_csv(text, "f.csv").unwrap();
        assert_eq!(skipped, 1);
        assert_eq!(rates.len(), 2);
        assert_eq!(rates[0].currency, "USD");
        assert_eq!(rates[0].rate, Decimal::new(10412, 4));
        assert_eq!(
            rates[1].rate_date,
            NaiveDate::from_ymd_opt(2026, 11, 25).unwrap()
        );
    }

    #[test]
    fn a_bad_rate_is_refused_naming_line_and_currency() {
        let text = "Date,USD,JPY\n2026-11-25,1.04,163\n2026-11-24,abc,163\n";
        let e = parse_ecb_csv(text, "f.csv").unwrap_err().to_string();
        assert_eq!(e, "f.csv line 3: USD: `abc` is not a positive rate");
    }
}
