//! Prices: moving the two legacy price tables into `integration.price_sources` once and for all
//! ([`migrate_legacy`]), the latest price per size and source of a product ([`latest`]), and
//! dropping old price history a month partition at a time ([`prune`]).
//!
//! The migration is one transaction: it reads the legacy sizes, stages and writes set-based
//! (`soleflip_db::integration::legacy`), validates what it wrote against the legacy rows, and
//! commits only when every check holds (and not for a dry run); otherwise it rolls back and the
//! database is as before. What it maps, and how, is `docs/prices-mapping.md`.

use std::collections::BTreeMap;
use std::time::Instant;

use anyhow::Context as _;
use soleflip_db::integration::legacy::{
    self, Applied, Reject, TableAccounting, TableCount, Totals,
};
use soleflip_db::integration::{
    self, brand_family, read_size, size_convention, LatestPrice, SizeInput, SourceType,
};
use sqlx::postgres::PgConnection;
use sqlx::types::Uuid;
use sqlx::Connection;

pub use soleflip_db::integration::legacy::Fault;

pub mod prune;

/// What a caller of the price use cases must be able to tell apart.
#[derive(Debug, thiserror::Error)]
pub enum PricesError {
    #[error("pricing currency {0:?}: not a currency of core.currencies")]
    UnknownCurrency(String),
    #[error(
        "{present} exists but {missing} does not: the legacy tables are half archived; \
         move {missing} back from the archive schema or archive {present} by hand"
    )]
    HalfArchived { present: String, missing: String },
    #[error(
        "the database is at migration {at}, and this needs migration {needed}: run `soleflip db \
         migrate` first"
    )]
    NotMigrated { at: i64, needed: i64 },
    #[error("no product has SKU {0:?}")]
    NoProduct(String),
    #[error("size {size:?}: {reason}")]
    Size { size: String, reason: String },
    #[error("source {0:?}: unknown source (known: {known})", known = SourceType::labels())]
    UnknownSource(String),
    #[error("--older-than {text:?}: not a duration ({why}); write e.g. 90d, 6w, 18months or 2y")]
    BadDuration { text: String, why: String },
    #[error("{0}")]
    Busy(String),
    #[error(transparent)]
    Unexpected(#[from] anyhow::Error),
}

impl From<sqlx::Error> for PricesError {
    fn from(e: sqlx::Error) -> Self {
        Self::Unexpected(e.into())
    }
}

/// How `prices migrate-legacy` runs.
#[derive(Debug, Clone)]
pub struct MigrateOptions {
    /// Validate and report, then roll back.
    pub dry_run: bool,
    /// After a successful validation, move the legacy tables into the schema `archive`.
    pub archive: bool,
    /// Roll back if any legacy row is rejected.
    pub strict: bool,
    /// The currency of `pricing.market_prices`, which has no currency column (default EUR,
    /// the old system's only currency there).
    pub pricing_currency: String,
    /// Test hook: plants an error between writing and validating. `None` outside tests.
    #[doc(hidden)]
    pub fault: Option<Fault>,
}

impl Default for MigrateOptions {
    fn default() -> Self {
        Self {
            dry_run: false,
            archive: false,
            strict: false,
            pricing_currency: "EUR".to_string(),
            fault: None,
        }
    }
}

/// How the migration ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum MigrateStatus {
    /// Validated and committed (and archived when asked).
    Committed,
    /// Validated, then rolled back as asked.
    DryRun,
    /// The legacy tables are archived already: nothing to migrate.
    NothingToDo,
    /// What was written differs from the legacy rows: rolled back, nothing changed.
    Mismatch,
    /// `--strict` and some rows were rejected: rolled back, nothing changed.
    Refused,
}

/// One legacy table in the report.
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize)]
pub struct TableReport {
    pub legacy_table: String,
    /// Rows in the table.
    pub rows: i64,
    /// Moved by earlier runs (recorded in legacy_price_migrations), not considered again.
    pub moved_before: i64,
    /// Became a new price source.
    pub inserted: i64,
    /// Became the current observation of an existing, older price source.
    pub updated: i64,
    /// An older observation of its key: recorded in price_history.
    pub merged: i64,
    pub rejected: i64,
}

