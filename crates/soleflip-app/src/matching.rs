//! `match run|list|accept|reject`: the matching cascade from retail offers
//! (`integration.awin_products`) to the variant catalog, and the review queue.
//!
//! The cascade, in order, each decision recording how it was made:
//! 1. **GTIN**: an offer whose GTIN-14 is a variant's is that variant.
//! 2. **Style code and size**: the offer's style code (mpn, product model, or a style token of
//!    its name, compared on letters and digits only) names exactly one catalog product, and its
//!    size reads on that product's brand chart to one foot size; when the size text gives
//!    several labels (`UK 8 / EU 42.5`) they must all read to the same one. The variant is
//!    created when the catalog does not have it yet, and learns the offer's GTIN and the
//!    retailer's product id.
//! 3. **Review**: a product is named but the size is missing, unreadable, ambiguous or
//!    contradictory, or several products are named: a proposal with the reason in words.
//!    Nothing is guessed. A person accepts (giving the size when it was in question) or
//!    rejects; a rejection is remembered and the pair is never proposed again.

use std::collections::{BTreeMap, HashMap};
use std::time::Instant;

use serde::Serialize;
use soleflip_db::integration::{brand_family, read_size};
use soleflip_db::variants::{self as sql, Decision, SizeOf};
use soleflip_domain::sizes::Source;
use sqlx::types::{Decimal, Uuid};
use sqlx::Connection as _;
use std::str::FromStr;

use crate::error::{Code, Coded};
use crate::App;

/// What can go wrong matching.
#[derive(Debug, thiserror::Error)]
pub enum MatchError {
    #[error("{field}: {reason}")]
    Invalid { field: &'static str, reason: String },
    #[error("match {0}: no such match")]
    NotFound(Uuid),
    #[error("match {id}: {reason}")]
    Conflict { id: Uuid, reason: String },
    #[error(transparent)]
    Db(#[from] crate::db::DbError),
    #[error(transparent)]
    Unexpected(#[from] anyhow::Error),
}

impl From<sqlx::Error> for MatchError {
    fn from(e: sqlx::Error) -> Self {
        Self::Unexpected(e.into())
    }
}

impl Coded for MatchError {
    fn code(&self) -> Code {
        match self {
            MatchError::Invalid { .. } => Code::InvalidInput,
            MatchError::NotFound(_) => Code::NotFound,
            MatchError::Conflict { .. } => Code::Conflict,
            MatchError::Db(e) => e.code(),
            MatchError::Unexpected(_) => Code::Unexpected,
        }
    }
}

/// What one run of the cascade decided.
#[derive(Debug, Clone, Default, Serialize, PartialEq, Eq)]
pub struct MatchRunReport {
    /// Offers matched by their GTIN.
    pub by_gtin: u64,
    /// Offers matched by style code and size.
    pub by_style_size: u64,
    /// Proposals added to the review queue.
    pub to_review: u64,
    /// Review proposals a GTIN settled.
    pub settled_by_gtin: u64,
    /// Offers whose style code named a product (matched or sent to review this run).
    pub style_candidates: u64,
    pub elapsed_ms: u128,
}

/// A match status, as filters name it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum MatchStatus {
    Matched,
    Review,
    Rejected,
}

impl MatchStatus {
    pub fn label(self) -> &'static str {
        match self {
            MatchStatus::Matched => "matched",
            MatchStatus::Review => "review",
            MatchStatus::Rejected => "rejected",
        }
    }
}

impl FromStr for MatchStatus {
    type Err = MatchError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s {
            "matched" => Ok(MatchStatus::Matched),
            "review" => Ok(MatchStatus::Review),
            "rejected" => Ok(MatchStatus::Rejected),
            other => Err(MatchError::Invalid {
                field: "status",
                reason: format!("`{other}` is not a match status (matched, review, rejected)"),
            }),
        }
    }
}

/// A page of match decisions.
#[derive(Debug, Clone, Serialize)]
pub struct MatchPage {
    pub matches: Vec<sql::MatchRow>,
    /// Give it back as `cursor` for the next page; None on the last one.
    pub next_cursor: Option<String>,
}

/// What a decision left.
#[derive(Debug, Clone, Serialize)]
pub struct DecisionReport {
    pub id: String,
    pub offer_id: String,
    pub variant_id: Option<String>,
    pub status: String,
}

