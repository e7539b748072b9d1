//! The size charts: CSV files under `data/sizes/`, embedded at compile time and read once.
//!
//! One file per brand family (`nike.csv`, ...) with the header
//! `us_m,uk,eu,cm,us_w,source,confidence`: one row per physical men's/unisex size, `us_w`
//! empty where the women's scale comes from a rule. `cohort_rules.csv`
//! (`brand,cohort,us_offset,us_min,us_max,source,confidence`) gives the US offset of the women's
//! and grade-school scales from the men's. Fields hold no commas and no quotes.
//!
//! Loading checks every row (values on their system's grid, a source, a confidence mark), that
//! US M and EU strictly increase (so each EU value names one row and the standardized value is
//! one-to-one), that UK and CM never decrease, and that a `us_w` column agrees with its rule.

use std::sync::LazyLock;

use serde::{Deserialize, Serialize};

use super::brand::BrandFamily;
use super::model::ShoeSystem;
use super::value::SizeValue;

/// How far a chart value can be trusted (DOMAIN.md's ✓, ~ and ?).
#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Debug, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Confidence {
    /// `?`: from commonly published charts, not checked against the brand.
    Unverified,
    /// `~`: a secondary source, third-party code, or extrapolated.
    Secondary,
    /// `✓`: read in an official or primary source.
    Verified,
}

impl Confidence {
    fn parse(s: &str) -> Option<Self> {
        match s {
            "verified" => Some(Self::Verified),
            "secondary" => Some(Self::Secondary),
            "unverified" => Some(Self::Unverified),
            _ => None,
        }
    }
}

/// One physical size in a brand's chart.
#[derive(Clone, Copy, PartialEq, Eq, Debug, Serialize)]
pub struct ChartRow {
    /// US men's (and unisex) size.
    pub us_m: SizeValue,
    /// UK size.
    pub uk: SizeValue,
    /// EU size (adidas in thirds).
    pub eu: SizeValue,
    /// Foot length, cm (JP is the same number; KR is ten times it, in mm).
    pub cm: SizeValue,
    /// US women's size where the chart gives it; otherwise the brand's women's rule applies.
    pub us_w: Option<SizeValue>,
    /// Where the row comes from.
    pub source: &'static str,
    /// How far it can be trusted.
    pub confidence: Confidence,
}

/// A US offset from the men's scale for one cohort of one brand family.
#[derive(Clone, Copy, PartialEq, Eq, Debug, Serialize)]
pub struct CohortRule {
    /// Added to the US men's size to get this cohort's US size.
    pub us_offset: SizeValue,
    /// Smallest US size of this cohort the rule covers (in the cohort's own numbers).
    pub us_min: Option<SizeValue>,
    /// Largest US size of this cohort the rule covers.
    pub us_max: Option<SizeValue>,
    /// Where the rule comes from.
    pub source: &'static str,
    /// How far it can be trusted.
    pub confidence: Confidence,
}

impl CohortRule {
    /// This cohort's US size for a men's size, if the rule covers it.
    pub(crate) fn apply(&self, us_m: SizeValue) -> Option<SizeValue> {
        let v = us_m.checked_add(self.us_offset)?;
        let above = self.us_min.is_none_or(|min| v >= min);
        let below = self.us_max.is_none_or(|max| v <= max);
        (above && below).then_some(v)
    }
}

/// The chart of one brand family with its cohort rules.
#[derive(Clone, Debug, Serialize)]
pub struct Chart {
    /// Whose chart this is.
    pub family: BrandFamily,
    /// Rows, smallest first.
    pub rows: Vec<ChartRow>,
    /// US women's offset, if known.
    pub women: Option<CohortRule>,
    /// US grade-school offset and span, if known.
    pub grade_school: Option<CohortRule>,
}

/// A chart file that does not load. Tests load every embedded chart, so this reaches no user
/// unless a broken file is committed; conversion then returns it instead of panicking.
#[derive(Clone, PartialEq, Eq, Debug, thiserror::Error, Serialize)]
#[error("size chart {file} line {line}: {reason}")]
pub struct ChartError {
    /// The file name under `data/sizes/`.
    pub file: &'static str,
    /// 1-based line number (0: the file as a whole).
    pub line: usize,
    /// What is wrong.
    pub reason: String,
}

/// Most rows one UK or CM value may name (conversion keeps that many matches).
pub(crate) const MAX_REPEAT: usize = 4;

