//! What a parsed size is: system, cohort and measure, with the rules that make one valid.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

use super::value::SizeValue;

/// The scale a shoe size is read on.
#[derive(Clone, Copy, PartialEq, Eq, Hash, Debug, Serialize, Deserialize)]
#[serde(rename_all = "UPPERCASE")]
pub enum ShoeSystem {
    /// US sizes; which US scale (men, women, kids) is the size's [`Cohort`].
    Us,
    /// UK sizes.
    Uk,
    /// Continental European sizes, in halves or thirds (adidas).
    Eu,
    /// Foot length in centimetres.
    Cm,
    /// Japanese sizes: foot length in centimetres, like CM.
    Jp,
    /// Korean sizes: foot length in millimetres.
    Kr,
}

/// Every system a size label can be in, shoe or apparel.
#[derive(Clone, Copy, PartialEq, Eq, Hash, Debug, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum System {
    /// US shoe sizes.
    #[serde(rename = "US")]
    Us,
    /// UK shoe sizes.
    #[serde(rename = "UK")]
    Uk,
    /// EU shoe sizes.
    #[serde(rename = "EU")]
    Eu,
    /// Centimetres.
    #[serde(rename = "CM")]
    Cm,
    /// Japanese (centimetres).
    #[serde(rename = "JP")]
    Jp,
    /// Korean (millimetres).
    #[serde(rename = "KR")]
    Kr,
    /// Letter apparel sizes: XS, S, M, L, XL...
    Letter,
    /// Trousers: waist and optional inside-leg length, in inches.
    WaistLength,
    /// One size fits all.
    OneSize,
    /// The product has no size at all (LEGO, books, collectibles, art toys).
    NoSize,
}

impl From<ShoeSystem> for System {
    fn from(s: ShoeSystem) -> Self {
        match s {
            ShoeSystem::Us => Self::Us,
            ShoeSystem::Uk => Self::Uk,
            ShoeSystem::Eu => Self::Eu,
            ShoeSystem::Cm => Self::Cm,
            ShoeSystem::Jp => Self::Jp,
            ShoeSystem::Kr => Self::Kr,
        }
    }
}

impl ShoeSystem {
    /// The label printed before the number: `US`, `UK`, `EU`, `CM`, `JP`, `KR`.
    pub fn label(self) -> &'static str {
        match self {
            Self::Us => "US",
            Self::Uk => "UK",
            Self::Eu => "EU",
            Self::Cm => "CM",
            Self::Jp => "JP",
            Self::Kr => "KR",
        }
    }

    /// Whether `v` is a step and a magnitude this system uses (EU 15–60, CM 8–40, ...).
    /// Cohort ranges for US kids are checked by [`Size::new`].
    pub(crate) fn accepts(self, v: SizeValue) -> bool {
        let t = v.twelfths();
        let (step_ok, lo, hi) = match self {
            Self::Us => (v.is_half_step(), 0, 22),
            Self::Uk => (v.is_half_step(), 0, 20),
            Self::Eu => (v.is_eu_step(), 15, 60),
            Self::Cm | Self::Jp => (t.is_multiple_of(3), 8, 40),
            Self::Kr => (v.is_whole(), 80, 400),
        };
        step_ok && t >= lo * 12 && t <= hi * 12
    }
}

impl fmt::Display for ShoeSystem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.label())
    }
}

/// Who a size is cut for. US labels mean different feet per cohort; UK, EU and CM labels are one
/// scale for adults, and the cohort only travels along.
#[derive(Clone, Copy, PartialEq, Eq, Hash, Debug, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Cohort {
    /// Men's (`US M 10`, `10.5M`).
    Men,
    /// Women's (`US W 8`, `8.5W`).
    Women,
    /// Grade school, US 3.5Y–7Y.
    GradeSchool,
    /// Pre-school, US 10.5C–3Y.
    PreSchool,
    /// Toddler, US 0C–10C.
    Toddler,
    /// No gender given. A US size without a cohort is read on the men's scale.
    Unisex,
}

