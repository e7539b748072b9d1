//! `prices prune`: removes the price history older than an age by dropping whole month
//! partitions of `integration.price_history` (migration 11), never by deleting rows. Only a
//! month that ends on or before the cutoff (now minus the age, on the UTC calendar) is dropped:
//! a month the cutoff falls inside stays whole.
//!
//! One transaction: the default partition is split into months first (so that no old row hides
//! there), the table is locked (at most [`LOCK_WAIT`] of waiting), the months to drop are
//! counted exactly and dropped, and the transaction commits, or, for a dry run, rolls back with
//! the same report.

use std::fmt;
use std::time::Instant;

use anyhow::Context as _;
use chrono::SecondsFormat;
use soleflip_db::integration::history::{self, MonthPartition};
use sqlx::postgres::PgConnection;
use sqlx::Connection;

use super::PricesError;

/// The migration that partitions `price_history`.
const NEEDED_MIGRATION: i64 = 10;

/// How long pruning waits for its lock on `price_history` before giving up.
pub const LOCK_WAIT: &str = "10s";

/// The largest number a duration may have (a thousand years in days).
const MAX_AMOUNT: u32 = 365_000;

/// An age, as `--older-than` gives it: whole months (years are twelve) and days (weeks are
/// seven), counted back from now on the calendar.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Age {
    pub months: u32,
    pub days: u32,
}

impl Age {
    /// Reads `18months`, `2y`, `90d`, `6w` (also `18 months`, `1 year`, `30days`; upper case
    /// too). The number is whole and at least 1. Minutes do not exist here: `m` is refused as
    /// ambiguous.
    pub fn parse(text: &str) -> Result<Self, PricesError> {
        let bad = |why: &str| PricesError::BadDuration {
            text: text.to_string(),
            why: why.to_string(),
        };
        let t = text.trim().to_ascii_lowercase();
        let split = t.find(|c: char| !c.is_ascii_digit()).unwrap_or(t.len());
        let (number, unit) = t.split_at(split);
        if number.is_empty() {
            return Err(bad("it must start with a whole number"));
        }
        let n: u32 = number
            .parse()
            .ok()
            .filter(|n| *n <= MAX_AMOUNT)
            .ok_or_else(|| bad("the number is too large"))?;
        if n == 0 {
            return Err(bad("the number must be at least 1"));
        }
        let (months, days) = match unit.trim() {
            "d" | "day" | "days" => (0, n),
            "w" | "week" | "weeks" => (0, n * 7),
            "mo" | "mon" | "month" | "months" => (n, 0),
            "y" | "yr" | "year" | "years" => (n.saturating_mul(12), 0),
            "" => return Err(bad("a unit is missing")),
            "m" => return Err(bad("`m` is ambiguous: write months")),
            _ => return Err(bad("unknown unit")),
        };
        Ok(Self { months, days })
    }
}

impl fmt::Display for Age {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let plural = |n: u32, one: &str| {
            if n == 1 {
                format!("1 {one}")
            } else {
                format!("{n} {one}s")
            }
        };
        match (self.months, self.days) {
            (m, 0) => f.write_str(&plural(m, "month")),
            (0, d) => f.write_str(&plural(d, "day")),
            (m, d) => write!(f, "{} {}", plural(m, "month"), plural(d, "day")),
        }
    }
}

/// How `prices prune` runs.
#[derive(Debug, Clone, Copy)]
pub struct PruneOptions {
    pub older_than: Age,
    /// Report what would be dropped, then roll back: nothing changes.
    pub dry_run: bool,
}

/// One month partition in the report.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, utoipa::ToSchema)]
pub struct MonthReport {
    /// `YYYY-MM` (UTC).
    pub month: String,
    /// The partition: `integration.price_history_YYYY_MM`.
    pub partition: String,
    /// Dropped months: the exact count. Kept months: the planner's estimate, None before the
    /// partition was first analyzed (counting every kept row would hold the lock for long).
    pub rows: Option<i64>,
}

/// What `prices prune` did, or for a dry run would do.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, utoipa::ToSchema)]
pub struct PruneReport {
    pub dry_run: bool,
    /// The age asked for, e.g. `18 months`.
    pub older_than: String,
    /// Now minus the age (RFC 3339, UTC): every month that ends on or before it is dropped.
    pub cutoff: String,
    /// Month partitions created from rows found in the default partition before pruning.
    pub months_split_from_default: i32,
    /// Dropped (or, for a dry run, to be dropped), oldest first.
    pub dropped: Vec<MonthReport>,
    /// Rows removed with them (exact).
    pub rows_removed: i64,
    /// The months that stay, oldest first.
    pub kept: Vec<MonthReport>,
    /// Rows left in the default partition (rows whose time has no month: infinity).
    pub default_rows: i64,
    pub elapsed_ms: u64,
}

