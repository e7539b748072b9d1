//! Conversion between systems on a brand's chart, and the standardized EU value.

use std::fmt;

use serde::ser::SerializeStruct;
use serde::{Deserialize, Serialize, Serializer};

use super::brand::BrandFamily;
use super::chart::{chart, Chart, ChartError, ChartRow, CohortRule, Confidence, MAX_REPEAT};
use super::model::{list, Cohort, Measure, ShoeSystem, Size, Width};
use super::value::SizeValue;

/// The scale to convert a size to.
#[derive(Clone, Copy, PartialEq, Eq, Hash, Debug, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Target {
    /// US on the given cohort's scale (men's, women's, grade school).
    Us(Cohort),
    /// UK.
    Uk,
    /// EU.
    Eu,
    /// Centimetres.
    Cm,
    /// JP (centimetres).
    Jp,
    /// KR (millimetres).
    Kr,
}

impl fmt::Display for Target {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Us(Cohort::Unisex) => f.write_str("US"),
            Self::Us(c) => write!(f, "US {c}"),
            Self::Uk => f.write_str("UK"),
            Self::Eu => f.write_str("EU"),
            Self::Cm => f.write_str("CM"),
            Self::Jp => f.write_str("JP"),
            Self::Kr => f.write_str("KR"),
        }
    }
}

/// A size converted on one chart row (or several rows that agree).
#[derive(Clone, Copy, PartialEq, Eq, Debug, Serialize)]
pub struct Converted {
    /// The size in the target system.
    pub size: Size,
    /// The weakest confidence of the chart rows and rules used.
    pub confidence: Confidence,
}

/// Why a size cannot be converted. Conversion refuses rather than guesses.
#[derive(Clone, PartialEq, Eq, Debug, thiserror::Error, Serialize)]
#[serde(tag = "error", rename_all = "snake_case")]
pub enum ConvertError {
    /// Only EU labels stand without a brand; US, UK and CM mean different feet per brand
    /// (UK 9 is US 10 at Nike and US 9.5 at adidas).
    #[error("{size} converts only with a brand: charts differ by brand")]
    BrandRequired {
        /// The size.
        size: Size,
    },
    /// Spans, letters, waist/length and one size have no single shoe equivalent.
    #[error("{size} is not a single shoe size")]
    NotAShoeSize {
        /// The size.
        size: Size,
    },
    /// The brand's chart has no scale for this cohort (kids' charts, some women's scales).
    #[error("no {cohort} scale for {brand}")]
    NoCohortRule {
        /// The brand family.
        brand: BrandFamily,
        /// The cohort.
        cohort: Cohort,
    },
    /// The size, or its equivalent in the target system, is not in the brand's chart.
    #[error("{size} has no {target} equivalent in the {brand} chart")]
    NotInChart {
        /// The size.
        size: Size,
        /// The brand family.
        brand: BrandFamily,
        /// The system asked for.
        target: Target,
    },
    /// The size names two or more chart rows that differ in the target system
    /// (Nike UK 6 is US M 6.5 and US M 7).
    #[error("{size} is ambiguous in {target} for {brand}: {}", list(candidates))]
    Ambiguous {
        /// The size.
        size: Size,
        /// The brand family.
        brand: BrandFamily,
        /// The system asked for.
        target: Target,
        /// Every equivalent, smallest first.
        candidates: Vec<Size>,
    },
    /// A dual label whose women's number is not the brand's women's size for its men's one.
    #[error("{size}: {brand} women's size for US M {men} is {expected}")]
    Inconsistent {
        /// The size.
        size: Size,
        /// The brand family.
        brand: BrandFamily,
        /// The men's number on the label.
        men: SizeValue,
        /// The women's number the chart gives.
        expected: SizeValue,
    },
    /// The embedded chart did not load (caught by tests before release).
    #[error(transparent)]
    Chart(#[from] ChartError),
}

/// A conversion result, for reports: one value, several, or none and why.
#[derive(Clone, PartialEq, Eq, Debug, Serialize)]
#[serde(tag = "status", rename_all = "snake_case")]
pub enum Conversion {
    /// Exactly one equivalent.
    Exact {
        /// The equivalent size.
        size: Size,
        /// The weakest confidence of the chart rows and rules used.
        confidence: Confidence,
    },
    /// Several equivalents; a person has to choose.
    Ambiguous {
        /// Every equivalent, smallest first.
        candidates: Vec<Size>,
    },
    /// No equivalent.
    Unavailable {
        /// Why.
        reason: ConvertError,
    },
}

impl From<Result<Converted, ConvertError>> for Conversion {
    fn from(r: Result<Converted, ConvertError>) -> Self {
        match r {
            Ok(c) => Self::Exact {
                size: c.size,
                confidence: c.confidence,
            },
            Err(ConvertError::Ambiguous { candidates, .. }) => Self::Ambiguous { candidates },
            Err(reason) => Self::Unavailable { reason },
        }
    }
}

/// A size's equivalents on one brand's chart.
#[derive(Clone, PartialEq, Eq, Debug, Serialize)]
pub struct Equivalents {
    /// The brand family whose chart was used.
    pub brand: BrandFamily,
    /// US men's.
    pub us_m: Conversion,
    /// US women's.
    pub us_w: Conversion,
    /// UK.
    pub uk: Conversion,
    /// EU.
    pub eu: Conversion,
    /// Centimetres.
    pub cm: Conversion,
}

/// The standardized value of a shoe size: its EU size for the brand and cohort.
#[derive(Clone, Copy, PartialEq, Eq, Hash, Debug)]
pub struct Standardized {
    /// The exact EU value (`44 2/3`).
    pub eu: SizeValue,
    /// The weakest confidence of the chart rows used; `None` when the label was EU already.
    pub confidence: Option<Confidence>,
    /// The width printed beside the size (Birkenstock narrow/regular). It is part of the
    /// size's identity: EU 42 narrow and EU 42 regular are different products and never
    /// compare equal, though they share the EU length.
    pub width: Option<Width>,
}

impl Standardized {
    /// The EU value in tenths for a `numeric(4,1)` column: 44 2/3 → 447, 44 1/3 → 443.
    pub fn tenths(&self) -> u32 {
        self.eu.tenths()
    }

