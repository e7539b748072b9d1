//! Sizes: read a size string on a brand's chart, and normalize the size table.

use serde::Serialize;
use soleflip_domain::sizes::{
    self, BrandFamily, Cohort, Context, ConvertError, Equivalents, Size, SizeError, Source,
    Standardized,
};

use crate::error::{Code, Coded};
use crate::App;

pub use soleflip_db::products::{NormalizeReport, SizeIssue};

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
    let brand = req
        .brand
        .as_deref()
        .map(|b| {
            BrandFamily::from_name(b).ok_or_else(|| {
                let known: Vec<&str> = BrandFamily::ALL.iter().map(|f| f.slug()).collect();
                SizesError::UnknownBrand {
                    name: b.to_string(),
                    known: format!("{}, and jordan, yeezy", known.join(", ")),
                }
            })
        })
        .transpose()?;
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
    /// Fills the standardized EU value and parsed form of the size rows (only those without one
    /// unless `all`), in one transaction; a dry run rolls it back.
    #[tracing::instrument(skip(self))]
    pub async fn normalize_sizes(
        &self,
        all: bool,
        dry_run: bool,
    ) -> Result<NormalizeReport, SizesError> {
        let mut conn = self.conn().await?;
        soleflip_db::products::normalize_sizes(&mut conn, all, dry_run)
            .await
            .map_err(|e| {
                SizesError::Unexpected(anyhow::Error::new(e).context("normalizing products.sizes"))
            })
    }
}
