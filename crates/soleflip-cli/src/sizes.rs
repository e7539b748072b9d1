//! `soleflip sizes`: parse a size string and show its equivalents on a brand's chart.

use std::fmt::Write as _;

use anyhow::Context as _;
use soleflip_domain::sizes::{
    self, BrandFamily, Cohort, Context, Conversion, Size, SizeError, Source,
};

use crate::cli::{Format, SizeSource};
use crate::config::Config;
use crate::output::{print, print_json};
use crate::Outcome;

/// `soleflip sizes parse`: exit 0 with the structured size, or 1 with why it is refused.
pub fn parse(
    input: &str,
    brand: Option<&str>,
    cohort: Option<&str>,
    source: Option<SizeSource>,
    format: Format,
) -> anyhow::Result<Outcome> {
    let brand = brand
        .map(|b| {
            BrandFamily::from_name(b).with_context(|| {
                let known: Vec<&str> = BrandFamily::ALL.iter().map(|f| f.slug()).collect();
                format!(
                    "--brand {b:?}: unknown brand (known: {}, and jordan, yeezy)",
                    known.join(", ")
                )
            })
        })
        .transpose()?;
    let cohort = cohort
        .map(|c| {
            c.parse::<Cohort>()
                .map_err(|e| anyhow::anyhow!("--cohort {c:?}: {e}"))
        })
        .transpose()?;
    let mut ctx = Context::default();
    if let Some(b) = brand {
        ctx = ctx.with_brand(b);
    }
    if let Some(c) = cohort {
        ctx = ctx.with_cohort(c);
    }
    if let Some(s) = source {
        ctx = ctx.with_source(match s {
            SizeSource::Stockx => Source::StockX,
            SizeSource::EuRetailer => Source::EuRetailer,
        });
    }
    match sizes::parse(input, &ctx) {
        Ok(size) => {
            show_size(input, &size, brand, format)?;
            Ok(Outcome::Ok)
        }
        Err(refusal) => {
            show_refusal(input, &refusal, format)?;
            Ok(Outcome::Refused)
        }
    }
}

fn show_size(
    input: &str,
    size: &Size,
    brand: Option<BrandFamily>,
    format: Format,
) -> anyhow::Result<()> {
    let standardized = size.standardize(brand);
    let equivalents = brand.map(|b| size.equivalents(b));
    if format == Format::Json {
        return print_json(&serde_json::json!({
            "input": input,
            "size": size,
            "brand": brand,
            "standardized": standardized.as_ref().ok(),
            "standardized_refused": standardized.as_ref().err().map(ToString::to_string),
            "equivalents": equivalents,
        }));
    }
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
    print(&s);
    Ok(())
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

fn show_refusal(input: &str, refusal: &SizeError, format: Format) -> anyhow::Result<()> {
    if format == Format::Json {
        return print_json(
            &serde_json::json!({ "input": input, "refused": refusal.to_string(),
            "candidates": match refusal {
                SizeError::Ambiguous { candidates, .. } => candidates.clone(),
                _ => Vec::new(),
            } }),
        );
    }
    let mut s = format!("refused: {refusal}\n");
    if let SizeError::Ambiguous { candidates, .. } = refusal {
        for c in candidates {
            let _ = writeln!(s, "  candidate: {c}");
        }
    }
    print(&s);
    Ok(())
}

/// How many refused rows the text report lists (JSON lists them all).
const LISTED: usize = 50;

/// `soleflip sizes normalize`: counts, then the ambiguous and unparsable rows.
pub async fn normalize(
    config: &Config,
    all: bool,
    dry_run: bool,
    format: Format,
) -> anyhow::Result<Outcome> {
    let target = config.target()?;
    let mut conn = target.connect().await?;
    let report = soleflip_db::products::normalize_sizes(&mut conn, all, dry_run)
        .await
        .context("normalizing products.sizes")?;
    if format == Format::Json {
        print_json(&report)?;
        return Ok(Outcome::Ok);
    }
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
    print(&s);
    Ok(Outcome::Ok)
}
