//! `soleflip prices`: move the legacy price tables into `integration.price_sources`, show
//! the latest price per size and source of a product, and drop old price history by month.
//!
//! Exit codes of `migrate-legacy`: 0 committed (or a clean dry run, or nothing to do); 1 a
//! failure, or `--strict` with rejected rows (rolled back); 2 the validation found a mismatch
//! (rolled back, the database unchanged).

use std::fmt::Write as _;

use clap::{Args, Subcommand};
use soleflip_app::prices::prune::{Age, PruneOptions, PruneReport};
use soleflip_app::prices::{money, LatestReport, MigrateOptions, MigrateReport, MigrateStatus};
use soleflip_app::App;

use crate::cli::Format;
use crate::output::show;
use crate::Outcome;

#[derive(Debug, Subcommand)]
pub enum PricesCommand {
    /// Move every row of integration.market_prices and pricing.market_prices into
    /// integration.price_sources, validated, in one transaction (exit 2 on a mismatch: rolled
    /// back). See docs/prices-mapping.md
    MigrateLegacy(MigrateLegacyArgs),
    /// The latest in-stock price per size and source of a product
    Latest(LatestArgs),
    /// Drop the price history older than an age, whole months at a time (a month that ends on
    /// or before now minus the age, UTC): report the months dropped, their rows, and the months
    /// that stay
    Prune(PruneArgs),
}

#[derive(Debug, Args)]
pub struct PruneArgs {
    /// The age: a whole number and a unit, e.g. 90d, 6w, 18months, 2y
    #[arg(long, value_name = "DURATION")]
    pub older_than: String,
    /// Report what would be dropped, then roll back: nothing changes
    #[arg(long)]
    pub dry_run: bool,
    /// Output: text for people, json for scripts
    #[arg(long, value_enum, default_value_t = Format::Text)]
    pub format: Format,
}

#[derive(Debug, Args)]
pub struct MigrateLegacyArgs {
    /// Validate and report, then roll back: nothing changes
    #[arg(long)]
    pub dry_run: bool,
    /// After a successful validation, move the two legacy tables into the schema `archive`
    /// (never dropped)
    #[arg(long)]
    pub archive: bool,
    /// Roll back (exit 1) if any legacy row is rejected
    #[arg(long)]
    pub strict: bool,
    /// Currency of pricing.market_prices, which has no currency column
    #[arg(long, value_name = "CODE", default_value = "EUR")]
    pub pricing_currency: String,
    /// Output: text for people, json for scripts
    #[arg(long, value_enum, default_value_t = Format::Text)]
    pub format: Format,
}

#[derive(Debug, Args)]
pub struct LatestArgs {
    /// The product's SKU
    #[arg(long)]
    pub sku: String,
    /// Only this size: `US 10.5`, `UK 9`, `EU 44 2/3`; a bare number is read by --source's
    /// convention (stockx: up to 20 is US; awin: from 15 is EU), as `sizes parse` reads it
    #[arg(long, value_name = "SIZE")]
    pub size: Option<String>,
    /// Only this source: stockx, awin, ebay, goat, klekt, restocks, stockxapi
    #[arg(long, value_name = "SOURCE")]
    pub source: Option<String>,
    /// Output: text for people, json for scripts
    #[arg(long, value_enum, default_value_t = Format::Text)]
    pub format: Format,
}

pub async fn run(cmd: PricesCommand, app: &App) -> anyhow::Result<Outcome> {
    match cmd {
        PricesCommand::MigrateLegacy(args) => {
            let opts = MigrateOptions {
                dry_run: args.dry_run,
                archive: args.archive,
                strict: args.strict,
                pricing_currency: args.pricing_currency.to_ascii_uppercase(),
                fault: None,
            };
            let report = app.migrate_legacy_prices(&opts).await?;
            show(&report, args.format, migrate_text);
            match report.status {
                MigrateStatus::Committed | MigrateStatus::DryRun | MigrateStatus::NothingToDo => {
                    Ok(Outcome::Ok)
                }
                // Exit 2, as for drift: what was written differs from what was promised.
                MigrateStatus::Mismatch => Ok(Outcome::Drift),
                MigrateStatus::Refused => anyhow::bail!(
                    "--strict: {} legacy row(s) rejected; rolled back, nothing was changed",
                    report.rejects.len()
                ),
            }
        }
        PricesCommand::Prune(args) => {
            let opts = PruneOptions {
                older_than: Age::parse(&args.older_than)?,
                dry_run: args.dry_run,
            };
            let report = app.prune_prices(&opts).await?;
            show(&report, args.format, prune_text);
            Ok(Outcome::Ok)
        }
        PricesCommand::Latest(args) => {
            let report = app
                .latest_prices(&args.sku, args.size.as_deref(), args.source.as_deref())
                .await?;
            show(&report, args.format, latest_text);
            Ok(Outcome::Ok)
        }
    }
}

/// At most this many rejected rows are listed in text; JSON lists them all.
const REJECTS_SHOWN: usize = 20;