/// What `prices migrate-legacy` did, or would do.
#[derive(Debug, Clone, serde::Serialize)]
pub struct MigrateReport {
    pub status: MigrateStatus,
    pub dry_run: bool,
    pub strict: bool,
    /// True when this run moved the legacy tables into `archive`.
    pub archived: bool,
    pub pricing_currency: String,
    pub tables: Vec<TableReport>,
    /// Per source and currency: the accepted legacy rows against what they became.
    pub totals: Vec<Totals>,
    /// The tables written in bulk: their indexes and keys dropped before the writes and rebuilt
    /// after them, under an ACCESS EXCLUSIVE lock until the end of the run.
    pub bulk_loaded: Vec<String>,
    /// Size rows created for sizes the legacy prices name that the size table lacked (read by
    /// the size service with the platform's convention: a StockX `10` is US M 10).
    pub sizes_created: u64,
    /// Every failed check, one line each (empty when the validation holds).
    pub problems: Vec<String>,
    /// Rejected rows per kind of reason (the part of the reason before `:`).
    pub reject_reasons: BTreeMap<String, u64>,
    pub rejects: Vec<Reject>,
    pub elapsed_ms: u64,
}

impl MigrateReport {
    fn empty(opts: &MigrateOptions, status: MigrateStatus) -> Self {
        Self {
            status,
            dry_run: opts.dry_run,
            strict: opts.strict,
            archived: false,
            pricing_currency: opts.pricing_currency.clone(),
            tables: Vec::new(),
            totals: Vec::new(),
            bulk_loaded: Vec::new(),
            sizes_created: 0,
            problems: Vec::new(),
            reject_reasons: BTreeMap::new(),
            rejects: Vec::new(),
            elapsed_ms: 0,
        }
    }
}

/// Moves every row of `integration.market_prices` and `pricing.market_prices` not moved before
/// into `integration.price_sources` (the latest observation of each key) and
/// `integration.price_history` (the older ones), records each in
/// `integration.legacy_price_migrations`, validates, and commits unless a check fails, the
/// run is a dry run, or `strict` meets a rejected row. A second run moves nothing.
pub async fn migrate_legacy(
    conn: &mut PgConnection,
    opts: &MigrateOptions,
) -> Result<MigrateReport, PricesError> {
    let started = Instant::now();
    require_migration(conn).await?;
    let mut tx = conn.begin().await.context("starting the transaction")?;
    legacy::tune_transaction(&mut tx)
        .await
        .context("setting the session up")?;
    let known = legacy::currency_known(&mut tx, &opts.pricing_currency)
        .await
        .context("reading core.currencies")?;
    if !known {
        return Err(PricesError::UnknownCurrency(opts.pricing_currency.clone()));
    }
    let present = legacy::tables_present(&mut tx)
        .await
        .context("looking for the legacy tables")?;
    match present.len() {
        0 => {
            let mut report = MigrateReport::empty(opts, MigrateStatus::NothingToDo);
            report.elapsed_ms = elapsed_ms(started);
            return Ok(report);
        }
        1 => {
            let missing = legacy::TABLES
                .iter()
                .find(|t| !present.iter().any(|p| p == *t))
                .map_or_else(String::new, |t| (*t).to_string());
            return Err(PricesError::HalfArchived {
                present: present.join(""),
                missing,
            });
        }
        _ => {}
    }
    legacy::lock(&mut tx)
        .await
        .context("locking the price tables")?;
    let mut step = Instant::now();
    let counts = legacy::counts(&mut tx)
        .await
        .context("counting the legacy rows")?;
    let sizes_created = stage_sizes(&mut tx).await?;
    lap(&mut step, "counted the legacy rows and matched their sizes");
    legacy::stage(&mut tx, &opts.pricing_currency)
        .await
        .context("mapping the legacy rows")?;
    lap(&mut step, "mapped the legacy rows");
    let applied = legacy::apply(&mut tx).await.context("writing the prices")?;
    lap(&mut step, "wrote the prices, history and records");
    if let Some(fault) = opts.fault {
        legacy::inject(&mut tx, fault)
            .await
            .context("planting the test fault")?;
    }
    let accounting = legacy::accounting(&mut tx)
        .await
        .context("accounting for the legacy rows")?;
    let totals = legacy::totals(&mut tx)
        .await
        .context("comparing totals per source and currency")?;
    let outcomes = legacy::outcomes(&mut tx)
        .await
        .context("counting outcomes")?;
    let rejects = legacy::rejects(&mut tx)
        .await
        .context("listing rejected rows")?;
    lap(&mut step, "validated");

    let mut report = MigrateReport::empty(opts, MigrateStatus::Committed);
    report.tables = table_reports(&counts, &outcomes);
    report.problems = problems(&counts, &accounting, &totals, &report.tables, &applied);
    report.totals = totals;
    report.bulk_loaded.clone_from(&applied.bulk_loaded);
    report.sizes_created = sizes_created;
    for r in &rejects {
        let kind = r.reason.split(':').next().unwrap_or_default().to_string();
        *report.reject_reasons.entry(kind).or_default() += 1;
    }
    report.rejects = rejects;
    report.status = if !report.problems.is_empty() {
        MigrateStatus::Mismatch
    } else if opts.strict && !report.rejects.is_empty() {
        MigrateStatus::Refused
    } else if opts.dry_run {
        MigrateStatus::DryRun
    } else {
        MigrateStatus::Committed
    };
    if report.status == MigrateStatus::Committed {
        if opts.archive {
            legacy::archive(&mut tx)
                .await
                .context("moving the legacy tables into the archive schema")?;
            report.archived = true;
        }
        tx.commit().await.context("committing")?;
    } else {
        tx.rollback().await.context("rolling back")?;
    }
    report.elapsed_ms = elapsed_ms(started);
    Ok(report)
}

