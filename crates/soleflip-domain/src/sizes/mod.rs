//! Shoe and apparel sizes: parse a size string, convert it on a brand's chart, and give the
//! standardized EU value the database stores.
//!
//! This module owns the size grammar, the brand families and the charts in `data/sizes/*.csv`
//! (embedded at compile time, read once, every row with a source and a confidence mark). It
//! does no I/O and uses no floats: values are exact multiples of 1/2, 1/3 or 1/4
//! ([`SizeValue`]), so adidas `EU 44 2/3` stays exact and only rounds (to `44.7`) for a
//! `numeric(4,1)` column.
//!
//! Rules (from `DOMAIN.md` §3 and §9), each a refusal rather than a guess:
//! - A number without a system is read by its source. StockX: up to 20 is US of the product's
//!   cohort (men's if none). European retailer feeds and `Gr.`: 15 and up is EU. Anywhere, 30
//!   and up is EU. Otherwise it is [`SizeError::Ambiguous`] with every reading (`10`: US 10 or
//!   UK 10; `25`: EU 25 or CM 25).
//! - Empty, `N/A` and `-` are [`SizeError::Missing`] (no size given), apart from
//!   [`SizeError::Unparsable`] (text that is not a size).
//! - StockX's `UK 6 (EU 39)` is the bracketed size; with a brand in the [`Context`], the two
//!   labels must agree on its chart, as must the two numbers of `12W / 10.5M`.
//! - A label's own cohort marker (`W`, `M`, `Y`, `C`, `J`) wins over the caller's hint. `C` up to
//!   10 is toddler, `10.5C`–`13.5C` and `1Y`–`3Y` pre-school, `3.5Y`–`7Y` grade school.
//!   A US size with no marker is unisex, read on the men's scale.
//! - `.33`/`.67` and `⅓`/`⅔` are thirds; `.3`/`.7` are thirds on EU only (that is how a
//!   `numeric(4,1)` column writes them back).
//! - UK, US, CM, JP and KR never convert without a brand: brands put the same label on
//!   different feet (UK 9 is US 10 at Nike, US 9.5 at adidas). Only an EU label standardizes
//!   without one, to itself.
//! - A label naming two chart rows (Nike UK 6 is US 6.5 and US 7; Nike CM 24 is US 5.5 and 6)
//!   converts to [`ConvertError::Ambiguous`] with both, for a person to decide.
//! - Kids' sizes convert on the brand's kids' tables (`data/sizes/kids/`, toddler, pre-school,
//!   grade school) or, for grade school, a sourced rule on the men's rows (Nike, New Balance,
//!   ASICS); a cohort with neither is refused (adidas toddler). Women's convert only where the
//!   brand has a women's column or offset. GS and men's share numbers 3.5–7 but are different
//!   products; the cohort keeps them apart. An adult EU or CM label that names no adult row is
//!   looked up in the kids' tables, so a feed's EU 27 reaches StockX's `10C`
//!   ([`Size::kids_us`]).
//! - The standardized value is the EU size on the brand's chart. Every table's EU column
//!   strictly increases, and a kids' row may share an EU value with an adult row only as the
//!   same foot (the loader checks UK and CM), so different physical sizes never share a value
//!   and every label of one size gets the same one.
//! - Where a brand prints EU as a range (Crocs `36-37`), the parsed size keeps the range and
//!   the standardized value is the range's midpoint (36.5): ranges of neighbouring sizes
//!   overlap at one number, midpoints never do. A single EU number at such a brand goes
//!   through the chart: inside one range it is that size, on the shared edge of two it is
//!   ambiguous (Crocs EU 37).
//! - A width printed beside an EU size (Birkenstock narrow/regular) stays in the parsed size
//!   and in [`Standardized::width`]; the EU length is the same for both widths, which are
//!   different products (different style codes), so the pair never compares equal.
//! - Products without a size (LEGO, books, collectibles, art toys: brands and categories in
//!   `data/sizes/brand_aliases.csv` and `sizeless_categories.csv`) read `N/A`, `One Size`,
//!   `OS` and an empty cell as [`Measure::NoSize`], an outcome rather than a refusal, when the
//!   [`Context`] says so ([`Context::with_brand_name`], [`Context::with_sizeless`]).
//! - Brand names go through aliases kept as data (`Air Jordan` → nike, `Yeezy` → adidas,
//!   `HOKA ONE ONE` → hoka), so callers can pass a product name's brand.
//!
//! ```
//! use soleflip_domain::sizes::{self, BrandFamily, Context, Source};
//!
//! let ctx = Context::default().with_source(Source::StockX);
//! let size = sizes::parse("10.5", &ctx).unwrap();
//! assert_eq!(size.to_string(), "US M 10.5");
//! let eu = size.standardize(Some(BrandFamily::Adidas)).unwrap();
//! assert_eq!((eu.eu.to_string(), eu.decimal()), ("44 2/3".to_string(), "44.7".to_string()));
//! ```

mod brand;
mod chart;
mod convert;
mod model;
mod parse;
mod value;

pub use brand::{check_brand_data, is_sizeless_category, Brand, BrandFamily, UnknownBrand};
pub use chart::{chart, Chart, ChartError, ChartRow, CohortRule, Confidence, KidsChart};
pub use convert::{Conversion, ConvertError, Converted, Equivalents, Standardized, Target};
pub use model::{
    Cohort, Letter, Measure, ShoeSpan, ShoeSystem, Size, SizeError, System, UnknownCohort, Width,
};
pub use parse::{parse, Context, Source};
pub use value::{SizeValue, SizeValueError};

impl Size {
    /// Same as [`parse`].
    pub fn parse(input: &str, ctx: &Context) -> Result<Self, SizeError> {
        parse::parse(input, ctx)
    }
}
