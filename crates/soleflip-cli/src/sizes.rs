//! `soleflip sizes`: parse a size string and show its equivalents on a brand's chart; normalize
//! the size table.

use std::fmt::Write as _;

use soleflip_app::domain::sizes::{BrandFamily, Conversion, Size, SizeError, Source};
use soleflip_app::sizes::{parse_size, ParseReport, ParseRequest};
use soleflip_app::App;

use crate::cli::{Format, SizeSource, SizesCommand};
use crate::output::{print, print_json, show};
use crate::Outcome;

pub async fn run(cmd: SizesCommand, app: &App) -> anyhow::Result<Outcome> {
    match cmd {
        SizesCommand::Parse {
            input,
            brand,
            cohort,
            source,
            format,
        } => {
            let report = parse_size(&ParseRequest {
                input,
                brand,
                cohort,
                source: source.map(|s| match s {
                    SizeSource::Stockx => Source::StockX,
                    SizeSource::EuRetailer => Source::EuRetailer,
                }),
            })?;
            if format == Format::Json {
                print_json(&report);
            }
            Ok(match &report {
                ParseReport::Parsed {
                    input, size, brand, ..
                } => {
                    if format == Format::Text {
                        print(&size_text(input, size, *brand));
                    }
                    Outcome::Ok
                }
                ParseReport::Refused { reason, .. } => {
                    if format == Format::Text {
                        print(&refusal_text(reason));
                    }
                    Outcome::Refused
                }
            })
        }
        SizesCommand::Normalize {
            all,
            dry_run,
            format,
        } => normalize(app, all, dry_run, format).await,
    }
}

fn size_text(input: &str, size: &Size, brand: Option<BrandFamily>) -> String {
    let standardized = size.standardize(brand);
    let equivalents = brand.map(|b| size.equivalents(b));
    let mut s = String::new();
    let _ = writeln!(s, "input: {input:?}");
    let _ = writeln!(
        s,
        "size: {size} (system {}, cohort {})",
        serde_name(&size.system()),
        size.cohort()
    );
    match &standardized {
        Ok(st) => {
            let _ = writeln!(s, "standardized EU: {} ({})", st.eu, st.decimal());
        }
        Err(e) => {
            let _ = writeln!(s, "standardized EU: none ({e})");
        }
    }
    match equivalents {
        Some(eq) => {
            let _ = writeln!(s, "equivalents on the {} chart:", eq.brand);
            for (label, c) in [
                ("US M", &eq.us_m),
                ("US W", &eq.us_w),
                ("UK", &eq.uk),
                ("EU", &eq.eu),
                ("CM", &eq.cm),
            ] {
                let _ = writeln!(s, "  {label:<5} {}", describe(c));
            }
        }
        None => {
            let _ = writeln!(
                s,
                "equivalents: give --brand (brands put the same label on different feet)"
            );
        }
    }
    s
}

fn describe(c: &Conversion) -> String {
    match c {
        Conversion::Exact { size, confidence } => format!("{size} ({})", serde_name(confidence)),
        Conversion::Ambiguous { candidates } => {
            let list: Vec<String> = candidates.iter().map(ToString::to_string).collect();
            format!("ambiguous: {}", list.join(" or "))
        }
        Conversion::Unavailable { reason } => format!("none ({reason})"),
    }
}

/// The name serde gives a unit variant (`"US"`, `"verified"`): the words the JSON output and
/// the chart files use.
fn serde_name(value: &impl serde::Serialize) -> String {
    match serde_json::to_value(value) {
        Ok(serde_json::Value::String(s)) => s,
        _ => "?".to_string(),
    }
}

fn refusal_text(refusal: &SizeError) -> String {
    let mut s = format!("refused: {refusal}\n");
    if let SizeError::Ambiguous { candidates, .. } = refusal {
        for c in candidates {
            let _ = writeln!(s, "  candidate: {c}");
        }
    }
    s
}

/// How many refused rows the text report lists (JSON lists them all).
const LISTED: usize = 50;

/// `soleflip sizes normalize`: counts, then the ambiguous and unparsable rows.
async fn normalize(app: &App, all: bool, dry_run: bool, format: Format) -> anyhow::Result<Outcome> {
    let report = app.normalize_sizes(all, dry_run).await?;
    show(&report, format, normalize_text);
    Ok(Outcome::Ok)
}

fn normalize_text(report: &soleflip_app::sizes::NormalizeReport) -> String {
    let dry_run = report.dry_run;
    let mut s = String::new();
    let verb = if dry_run { "would update" } else { "updated" };
    let _ =
        writeln!(
        s,
        "considered {} size row(s); normalized {}, parsed without a standard {}, ambiguous {}, \
         unparsable {}; {verb} {}{}",
        report.considered,
        report.normalized,
        report.parsed_only,
        report.ambiguous.len(),
        report.unparsable.len(),
        report.updated,
        if dry_run { " (dry run: nothing changed)" } else { "" }
    );
    for (reason, n) in &report.parsed_only_reasons {
        let _ = writeln!(s, "  no standard ({n}): {reason}");
    }
    for (title, list) in [
        ("ambiguous", &report.ambiguous),
        ("unparsable", &report.unparsable),
    ] {
        for issue in list.iter().take(LISTED) {
            let brand = issue.brand.as_deref().unwrap_or("no brand");
            let _ = writeln!(
                s,
                "  {title}: {:?} ({}, {brand}, id {}): {}",
                issue.value, issue.region, issue.id, issue.detail
            );
        }
        if list.len() > LISTED {
            let _ = writeln!(
                s,
                "  ... and {} more {title} (--format json lists all)",
                list.len() - LISTED
            );
        }
    }
    s
}