/// Drops every month partition of `integration.price_history` that ends on or before now minus
/// `opts.older_than`, and reports them with their rows and what stays; a dry run reports the
/// same and changes nothing.
pub async fn prune(
    conn: &mut PgConnection,
    opts: &PruneOptions,
) -> Result<PruneReport, PricesError> {
    let started = Instant::now();
    super::require_migration_at(conn, NEEDED_MIGRATION).await?;
    let mut tx = conn.begin().await.context("starting the transaction")?;
    let months = i32::try_from(opts.older_than.months).context("the age in months")?;
    let days = i32::try_from(opts.older_than.days).context("the age in days")?;
    let cutoff = history::cutoff(&mut tx, months, days)
        .await
        .context("computing the cutoff")?;
    let split = history::split_default(&mut tx).await.map_err(locked)?;
    history::lock(&mut tx, LOCK_WAIT).await.map_err(locked)?;
    let partitions = history::partitions(&mut tx)
        .await
        .context("listing the month partitions")?;
    let (old, young): (Vec<MonthPartition>, Vec<MonthPartition>) =
        partitions.into_iter().partition(|p| p.ends <= cutoff);
    let mut dropped = Vec::with_capacity(old.len());
    let mut rows_removed = 0;
    for p in &old {
        let rows = history::count_rows(&mut tx, &p.name)
            .await
            .with_context(|| format!("counting the rows of {}", p.name))?;
        history::drop_partition(&mut tx, &p.name)
            .await
            .with_context(|| format!("dropping {}", p.name))?;
        rows_removed += rows;
        dropped.push(month_report(p, Some(rows)));
    }
    let default_rows = history::default_rows(&mut tx)
        .await
        .context("counting the default partition")?;
    let report = PruneReport {
        dry_run: opts.dry_run,
        older_than: opts.older_than.to_string(),
        cutoff: cutoff.to_rfc3339_opts(SecondsFormat::Secs, true),
        months_split_from_default: split,
        dropped,
        rows_removed,
        kept: young
            .iter()
            .map(|p| month_report(p, p.estimated_rows))
            .collect(),
        default_rows,
        elapsed_ms: u64::try_from(started.elapsed().as_millis()).unwrap_or(u64::MAX),
    };
    if opts.dry_run {
        tx.rollback().await.context("rolling back the dry run")?;
    } else {
        tx.commit().await.context("committing")?;
    }
    Ok(report)
}

fn month_report(p: &MonthPartition, rows: Option<i64>) -> MonthReport {
    MonthReport {
        month: p.starts.format("%Y-%m").to_string(),
        partition: format!("integration.{}", p.name),
        rows,
    }
}

/// A lock not had in time (55P03) is a conflict the caller can retry; anything else is
/// unexpected.
fn locked(e: sqlx::Error) -> PricesError {
    match &e {
        sqlx::Error::Database(d) if d.code().as_deref() == Some("55P03") => PricesError::Busy(
            format!(
                "integration.price_history is in use by another session (no lock within {LOCK_WAIT}); nothing was dropped, try again"
            ),
        ),
        _ => PricesError::Unexpected(anyhow::Error::new(e).context("locking the price history")),
    }
}

impl crate::App {
    /// `prices prune`, on a connection of the pool.
    #[tracing::instrument(skip(self))]
    pub async fn prune_prices(&self, options: &PruneOptions) -> Result<PruneReport, PricesError> {
        let mut conn = self.conn().await.map_err(anyhow::Error::new)?;
        prune(&mut conn, options).await
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_documented_durations_read_as_months_and_days() {
        let read = |t: &str| Age::parse(t).map(|a| (a.months, a.days)).ok();
        assert_eq!(read("18months"), Some((18, 0)));
        assert_eq!(read("2y"), Some((24, 0)));
        assert_eq!(read("90d"), Some((0, 90)));
        assert_eq!(read("6w"), Some((0, 42)));
        assert_eq!(read(" 1 Year "), Some((12, 0)));
        assert_eq!(read("3mo"), Some((3, 0)));
    }

    #[test]
    fn a_bad_duration_says_why_in_one_line() {
        for (text, why) in [
            ("", "whole number"),
            ("months", "whole number"),
            ("18", "unit is missing"),
            ("0d", "at least 1"),
            ("5m", "ambiguous"),
            ("2 fortnights", "unknown unit"),
            ("-3d", "whole number"),
            ("1.5y", "unknown unit"),
            ("99999999999d", "too large"),
        ] {
            let e = Age::parse(text).unwrap_err().to_string();
            assert!(e.contains(why), "{text:?}: {e}");
            assert!(!e.contains('\n'), "{e}");
        }
    }

    #[test]
    fn an_age_prints_in_words() {
        assert_eq!(Age::parse("18months").unwrap().to_string(), "18 months");
        assert_eq!(Age::parse("1d").unwrap().to_string(), "1 day");
        assert_eq!(Age { months: 1, days: 2 }.to_string(), "1 month 2 days");
    }
}