const CHART_HEADER: &str = "us_m,uk,eu,cm,us_w,source,confidence";
const RULES_HEADER: &str = "brand,cohort,us_offset,us_min,us_max,source,confidence";
const RULES_FILE: (&str, &str) = (
    "cohort_rules.csv",
    include_str!("../../../../data/sizes/cohort_rules.csv"),
);

/// The embedded chart files, in [`BrandFamily::ALL`] order.
const CHART_FILES: [(BrandFamily, &str, &str); 8] = [
    (
        BrandFamily::Nike,
        "nike.csv",
        include_str!("../../../../data/sizes/nike.csv"),
    ),
    (
        BrandFamily::Adidas,
        "adidas.csv",
        include_str!("../../../../data/sizes/adidas.csv"),
    ),
    (
        BrandFamily::NewBalance,
        "new-balance.csv",
        include_str!("../../../../data/sizes/new-balance.csv"),
    ),
    (
        BrandFamily::Asics,
        "asics.csv",
        include_str!("../../../../data/sizes/asics.csv"),
    ),
    (
        BrandFamily::Converse,
        "converse.csv",
        include_str!("../../../../data/sizes/converse.csv"),
    ),
    (
        BrandFamily::Puma,
        "puma.csv",
        include_str!("../../../../data/sizes/puma.csv"),
    ),
    (
        BrandFamily::Vans,
        "vans.csv",
        include_str!("../../../../data/sizes/vans.csv"),
    ),
    (
        BrandFamily::Reebok,
        "reebok.csv",
        include_str!("../../../../data/sizes/reebok.csv"),
    ),
];

static CHARTS: LazyLock<Result<Vec<Chart>, ChartError>> =
    LazyLock::new(|| load(&CHART_FILES, RULES_FILE));

/// The chart of a brand family, loaded from the embedded CSV on first use.
pub fn chart(family: BrandFamily) -> Result<&'static Chart, ChartError> {
    let charts = CHARTS.as_ref().map_err(Clone::clone)?;
    charts
        .iter()
        .find(|c| c.family == family)
        .ok_or_else(|| ChartError {
            file: "",
            line: 0,
            reason: format!("no chart file for {family}"),
        })
}

/// Loads chart files and the rules file. Pure: the text comes in, charts or an error come out.
pub(crate) fn load(
    files: &[(BrandFamily, &'static str, &'static str)],
    rules: (&'static str, &'static str),
) -> Result<Vec<Chart>, ChartError> {
    let mut charts = files
        .iter()
        .map(|&(family, file, text)| {
            Ok(Chart {
                family,
                rows: load_rows(file, text)?,
                women: None,
                grade_school: None,
            })
        })
        .collect::<Result<Vec<_>, ChartError>>()?;
    load_rules(rules.0, rules.1, &mut charts)?;
    Ok(charts)
}

