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
use super::model::{Cohort, ShoeSystem, Size};
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
///
/// In a kids' table (`data/sizes/kids/*.csv`) `us_m` holds the kids' US number of the row's
/// cohort (`10` for 10C, `3` for 3Y) and `us_w` is empty.
#[derive(Clone, Copy, PartialEq, Eq, Debug, Serialize)]
pub struct ChartRow {
    /// US men's (and unisex) size; in a kids' table, the kids' US number.
    pub us_m: SizeValue,
    /// UK size, where the source gives one.
    pub uk: Option<SizeValue>,
    /// The standardized EU size (adidas in thirds). Where the brand prints a range
    /// (`eu_printed`), the midpoint of that range.
    pub eu: SizeValue,
    /// Foot length, cm (JP is the same number; KR is ten times it, in mm), where given.
    pub cm: Option<SizeValue>,
    /// US women's size where the chart gives it; otherwise the brand's women's rule applies.
    pub us_w: Option<SizeValue>,
    /// The EU range as the brand prints it (Crocs `36-37`), low and high.
    pub eu_printed: Option<(SizeValue, SizeValue)>,
    /// Where the row comes from.
    pub source: &'static str,
    /// How far it can be trusted.
    pub confidence: Confidence,
}

impl ChartRow {
    /// True when an EU label of `value` names this row: its standardized value, or a number
    /// inside the printed range.
    pub(crate) fn eu_names(&self, value: SizeValue) -> bool {
        self.eu == value
            || self
                .eu_printed
                .is_some_and(|(low, high)| low <= value && value <= high)
    }

    /// The smallest EU number that names this row.
    pub(crate) fn eu_low(&self) -> SizeValue {
        self.eu_printed.map_or(self.eu, |(low, _)| low)
    }
}

/// The kids' tables of a brand family, one per cohort, smallest first.
#[derive(Clone, Debug, Default, Serialize)]
pub struct KidsChart {
    /// Toddler (`2C`–`10C`).
    pub toddler: Vec<ChartRow>,
    /// Pre-school (`10.5C`–`3Y`).
    pub pre_school: Vec<ChartRow>,
    /// Grade school (`3.5Y`–`7Y`), where the brand does not size it on the men's rows.
    pub grade_school: Vec<ChartRow>,
}

impl KidsChart {
    /// The table of a kids' cohort (empty for adults and where the brand has none).
    pub fn rows(&self, cohort: Cohort) -> &[ChartRow] {
        match cohort {
            Cohort::Toddler => &self.toddler,
            Cohort::PreSchool => &self.pre_school,
            Cohort::GradeSchool => &self.grade_school,
            Cohort::Men | Cohort::Women | Cohort::Unisex => &[],
        }
    }
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
    /// US grade-school offset and span, if known (a brand with a grade-school table has none).
    pub grade_school: Option<CohortRule>,
    /// Toddler, pre-school and grade-school tables, where the brand publishes them.
    pub kids: KidsChart,
}

