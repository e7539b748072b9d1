//! `import stockx-sales|alias-sales|purchases FILE`: each calls one importer of
//! `soleflip_app::imports` and shows its report as text or JSON. A progress line on stderr while
//! it runs, only when stdout is a terminal.

use std::fmt::Write as _;
use std::io::{IsTerminal, Write as _};
use std::path::PathBuf;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use clap::{Args, Subcommand};
use soleflip_app::imports::{
    AliasOptions, PriceUnit, Progress, PurchaseImportReport, RejectedLine, SaleSums,
    SalesImportReport,
};
use soleflip_app::App;

use crate::cli::Format;
use crate::feeds::FeedCommand;
use crate::output::show;
use crate::Outcome;

#[derive(Debug, Subcommand)]
pub enum ImportCommand {
    /// A StockX "historical seller sales report" (CSV) into the ledger: orders, fee lines,
    /// pairs sold (first in, first out from stock)
    StockxSales(FileArgs),
    /// An Alias (GOAT group) sales export (CSV) into the ledger
    AliasSales(AliasArgs),
    /// An AWIN retail feed: publisher CSV (plain or gzip; `,` `;` `|` or tab) or enhanced JSONL
    Awin(crate::feeds::AwinArgs),
    /// The ECB euro reference rates (eurofxref CSV: `Date, USD, JPY, ...`)
    Fx(crate::feeds::FxArgs),
    /// A purchase list (CSV, `;` or `,`, decimal commas, DD.MM.YYYY) into the ledger: one
    /// invoice per supplier and invoice number, one pair per unit
    Purchases(FileArgs),
}

#[derive(Debug, Args)]
pub struct FileArgs {
    /// The file to import
    pub file: PathBuf,
    /// Read, check and merge everything, report, then roll it all back
    #[arg(long)]
    pub dry_run: bool,
    /// Output format
    #[arg(long, value_enum, default_value_t = Format::Text)]
    pub format: Format,
}

#[derive(Debug, Args)]
pub struct AliasArgs {
    #[command(flatten)]
    pub file: FileArgs,
    /// Where you ship from, a country code (Alias's seller fee depends on it), e.g. DE
    #[arg(long, value_name = "CC")]
    pub region: Option<String>,
    /// Your seller rating band in the fee schedule (default 90-100)
    #[arg(long, value_name = "L")]
    pub level: Option<String>,
    /// What PRODUCT_PRICE_CENTS_SALE_PRICE holds, when the file does not tell
    #[arg(long, value_name = "UNIT", value_parser = parse_unit)]
    pub price_unit: Option<PriceUnit>,
}

fn parse_unit(s: &str) -> Result<PriceUnit, String> {
    s.parse()
}

/// A progress line on stderr, at most ten times a second, when stdout is a terminal.
struct Bar {
    on: bool,
    last: Mutex<Option<Instant>>,
}

impl Bar {
    fn new() -> Bar {
        Bar {
            on: std::io::stdout().is_terminal(),
            last: Mutex::new(None),
        }
    }

    fn show(&self, p: Progress) {
        if !self.on {
            return;
        }
        let Ok(mut last) = self.last.lock() else {
            return;
        };
        let merge = matches!(p, Progress::Merge(_));
        if !merge && last.is_some_and(|t| t.elapsed() < Duration::from_millis(100)) {
            return;
        }
        *last = Some(Instant::now());
        let text = match p {
            Progress::Read {
                bytes,
                total,
                lines,
            } => {
                let pct = (bytes * 100).checked_div(total).unwrap_or(0);
                format!("reading: {pct:>3} %  {lines} lines")
            }
            Progress::Merge(step) => format!("merging: {step}"),
        };
        let mut err = std::io::stderr().lock();
        let _ = write!(err, "\r\x1b[2K{text}");
        let _ = err.flush();
    }

    fn done(&self) {
        if self.on {
            let _ = write!(std::io::stderr().lock(), "\r\x1b[2K");
        }
    }
}