impl Cohort {
    /// The short code the database uses: `M`, `W`, `GS`, `PS`, `TD`, `unisex`.
    pub fn code(self) -> &'static str {
        match self {
            Self::Men => "M",
            Self::Women => "W",
            Self::GradeSchool => "GS",
            Self::PreSchool => "PS",
            Self::Toddler => "TD",
            Self::Unisex => "unisex",
        }
    }

    /// True for grade school, pre-school and toddler.
    pub fn is_kids(self) -> bool {
        matches!(self, Self::GradeSchool | Self::PreSchool | Self::Toddler)
    }

    /// The word put before a non-US label of this cohort in [`Size`]'s display.
    fn prefix(self) -> &'static str {
        match self {
            Self::Men => "Men's ",
            Self::Women => "Women's ",
            Self::GradeSchool => "GS ",
            Self::PreSchool => "PS ",
            Self::Toddler => "TD ",
            Self::Unisex => "",
        }
    }

    /// Whether a US value belongs to this cohort's scale (kids' scales have fixed spans).
    fn accepts_us(self, v: SizeValue) -> bool {
        let t = v.twelfths();
        match self {
            Self::Men | Self::Unisex => (12..=22 * 12).contains(&t),
            // Below 22, where `W22` starts to mean a waist.
            Self::Women => (2 * 12..=21 * 12 + 6).contains(&t),
            Self::GradeSchool => (42..=7 * 12).contains(&t),
            Self::PreSchool => (126..=162).contains(&t) || (12..=36).contains(&t),
            Self::Toddler => t <= 10 * 12,
        }
    }

    /// The suffix of a kids' US label: `C` (child) or `Y` (youth).
    fn kid_suffix(self, v: SizeValue) -> &'static str {
        match self {
            Self::Toddler => "C",
            Self::PreSchool if v.twelfths() >= 126 => "C",
            _ => "Y",
        }
    }
}

/// Unknown cohort name.
#[derive(Clone, PartialEq, Eq, Debug, thiserror::Error)]
#[error("unknown cohort {0:?}: expected M, W, GS, PS, TD or unisex")]
pub struct UnknownCohort(pub String);

impl FromStr for Cohort {
    type Err = UnknownCohort;

    /// Reads codes and names case-insensitively: `M`/`men`, `W`/`women`, `GS`/`grade-school`,
    /// `PS`/`pre-school`, `TD`/`toddler`, `unisex`.
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let key = s.trim().to_ascii_lowercase().replace(['_', ' '], "-");
        Ok(match key.as_str() {
            "m" | "men" | "mens" | "men's" => Self::Men,
            "w" | "women" | "womens" | "women's" | "wmns" => Self::Women,
            "gs" | "grade-school" | "gradeschool" => Self::GradeSchool,
            "ps" | "pre-school" | "preschool" => Self::PreSchool,
            "td" | "toddler" => Self::Toddler,
            "u" | "unisex" => Self::Unisex,
            _ => return Err(UnknownCohort(s.to_owned())),
        })
    }
}

impl fmt::Display for Cohort {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.code())
    }
}

/// Letter apparel sizes, smallest first.
#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Debug, Serialize, Deserialize)]
#[serde(rename_all = "UPPERCASE")]
pub enum Letter {
    /// XXS
    Xxs,
    /// XS
    Xs,
    /// S
    S,
    /// M
    M,
    /// L
    L,
    /// XL
    Xl,
    /// XXL (also written 2XL)
    Xxl,
    /// XXXL (also written 3XL)
    Xxxl,
}

impl Letter {
    /// The usual spelling: `XS`, `M`, `XXL`.
    pub fn label(self) -> &'static str {
        match self {
            Self::Xxs => "XXS",
            Self::Xs => "XS",
            Self::S => "S",
            Self::M => "M",
            Self::L => "L",
            Self::Xl => "XL",
            Self::Xxl => "XXL",
            Self::Xxxl => "XXXL",
        }
    }

    /// Reads a letter size case-insensitively, including `2XL` and `3XL`.
    pub(crate) fn from_word(w: &str) -> Option<Self> {
        let mut buf = [0u8; 4];
        let lower = buf.get_mut(..w.len())?;
        lower.copy_from_slice(w.as_bytes());
        lower.make_ascii_lowercase();
        match &*lower {
            b"xxs" => Some(Self::Xxs),
            b"xs" => Some(Self::Xs),
            b"s" => Some(Self::S),
            b"m" => Some(Self::M),
            b"l" => Some(Self::L),
            b"xl" => Some(Self::Xl),
            b"xxl" | b"2xl" => Some(Self::Xxl),
            b"xxxl" | b"3xl" => Some(Self::Xxxl),
            _ => None,
        }
    }
}