impl Chart {
    /// True when the brand prints EU sizes as ranges (Crocs), so a single EU number needs the
    /// chart to find its standardized value.
    pub fn prints_eu_ranges(&self) -> bool {
        self.rows
            .iter()
            .chain(&self.kids.toddler)
            .chain(&self.kids.pre_school)
            .chain(&self.kids.grade_school)
            .any(|r| r.eu_printed.is_some())
    }
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

const CHART_HEADER: &str = "us_m,uk,eu,cm,us_w,eu_printed,source,confidence";
const KIDS_HEADER: &str = "cohort,us,uk,eu,cm,eu_printed,source,confidence";
const RULES_HEADER: &str = "brand,cohort,us_offset,us_min,us_max,source,confidence";
const RULES_FILE: (&str, &str) = (
    "cohort_rules.csv",
    include_str!("../../../../data/sizes/cohort_rules.csv"),
);

/// One brand family's embedded chart file and, if it has one, its kids' file.
#[derive(Clone, Copy)]
pub(crate) struct ChartFile {
    pub(crate) family: BrandFamily,
    pub(crate) file: &'static str,
    pub(crate) text: &'static str,
    pub(crate) kids: Option<(&'static str, &'static str)>,
}

/// The embedded chart files, in [`BrandFamily::ALL`] order.
const CHART_FILES: [ChartFile; 15] = [
    ChartFile {
        family: BrandFamily::Nike,
        file: "nike.csv",
        text: include_str!("../../../../data/sizes/nike.csv"),
        kids: Some((
            "kids/nike.csv",
            include_str!("../../../../data/sizes/kids/nike.csv"),
        )),
    },
    ChartFile {
        family: BrandFamily::Adidas,
        file: "adidas.csv",
        text: include_str!("../../../../data/sizes/adidas.csv"),
        kids: Some((
            "kids/adidas.csv",
            include_str!("../../../../data/sizes/kids/adidas.csv"),
        )),
    },
    ChartFile {
        family: BrandFamily::NewBalance,
        file: "new-balance.csv",
        text: include_str!("../../../../data/sizes/new-balance.csv"),
        kids: Some((
            "kids/new-balance.csv",
            include_str!("../../../../data/sizes/kids/new-balance.csv"),
        )),
    },
    ChartFile {
        family: BrandFamily::Asics,
        file: "asics.csv",
        text: include_str!("../../../../data/sizes/asics.csv"),
        kids: None,
    },
    ChartFile {
        family: BrandFamily::Converse,
        file: "converse.csv",
        text: include_str!("../../../../data/sizes/converse.csv"),
        kids: None,
    },
    ChartFile {
        family: BrandFamily::Puma,
        file: "puma.csv",
        text: include_str!("../../../../data/sizes/puma.csv"),
        kids: None,
    },
    ChartFile {
        family: BrandFamily::Vans,
        file: "vans.csv",
        text: include_str!("../../../../data/sizes/vans.csv"),
        kids: None,
    },
    ChartFile {
        family: BrandFamily::Reebok,
        file: "reebok.csv",
        text: include_str!("../../../../data/sizes/reebok.csv"),
        kids: None,
    },
    ChartFile {
        family: BrandFamily::Crocs,
        file: "crocs.csv",
        text: include_str!("../../../../data/sizes/crocs.csv"),
        kids: Some((
            "kids/crocs.csv",
            include_str!("../../../../data/sizes/kids/crocs.csv"),
        )),
    },
    ChartFile {
        family: BrandFamily::Hoka,
        file: "hoka.csv",
        text: include_str!("../../../../data/sizes/hoka.csv"),
        kids: None,
    },
    ChartFile {
        family: BrandFamily::Salomon,
        file: "salomon.csv",
        text: include_str!("../../../../data/sizes/salomon.csv"),
        kids: None,
    },
    ChartFile {
        family: BrandFamily::Ugg,
        file: "ugg.csv",
        text: include_str!("../../../../data/sizes/ugg.csv"),
        kids: None,
    },
    ChartFile {
        family: BrandFamily::Timberland,
        file: "timberland.csv",
        text: include_str!("../../../../data/sizes/timberland.csv"),
        kids: None,
    },
    ChartFile {
        family: BrandFamily::Birkenstock,
        file: "birkenstock.csv",
        text: include_str!("../../../../data/sizes/birkenstock.csv"),
        kids: None,
    },
    ChartFile {
        family: BrandFamily::On,
        file: "on.csv",
        text: include_str!("../../../../data/sizes/on.csv"),
        kids: None,
    },
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
    files: &[ChartFile],
    rules: (&'static str, &'static str),
) -> Result<Vec<Chart>, ChartError> {
    let mut charts = files
        .iter()
        .map(|f| {
            let rows = load_rows(f.file, f.text)?;
            let kids = match f.kids {
                Some((file, text)) => load_kids(file, text, &rows)?,
                None => KidsChart::default(),
            };
            Ok(Chart {
                family: f.family,
                rows,
                women: None,
                grade_school: None,
                kids,
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

fn optional(
    file: &'static str,
    line: usize,
    column: &str,
    text: &str,
    system: ShoeSystem,
) -> Result<Option<SizeValue>, ChartError> {
    match text {
        "" => Ok(None),
        t => value(file, line, column, t, system).map(Some),
    }
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

/// The printed EU range `36-37` and the standardized value it must carry (its midpoint).
fn printed_range(
    file: &'static str,
    line: usize,
    text: &str,
    eu: SizeValue,
) -> Result<Option<(SizeValue, SizeValue)>, ChartError> {
    if text.is_empty() {
        return Ok(None);
    }
    let fail = |reason: String| ChartError { file, line, reason };
    let (low, high) = text.split_once('-').ok_or_else(|| {
        fail(format!(
            "eu_printed {text:?}: expected a range such as 36-37"
        ))
    })?;
    let low = value(file, line, "eu_printed", low.trim(), ShoeSystem::Eu)?;
    let high = value(file, line, "eu_printed", high.trim(), ShoeSystem::Eu)?;
    if low >= high {
        return Err(fail(format!("eu_printed {text:?} must run low-high")));
    }
    let mid = (low.twelfths() + high.twelfths()) / 2;
    if (low.twelfths() + high.twelfths()) % 2 != 0 || mid != eu.twelfths() {
        return Err(fail(format!(
            "eu {eu} must be the midpoint of the printed range {text}"
        )));
    }
    Ok(Some((low, high)))
}

/// Refuses a UK or CM value that names more than [`MAX_REPEAT`] consecutive rows.
fn check_repeats(
    file: &'static str,
    line: usize,
    rows: &[ChartRow],
    row: &ChartRow,
) -> Result<(), ChartError> {
    for (column, repeats) in [
        (
            "uk",
            rows.iter()
                .rev()
                .take_while(|r| row.uk.is_some() && r.uk == row.uk)
                .count(),
        ),
        (
            "cm",
            rows.iter()
                .rev()
                .take_while(|r| row.cm.is_some() && r.cm == row.cm)
                .count(),
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
    Ok(())
}

/// `new` is not below the last given value of the column (empty cells are skipped).
fn not_below(
    rows: &[ChartRow],
    new: Option<SizeValue>,
    get: fn(&ChartRow) -> Option<SizeValue>,
) -> bool {
    match (new, rows.iter().rev().find_map(get)) {
        (Some(n), Some(last)) => n >= last,
        _ => true,
    }
}

fn out_of_order(file: &'static str, line: usize, column: &str) -> ChartError {
    ChartError {
        file,
        line,
        reason: format!(
            "{column} out of order: rows run from small to large and us_m and eu never repeat"
        ),
    }
}

fn load_rows(file: &'static str, text: &'static str) -> Result<Vec<ChartRow>, ChartError> {
    let mut rows: Vec<ChartRow> = Vec::new();
    for (line, [us_m, uk, eu, cm, us_w, printed, source, confidence]) in
        records::<8>(file, text, CHART_HEADER)?
    {
        let (source, confidence) = source_and_confidence(file, line, source, confidence)?;
        let eu = value(file, line, "eu", eu, ShoeSystem::Eu)?;
        let row = ChartRow {
            us_m: value(file, line, "us_m", us_m, ShoeSystem::Us)?,
            uk: optional(file, line, "uk", uk, ShoeSystem::Uk)?,
            eu,
            cm: optional(file, line, "cm", cm, ShoeSystem::Cm)?,
            us_w: optional(file, line, "us_w", us_w, ShoeSystem::Us)?,
            eu_printed: printed_range(file, line, printed, eu)?,
            source,
            confidence,
        };
        check_repeats(file, line, &rows, &row)?;
        if let Some(prev) = rows.last() {
            let order = [
                ("us_m", row.us_m > prev.us_m),
                ("eu", row.eu > prev.eu && row.eu_low() > prev.eu_low()),
                ("uk", not_below(&rows, row.uk, |r| r.uk)),
                ("cm", not_below(&rows, row.cm, |r| r.cm)),
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
                return Err(out_of_order(file, line, column));
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

/// True for a kids' size written with `C` (toddler, and pre-school 10.5C–13.5C).
fn is_c_size(cohort: Cohort, us: SizeValue) -> bool {
    match cohort {
        Cohort::Toddler => true,
        Cohort::PreSchool => us.twelfths() >= 126,
        _ => false,
    }
}

/// Loads a kids' file: rows grouped toddler, pre-school, grade school, each strictly
/// increasing in US (which restarts where C sizes give way to Y sizes); EU strictly
/// increasing over the whole file; UK may restart once, from 12 or more to 3 or less
/// (kids' UK 13.5 → UK 1). A row whose EU value is also an adult row's
/// must agree with it on UK and CM: one EU value, one physical size.
fn load_kids(
    file: &'static str,
    text: &'static str,
    adult: &[ChartRow],
) -> Result<KidsChart, ChartError> {
    let mut kids = KidsChart::default();
    let mut all: Vec<(Cohort, ChartRow)> = Vec::new();
    // Index of the first row after UK restarts (kids' UK 13.5 → UK 1), if it has.
    let mut uk_restart: Option<usize> = None;
    for (line, [cohort, us, uk, eu, cm, printed, source, confidence]) in
        records::<8>(file, text, KIDS_HEADER)?
    {
        let fail = |reason: String| ChartError { file, line, reason };
        let (source, confidence) = source_and_confidence(file, line, source, confidence)?;
        let cohort = match cohort {
            "TD" => Cohort::Toddler,
            "PS" => Cohort::PreSchool,
            "GS" => Cohort::GradeSchool,
            other => return Err(fail(format!("cohort {other:?}: expected TD, PS or GS"))),
        };
        let us = value(file, line, "us", us, ShoeSystem::Us)?;
        if Size::shoe(ShoeSystem::Us, cohort, us).is_err() {
            return Err(fail(format!("us {us} is not a {cohort} size")));
        }
        let eu = value(file, line, "eu", eu, ShoeSystem::Eu)?;
        let row = ChartRow {
            us_m: us,
            uk: optional(file, line, "uk", uk, ShoeSystem::Uk)?,
            eu,
            cm: optional(file, line, "cm", cm, ShoeSystem::Cm)?,
            us_w: None,
            eu_printed: printed_range(file, line, printed, eu)?,
            source,
            confidence,
        };
        let rows: Vec<ChartRow> = all.iter().map(|(_, r)| *r).collect();
        check_repeats(file, line, &rows, &row)?;
        if let Some(&(prev_cohort, prev)) = all.last() {
            let rank = |c: Cohort| match c {
                Cohort::Toddler => 0,
                Cohort::PreSchool => 1,
                _ => 2,
            };
            let wraps = is_c_size(prev_cohort, prev.us_m) && !is_c_size(cohort, us);
            let last_uk = rows.iter().rev().find_map(|r| r.uk);
            let uk_restarts = uk_restart.is_none()
                && matches!((last_uk, row.uk), (Some(l), Some(u)) if l.twelfths() >= 12 * 12 && u.twelfths() <= 3 * 12);
            if uk_restarts {
                uk_restart = Some(rows.len());
            }
            let since = rows.get(uk_restart.unwrap_or(0)..).unwrap_or(&[]);
            let order = [
                ("cohort", rank(cohort) >= rank(prev_cohort)),
                (
                    "us",
                    rank(cohort) > rank(prev_cohort) || wraps || us > prev.us_m,
                ),
                ("eu", row.eu > prev.eu && row.eu_low() > prev.eu_low()),
                ("uk", uk_restarts || not_below(since, row.uk, |r| r.uk)),
                ("cm", not_below(&rows, row.cm, |r| r.cm)),
            ];
            if let Some((column, _)) = order.iter().find(|(_, ok)| !ok) {
                return Err(out_of_order(file, line, column));
            }
        }
        if let Some(a) = adult.iter().find(|a| a.eu == row.eu) {
            let clash =
                |x: Option<SizeValue>, y: Option<SizeValue>| x.zip(y).is_some_and(|(x, y)| x != y);
            if clash(a.uk, row.uk) || clash(a.cm, row.cm) || a.eu_printed != row.eu_printed {
                return Err(fail(format!(
                    "EU {} is also an adult row with another UK, CM or printed range",
                    row.eu
                )));
            }
        }
        all.push((cohort, row));
    }
    for (cohort, row) in all {
        match cohort {
            Cohort::Toddler => kids.toddler.push(row),
            Cohort::PreSchool => kids.pre_school.push(row),
            _ => kids.grade_school.push(row),
        }
    }
    Ok(kids)
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
        if cohort == "grade-school" && !chart.kids.grade_school.is_empty() {
            return Err(fail(format!(
                "{brand} has a grade-school table; a rule would contradict it"
            )));
        }
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

    const GOOD_ROWS: &str = "us_m,uk,eu,cm,us_w,eu_printed,source,confidence\n\
        9,8,42.5,27,,,somewhere,verified\n\
        10,9,44,28,,,somewhere,secondary\n";
    const NO_RULES: &str = "brand,cohort,us_offset,us_min,us_max,source,confidence\n";

    fn load_one(rows: &'static str, rules: &'static str) -> Result<Vec<Chart>, ChartError> {
        load(
            &[ChartFile {
                family: BrandFamily::Nike,
                file: "test.csv",
                text: rows,
                kids: None,
            }],
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
            let kids = [Cohort::Toddler, Cohort::PreSchool, Cohort::GradeSchool]
                .into_iter()
                .flat_map(|c| chart.kids.rows(c));
            for row in chart.rows.iter().chain(kids) {
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
    #[case::missing_source(
        "us_m,uk,eu,cm,us_w,eu_printed,source,confidence\n9,8,42.5,27,,,,verified\n",
        2
    )]
    #[case::bad_confidence(
        "us_m,uk,eu,cm,us_w,eu_printed,source,confidence\n9,8,42.5,27,,,x,sure\n",
        2
    )]
    #[case::float_eu(
        "us_m,uk,eu,cm,us_w,eu_printed,source,confidence\n9,8,42.67,27,,,x,verified\n",
        2
    )]
    #[case::too_few_fields("us_m,uk,eu,cm,us_w,eu_printed,source,confidence\n9,8,42.5,27\n", 2)]
    #[case::too_many_fields(
        "us_m,uk,eu,cm,us_w,eu_printed,source,confidence\n9,8,42.5,27,,,x,verified,1\n",
        2
    )]
    #[case::repeated_eu(
        "us_m,uk,eu,cm,us_w,eu_printed,source,confidence\n9,8,44,27,,,x,verified\n10,9,44,28,,,x,verified\n",
        3
    )]
    #[case::us_going_down(
        "us_m,uk,eu,cm,us_w,eu_printed,source,confidence\n10,9,44,28,,,x,verified\n9,8,45,29,,,x,verified\n",
        3
    )]
    #[case::quoted(
        "us_m,uk,eu,cm,us_w,eu_printed,source,confidence\n9,8,42.5,27,,,\"x\",verified\n",
        2
    )]
    #[case::empty("us_m,uk,eu,cm,us_w,eu_printed,source,confidence\n", 0)]
    #[case::range_not_midpoint(
        "us_m,uk,eu,cm,us_w,eu_printed,source,confidence\n4,,37,,,36-37,x,verified\n",
        2
    )]
    #[case::range_backwards(
        "us_m,uk,eu,cm,us_w,eu_printed,source,confidence\n4,,36.5,,,37-36,x,verified\n",
        2
    )]
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
        let rows = "us_m,uk,eu,cm,us_w,eu_printed,source,confidence\n10,9,44,28,11.5,,x,verified\n";
        let rules = "brand,cohort,us_offset,us_min,us_max,source,confidence\n\
            nike,women,2,,,x,verified\n";
        let err = load_one(rows, rules).unwrap_err();
        assert!(err.reason.contains("disagrees"), "{err}");
    }
}