    /// The EU value with one decimal: `"44.7"`.
    pub fn decimal(&self) -> String {
        self.eu.decimal()
    }
}

impl Serialize for Standardized {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let mut s = serializer.serialize_struct("Standardized", 5)?;
        s.serialize_field("eu", &self.eu)?;
        s.serialize_field("eu_tenths", &self.tenths())?;
        s.serialize_field("eu_decimal", &self.decimal())?;
        s.serialize_field("confidence", &self.confidence)?;
        s.serialize_field("width", &self.width)?;
        s.end()
    }
}

/// The women's US size of a chart row: the chart's column, else the brand's rule.
fn women_us(row: &ChartRow, chart: &Chart) -> Option<(SizeValue, Confidence)> {
    match (row.us_w, chart.women) {
        (Some(w), _) => Some((w, row.confidence)),
        (None, Some(rule)) => rule
            .apply(row.us_m)
            .map(|w| (w, row.confidence.min(rule.confidence))),
        (None, None) => None,
    }
}

/// Which value of a chart row a (system, cohort) reads.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Column {
    /// `us_m`: men's US on the adult rows, the kids' US number in a kids' table.
    UsMen,
    UsWomen,
    /// Grade school by rule on the adult rows.
    UsKids,
    Uk,
    Eu,
    Cm,
    Kr,
}

/// How to read one (system, cohort) off a brand's chart, decided once per conversion.
#[derive(Clone, Copy)]
struct Lookup {
    chart: &'static Chart,
    /// The table read: the adult rows or one kids' table.
    rows: &'static [ChartRow],
    /// The kids' cohort whose table `rows` is; `None` for the adult rows.
    table: Option<Cohort>,
    column: Column,
    /// A kids' scale by rule on the adult rows: only rows inside its span, and its US numbers.
    kids: Option<CohortRule>,
}

