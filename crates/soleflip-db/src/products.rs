//! The `products` schema: the size table and its normalization.

use futures_util::TryStreamExt;
use soleflip_domain::sizes::{self, BrandFamily, Cohort, Context, ConvertError, SizeError};
use sqlx::postgres::PgConnection;
use sqlx::Connection;

/// What normalizing one size row found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Normalized {
    /// Parsed and standardized: the parsed label, the exact EU value and its tenths.
    Standard {
        parsed: String,
        exact: String,
        tenths: u32,
    },
    /// Parsed, but it has no standardized value (apparel, no brand, no chart rule): why.
    ParsedOnly { parsed: String, reason: String },
    /// More than one reading or more than one chart row; a person has to decide.
    Ambiguous { candidates: Vec<String> },
    /// Not a size (or no size given).
    Unparsable { reason: String },
}

/// Normalizes one row: `value` as stored, its `region` (US, UK, EU, ...: the system of a bare
/// number), its cohort code and its brand's slug or name.
pub fn normalize_one(value: &str, region: &str, cohort: &str, brand: Option<&str>) -> Normalized {
    let family = brand.and_then(BrandFamily::from_name);
    let mut ctx = Context::default();
    if let Some(f) = family {
        ctx = ctx.with_brand(f);
    }
    if let Ok(c) = cohort.parse::<Cohort>() {
        if c != Cohort::Unisex {
            ctx = ctx.with_cohort(c);
        }
    }
    let bare_number = value.trim_start().starts_with(|c: char| c.is_ascii_digit());
    let region_is_system = ["US", "UK", "EU", "CM", "JP", "KR"]
        .iter()
        .any(|s| region.trim().eq_ignore_ascii_case(s));
    let input = if bare_number && region_is_system {
        format!("{} {}", region.trim().to_ascii_uppercase(), value.trim())
    } else {
        value.to_string()
    };
    let size = match sizes::parse(&input, &ctx) {
        Ok(size) => size,
        Err(SizeError::Ambiguous { candidates, .. }) => {
            return Normalized::Ambiguous {
                candidates: candidates.iter().map(ToString::to_string).collect(),
            }
        }
        Err(e) => {
            return Normalized::Unparsable {
                reason: e.to_string(),
            }
        }
    };
    let parsed = size.to_string();
    match size.standardize(family) {
        Ok(st) => Normalized::Standard {
            parsed,
            exact: st.eu.to_string(),
            tenths: st.tenths(),
        },
        Err(ConvertError::Ambiguous { candidates, .. }) => Normalized::Ambiguous {
            candidates: candidates.iter().map(ToString::to_string).collect(),
        },
        Err(e) => Normalized::ParsedOnly {
            parsed,
            reason: e.to_string(),
        },
    }
}

/// A size row that could not be normalized, for the report.
#[derive(Debug, Clone, serde::Serialize)]
pub struct SizeIssue {
    pub id: String,
    pub value: String,
    pub region: String,
    pub brand: Option<String>,
    pub detail: String,
}

/// What `sizes normalize` did (or, with dry_run, would do).
#[derive(Debug, Clone, Default, serde::Serialize)]
pub struct NormalizeReport {
    pub dry_run: bool,
    pub considered: u64,
    /// Rows given a standardized value and parsed form.
    pub normalized: u64,
    /// Rows given a parsed form only (no standard exists for them), with the reasons counted.
    pub parsed_only: u64,
    pub parsed_only_reasons: std::collections::BTreeMap<String, u64>,
    pub ambiguous: Vec<SizeIssue>,
    pub unparsable: Vec<SizeIssue>,
    /// Rows whose stored values changed.
    pub updated: u64,
}