fn migrate_text(r: &MigrateReport) -> String {
    let mut s = String::new();
    let headline = match r.status {
        MigrateStatus::Committed if r.archived => {
            "validated and committed; the legacy tables were moved to the archive schema"
        }
        MigrateStatus::Committed => "validated and committed",
        MigrateStatus::DryRun => "dry run: validated, rolled back, nothing was changed",
        MigrateStatus::NothingToDo => {
            "nothing to do: the legacy tables are in the archive schema already"
        }
        MigrateStatus::Mismatch => "VALIDATION FAILED: rolled back, nothing was changed",
        MigrateStatus::Refused => "--strict: rows were rejected; rolled back, nothing was changed",
    };
    let _ = writeln!(s, "prices migrate-legacy: {headline} ({} ms)", r.elapsed_ms);
    if r.tables.is_empty() {
        return s;
    }
    let _ = writeln!(
        s,
        "\n{:<27} {:>9} {:>12} {:>9} {:>8} {:>8} {:>9}",
        "legacy table", "rows", "moved before", "inserted", "updated", "merged", "rejected"
    );
    for t in &r.tables {
        let _ = writeln!(
            s,
            "{:<27} {:>9} {:>12} {:>9} {:>8} {:>8} {:>9}",
            t.legacy_table, t.rows, t.moved_before, t.inserted, t.updated, t.merged, t.rejected
        );
    }
    if r.sizes_created > 0 {
        let _ = writeln!(
            s,
            "created {} size row(s) for sizes the legacy prices name (brand- and cohort-aware)",
            r.sizes_created
        );
    }
    if !r.bulk_loaded.is_empty() {
        let _ = writeln!(
            s,
            "written in bulk (indexes and keys rebuilt after the writes): {}",
            r.bulk_loaded.join(", ")
        );
    }
    let _ = writeln!(
        s,
        "\nvalidation per source and currency (pricing.market_prices in {}):",
        r.pricing_currency
    );
    let _ = writeln!(
        s,
        "  {:<10} {:<4} {:>10} {:>16} {:>10} {:>16}",
        "source", "cur", "legacy", "legacy total", "migrated", "migrated total"
    );
    for t in &r.totals {
        let _ = writeln!(
            s,
            "  {:<10} {:<4} {:>10} {:>16} {:>10} {:>16}  {}",
            t.source,
            t.currency,
            t.legacy_rows,
            money(t.legacy_cents),
            t.migrated_rows,
            money(t.migrated_cents),
            if t.ok() { "ok" } else { "MISMATCH" }
        );
    }
    if r.problems.is_empty() {
        let _ = writeln!(
            s,
            "  every legacy row accounted for (moved, merged into its key's price, or rejected)"
        );
    } else {
        let _ = writeln!(s, "\ndifferences ({}):", r.problems.len());
        for p in &r.problems {
            let _ = writeln!(s, "  {p}");
        }
    }
    if !r.reject_reasons.is_empty() {
        let _ = writeln!(s, "\nrejected rows by reason:");
        for (reason, n) in &r.reject_reasons {
            let _ = writeln!(s, "  {n:>9}  {reason}");
        }
        for x in r.rejects.iter().take(REJECTS_SHOWN) {
            let _ = writeln!(s, "  {} {}: {}", x.legacy_table, x.legacy_id, x.reason);
        }
        if r.rejects.len() > REJECTS_SHOWN {
            let _ = writeln!(
                s,
                "  ... and {} more (--format json lists them all)",
                r.rejects.len() - REJECTS_SHOWN
            );
        }
    }
    s
}

fn latest_text(r: &LatestReport) -> String {
    let mut s = String::new();
    let _ = writeln!(
        s,
        "{}{}: latest in-stock price per size and source",
        r.sku,
        r.brand
            .as_deref()
            .map(|b| format!(" ({b})"))
            .unwrap_or_default()
    );
    if r.prices.is_empty() {
        let _ = writeln!(s, "no price");
        return s;
    }
    let _ = writeln!(
        s,
        "{:<10} {:<9} {:>14} {:>6}  {:<20}  source name",
        "size", "source", "price", "stock", "last updated"
    );
    for p in &r.prices {
        let size = match (&p.size_region, &p.size_value) {
            (Some(region), Some(value)) => format!("{region} {value}"),
            _ => "-".to_string(),
        };
        let _ = writeln!(
            s,
            "{:<10} {:<9} {:>14} {:>6}  {:<20}  {}",
            size,
            p.source,
            format!("{} {}", money(i64::from(p.price_cents)), p.currency),
            p.stock_quantity
                .map_or_else(|| "-".to_string(), |q| q.to_string()),
            p.last_updated.as_deref().unwrap_or("-"),
            p.source_name.as_deref().unwrap_or("")
        );
    }
    s
}

fn prune_text(r: &PruneReport) -> String {
    let mut s = String::new();
    let verb = if r.dry_run {
        "dry run, nothing was changed: would drop"
    } else {
        "dropped"
    };
    let _ = writeln!(
        s,
        "prices prune --older-than {} (cutoff {}): {verb} {} month(s), {} row(s) ({} ms)",
        r.older_than,
        r.cutoff,
        r.dropped.len(),
        r.rows_removed,
        r.elapsed_ms
    );
    for m in &r.dropped {
        let _ = writeln!(
            s,
            "  {}  {:>12} rows  {}",
            m.month,
            m.rows.unwrap_or_default(),
            m.partition
        );
    }
    if r.months_split_from_default > 0 {
        let _ = writeln!(
            s,
            "{} month partition(s) made first from rows of the default partition",
            r.months_split_from_default
        );
    }
    match (r.kept.first(), r.kept.last()) {
        (Some(first), Some(last)) => {
            let estimate: Option<i64> = r.kept.iter().map(|m| m.rows).sum();
            let _ = writeln!(
                s,
                "kept: {} month(s), {} to {}{}",
                r.kept.len(),
                first.month,
                last.month,
                estimate.map_or_else(String::new, |n| format!(", about {n} row(s)"))
            );
        }
        _ => {
            let _ = writeln!(s, "kept: no month");
        }
    }
    if r.default_rows > 0 {
        let _ = writeln!(
            s,
            "{} row(s) without a month (infinite times) stay in the default partition",
            r.default_rows
        );
    }
    s
}