impl Lookup {
    fn new(
        chart: &'static Chart,
        system: ShoeSystem,
        cohort: Cohort,
    ) -> Result<Self, ConvertError> {
        let missing = || ConvertError::NoCohortRule {
            brand: chart.family,
            cohort,
        };
        let by_system = |us| match system {
            ShoeSystem::Us => us,
            ShoeSystem::Uk => Column::Uk,
            ShoeSystem::Eu => Column::Eu,
            ShoeSystem::Cm | ShoeSystem::Jp => Column::Cm,
            ShoeSystem::Kr => Column::Kr,
        };
        let table = chart.kids.rows(cohort);
        if !table.is_empty() {
            return Ok(Self {
                chart,
                rows: table,
                table: Some(cohort),
                column: by_system(Column::UsMen),
                kids: None,
            });
        }
        let kids = match cohort {
            Cohort::Men | Cohort::Women | Cohort::Unisex => None,
            Cohort::GradeSchool => Some(chart.grade_school.ok_or_else(missing)?),
            Cohort::PreSchool | Cohort::Toddler => return Err(missing()),
        };
        let column = match (system, cohort) {
            (ShoeSystem::Us, Cohort::Women) => {
                if chart.women.is_none() && chart.rows.iter().all(|r| r.us_w.is_none()) {
                    return Err(missing());
                }
                Column::UsWomen
            }
            (ShoeSystem::Us, _) if kids.is_some() => Column::UsKids,
            _ => by_system(Column::UsMen),
        };
        Ok(Self {
            chart,
            rows: &chart.rows,
            table: None,
            column,
            kids,
        })
    }

    /// The row's value, with the weakest confidence of what was used; `None` where the row is
    /// outside the scale or the chart leaves the cell empty.
    fn cell(&self, row: &ChartRow) -> Option<(SizeValue, Confidence)> {
        let mut confidence = row.confidence;
        let mut kid = None;
        if let Some(rule) = self.kids {
            kid = Some(rule.apply(row.us_m)?);
            confidence = confidence.min(rule.confidence);
        }
        let v = match self.column {
            Column::UsMen => row.us_m,
            Column::UsWomen => {
                let (w, c) = women_us(row, self.chart)?;
                return Some((w, c.min(confidence)));
            }
            Column::UsKids => kid?,
            Column::Uk => row.uk?,
            Column::Eu => row.eu,
            Column::Cm => row.cm?,
            Column::Kr => row.cm?.times_ten()?,
        };
        Some((v, confidence))
    }

    /// Whether the column runs from small to large down the table, so a search may stop early.
    /// A kids' table restarts its US and UK numbers where C sizes give way to Y sizes.
    fn sorted(&self) -> bool {
        self.table.is_none() || matches!(self.column, Column::Eu | Column::Cm | Column::Kr)
    }

    /// The rows a label of `value` names in this table, at most [`MATCHED`].
    fn find(&self, value: SizeValue) -> Matched {
        let mut out = Matched {
            rows: [None; MATCHED],
            table: self.table,
        };
        let mut slots = out.rows.iter_mut();
        for row in self.rows {
            let hit = match self.column {
                // An EU label names a row by its standardized value or inside its printed range.
                Column::Eu if row.eu_printed.is_some() => {
                    if row.eu_low() > value {
                        break;
                    }
                    row.eu_names(value).then_some((row.eu, row.confidence))
                }
                _ => match self.cell(row) {
                    Some((v, c)) if v == value => Some((v, c)),
                    Some((v, _)) if v > value && self.sorted() => break,
                    _ => None,
                },
            };
            if let Some((_, c)) = hit {
                match slots.next() {
                    Some(slot) => *slot = Some((row, c)),
                    None => break,
                }
            }
        }
        out
    }
}

/// The single shoe size a measure stands for, as (system, cohort, value).
fn single(size: &Size) -> Result<(ShoeSystem, Cohort, SizeValue), ConvertError> {
    match size.measure() {
        Measure::Shoe { system, value } => Ok((system, size.cohort(), value)),
        Measure::UsDual { men, .. } => Ok((ShoeSystem::Us, Cohort::Men, men)),
        _ => Err(ConvertError::NotAShoeSize { size: *size }),
    }
}

/// The chart rows a size names (a label names at most a few), after checking a dual label.
///
/// An adult EU, CM, JP or KR label that names no adult row is looked up in the kids' tables
/// (toddler, pre-school, grade school): those scales measure the foot, so EU 27 is the same
/// foot whoever wears it.
fn rows_of(size: &Size, chart: &'static Chart) -> Result<Matched, ConvertError> {
    let (system, cohort, value) = single(size)?;
    if let Measure::UsDual { women, men } = size.measure() {
        dual_agrees(size, women, men, chart)?;
    }
    let from = Lookup::new(chart, system, cohort)?;
    let found = from.find(value);
    let bridgeable = !cohort.is_kids() && system != ShoeSystem::Us && system != ShoeSystem::Uk;
    if found.iter().next().is_some() || !bridgeable {
        return Ok(found);
    }
    for kids in [Cohort::Toddler, Cohort::PreSchool, Cohort::GradeSchool] {
        if chart.kids.rows(kids).is_empty() {
            continue;
        }
        let found = Lookup::new(chart, system, kids)?.find(value);
        if found.iter().next().is_some() {
            return Ok(found);
        }
    }
    Ok(found)
}