/// The foot size an offer's size text names on a brand's chart: every label in it (split on
/// `/` and `|`) must read, and read to the same size. Err is the reason in words.
pub fn read_offer_size(
    text: Option<&str>,
    brand_slug: Option<&str>,
    brand_name: Option<&str>,
) -> Result<(String, String, Option<Decimal>, String), String> {
    let text = text.map(str::trim).unwrap_or_default();
    if text.is_empty() {
        return Err("the offer gives no size".into());
    }
    let family = brand_family(brand_slug, brand_name);
    let mut found: Option<(String, String, Option<Decimal>, String)> = None;
    for part in text
        .split(['/', '|'])
        .map(str::trim)
        .filter(|p| !p.is_empty())
    {
        let r = read_size(part, family, Some(Source::EuRetailer));
        if r.missing {
            return Err(format!("size `{text}`: `{part}` is not a size"));
        }
        if let Some(problem) = r.problem {
            return Err(format!("size `{text}`: {problem}"));
        }
        let (Some(region), Some(value)) = (r.region, r.value_text) else {
            return Err(format!(
                "size `{text}`: `{part}` is not a shoe size on a chart"
            ));
        };
        let standardized = r
            .standardized
            .as_deref()
            .and_then(|s| Decimal::from_str(s).ok());
        let cohort = r.cohort.unwrap_or("unisex").to_owned();
        let reading = (region.to_owned(), value, standardized, cohort);
        match &found {
            None => found = Some(reading),
            Some(first) if first.2.is_some() && first.2 == reading.2 => {}
            Some(first) if first.0 == reading.0 && first.1 == reading.1 => {}
            Some(first) => {
                return Err(format!(
                    "size `{text}`: its labels disagree ({} {} and {} {})",
                    first.0, first.1, reading.0, reading.1
                ))
            }
        }
    }
    found.ok_or_else(|| format!("size `{text}` gives no label"))
}

impl App {
    /// `match run`: the cascade over every offer without a decision, in one transaction.
    pub async fn match_run(&self) -> Result<MatchRunReport, MatchError> {
        let started = Instant::now();
        let mut conn = self.conn().await?;
        let mut tx = conn.begin().await?;
        let mut report = MatchRunReport::default();

        let hits = sql::gtin_hits(&mut tx).await?;
        report.settled_by_gtin = hits
            .first()
            .map_or(0, |h| u64::try_from(h.cleared).unwrap_or(0));
        let decisions: Vec<Decision> = hits
            .iter()
            .map(|h| Decision {
                offer_id: h.offer_id,
                variant_id: Some(h.variant_id),
                product_id: None,
                status: "matched",
                method: "gtin",
                reason: None,
            })
            .collect();
        report.by_gtin = sql::record(&mut tx, &decisions).await?;
        let gtin_pairs: Vec<(Uuid, Uuid)> =
            hits.iter().map(|h| (h.offer_id, h.variant_id)).collect();
        sql::remember_ids(&mut tx, &gtin_pairs, "awin").await?;

        let candidates = sql::style_candidates(&mut tx).await?;
        let mut by_offer: BTreeMap<Uuid, Vec<&sql::StyleCandidate>> = BTreeMap::new();
        for c in &candidates {
            by_offer.entry(c.offer_id).or_default().push(c);
        }
        report.style_candidates = by_offer.len() as u64;
        // Each distinct (brand, size text) is read once.
        let mut readings: HashMap<(Option<&str>, Option<&str>, Option<&str>), _> = HashMap::new();
        let mut sizes = Vec::new();
        let mut sized_offers = Vec::new();
        let mut review = Vec::new();
        for (offer_id, products) in &by_offer {
            if products.len() > 1 {
                let skus = products.len();
                review.push(Decision {
                    offer_id: *offer_id,
                    variant_id: None,
                    product_id: None,
                    status: "review",
                    method: "style_size",
                    reason: Some(format!("its style codes name {skus} catalog products")),
                });
                continue;
            }
            let c = products[0];
            let key = (
                c.brand_slug.as_deref(),
                c.brand_name.as_deref(),
                c.size_text.as_deref(),
            );
            let reading = readings.entry(key).or_insert_with(|| {
                read_offer_size(
                    c.size_text.as_deref(),
                    c.brand_slug.as_deref(),
                    c.brand_name.as_deref(),
                )
            });
            match reading {
                Ok((region, value, standardized, cohort)) => {
                    sizes.push(SizeOf {
                        product_id: c.product_id,
                        region: region.clone(),
                        value: value.clone(),
                        standardized: *standardized,
                        cohort: cohort.clone(),
                    });
                    sized_offers.push(*offer_id);
                }
                Err(reason) => review.push(Decision {
                    offer_id: *offer_id,
                    variant_id: None,
                    product_id: Some(c.product_id),
                    status: "review",
                    method: "style_size",
                    reason: Some(reason.clone()),
                }),
            }
        }
        let variants = sql::ensure_variants(&mut tx, &sizes).await?;
        let matched: Vec<Decision> = sized_offers
            .iter()
            .zip(&variants)
            .map(|(offer, variant)| Decision {
                offer_id: *offer,
                variant_id: Some(*variant),
                product_id: None,
                status: "matched",
                method: "style_size",
                reason: None,
            })
            .collect();
        report.by_style_size = sql::record(&mut tx, &matched).await?;
        let pairs: Vec<(Uuid, Uuid)> = sized_offers.into_iter().zip(variants).collect();
        sql::remember_ids(&mut tx, &pairs, "awin").await?;
        report.to_review = sql::record(&mut tx, &review).await?;
        tx.commit().await?;
        report.elapsed_ms = started.elapsed().as_millis();
        Ok(report)
    }