/// What a size label measures. Read it through [`Size::measure`]; build a [`Size`] from one with
/// [`Size::new`], which checks it.
#[derive(Clone, Copy, PartialEq, Eq, Hash, Debug, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Measure {
    /// One shoe size: `US M 10`, `UK 9`, `EU 44 2/3`, `CM 28`, `4Y`.
    Shoe {
        /// Scale of the value.
        system: ShoeSystem,
        /// The size on that scale.
        value: SizeValue,
    },
    /// A span of shoe sizes, as socks are sold: `42/44`, `Men's 9-10`. `low < high`.
    ShoeRange {
        /// Scale of both ends.
        system: ShoeSystem,
        /// Smallest size covered.
        low: SizeValue,
        /// Largest size covered.
        high: SizeValue,
    },
    /// A unisex shoe labelled with both US scales: `12W / 10.5M`. The men's value is the base;
    /// the women's one is checked against the brand's chart when converting.
    UsDual {
        /// The US women's label.
        women: SizeValue,
        /// The US men's label.
        men: SizeValue,
    },
    /// A letter size or span of letters (`M`, `S/M`, `L/XL`), optionally with the shoe sizes it
    /// fits (`S / Men's 9-10`, socks; a single letter only).
    Letter {
        /// Smallest letter (equal to `high` for a single letter).
        low: Letter,
        /// Largest letter.
        high: Letter,
        /// Shoe span the item fits, on the size's cohort.
        fits: Option<ShoeSpan>,
    },
    /// Trousers: waist and optional length in inches (`34W/32L`, `W33 L32`).
    WaistLength {
        /// Waist, inches.
        waist: u8,
        /// Inside-leg length, inches.
        length: Option<u8>,
    },
    /// One size (`One Size`).
    OneSize,
    /// No size: the product has none (LEGO, books, collectibles, art toys). Not a refusal and
    /// not [`SizeError::Missing`]: there is nothing to read because there is nothing to fit.
    NoSize,
}

/// The width a brand prints beside an EU length (Birkenstock's narrow and regular lasts).
///
/// Width is a property of the product (narrow and regular pairs carry different style codes),
/// so it travels with the size but never changes its standardized EU length.
#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Debug, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Width {
    /// Narrow last (`N`, `narrow`, `schmal`).
    Narrow,
    /// Regular last (`R`, `regular`, `normal`).
    Regular,
}

impl Width {
    /// The word used in a size's display: `Narrow`, `Regular`.
    pub fn label(self) -> &'static str {
        match self {
            Self::Narrow => "Narrow",
            Self::Regular => "Regular",
        }
    }
}

/// A span of shoe sizes attached to a letter size.
#[derive(Clone, Copy, PartialEq, Eq, Hash, Debug, Serialize, Deserialize)]
pub struct ShoeSpan {
    /// Scale of both ends.
    pub system: ShoeSystem,
    /// Smallest size covered.
    pub low: SizeValue,
    /// Largest size covered.
    pub high: SizeValue,
}

/// A parsed, valid size label: its cohort and what it measures. Built by [`super::parse`] or
/// [`Size::new`]; its [`Display`](fmt::Display) reads back to the same size with no context.
#[derive(Clone, Copy, PartialEq, Eq, Hash, Debug, Serialize, Deserialize)]
#[serde(try_from = "SizeRepr", into = "SizeRepr")]
pub struct Size {
    cohort: Cohort,
    measure: Measure,
    width: Option<Width>,
}

/// Why a string is not a size. Parsing refuses rather than guesses.
#[derive(Clone, PartialEq, Eq, Debug, thiserror::Error, Serialize)]
#[serde(tag = "error", rename_all = "snake_case")]
pub enum SizeError {
    /// No size was given: empty, `N/A`, `-`. Not an error in the data, just nothing to read.
    #[error("no size given ({input:?})")]
    Missing {
        /// The input as given.
        input: String,
    },
    /// The text is not a size label this module knows.
    #[error("cannot read {input:?} as a size: {reason}")]
    Unparsable {
        /// The input as given.
        input: String,
        /// What is wrong with it.
        reason: &'static str,
    },
    /// The text reads as more than one size and the context does not say which.
    #[error("{input:?} is ambiguous: it could be {}", list(candidates))]
    Ambiguous {
        /// The input as given.
        input: String,
        /// Every reading, in a fixed order.
        candidates: Vec<Size>,
    },
    /// A cohort and measure that do not make a size (from [`Size::new`]).
    #[error("not a valid size: {reason}")]
    Invalid {
        /// What is wrong.
        reason: &'static str,
    },
}