/// Most rows one label can name (the loader refuses charts that repeat a value more).
const MATCHED: usize = MAX_REPEAT;

/// Chart rows named by a size, and the kids' table they were found in (`None`: adult rows).
struct Matched {
    rows: [Option<(&'static ChartRow, Confidence)>; MATCHED],
    table: Option<Cohort>,
}

impl Matched {
    fn iter(&self) -> impl Iterator<Item = (&'static ChartRow, Confidence)> + '_ {
        self.rows.iter().flatten().copied()
    }
}

fn dual_agrees(
    size: &Size,
    women: SizeValue,
    men: SizeValue,
    chart: &Chart,
) -> Result<(), ConvertError> {
    for row in chart.rows.iter().filter(|r| r.us_m == men) {
        if let Some((expected, _)) = women_us(row, chart) {
            if expected != women {
                return Err(ConvertError::Inconsistent {
                    size: *size,
                    brand: chart.family,
                    men,
                    expected,
                });
            }
        }
    }
    Ok(())
}

/// Checks a `12W / 10.5M` label against a brand's women's scale (no scale: nothing to check).
pub(crate) fn check_dual(
    women: SizeValue,
    men: SizeValue,
    brand: BrandFamily,
) -> Result<(), ConvertError> {
    let Ok(size) = Size::new(Cohort::Unisex, Measure::UsDual { women, men }) else {
        return Ok(());
    };
    dual_agrees(&size, women, men, chart(brand)?)
}

/// True when both sizes name chart rows of `brand` and share none: `UK 6 (EU 41)` at Nike.
/// When either cannot be looked up there is nothing to contradict, so this is false.
pub(crate) fn labels_disagree(a: &Size, b: &Size, brand: BrandFamily) -> bool {
    let Ok(chart) = chart(brand) else {
        return false;
    };
    let (Ok(ra), Ok(rb)) = (rows_of(a, chart), rows_of(b, chart)) else {
        return false;
    };
    let empty = ra.iter().next().is_none() || rb.iter().next().is_none();
    let shared = ra
        .iter()
        .any(|(x, _)| rb.iter().any(|(y, _)| std::ptr::eq(x, y)));
    !empty && !shared
}

impl Size {
    /// Converts a single shoe size to `to` on `brand`'s chart.
    ///
    /// Refuses with [`ConvertError::Ambiguous`] when the size names several chart rows that
    /// differ in the target (Nike UK 6, Nike CM 24), and with [`ConvertError::NotInChart`] when
    /// the chart has no such size.
    pub fn convert(&self, brand: BrandFamily, to: Target) -> Result<Converted, ConvertError> {
        let chart = chart(brand)?;
        let rows = rows_of(self, chart)?;
        // UK, EU and CM are one scale for adults: their equivalents carry no gender. Kids'
        // cohorts travel along (a GS size stays GS), as does the kids' table an adult EU or CM
        // label was found in (EU 27 at Nike is a toddler size).
        let kept = if self.cohort().is_kids() {
            self.cohort()
        } else {
            rows.table.unwrap_or(Cohort::Unisex)
        };
        let (system, out_cohort) = match to {
            Target::Us(c) => (ShoeSystem::Us, c),
            Target::Uk => (ShoeSystem::Uk, kept),
            Target::Eu => (ShoeSystem::Eu, kept),
            Target::Cm => (ShoeSystem::Cm, kept),
            Target::Jp => (ShoeSystem::Jp, kept),
            Target::Kr => (ShoeSystem::Kr, kept),
        };
        let target = Lookup::new(chart, system, out_cohort)?;
        let not_in_chart = || ConvertError::NotInChart {
            size: *self,
            brand,
            target: to,
        };
        let make = |v| {
            Size::shoe(system, out_cohort, v)
                .map(|s| s.with_width(self.width()))
                .map_err(|_| not_in_chart())
        };
        // Distinct target values of the matched rows, smallest first (rows are ordered).
        let mut found: Vec<SizeValue> = Vec::new();
        let mut first: Option<(SizeValue, Confidence)> = None;
        for (row, from_confidence) in rows.iter() {
            // Another table (kids' and adult rows) is reached through the shared EU value.
            let row = if rows.table == target.table {
                row
            } else {
                match target.rows.iter().find(|t| t.eu == row.eu) {
                    Some(t) => t,
                    None => continue,
                }
            };
            let Some((v, c)) = target.cell(row) else {
                continue;
            };
            let c = c.min(from_confidence);
            match first {
                None => first = Some((v, c)),
                Some((f, fc)) if f == v => first = Some((f, fc.min(c))),
                Some((f, _)) => {
                    if found.is_empty() {
                        found.push(f);
                    }
                    if !found.contains(&v) {
                        found.push(v);
                    }
                }
            }
        }
        let (value, confidence) = first.ok_or_else(not_in_chart)?;
        if !found.is_empty() {
            return Err(ConvertError::Ambiguous {
                size: *self,
                brand,
                target: to,
                candidates: found.into_iter().map(make).collect::<Result<_, _>>()?,
            });
        }
        Ok(Converted {
            size: make(value)?,
            confidence,
        })
    }

    /// The kids' US label (StockX's `10C`, `3Y`) of a size on `brand`'s kids' tables: a kids'
    /// size converts within its own cohort; an EU or CM label goes to the toddler, pre-school
    /// or grade-school table that holds it (EU 27 at Jordan is `10C`).
    pub fn kids_us(&self, brand: BrandFamily) -> Result<Converted, ConvertError> {
        if self.cohort().is_kids() {
            return self.convert(brand, Target::Us(self.cohort()));
        }
        let chart = chart(brand)?;
        let rows = rows_of(self, chart)?;
        let cohort = match rows.table {
            Some(c) => c,
            // Found on the adult rows: a grade-school size where the brand sizes GS by rule.
            None => Cohort::GradeSchool,
        };
        self.convert(brand, Target::Us(cohort))
    }

    /// This size in US M, US W, UK, EU and CM on `brand`'s chart, each exact, ambiguous or
    /// unavailable with the reason.
    pub fn equivalents(&self, brand: BrandFamily) -> Equivalents {
        let to = |t| Conversion::from(self.convert(brand, t));
        Equivalents {
            brand,
            us_m: to(Target::Us(Cohort::Men)),
            us_w: to(Target::Us(Cohort::Women)),
            uk: to(Target::Uk),
            eu: to(Target::Eu),
            cm: to(Target::Cm),
        }
    }

    /// The standardized value: the EU size for the brand and cohort. An EU label is its own
    /// value (no chart needed, any brand); every other shoe label needs the brand's chart,
    /// and a label naming rows with different EU sizes is refused as ambiguous.
    pub fn standardize(&self, brand: Option<BrandFamily>) -> Result<Standardized, ConvertError> {
        let width = self.width();
        match (self.measure(), brand) {
            (
                Measure::Shoe {
                    system: ShoeSystem::Eu,
                    value,
                },
                brand,
            ) => {
                // A brand that prints EU as ranges (Crocs) names its sizes by range, so a
                // single EU number goes through its chart; elsewhere EU is its own value.
                let ranged = match brand {
                    Some(b) => chart(b)?.prints_eu_ranges(),
                    None => false,
                };
                if !ranged {
                    return Ok(Standardized {
                        eu: value,
                        confidence: None,
                        width,
                    });
                }
            }
            (
                Measure::ShoeRange {
                    system: ShoeSystem::Eu,
                    low,
                    high,
                },
                Some(b),
            ) => {
                return printed_range_row(chart(b)?, low, high)
                    .map(|row| Standardized {
                        eu: row.eu,
                        confidence: Some(row.confidence),
                        width,
                    })
                    .ok_or(ConvertError::NotAShoeSize { size: *self });
            }
            _ => {}
        }
        single(self)?;
        let brand = brand.ok_or(ConvertError::BrandRequired { size: *self })?;
        let converted = self.convert(brand, Target::Eu)?;
        match converted.size.measure() {
            Measure::Shoe { value, .. } => Ok(Standardized {
                eu: value,
                confidence: Some(converted.confidence),
                width,
            }),
            _ => Err(ConvertError::NotAShoeSize { size: *self }),
        }
    }
}

/// The row (adult or kids') whose printed EU range is exactly `low-high`.
fn printed_range_row(
    chart: &'static Chart,
    low: SizeValue,
    high: SizeValue,
) -> Option<&'static ChartRow> {
    chart
        .rows
        .iter()
        .chain(&chart.kids.toddler)
        .chain(&chart.kids.pre_school)
        .chain(&chart.kids.grade_school)
        .find(|r| r.eu_printed == Some((low, high)))
}
