//! `soleflip import`: files from outside into the database. `awin FILE` (a retail feed: CSV
//! plain or gzip, or the enhanced feed's JSONL), `fx FILE` (the ECB reference rates).
//!
//! Input that is not such a file is refused with one line naming the file and line (exit 4),
//! nothing written; rows that cannot be used are listed with their line in the report.

use std::fmt::Write as _;
use std::io::{IsTerminal, Write as _};
use std::path::PathBuf;

use clap::{Args, Subcommand};
use soleflip_app::awin::{AwinOptions, AwinReport, RowIssue};
use soleflip_app::fx::FxReport;
use soleflip_app::App;

use crate::cli::Format;
use crate::output::show;
use crate::Outcome;

#[derive(Debug, Subcommand)]
pub enum FeedCommand {
    /// An AWIN retail feed: publisher CSV (plain or gzip; `,` `;` `|` or tab) or enhanced JSONL
    Awin(AwinArgs),
    /// The ECB euro reference rates (eurofxref CSV: `Date, USD, JPY, ...`)
    Fx(FxArgs),
}

#[derive(Debug, Args)]
pub struct AwinArgs {
    /// The feed file
    pub file: PathBuf,
    /// Read, validate and merge, report, then roll back: nothing changes
    #[arg(long)]
    pub dry_run: bool,
    /// The file is the merchants' full feed: their offers it does not carry are marked out of
    /// stock (never deleted)
    #[arg(long)]
    pub full: bool,
    /// Output: text for people, json for scripts
    #[arg(long, value_enum, default_value_t = Format::Text)]
    pub format: Format,
}

#[derive(Debug, Args)]
pub struct FxArgs {
    /// The rate file (eurofxref.csv or eurofxref-hist.csv)
    pub file: PathBuf,
    /// Output: text for people, json for scripts
    #[arg(long, value_enum, default_value_t = Format::Text)]
    pub format: Format,
}

pub async fn run(cmd: FeedCommand, app: &App) -> anyhow::Result<Outcome> {
    match cmd {
        FeedCommand::Awin(args) => {
            // A progress line only for a person watching: silent when the output goes to a
            // file or a pipe.
            let live = std::io::stdout().is_terminal() && std::io::stderr().is_terminal();
            let mut shown = false;
            let mut progress = |rows: u64| {
                if live {
                    let _ = write!(std::io::stderr().lock(), "\rimport awin: {rows} rows read");
                    shown = true;
                }
            };
            let report = app
                .import_awin(
                    &args.file,
                    AwinOptions {
                        dry_run: args.dry_run,
                        full: args.full,
                    },
                    &mut progress,
                )
                .await;
            if shown {
                let _ = writeln!(std::io::stderr().lock());
            }
            show(&report?, args.format, awin_text);
            Ok(Outcome::Ok)
        }
        FeedCommand::Fx(args) => {
            let report = app.import_fx(&args.file).await?;
            show(&report, args.format, fx_text);
            Ok(Outcome::Ok)
        }
    }
}

/// At most this many rows of each list are shown in text; JSON lists up to the report's cap.
const SHOWN: usize = 20;

fn issues(s: &mut String, title: &str, total: u64, list: &[RowIssue]) {
    if total == 0 {
        return;
    }
    let _ = writeln!(s, "{title} ({total}):");
    for x in list.iter().take(SHOWN) {
        let _ = writeln!(s, "  line {}: {}: {}", x.line, x.field, x.reason);
    }
    if total > SHOWN as u64 {
        let _ = writeln!(
            s,
            "  ... and {} more (--format json lists up to {})",
            total - SHOWN as u64,
            soleflip_app::awin::ISSUES_LISTED
        );
    }
}

fn awin_text(r: &AwinReport) -> String {
    let mut s = String::new();
    let how = match (r.format, r.gzip, r.delimiter.as_deref()) {
        ("csv", gz, Some(d)) => format!("CSV{}, delimiter `{d}`", if gz { " (gzip)" } else { "" }),
        (f, gz, _) => format!("{}{}", f.to_uppercase(), if gz { " (gzip)" } else { "" }),
    };
    let state = if r.dry_run {
        "dry run: rolled back, nothing was changed"
    } else {
        "committed"
    };
    let _ = writeln!(
        s,
        "import awin {}: {how}; {state} ({} ms)",
        r.file, r.elapsed_ms
    );
    let _ = writeln!(
        s,
        "rows read {}, new {}, changed {}, unchanged {}, rejected {}",
        r.rows_read, r.new, r.changed, r.unchanged, r.rejected
    );
    let _ = writeln!(
        s,
        "price or stock changes recorded {}{}",
        r.history_rows,
        if r.full {
            format!(
                ", offers no longer in the feed marked out of stock {}",
                r.marked_out_of_stock
            )
        } else {
            String::new()
        }
    );
    issues(&mut s, "rejected rows", r.rejected, &r.rejects);
    issues(
        &mut s,
        "GTINs not used (rows imported without them)",
        r.gtins_refused,
        &r.gtin_issues,
    );
    s
}

fn fx_text(r: &FxReport) -> String {
    let mut s = String::new();
    let _ = writeln!(
        s,
        "import fx {}: {} rates against {}, {} to {} ({} day(s)) ({} ms)",
        r.file,
        r.source,
        r.base_currency,
        r.first_date.as_deref().unwrap_or("-"),
        r.last_date.as_deref().unwrap_or("-"),
        r.dates,
        r.elapsed_ms
    );
    let _ = writeln!(
        s,
        "rates read {}, new {}, updated {}, unchanged {}, cells without a rate (N/A) {}",
        r.rates_read, r.inserted, r.updated, r.unchanged, r.skipped
    );
    s
}