/// Fills `standardized_value`, `standardized_exact` and `parsed` of the size rows (only those
/// without a standardized value unless `all`), in one transaction: rows are read, normalized
/// here, copied into a staging table and applied with one UPDATE. A value that cannot be
/// computed is never overwritten with NULL.
pub async fn normalize_sizes(
    conn: &mut PgConnection,
    all: bool,
    dry_run: bool,
) -> Result<NormalizeReport, sqlx::Error> {
    let started = std::time::Instant::now();
    let mut tx = conn.begin().await?;
    // The staging join hashes up to a million rows (~70 MB): in memory it is one batch instead
    // of sixteen spilled to disk (measured: the UPDATE of 1,035,000 rows 13.1 s -> 10.0 s).
    sqlx::raw_sql("set local work_mem = '256MB'")
        .execute(&mut *tx)
        .await?;
    let mut report = NormalizeReport {
        dry_run,
        ..NormalizeReport::default()
    };
    let mut copy = Vec::new();
    // Read through COPY: plain text lines, much cheaper than decoding a million rows.
    let select = if all { READ_ALL } else { READ_UNNORMALIZED };
    let mut pending: Vec<u8> = Vec::new();
    {
        let mut stream = tx.copy_out_raw(select).await?;
        while let Some(chunk) = stream.try_next().await? {
            pending.extend_from_slice(&chunk);
            let mut start = 0;
            while let Some(len) = pending[start..].iter().position(|&b| b == b'\n') {
                let line = String::from_utf8_lossy(&pending[start..start + len]).into_owned();
                start += len + 1;
                normalize_line(&line, &mut report, &mut copy);
            }
            pending.drain(..start);
        }
    }
    tracing::info!(
        rows = report.considered,
        ms = started.elapsed().as_millis() as u64,
        "sizes read and normalized"
    );
    sqlx::raw_sql(
        "create temporary table size_normalized ( \
             id uuid not null, standardized numeric(4,1), exact varchar(12), parsed varchar(60) \
         ) on commit drop",
    )
    .execute(&mut *tx)
    .await?;
    let mut copy_in = tx
        .copy_in_raw("copy size_normalized (id, standardized, exact, parsed) from stdin")
        .await?;
    copy_in.send(copy).await?;
    copy_in.finish().await?;
    // Row counts for the planner: it then hashes the staging table for the join.
    sqlx::raw_sql("analyze size_normalized")
        .execute(&mut *tx)
        .await?;
    tracing::info!(ms = started.elapsed().as_millis() as u64, "results staged");
    let done = sqlx::query(
        "update products.sizes s \
         set standardized_value = coalesce(n.standardized, s.standardized_value), \
             standardized_exact = coalesce(n.exact, s.standardized_exact), \
             parsed = n.parsed \
         from size_normalized n \
         where s.id = n.id \
           and (s.standardized_value, s.standardized_exact, s.parsed) is distinct from \
               (coalesce(n.standardized, s.standardized_value), \
                coalesce(n.exact, s.standardized_exact), n.parsed)",
    )
    .execute(&mut *tx)
    .await?;
    report.updated = done.rows_affected();
    tracing::info!(
        rows = report.updated,
        ms = started.elapsed().as_millis() as u64,
        "sizes updated"
    );
    if dry_run {
        tx.rollback().await?;
    } else {
        tx.commit().await?;
    }
    Ok(report)
}

const READ_ALL: &str = "copy (select s.id, s.value, s.region, s.cohort, b.slug \
     from products.sizes s left join core.brands b on b.id = s.brand_id) to stdout";
const READ_UNNORMALIZED: &str = "copy (select s.id, s.value, s.region, s.cohort, b.slug \
     from products.sizes s left join core.brands b on b.id = s.brand_id \
     where s.standardized_value is null) to stdout";