    /// `match list`: decisions of one status (all when None), newest first, a page at a time.
    pub async fn match_list(
        &self,
        status: Option<MatchStatus>,
        cursor: Option<&str>,
        limit: i64,
    ) -> Result<MatchPage, MatchError> {
        if !(1..=500).contains(&limit) {
            return Err(MatchError::Invalid {
                field: "limit",
                reason: format!("{limit} is not between 1 and 500"),
            });
        }
        let after = cursor
            .map(|c| {
                crate::cursor::decode_at_id("matches", c).map_err(|_| MatchError::Invalid {
                    field: "cursor",
                    reason: "not a cursor this list gave".into(),
                })
            })
            .transpose()?;
        let mut conn = self.conn().await?;
        let mut rows =
            sql::list(&mut conn, status.map(MatchStatus::label), after, limit + 1).await?;
        let next_cursor = if rows.len() as i64 > limit {
            rows.truncate(usize::try_from(limit).unwrap_or(0));
            rows.last()
                .map(|r| crate::cursor::encode_at_id("matches", r.created_at, r.id))
        } else {
            None
        };
        Ok(MatchPage {
            matches: rows,
            next_cursor,
        })
    }

    /// `match accept ID [--size LABEL]`: the offer is the row's variant, or the variant of
    /// `size` on the product's chart (required when the size was what was in question).
    pub async fn match_accept(
        &self,
        id: Uuid,
        size: Option<&str>,
        by: Option<Uuid>,
    ) -> Result<DecisionReport, MatchError> {
        let mut conn = self.conn().await?;
        let mut tx = conn.begin().await?;
        let row = sql::match_row(&mut tx, id)
            .await?
            .ok_or(MatchError::NotFound(id))?;
        if row.status == "rejected" {
            return Err(MatchError::Conflict {
                id,
                reason: "it was rejected; rejections are kept".into(),
            });
        }
        let variant = match (size, row.variant_id, row.product_id) {
            (Some(label), _, Some(product)) => {
                let (region, value, standardized, cohort) = read_offer_size(
                    Some(label),
                    row.brand_slug.as_deref(),
                    row.brand_name.as_deref(),
                )
                .map_err(|reason| MatchError::Invalid {
                    field: "size",
                    reason,
                })?;
                let ids = sql::ensure_variants(
                    &mut tx,
                    &[SizeOf {
                        product_id: product,
                        region,
                        value,
                        standardized,
                        cohort,
                    }],
                )
                .await?;
                ids.first().copied()
            }
            (None, Some(v), _) => Some(v),
            (None, None, _) => {
                return Err(MatchError::Invalid {
                    field: "size",
                    reason: format!(
                        "match {id} has no variant yet (the offer's size was in question): give the size"
                    ),
                })
            }
            (Some(_), _, None) => {
                return Err(MatchError::Conflict {
                    id,
                    reason: "it names no single product; reject it instead".into(),
                })
            }
        };
        let decided = sql::decide(&mut tx, id, "matched", variant, by)
            .await?
            .ok_or(MatchError::NotFound(id))?;
        if let Some(v) = decided.variant_id {
            sql::remember_ids(&mut tx, &[(decided.offer_id, v)], "manual").await?;
        }
        tx.commit().await?;
        Ok(report_of(decided))
    }

    /// `match reject ID`: the offer is not the row's variant (or product); remembered.
    pub async fn match_reject(
        &self,
        id: Uuid,
        by: Option<Uuid>,
    ) -> Result<DecisionReport, MatchError> {
        let mut conn = self.conn().await?;
        let mut tx = conn.begin().await?;
        let decided = match sql::decide(&mut tx, id, "rejected", None, by).await? {
            Some(d) => d,
            None => {
                return Err(match sql::match_row(&mut tx, id).await? {
                    Some(_) => MatchError::Conflict {
                        id,
                        reason: "it is rejected already".into(),
                    },
                    None => MatchError::NotFound(id),
                })
            }
        };
        tx.commit().await?;
        Ok(report_of(decided))
    }
}

fn report_of(d: sql::Decided) -> DecisionReport {
    DecisionReport {
        id: d.id.to_string(),
        offer_id: d.offer_id.to_string(),
        variant_id: d.variant_id.map(|v| v.to_string()),
        status: d.status,
    }
}