/// The migration that made prices what this module expects (`core.currencies`, the history
/// trigger, `legacy_price_migrations`).
const NEEDED_MIGRATION: i64 = 4;

async fn require_migration(conn: &mut PgConnection) -> Result<(), PricesError> {
    require_migration_at(conn, NEEDED_MIGRATION).await
}

/// Refuses a database before migration `needed`.
async fn require_migration_at(conn: &mut PgConnection, needed: i64) -> Result<(), PricesError> {
    let at = soleflip_db::migrate::current_version(conn)
        .await
        .context("reading the migration state")?
        .map_or(0, |(v, _)| v);
    if at < needed {
        return Err(PricesError::NotMigrated { at, needed });
    }
    Ok(())
}

/// Logs how long the step since `step` took (`SOLEFLIP_LOG=info` shows it).
fn lap(step: &mut Instant, what: &str) {
    tracing::info!(ms = elapsed_ms(*step), "prices migrate-legacy: {what}");
    *step = Instant::now();
}

fn elapsed_ms(started: Instant) -> u64 {
    u64::try_from(started.elapsed().as_millis()).unwrap_or(u64::MAX)
}

/// Reads the legacy size strings with the size charts, runs the size lookup on them, and
/// creates the size rows of the sizes the service read but the size table lacks (a fresh
/// install has none). Returns how many size rows it created.
async fn stage_sizes(conn: &mut PgConnection) -> Result<u64, PricesError> {
    let inputs = legacy::size_inputs(conn)
        .await
        .context("listing the legacy sizes")?;
    let readings: Vec<_> = inputs
        .into_iter()
        .map(|i| {
            let brand = brand_family(i.brand_slug.as_deref(), i.brand_name.as_deref());
            let convention = SourceType::from_legacy_name(&i.platform).and_then(size_convention);
            let reading = read_size(&i.size_value, brand, convention);
            let input = SizeInput {
                size_value: i.size_value,
                brand_id: i.brand_id,
                brand_name: i.brand_name,
                category_id: i.category_id,
                source: i.platform,
            };
            (input, reading)
        })
        .collect();
    integration::match_sizes(conn, &readings)
        .await
        .context("matching the legacy sizes to products.sizes")?;
    let (created, _) = integration::create_unmatched_sizes(conn)
        .await
        .context("creating the size rows the legacy prices name")?;
    Ok(created)
}