/// Joins sizes for an error message: `US 10 or UK 10`.
pub(crate) fn list(sizes: &[Size]) -> String {
    let mut out = String::new();
    for (i, s) in sizes.iter().enumerate() {
        if i > 0 {
            out.push_str(" or ");
        }
        out.push_str(&s.to_string());
    }
    out
}

impl Size {
    /// Checks and builds a size.
    ///
    /// Rules: values on their system's step and range (US/UK halves, EU halves or thirds,
    /// CM/JP quarters, KR whole millimetres); a US value inside its cohort's scale (GS 3.5–7,
    /// PS 10.5–13.5 or 1–3, TD 0–10); spans with `low < high`; a dual US label is unisex with
    /// the women's number above the men's.
    pub fn new(cohort: Cohort, measure: Measure) -> Result<Self, SizeError> {
        let invalid = |reason| Err(SizeError::Invalid { reason });
        match measure {
            Measure::Shoe { system, value } => {
                if !system.accepts(value) {
                    return invalid("value outside the system's steps or range");
                }
                if system == ShoeSystem::Us && !cohort.accepts_us(value) {
                    return invalid("US value outside the cohort's scale");
                }
            }
            Measure::ShoeRange { system, low, high } => {
                check_span(cohort, system, low, high)?;
            }
            Measure::UsDual { women, men } => {
                if cohort != Cohort::Unisex {
                    return invalid("a dual women's/men's label is unisex");
                }
                if !(ShoeSystem::Us.accepts(women)
                    && ShoeSystem::Us.accepts(men)
                    && Cohort::Women.accepts_us(women)
                    && Cohort::Men.accepts_us(men))
                {
                    return invalid("US value outside the system's steps or range");
                }
                if women <= men {
                    return invalid("a women's US number is above the men's for the same shoe");
                }
            }
            Measure::Letter { low, high, fits } => {
                if low > high {
                    return invalid("letter span must run from small to large");
                }
                if let Some(span) = fits {
                    if low != high {
                        return invalid("only a single letter carries the shoe sizes it fits");
                    }
                    check_span(cohort, span.system, span.low, span.high)?;
                }
            }
            Measure::WaistLength { waist, length } => {
                // Below 22, `W 20` is a women's shoe size.
                if !(22..=60).contains(&waist) {
                    return invalid("waist must be 22–60 inches");
                }
                if length.is_some_and(|l| !(20..=40).contains(&l)) {
                    return invalid("length must be 20–40 inches");
                }
            }
            Measure::OneSize => {}
            Measure::NoSize => {
                if cohort != Cohort::Unisex {
                    return invalid("a product without a size has no cohort");
                }
            }
        }
        Ok(Self {
            cohort,
            measure,
            width: None,
        })
    }

    /// This size with a width (narrow/regular last). Only a single EU shoe size carries one;
    /// for anything else the size is returned unchanged.
    pub fn with_width(self, width: Option<Width>) -> Self {
        match self.measure {
            Measure::Shoe {
                system: ShoeSystem::Eu,
                ..
            } => Self { width, ..self },
            _ => self,
        }
    }

    /// The width printed beside the size, if any.
    pub fn width(&self) -> Option<Width> {
        self.width
    }

    /// A single shoe size, checked as in [`Size::new`].
    pub fn shoe(system: ShoeSystem, cohort: Cohort, value: SizeValue) -> Result<Self, SizeError> {
        Self::new(cohort, Measure::Shoe { system, value })
    }

    /// Who the size is for.
    pub fn cohort(&self) -> Cohort {
        self.cohort
    }

    /// What the label measures.
    pub fn measure(&self) -> Measure {
        self.measure
    }

    /// The system of the label.
    pub fn system(&self) -> System {
        match self.measure {
            Measure::Shoe { system, .. } | Measure::ShoeRange { system, .. } => system.into(),
            Measure::UsDual { .. } => System::Us,
            Measure::Letter { .. } => System::Letter,
            Measure::WaistLength { .. } => System::WaistLength,
            Measure::OneSize => System::OneSize,
            Measure::NoSize => System::NoSize,
        }
    }
}