/// Normalizes one COPY line `id, value, region, cohort, brand slug` into the report and the
/// staging data.
fn normalize_line(line: &str, report: &mut NormalizeReport, copy: &mut Vec<u8>) {
    let mut fields = line.split('\t').map(unescape);
    let (Some(Some(id)), Some(Some(value)), Some(Some(region)), Some(Some(cohort)), Some(brand)) = (
        fields.next(),
        fields.next(),
        fields.next(),
        fields.next(),
        fields.next(),
    ) else {
        report.unparsable.push(SizeIssue {
            id: String::new(),
            value: line.to_string(),
            region: String::new(),
            brand: None,
            detail: "unexpected row from the database".to_string(),
        });
        return;
    };
    report.considered += 1;
    match normalize_one(&value, &region, &cohort, brand.as_deref()) {
        Normalized::Standard {
            parsed,
            exact,
            tenths,
        } => {
            report.normalized += 1;
            let line = format!(
                "{id}\t{}.{}\t{exact}\t{}\n",
                tenths / 10,
                tenths % 10,
                escape(&parsed)
            );
            copy.extend_from_slice(line.as_bytes());
        }
        Normalized::ParsedOnly { parsed, reason } => {
            report.parsed_only += 1;
            *report.parsed_only_reasons.entry(reason).or_default() += 1;
            copy.extend_from_slice(format!("{id}\t\\N\t\\N\t{}\n", escape(&parsed)).as_bytes());
        }
        Normalized::Ambiguous { candidates } => {
            report.ambiguous.push(SizeIssue {
                id,
                value,
                region,
                brand,
                detail: candidates.join(" | "),
            });
        }
        Normalized::Unparsable { reason } => {
            report.unparsable.push(SizeIssue {
                id,
                value,
                region,
                brand,
                detail: reason,
            });
        }
    }
}

/// Reads one field of COPY's text format: `\N` is NULL, backslash escapes are undone.
fn unescape(field: &str) -> Option<String> {
    if field == "\\N" {
        return None;
    }
    if !field.contains('\\') {
        return Some(field.to_string());
    }
    let mut out = String::with_capacity(field.len());
    let mut chars = field.chars();
    while let Some(c) = chars.next() {
        if c != '\\' {
            out.push(c);
            continue;
        }
        match chars.next() {
            Some('t') => out.push('\t'),
            Some('n') => out.push('\n'),
            Some('r') => out.push('\r'),
            Some(other) => out.push(other),
            None => {}
        }
    }
    Some(out)
}

/// Escapes a value for COPY's text format.
fn escape(s: &str) -> String {
    s.replace('\\', "\\\\")
        .replace('\t', "\\t")
        .replace('\n', "\\n")
        .replace('\r', "\\r")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_bare_number_is_read_in_the_rows_region() {
        let n = normalize_one("10", "US", "unisex", Some("nike"));
        assert_eq!(
            n,
            Normalized::Standard {
                parsed: "US 10".into(),
                exact: "44".into(),
                tenths: 440
            }
        );
        let n = normalize_one("44 2/3", "EU", "unisex", Some("adidas"));
        assert!(
            matches!(n, Normalized::Standard { tenths: 447, .. }),
            "{n:?}"
        );
    }

    #[test]
    fn the_same_foot_in_two_systems_gets_one_standard_per_brand() {
        let us = normalize_one("10", "US", "unisex", Some("nike"));
        let eu = normalize_one("44", "EU", "unisex", Some("nike"));
        let uk = normalize_one("UK 9", "UK", "unisex", Some("nike"));
        let tenths = |n: &Normalized| match n {
            Normalized::Standard { tenths, .. } => *tenths,
            other => panic!("{other:?}"),
        };
        assert_eq!(tenths(&us), tenths(&eu));
        assert_eq!(tenths(&us), tenths(&uk));
    }

    #[test]
    fn copy_text_fields_round_trip_through_escape_and_unescape() {
        for v in ["US 10", "tab\there", "line\nbreak", "back\\slash", ""] {
            assert_eq!(unescape(&escape(v)).as_deref(), Some(v));
        }
        assert_eq!(unescape("\\N"), None);
    }

    #[test]
    fn refusals_are_classified() {
        assert!(matches!(
            normalize_one("UK 6", "UK", "unisex", Some("nike")),
            Normalized::Ambiguous { .. }
        ));
        assert!(matches!(
            normalize_one("banana", "US", "unisex", Some("nike")),
            Normalized::Unparsable { .. }
        ));
        assert!(matches!(
            normalize_one("M", "INT", "unisex", Some("nike")),
            Normalized::ParsedOnly { .. }
        ));
        assert!(matches!(
            normalize_one("10", "US", "unisex", None),
            Normalized::ParsedOnly { .. }
        ));
    }
}