#[cfg(test)]
mod kids_tests {
    use super::*;

    const ADULT: &str = "us_m,uk,eu,cm,us_w,eu_printed,source,confidence\n\
        4,3.5,36,23,,,somewhere,verified\n";
    const NO_RULES: &str = "brand,cohort,us_offset,us_min,us_max,source,confidence\n";

    fn load_kids_text(kids: &'static str) -> Result<Vec<Chart>, ChartError> {
        load(
            &[ChartFile {
                family: BrandFamily::Nike,
                file: "test.csv",
                text: ADULT,
                kids: Some(("kids.csv", kids)),
            }],
            ("rules.csv", NO_RULES),
        )
    }

    #[test]
    fn a_well_formed_kids_table_loads_with_the_uk_restart_between_c_and_y() {
        let charts = load_kids_text(
            "cohort,us,uk,eu,cm,eu_printed,source,confidence\n\
             TD,10,9.5,27,,,a source,verified\n\
             PS,13.5,13,31.5,,,a source,verified\n\
             PS,1,13.5,32,,,a source,verified\n\
             PS,1.5,1,33,,,a source,verified\n",
        )
        .unwrap();
        assert_eq!(charts[0].kids.toddler.len(), 1);
        assert_eq!(charts[0].kids.pre_school.len(), 3);
    }