fn table_reports(counts: &[TableCount], outcomes: &[(String, String, i64)]) -> Vec<TableReport> {
    counts
        .iter()
        .map(|c| {
            let n = |outcome: &str| {
                outcomes
                    .iter()
                    .filter(|(t, o, _)| *t == c.legacy_table && o == outcome)
                    .map(|(_, _, n)| *n)
                    .sum()
            };
            TableReport {
                legacy_table: c.legacy_table.clone(),
                rows: c.total,
                moved_before: c.recorded,
                inserted: n("inserted"),
                updated: n("updated"),
                merged: n("merged"),
                rejected: n("rejected"),
            }
        })
        .collect()
}

/// Every failed check, one line each: every legacy row accounted for exactly once, every
/// accepted one recorded, the writes as planned, and equal counts and sums per source and
/// currency.
fn problems(
    counts: &[TableCount],
    accounting: &[TableAccounting],
    totals: &[Totals],
    tables: &[TableReport],
    applied: &Applied,
) -> Vec<String> {
    let mut out = Vec::new();
    for c in counts {
        let a = accounting
            .iter()
            .find(|a| a.legacy_table == c.legacy_table)
            .cloned()
            .unwrap_or_else(|| TableAccounting {
                legacy_table: c.legacy_table.clone(),
                staged: 0,
                distinct_ids: 0,
                accepted: 0,
                rejected: 0,
                recorded: 0,
            });
        let t = &c.legacy_table;
        if c.recorded + a.staged != c.total {
            out.push(format!(
                "{t}: {} rows, {} moved before and {} considered now: {} unaccounted for",
                c.total,
                c.recorded,
                a.staged,
                c.total - c.recorded - a.staged
            ));
        }
        if a.distinct_ids != a.staged {
            out.push(format!(
                "{t}: {} legacy rows were considered as {} rows",
                a.distinct_ids, a.staged
            ));
        }
        if a.recorded != a.accepted {
            out.push(format!(
                "{t}: {} rows moved but {} recorded in integration.legacy_price_migrations",
                a.accepted, a.recorded
            ));
        }
    }
    let planned = |f: fn(&TableReport) -> i64| -> u64 {
        u64::try_from(tables.iter().map(f).sum::<i64>()).unwrap_or(0)
    };
    for (what, planned, written) in [
        (
            "new price sources",
            planned(|t| t.inserted),
            applied.inserted,
        ),
        (
            "updated price sources",
            planned(|t| t.updated),
            applied.updated,
        ),
        ("history rows", planned(|t| t.merged), applied.merged),
        (
            "records",
            planned(|t| t.inserted + t.updated + t.merged),
            applied.recorded,
        ),
    ] {
        if planned != written {
            out.push(format!("{what}: {planned} planned, {written} written"));
        }
    }
    for t in totals.iter().filter(|t| !t.ok()) {
        out.push(format!(
            "{} {}: legacy {} rows, {} in total; migrated {} rows, {} in total",
            t.source,
            t.currency,
            t.legacy_rows,
            money(t.legacy_cents),
            t.migrated_rows,
            money(t.migrated_cents)
        ));
    }
    out
}

impl crate::App {
    /// `prices migrate-legacy`, on a connection of the pool.
    #[tracing::instrument(skip(self))]
    pub async fn migrate_legacy_prices(
        &self,
        options: &MigrateOptions,
    ) -> Result<MigrateReport, PricesError> {
        let mut conn = self.conn().await.map_err(anyhow::Error::new)?;
        migrate_legacy(&mut conn, options).await
    }

    /// `prices latest`, on a connection of the pool.
    #[tracing::instrument(skip(self))]
    pub async fn latest_prices(
        &self,
        sku: &str,
        size: Option<&str>,
        source: Option<&str>,
    ) -> Result<LatestReport, PricesError> {
        let mut conn = self.conn().await.map_err(anyhow::Error::new)?;
        latest(&mut conn, sku, size, source).await
    }
}