/// Splits a CSV file into (line number, fields), checking the header and the field count.
fn records<'t, const N: usize>(
    file: &'static str,
    text: &'t str,
    header: &str,
) -> Result<Vec<(usize, [&'t str; N])>, ChartError> {
    let mut lines = text.lines().enumerate();
    match lines.next() {
        Some((_, first)) if first.trim_end_matches('\r') == header => {}
        _ => {
            return Err(ChartError {
                file,
                line: 1,
                reason: format!("header must be {header:?}"),
            })
        }
    }
    let mut out = Vec::new();
    for (i, line) in lines {
        let line = line.trim_end_matches('\r');
        if line.trim().is_empty() {
            continue;
        }
        let fail = |reason: String| ChartError {
            file,
            line: i + 1,
            reason,
        };
        if line.contains('"') {
            return Err(fail("quotes are not allowed".into()));
        }
        let mut fields = [""; N];
        let mut parts = line.split(',');
        for slot in &mut fields {
            *slot = parts
                .next()
                .ok_or_else(|| fail(format!("expected {N} fields")))?
                .trim();
        }
        if parts.next().is_some() {
            return Err(fail(format!("expected {N} fields")));
        }
        out.push((i + 1, fields));
    }
    Ok(out)
}

fn value(
    file: &'static str,
    line: usize,
    column: &str,
    text: &str,
    system: ShoeSystem,
) -> Result<SizeValue, ChartError> {
    let fail = |reason: String| ChartError { file, line, reason };
    let v: SizeValue = text
        .parse()
        .map_err(|e| fail(format!("{column} {text:?}: {e}")))?;
    if !system.accepts(v) {
        return Err(fail(format!("{column} {text:?} is not a {system} size")));
    }
    Ok(v)
}

fn source_and_confidence(
    file: &'static str,
    line: usize,
    source: &'static str,
    confidence: &str,
) -> Result<(&'static str, Confidence), ChartError> {
    if source.is_empty() {
        return Err(ChartError {
            file,
            line,
            reason: "every row needs a source".into(),
        });
    }
    let confidence = Confidence::parse(confidence).ok_or_else(|| ChartError {
        file,
        line,
        reason: format!("confidence {confidence:?}: expected verified, secondary or unverified"),
    })?;
    Ok((source, confidence))
}

fn load_rows(file: &'static str, text: &'static str) -> Result<Vec<ChartRow>, ChartError> {
    let mut rows: Vec<ChartRow> = Vec::new();
    for (line, [us_m, uk, eu, cm, us_w, source, confidence]) in
        records::<7>(file, text, CHART_HEADER)?
    {
        let (source, confidence) = source_and_confidence(file, line, source, confidence)?;
        let row = ChartRow {
            us_m: value(file, line, "us_m", us_m, ShoeSystem::Us)?,
            uk: value(file, line, "uk", uk, ShoeSystem::Uk)?,
            eu: value(file, line, "eu", eu, ShoeSystem::Eu)?,
            cm: value(file, line, "cm", cm, ShoeSystem::Cm)?,
            us_w: match us_w {
                "" => None,
                w => Some(value(file, line, "us_w", w, ShoeSystem::Us)?),
            },
            source,
            confidence,
        };
        for (column, repeats) in [
            (
                "uk",
                rows.iter().rev().take_while(|r| r.uk == row.uk).count(),
            ),
            (
                "cm",
                rows.iter().rev().take_while(|r| r.cm == row.cm).count(),
            ),
        ] {
            if repeats >= MAX_REPEAT {
                return Err(ChartError {
                    file,
                    line,
                    reason: format!("{column} names more than {MAX_REPEAT} rows"),
                });
            }
        }
        if let Some(prev) = rows.last() {
            let order = [
                ("us_m", row.us_m > prev.us_m),
                ("eu", row.eu > prev.eu),
                ("uk", row.uk >= prev.uk),
                ("cm", row.cm >= prev.cm),
                (
                    "us_w",
                    match (prev.us_w, row.us_w) {
                        (Some(p), Some(r)) => r > p,
                        (None, None) => true,
                        _ => false,
                    },
                ),
            ];
            if let Some((column, _)) = order.iter().find(|(_, ok)| !ok) {
                return Err(ChartError {
                    file,
                    line,
                    reason: format!("{column} out of order: rows run from small to large and us_m and eu never repeat"),
                });
            }
        }
        rows.push(row);
    }
    if rows.is_empty() {
        return Err(ChartError {
            file,
            line: 0,
            reason: "no rows".into(),
        });
    }
    Ok(rows)
}

fn load_rules(
    file: &'static str,
    text: &'static str,
    charts: &mut [Chart],
) -> Result<(), ChartError> {
    for (line, [brand, cohort, offset, min, max, source, confidence]) in
        records::<7>(file, text, RULES_HEADER)?
    {
        let fail = |reason: String| ChartError { file, line, reason };
        let (source, confidence) = source_and_confidence(file, line, source, confidence)?;
        let family = BrandFamily::from_name(brand)
            .filter(|f| f.slug() == brand)
            .ok_or_else(|| fail(format!("unknown brand slug {brand:?}")))?;
        let bound = |text: &str, column: &str| match text {
            "" => Ok(None),
            t => value(file, line, column, t, ShoeSystem::Us).map(Some),
        };
        let rule = CohortRule {
            us_offset: value(file, line, "us_offset", offset, ShoeSystem::Us)?,
            us_min: bound(min, "us_min")?,
            us_max: bound(max, "us_max")?,
            source,
            confidence,
        };
        let chart = charts
            .iter_mut()
            .find(|c| c.family == family)
            .ok_or_else(|| fail(format!("no chart file for {brand}")))?;
        let slot = match cohort {
            "women" => &mut chart.women,
            "grade-school" => &mut chart.grade_school,
            other => {
                return Err(fail(format!(
                    "cohort {other:?}: expected women or grade-school"
                )))
            }
        };
        if slot.replace(rule).is_some() {
            return Err(fail(format!("second {cohort} rule for {brand}")));
        }
        if cohort == "women" {
            for row in &chart.rows {
                if let Some(w) = row.us_w {
                    if rule.apply(row.us_m) != Some(w) {
                        return Err(fail(format!(
                            "offset {offset} disagrees with the us_w column of US M {}",
                            row.us_m
                        )));
                    }
                }
            }
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    const GOOD_ROWS: &str = "us_m,uk,eu,cm,us_w,source,confidence\n\
        9,8,42.5,27,,somewhere,verified\n\
        10,9,44,28,,somewhere,secondary\n";
    const NO_RULES: &str = "brand,cohort,us_offset,us_min,us_max,source,confidence\n";

    fn load_one(rows: &'static str, rules: &'static str) -> Result<Vec<Chart>, ChartError> {
        load(
            &[(BrandFamily::Nike, "test.csv", rows)],
            ("rules.csv", rules),
        )
    }

    #[test]
    fn every_embedded_chart_loads() {
        for family in BrandFamily::ALL {
            let chart = chart(family).unwrap();
            assert!(chart.rows.len() >= 8, "{family}");
        }
    }

    #[test]
    fn every_chart_row_and_rule_has_a_source_and_a_confidence_mark() {
        for family in BrandFamily::ALL {
            let chart = chart(family).unwrap();
            for row in &chart.rows {
                assert!(row.source.len() > 10, "{family} {row:?}");
            }
            for rule in [chart.women, chart.grade_school].into_iter().flatten() {
                assert!(rule.source.len() > 10, "{family} {rule:?}");
            }
        }
    }

    #[test]
    fn puma_vans_and_reebok_rows_are_marked_unverified() {
        for family in [BrandFamily::Puma, BrandFamily::Vans, BrandFamily::Reebok] {
            for row in &chart(family).unwrap().rows {
                assert_eq!(row.confidence, Confidence::Unverified);
            }
        }
    }

    #[test]
    fn a_well_formed_chart_loads() {
        let charts = load_one(GOOD_ROWS, NO_RULES).unwrap();
        assert_eq!(charts[0].rows.len(), 2);
    }

    #[rstest::rstest]
    #[case::wrong_header("us,uk\n9,8\n", 1)]
    #[case::missing_source("us_m,uk,eu,cm,us_w,source,confidence\n9,8,42.5,27,,,verified\n", 2)]
    #[case::bad_confidence("us_m,uk,eu,cm,us_w,source,confidence\n9,8,42.5,27,,x,sure\n", 2)]
    #[case::float_eu("us_m,uk,eu,cm,us_w,source,confidence\n9,8,42.67,27,,x,verified\n", 2)]
    #[case::too_few_fields("us_m,uk,eu,cm,us_w,source,confidence\n9,8,42.5,27\n", 2)]
    #[case::too_many_fields("us_m,uk,eu,cm,us_w,source,confidence\n9,8,42.5,27,,x,verified,1\n", 2)]
    #[case::repeated_eu(
        "us_m,uk,eu,cm,us_w,source,confidence\n9,8,44,27,,x,verified\n10,9,44,28,,x,verified\n",
        3
    )]
    #[case::us_going_down(
        "us_m,uk,eu,cm,us_w,source,confidence\n10,9,44,28,,x,verified\n9,8,45,29,,x,verified\n",
        3
    )]
    #[case::quoted(
        "us_m,uk,eu,cm,us_w,source,confidence\n9,8,42.5,27,,\"x\",verified\n",
        2
    )]
    #[case::empty("us_m,uk,eu,cm,us_w,source,confidence\n", 0)]
    fn a_malformed_chart_is_an_error_with_its_line(
        #[case] rows: &'static str,
        #[case] line: usize,
    ) {
        let err = load_one(rows, NO_RULES).unwrap_err();
        assert_eq!((err.file, err.line), ("test.csv", line), "{err}");
    }

    #[rstest::rstest]
    #[case::unknown_brand("hoka,women,1,,,x,verified")]
    #[case::unknown_cohort("nike,kids,1,,,x,verified")]
    #[case::off_grid_offset("nike,women,1.1,,,x,verified")]
    #[case::duplicate("nike,women,1,,,x,verified\nnike,women,1,,,x,verified")]
    fn a_malformed_rule_is_an_error(#[case] rule: &str) {
        let rules: &'static str = format!("{NO_RULES}{rule}\n").leak();
        let err = load_one(GOOD_ROWS, rules).unwrap_err();
        assert_eq!(err.file, "rules.csv", "{err}");
    }

    #[test]
    fn a_women_rule_that_contradicts_the_chart_column_is_an_error() {
        let rows = "us_m,uk,eu,cm,us_w,source,confidence\n10,9,44,28,11.5,x,verified\n";
        let rules = "brand,cohort,us_offset,us_min,us_max,source,confidence\n\
            nike,women,2,,,x,verified\n";
        let err = load_one(rows, rules).unwrap_err();
        assert!(err.reason.contains("disagrees"), "{err}");
    }
}
