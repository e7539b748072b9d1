//! Sizes: read a size string on a brand's chart, and normalize the size table.

use serde::Serialize;
use soleflip_domain::sizes::{
    self, Brand, BrandFamily, Cohort, Context, ConvertError, Equivalents, Size, SizeError, Source,
    Standardized,
};

use crate::error::{Code, Coded};
use crate::App;

use soleflip_db::products::{self as sql, NormalizedSizes, SizeRow};
use sqlx::Connection as _;

#[derive(Debug, thiserror::Error)]
pub enum SizesError {
    #[error("brand {name:?}: unknown brand (known: {known})")]
    UnknownBrand { name: String, known: String },
    #[error("cohort {value:?}: {reason}")]
    BadCohort { value: String, reason: String },
    #[error(transparent)]
    Db(#[from] crate::db::DbError),
    #[error(transparent)]
    Unexpected(#[from] anyhow::Error),
}

impl Coded for SizesError {
    fn code(&self) -> Code {
        match self {
            SizesError::UnknownBrand { .. } | SizesError::BadCohort { .. } => Code::InvalidInput,
            SizesError::Db(e) => e.code(),
            SizesError::Unexpected(_) => Code::Unexpected,
        }
    }
}

/// What the size string says, on which chart.
#[derive(Debug, Clone, Default)]
pub struct ParseRequest {
    pub input: String,
    /// A brand slug or name (`nike`, `New Balance`, `yeezy`).
    pub brand: Option<String>,
    /// A cohort hint: M, W, GS, PS, TD or unisex.
    pub cohort: Option<String>,
    /// Where the string comes from (decides how a bare number is read).
    pub source: Option<Source>,
}

/// `sizes parse`: the structured size and its equivalents, or why it is refused.
#[derive(Debug, Clone, Serialize)]
#[serde(untagged)]
pub enum ParseReport {
    Parsed {
        input: String,
        size: Size,
        brand: Option<BrandFamily>,
        standardized: Option<Standardized>,
        standardized_refused: Option<String>,
        equivalents: Option<Box<Equivalents>>,
    },
    Refused {
        input: String,
        refused: String,
        /// The readings an ambiguous size allows (empty when it is unparsable).
        candidates: Vec<Size>,
        #[serde(skip)]
        reason: SizeError,
    },
}

/// Reads `req.input` as a size, on the chart of its brand and cohort when given.
pub fn parse_size(req: &ParseRequest) -> Result<ParseReport, SizesError> {
    // A brand name, an alias (`Air Jordan`, `HOKA ONE ONE`) or a brand whose products have no
    // size (`LEGO`): the latter reads "one size / no size" as a result, not a refusal.
    let named = req
        .brand
        .as_deref()
        .map(|b| {
            Brand::from_name(b).ok_or_else(|| {
                let known: Vec<&str> = BrandFamily::ALL.iter().map(|f| f.slug()).collect();
                SizesError::UnknownBrand {
                    name: b.to_string(),
                    known: format!(
                        "{}, their aliases (data/sizes/brand_aliases.csv), and brands without sizes",
                        known.join(", ")
                    ),
                }
            })
        })
        .transpose()?;
    let brand = match named {
        Some(Brand::Sized(family)) => Some(family),
        _ => None,
    };
    let cohort = req
        .cohort
        .as_deref()
        .map(|c| {
            c.parse::<Cohort>().map_err(|e| SizesError::BadCohort {
                value: c.to_string(),
                reason: e.to_string(),
            })
        })
        .transpose()?;
    let mut ctx = Context::default();
    if let Some(b) = brand {
        ctx = ctx.with_brand(b);
    }
    if named == Some(Brand::Sizeless) {
        ctx = ctx.with_sizeless();
    }
    if let Some(c) = cohort {
        ctx = ctx.with_cohort(c);
    }
    if let Some(s) = req.source {
        ctx = ctx.with_source(s);
    }
    Ok(match sizes::parse(&req.input, &ctx) {
        Ok(size) => {
            let standardized = size.standardize(brand);
            ParseReport::Parsed {
                input: req.input.clone(),
                size,
                brand,
                standardized_refused: standardized.as_ref().err().map(ConvertError::to_string),
                standardized: standardized.ok(),
                equivalents: brand.map(|b| Box::new(size.equivalents(b))),
            }
        }
        Err(reason) => ParseReport::Refused {
            input: req.input.clone(),
            refused: reason.to_string(),
            candidates: match &reason {
                SizeError::Ambiguous { candidates, .. } => candidates.clone(),
                _ => Vec::new(),
            },
            reason,
        },
    })
}

impl App {
    /// Fills `standardized_value`, `standardized_exact` and `parsed` of the size rows (only
    /// those without a standardized value unless `all`), in one transaction: rows are read,
    /// normalized here, staged and applied with one UPDATE. A value that cannot be computed is
    /// never overwritten with NULL. A dry run rolls it back.
    #[tracing::instrument(skip(self))]
    pub async fn normalize_sizes(
        &self,
        all: bool,
        dry_run: bool,
    ) -> Result<NormalizeReport, SizesError> {
        let started = std::time::Instant::now();
        let mut conn = self.conn().await?;
        let sql_err = |what: &'static str| {
            move |e: sqlx::Error| SizesError::Unexpected(anyhow::Error::new(e).context(what))
        };
        let mut tx = conn
            .begin()
            .await
            .map_err(sql_err("starting the transaction"))?;
        sql::set_normalize_work_mem(&mut tx)
            .await
            .map_err(sql_err("setting work_mem"))?;
        let mut report = NormalizeReport {
            dry_run,
            ..NormalizeReport::default()
        };
        let mut staged = NormalizedSizes::default();
        sql::read_size_rows(&mut tx, all, |row| match row {
            Ok(row) => normalize_row(row, &mut report, &mut staged),
            Err(line) => report.unparsable.push(SizeIssue {
                id: String::new(),
                value: line,
                region: String::new(),
                brand: None,
                detail: "unexpected row from the database".to_string(),
            }),
        })
        .await
        .map_err(sql_err("reading products.sizes"))?;
        tracing::info!(
            rows = report.considered,
            ms = started.elapsed().as_millis() as u64,
            "sizes read and normalized"
        );
        report.updated = sql::write_normalized(&mut tx, staged)
            .await
            .map_err(sql_err("writing products.sizes"))?;
        tracing::info!(
            rows = report.updated,
            ms = started.elapsed().as_millis() as u64,
            "sizes updated"
        );
        if dry_run {
            tx.rollback().await.map_err(sql_err("rolling back"))?;
        } else {
            tx.commit().await.map_err(sql_err("committing"))?;
        }
        Ok(report)
    }
}

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

/// Normalizes one size row into the report and the staging data.
fn normalize_row(row: SizeRow, report: &mut NormalizeReport, staged: &mut NormalizedSizes) {
    let SizeRow {
        id,
        value,
        region,
        cohort,
        brand,
    } = row;
    report.considered += 1;
    match normalize_one(&value, &region, &cohort, brand.as_deref()) {
        Normalized::Standard {
            parsed,
            exact,
            tenths,
        } => {
            report.normalized += 1;
            staged.standard(&id, tenths, &exact, &parsed);
        }
        Normalized::ParsedOnly { parsed, reason } => {
            report.parsed_only += 1;
            *report.parsed_only_reasons.entry(reason).or_default() += 1;
            staged.parsed_only(&id, &parsed);
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