/// Cents as a decimal amount (`-12.05`), without floats.
pub fn money(cents: i64) -> String {
    let sign = if cents < 0 { "-" } else { "" };
    let abs = cents.unsigned_abs();
    format!("{sign}{}.{:02}", abs / 100, abs % 100)
}

/// The product and its latest prices, for `prices latest`.
#[derive(Debug, Clone, serde::Serialize)]
pub struct LatestReport {
    pub sku: String,
    #[serde(serialize_with = "uuid_str")]
    pub product_id: Uuid,
    pub brand: Option<String>,
    pub size: Option<String>,
    pub source: Option<String>,
    pub prices: Vec<LatestPrice>,
}

fn uuid_str<S: serde::Serializer>(u: &Uuid, s: S) -> Result<S::Ok, S::Error> {
    s.collect_str(u)
}

/// The latest in-stock price per size and source of the product with `sku`, optionally for one
/// size and one source. `UK 9`, `EU 44 2/3`, `8.5W` say their system; a bare number is read by
/// the source's convention (StockX: up to 20 is US; AWIN: from 15 is EU) and is ambiguous
/// without a source, exactly as `sizes parse` reads it.
pub async fn latest(
    conn: &mut PgConnection,
    sku: &str,
    size: Option<&str>,
    source: Option<&str>,
) -> Result<LatestReport, PricesError> {
    let source = source
        .map(|s| {
            SourceType::from_label(&s.to_ascii_lowercase())
                .ok_or_else(|| PricesError::UnknownSource(s.to_string()))
        })
        .transpose()?;
    require_migration(conn).await?;
    // The size lookup fills temporary tables, dropped with this (read-only) transaction.
    let mut tx = conn.begin().await.context("starting the transaction")?;
    let product = integration::find_product_by_sku(&mut tx, sku)
        .await
        .context("looking the product up")?
        .ok_or_else(|| PricesError::NoProduct(sku.to_string()))?;
    let size_ids = match size {
        None => None,
        Some(s) => {
            let brand = brand_family(product.brand_slug.as_deref(), product.brand_name.as_deref());
            // A bare number is read by the named source's convention, and is ambiguous without
            // one: the same rule as `sizes parse` with or without its source.
            let reading = read_size(s, brand, source.and_then(size_convention));
            if reading.missing {
                return Err(PricesError::Size {
                    size: s.to_string(),
                    reason: "no size given".to_string(),
                });
            }
            if let Some(problem) = &reading.problem {
                return Err(PricesError::Size {
                    size: s.to_string(),
                    reason: problem.clone(),
                });
            }
            let input = SizeInput {
                size_value: s.to_string(),
                brand_id: product.brand_id,
                brand_name: product.brand_name.clone(),
                category_id: Some(product.category_id),
                source: "cli".to_string(),
            };
            let found = integration::match_sizes(&mut tx, &[(input, reading)])
                .await
                .context("looking the size up")?;
            let m = found.into_iter().next().unwrap_or(integration::SizeMatch {
                size_ids: Vec::new(),
                reason: None,
            });
            if m.size_ids.is_empty() {
                return Err(PricesError::Size {
                    size: s.to_string(),
                    reason: m
                        .reason
                        .unwrap_or_else(|| "no size row matches".to_string()),
                });
            }
            Some(m.size_ids)
        }
    };
    let prices = integration::list_latest_prices(&mut tx, product.id, size_ids.as_deref(), source)
        .await
        .context("reading the latest prices")?;
    tx.rollback().await.context("ending the transaction")?;
    Ok(LatestReport {
        sku: product.sku,
        product_id: product.id,
        brand: product.brand_name,
        size: size.map(str::to_string),
        source: source.map(|s| s.label().to_string()),
        prices,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn money_prints_cents_as_a_decimal_amount() {
        assert_eq!(money(199_999), "1999.99");
        assert_eq!(money(5), "0.05");
        assert_eq!(money(-1205), "-12.05");
        assert_eq!(money(0), "0.00");
    }
}