    #[rstest::rstest]
    #[case::kids_row_without_a_source(
        "cohort,us,uk,eu,cm,eu_printed,source,confidence\nTD,10,9.5,27,,,,verified\n",
        2
    )]
    #[case::wrong_cohort_for_the_number(
        "cohort,us,uk,eu,cm,eu_printed,source,confidence\nTD,12,11.5,30,,,x,verified\n",
        2
    )]
    #[case::eu_repeated(
        "cohort,us,uk,eu,cm,eu_printed,source,confidence\nTD,9,8.5,27,,,x,verified\nTD,10,9.5,27,,,x,verified\n",
        3
    )]
    #[case::cohorts_out_of_order(
        "cohort,us,uk,eu,cm,eu_printed,source,confidence\nPS,11,10.5,28,,,x,verified\nTD,10,9.5,29,,,x,verified\n",
        3
    )]
    #[case::disagrees_with_the_adult_row(
        "cohort,us,uk,eu,cm,eu_printed,source,confidence\nGS,4,3,36,,,x,verified\n",
        2
    )]
    fn a_malformed_kids_table_is_an_error_with_its_line(
        #[case] kids: &'static str,
        #[case] line: usize,
    ) {
        let err = load_kids_text(kids).unwrap_err();
        assert_eq!((err.file, err.line), ("kids.csv", line), "{err}");
    }
}