fn check_span(
    cohort: Cohort,
    system: ShoeSystem,
    low: SizeValue,
    high: SizeValue,
) -> Result<(), SizeError> {
    let invalid = |reason| Err(SizeError::Invalid { reason });
    if !(system.accepts(low) && system.accepts(high)) {
        return invalid("value outside the system's steps or range");
    }
    if low >= high {
        return invalid("a span runs from a smaller to a larger size");
    }
    if system == ShoeSystem::Us {
        if !(cohort.accepts_us(low) && cohort.accepts_us(high)) {
            return invalid("US value outside the cohort's scale");
        }
        if cohort.is_kids() && cohort.kid_suffix(low) != cohort.kid_suffix(high) {
            return invalid("a kids' span stays within C or within Y sizes");
        }
    }
    Ok(())
}

/// Writes a US value with its cohort: `US 10`, `US M 10`, `US W 8`, `4Y`, `10C`.
fn write_us(f: &mut fmt::Formatter<'_>, cohort: Cohort, v: SizeValue) -> fmt::Result {
    match cohort {
        Cohort::Unisex => write!(f, "US {v}"),
        Cohort::Men => write!(f, "US M {v}"),
        Cohort::Women => write!(f, "US W {v}"),
        kids => write!(f, "{v}{}", kids.kid_suffix(v)),
    }
}

/// Writes a span: `US M 9-10`, `4Y-6Y`, `Men's EU 42-44`.
fn write_span(
    f: &mut fmt::Formatter<'_>,
    cohort: Cohort,
    system: ShoeSystem,
    low: SizeValue,
    high: SizeValue,
) -> fmt::Result {
    if system == ShoeSystem::Us {
        write_us(f, cohort, low)?;
        f.write_str("-")?;
        if cohort.is_kids() {
            write_us(f, cohort, high)
        } else {
            write!(f, "{high}")
        }
    } else {
        write!(f, "{}{system} {low}-{high}", cohort.prefix())
    }
}

impl fmt::Display for Size {
    /// The canonical label. US sizes carry their scale (`US M 10`, `US W 8`, `4Y`, `10C`,
    /// `US 10` when unisex); other labels are prefixed by a non-unisex cohort (`Women's UK 5`).
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let prefix = self.cohort.prefix();
        match self.measure {
            Measure::Shoe {
                system: ShoeSystem::Us,
                value,
            } => write_us(f, self.cohort, value),
            Measure::Shoe { system, value } => {
                write!(f, "{prefix}{system} {value}")?;
                match self.width {
                    Some(w) => write!(f, " {}", w.label()),
                    None => Ok(()),
                }
            }
            Measure::ShoeRange { system, low, high } => {
                write_span(f, self.cohort, system, low, high)
            }
            Measure::UsDual { women, men } => write!(f, "{women}W / {men}M"),
            Measure::Letter { low, high, fits } => {
                if fits.is_none() {
                    f.write_str(prefix)?;
                }
                f.write_str(low.label())?;
                if high != low {
                    write!(f, "/{}", high.label())?;
                }
                if let Some(span) = fits {
                    f.write_str(" / ")?;
                    write_span(f, self.cohort, span.system, span.low, span.high)?;
                }
                Ok(())
            }
            Measure::WaistLength { waist, length } => {
                write!(f, "{prefix}W{waist}")?;
                match length {
                    Some(l) => write!(f, " L{l}"),
                    None => Ok(()),
                }
            }
            Measure::OneSize => write!(f, "{prefix}One Size"),
            Measure::NoSize => f.write_str("No Size"),
        }
    }
}

/// Serde form of [`Size`]: the system and canonical label are written for readers and ignored
/// when read back (the measure is the truth; [`Size::new`] checks it).
#[derive(Serialize, Deserialize)]
struct SizeRepr {
    #[serde(default, skip_deserializing)]
    system: Option<System>,
    cohort: Cohort,
    measure: Measure,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    width: Option<Width>,
    #[serde(default, skip_deserializing)]
    label: String,
}

impl From<Size> for SizeRepr {
    fn from(s: Size) -> Self {
        Self {
            system: Some(s.system()),
            cohort: s.cohort,
            measure: s.measure,
            width: s.width,
            label: s.to_string(),
        }
    }
}

impl TryFrom<SizeRepr> for Size {
    type Error = SizeError;

    fn try_from(r: SizeRepr) -> Result<Self, Self::Error> {
        let size = Size::new(r.cohort, r.measure)?;
        if r.width.is_some() && size.with_width(r.width).width != r.width {
            return Err(SizeError::Invalid {
                reason: "only a single EU size carries a width",
            });
        }
        Ok(size.with_width(r.width))
    }
}