pub async fn run(command: ImportCommand, app: &App) -> anyhow::Result<Outcome> {
    let bar = Bar::new();
    let progress = |p: Progress| bar.show(p);
    match command {
        ImportCommand::StockxSales(a) => {
            let report = app.import_stockx_sales(&a.file, a.dry_run, &progress).await;
            bar.done();
            show(&report?, a.format, render_sales);
        }
        ImportCommand::AliasSales(a) => {
            let options = AliasOptions {
                region: a.region,
                level: a.level,
                price_unit: a.price_unit,
            };
            let report = app
                .import_alias_sales(&a.file.file, &options, a.file.dry_run, &progress)
                .await;
            bar.done();
            show(&report?, a.file.format, render_sales);
        }
        ImportCommand::Purchases(a) => {
            let report = app.import_purchases(&a.file, a.dry_run, &progress).await;
            bar.done();
            show(&report?, a.format, render_purchases);
        }
        ImportCommand::Awin(a) => return crate::feeds::run(FeedCommand::Awin(a), app).await,
        ImportCommand::Fx(a) => return crate::feeds::run(FeedCommand::Fx(a), app).await,
    }
    Ok(Outcome::Ok)
}

fn rejected_lines(out: &mut String, shown: &[RejectedLine], total: u64) {
    if total == 0 {
        return;
    }
    let _ = writeln!(out, "rejected lines:");
    for r in shown {
        let _ = writeln!(out, "  line {}: {}", r.line, r.reason);
    }
    if total > shown.len() as u64 {
        let _ = writeln!(
            out,
            "  … and {} more (all in integration.import_records)",
            total - shown.len() as u64
        );
    }
}

/// One row of the sums table: how to read it from a currency's sums.
type Column = fn(&SaleSums) -> String;

fn render_sales(r: &SalesImportReport) -> String {
    let mut out = String::new();
    let _ = writeln!(
        out,
        "{}{} {} ({} lines read, sha256 {}…)",
        if r.dry_run {
            "dry run, nothing kept: "
        } else {
            ""
        },
        r.kind,
        r.file,
        r.rows_read,
        r.sha256.get(..12).unwrap_or(&r.sha256)
    );
    let _ = writeln!(
        out,
        "imported {}, already present {}, rejected {}",
        r.imported, r.already_present, r.rejected
    );
    let _ = writeln!(
        out,
        "pairs: {} sold from stock (first in, first out), {} created with unknown cost; {} new \
         products",
        r.pairs_matched, r.pairs_created_cost_unknown, r.products_created
    );
    for file in &r.file_sums {
        let zero = SaleSums::default();
        let now = r
            .imported_sums
            .iter()
            .find(|s| s.currency == file.currency)
            .unwrap_or(&zero);
        let _ = writeln!(
            out,
            "\n{:<28}{:>14}{:>14}",
            file.currency, "imported now", "whole file"
        );
        let rows: [(&str, Column); 9] = [
            ("orders", |s| s.orders.to_string()),
            ("sale price", |s| s.sale_price.to_string()),
            ("transaction fee", |s| s.transaction_fee.to_string()),
            ("payment processing", |s| s.payment_processing.to_string()),
            ("shipping", |s| s.shipping.to_string()),
            ("minimum fee (unreported)", |s| {
                s.minimum_fee_topup.to_string()
            }),
            ("cash-out", |s| s.cash_out.to_string()),
            ("other (derived)", |s| s.other.to_string()),
            ("payout", |s| s.payout.to_string()),
        ];
        for (label, value) in rows {
            let _ = writeln!(out, "{label:<28}{:>14}{:>14}", value(now), value(file));
        }
    }
    if !r.file_sums.is_empty() {
        out.push('\n');
    }
    for n in &r.notes {
        let _ = writeln!(out, "note: {n}");
    }
    rejected_lines(&mut out, &r.rejected_lines, r.rejected as u64);
    out
}

fn render_purchases(r: &PurchaseImportReport) -> String {
    let mut out = String::new();
    let _ = writeln!(
        out,
        "{}purchases {} ({} lines read)",
        if r.dry_run {
            "dry run, nothing kept: "
        } else {
            ""
        },
        r.file,
        r.rows_read
    );
    let _ = writeln!(
        out,
        "imported {} lines ({} invoices, {} pairs, {} new products), already present {} lines \
         ({} invoices), rejected {}",
        r.imported,
        r.invoices_imported,
        r.pairs_created,
        r.products_created,
        r.already_present,
        r.invoices_present,
        r.rejected
    );
    for s in &r.sums {
        let _ = writeln!(
            out,
            "{}: {} lines, {} pairs, net {}  VAT {}  gross {}",
            s.currency, s.lines, s.pairs, s.net, s.vat, s.gross
        );
    }
    rejected_lines(&mut out, &r.rejected_lines, r.rejected);
    out
}
