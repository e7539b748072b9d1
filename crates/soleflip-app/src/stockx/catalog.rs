//! `stockx sync catalog`: StockX products and their variants into the variant catalog. A
//! StockX product becomes (or is linked to) the catalog product of its style code
//! (`products.products.stockx_product_id`); each variant becomes the product's variant of its
//! size, read from StockX's own size chart (its EU conversion gives the size key, so StockX's
//! chart takes priority over ours for that product), with StockX's variant id
//! (`products.variant_ids`, source `stockx`) and GTINs (`products.variant_gtins`, GTIN-14).

use std::collections::BTreeSet;
use std::str::FromStr as _;
use std::time::Instant;

use serde::Serialize;
use soleflip_db::stockx as sql;
use soleflip_db::variants::SizeOf;
use soleflip_domain::gtin::Gtin;
use sqlx::types::{Decimal, Uuid};
use sqlx::Connection as _;

use super::api::{Product, SearchPage, Variant};
use super::sync::{Stopped, CATALOG_JOB};
use super::{CallCounts, Client, StockxError, StockxSettings};
use crate::App;

/// What to look up.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CatalogSource {
    /// One style code (searched).
    Sku(String),
    /// One GTIN (looked up).
    Gtin(String),
    /// The style codes of every product with pairs in the inventory.
    FromInventory,
    /// The GTINs of retail offers no variant has yet.
    FromOffers,
}

/// The result of `stockx sync catalog`.
#[derive(Debug, Clone, Default, Serialize)]
pub struct CatalogReport {
    pub job: &'static str,
    pub resumed: bool,
    pub complete: bool,
    pub stopped: Option<Stopped>,
    /// Style codes and GTINs looked up.
    pub lookups: u64,
    /// StockX products read (with their variants).
    pub products: u64,
    pub products_created: u64,
    /// Lookups StockX had nothing for.
    pub not_found: Vec<String>,
    pub variants: u64,
    /// StockX variant ids newly tied to a variant (or moved to another).
    pub variant_links: u64,
    pub gtin_links: u64,
    /// GTINs StockX gave that fail their check digit (not stored).
    pub gtins_invalid: u64,
    pub calls: CallCounts,
    pub elapsed_ms: u64,
}

/// A variant's size as StockX's chart gives it: the EU conversion (`"EU 42.5"`, `"EU 44 2/3"`)
/// when there is one, else the variant's own label.
fn size_of(product_id: Uuid, v: &Variant) -> SizeOf {
    let chart = v.size_chart.as_ref();
    let default_type = chart
        .and_then(|c| c.default_conversion.as_ref())
        .and_then(|d| d.kind.as_deref())
        .unwrap_or_default()
        .to_ascii_lowercase();
    let cohort = match default_type.trim() {
        "us m" | "us men" => "M",
        "us w" | "us women" => "W",
        "us gs" | "gs" | "us y" => "GS",
        "us ps" | "ps" | "us c" => "PS",
        "us td" | "td" => "TD",
        _ => "unisex",
    };
    let eu = chart.and_then(|c| {
        c.available_conversions.iter().find(|x| {
            x.kind
                .as_deref()
                .is_some_and(|k| k.trim().eq_ignore_ascii_case("eu"))
        })
    });
    if let Some((value, standardized)) = eu.and_then(|c| c.size.as_deref()).and_then(eu_value) {
        return SizeOf {
            product_id,
            region: "EU".into(),
            value,
            standardized: Some(standardized),
            cohort: cohort.into(),
        };
    }
    let label = v
        .variant_value
        .clone()
        .unwrap_or_default()
        .trim()
        .chars()
        .take(20)
        .collect::<String>();
    if label.is_empty() {
        return SizeOf {
            product_id,
            region: "OS".into(),
            value: "one size".into(),
            standardized: None,
            cohort: "unisex".into(),
        };
    }
    SizeOf {
        product_id,
        region: "TEXT".into(),
        value: label,
        standardized: None,
        cohort: "unisex".into(),
    }
}

/// `"EU 42.5"` → (`42.5`, 42.5); `"EU 44 2/3"` → (`44 2/3`, 44.7): the label and the EU size
/// with one decimal, as the size key holds it.
fn eu_value(text: &str) -> Option<(String, Decimal)> {
    let t = text.trim();
    let t = t
        .strip_prefix("EU")
        .or_else(|| t.strip_prefix("eu"))
        .unwrap_or(t)
        .trim();
    let (whole, third) = match t.split_once(' ') {
        Some((w, "1/3")) => (w, Decimal::new(3, 1)),
        Some((w, "2/3")) => (w, Decimal::new(7, 1)),
        Some(_) => return None,
        None => (t, Decimal::ZERO),
    };
    let base = Decimal::from_str(whole).ok()?;
    if base <= Decimal::ZERO || base > Decimal::from(70) {
        return None;
    }
    Some((t.to_owned(), (base + third).round_dp(1)))
}

/// A GTIN-14 as StockX's lookup takes it: its leading zeros dropped down to 12 digits (a UPC-A
/// or an EAN-13, as printed on the box).
fn short_gtin(gtin14: &str) -> String {
    let mut t = gtin14;
    while t.len() > 12 && t.starts_with('0') {
        t = &t[1..];
    }
    t.to_owned()
}

/// The normalized style codes of a StockX product (`A/B` gives both).
fn styles(p: &Product) -> Vec<String> {
    match crate::imports::sale::style(p.style_id.as_deref().unwrap_or("")) {
        Ok(Some((a, b))) => std::iter::once(a).chain(b).collect(),
        _ => Vec::new(),
    }
}

impl App {
    /// `stockx sync catalog`: the StockX products `source` names, with their variants, into the
    /// variant catalog.
    #[tracing::instrument(skip(self, settings))]
    pub async fn stockx_sync_catalog(
        &self,
        settings: &StockxSettings,
        source: &CatalogSource,
    ) -> Result<CatalogReport, StockxError> {
        let started = Instant::now();
        let client = self.stockx_client(settings).await?;
        let pool = self.pool().await?.clone();
        let (mode, items): (&str, Vec<(bool, String)>) = match source {
            CatalogSource::Sku(s) => {
                let norm = crate::imports::sale::style(s)
                    .map_err(|e| StockxError::Invalid(format!("--sku: {e}")))?
                    .map(|(a, _)| a)
                    .ok_or_else(|| StockxError::Invalid("--sku: empty".into()))?;
                ("sku", vec![(false, norm)])
            }
            CatalogSource::Gtin(g) => {
                let gtin =
                    Gtin::parse(g).map_err(|e| StockxError::Invalid(format!("--gtin: {e}")))?;
                ("gtin", vec![(true, short_gtin(gtin.as_str()))])
            }
            CatalogSource::FromInventory => (
                "inventory",
                sql::inventory_style_codes(&pool)
                    .await?
                    .into_iter()
                    .map(|s| (false, s))
                    .collect(),
            ),
            CatalogSource::FromOffers => (
                "offers",
                sql::offer_gtins_unknown(&pool)
                    .await?
                    .into_iter()
                    .map(|g| (true, short_gtin(&g)))
                    .collect(),
            ),
        };
        let fresh =
            serde_json::json!({ "mode": mode, "first": items.first().map(|i| &i.1), "done": 0 });
        let (cursor, resumed) = super::sync::begin_job(&pool, CATALOG_JOB, fresh.clone(), |c| {
            c.get("mode") == fresh.get("mode") && c.get("first") == fresh.get("first")
        })
        .await?;
        let skip = cursor.get("done").and_then(|d| d.as_u64()).unwrap_or(0);
        let mut report = CatalogReport {
            job: CATALOG_JOB,
            resumed,
            ..CatalogReport::default()
        };
        let mut seen: BTreeSet<String> = BTreeSet::new();
        for (i, (is_gtin, item)) in items
            .iter()
            .enumerate()
            .skip(usize::try_from(skip).unwrap_or(0))
        {
            report.lookups += 1;
            let found = match self.look_up(&client, *is_gtin, item).await {
                Ok(f) => f,
                Err(e) => {
                    report.calls = client.counts();
                    report.stopped = Some(super::sync::stop_or_fail(e)?);
                    report.elapsed_ms = u64::try_from(started.elapsed().as_millis()).unwrap_or(0);
                    return Ok(report);
                }
            };
            if found.is_empty() {
                report.not_found.push(item.clone());
            }
            let mut conn = pool.acquire().await?;
            let mut tx = conn.begin().await?;
            for (product, variants) in found {
                if !seen.insert(product.product_id.clone()) {
                    continue;
                }
                self.store_product(&mut tx, &product, &variants, &mut report)
                    .await?;
            }
            let done = serde_json::json!({ "mode": mode, "first": items.first().map(|i| &i.1), "done": i + 1 });
            sql::save_checkpoint(&mut *tx, CATALOG_JOB, &done).await?;
            tx.commit().await?;
        }
        if report.variant_links > 1000 {
            sql::analyze_variant_tables(&pool).await?;
        }
        report.complete = true;
        report.calls = client.counts();
        report.elapsed_ms = u64::try_from(started.elapsed().as_millis()).unwrap_or(0);
        self.keep_rotated_token(settings, &client).await?;
        let json = serde_json::to_value(&report).map_err(anyhow::Error::new)?;
        sql::finish_checkpoint(&pool, CATALOG_JOB, &json).await?;
        Ok(report)
    }

    /// The StockX products (with variants) a style code or GTIN names.
    async fn look_up(
        &self,
        client: &Client,
        is_gtin: bool,
        item: &str,
    ) -> Result<Vec<(Product, Vec<Variant>)>, StockxError> {
        let products: Vec<Product> = if is_gtin {
            let hit: Result<Variant, _> = client
                .get(&format!("/v2/catalog/products/variants/gtins/{item}"), &[])
                .await;
            match hit {
                Ok(v) => vec![
                    client
                        .get(&format!("/v2/catalog/products/{}", v.product_id), &[])
                        .await?,
                ],
                Err(StockxError::NotFound(_)) => Vec::new(),
                Err(e) => return Err(e),
            }
        } else {
            let page: SearchPage = client
                .get(
                    "/v2/catalog/search",
                    &[
                        ("query", item.to_owned()),
                        ("pageNumber", "1".into()),
                        ("pageSize", "10".into()),
                    ],
                )
                .await?;
            page.products
                .into_iter()
                .filter(|p| styles(p).iter().any(|s| s == item))
                .collect()
        };
        let mut out = Vec::new();
        for p in products {
            let variants: Vec<Variant> = client
                .get(
                    &format!("/v2/catalog/products/{}/variants", p.product_id),
                    &[],
                )
                .await?;
            out.push((p, variants));
        }
        Ok(out)
    }

    /// One StockX product and its variants into the catalog, on `tx`.
    async fn store_product(
        &self,
        tx: &mut sqlx::PgConnection,
        product: &Product,
        variants: &[Variant],
        report: &mut CatalogReport,
    ) -> Result<(), StockxError> {
        report.products += 1;
        let codes = styles(product);
        let product_id =
            match sql::find_product_for_stockx(&mut *tx, &product.product_id, &codes).await? {
                Some(id) => id,
                None => {
                    let Some(sku) = codes.first() else {
                        report.not_found.push(format!(
                            "{}: no style code; not added to the catalog",
                            product.product_id
                        ));
                        return Ok(());
                    };
                    let brand_slug = crate::ledger::brand_of_style_code(sku)
                        .map(str::to_owned)
                        .or_else(|| {
                            product
                                .brand
                                .as_deref()
                                .map(|b| b.trim().to_ascii_lowercase().replace(' ', "-"))
                        });
                    let brand = match brand_slug {
                        Some(slug) => soleflip_db::ledger::brand_id(&mut *tx, &slug).await?,
                        None => None,
                    };
                    let category = soleflip_db::ledger::category_id(&mut *tx, "sneakers")
                        .await?
                        .ok_or_else(|| anyhow::anyhow!("the category `sneakers` is missing"))?;
                    report.products_created += 1;
                    soleflip_db::ledger::insert_product(&mut *tx, sku, brand, category).await?
                }
            };
        sql::link_stockx_product(
            &mut *tx,
            product_id,
            &product.product_id,
            product.title.as_deref(),
        )
        .await?;
        let (brand, category) = sql::product_brand_category(&mut *tx, product_id).await?;
        let sizes: Vec<SizeOf> = variants.iter().map(|v| size_of(product_id, v)).collect();
        for s in sizes.iter().filter(|s| s.region == "EU") {
            // StockX's chart decides this product's EU sizes: the size row of each exists.
            soleflip_db::ledger::find_or_insert_size(
                &mut *tx,
                &soleflip_db::ledger::NewSize {
                    brand_id: brand,
                    category_id: category,
                    cohort: &s.cohort,
                    region: "EU",
                    value: &s.value,
                    parsed: None,
                    standardized: s.standardized,
                },
            )
            .await?;
        }
        let ids = soleflip_db::variants::ensure_variants(&mut *tx, &sizes).await?;
        report.variants += ids.len() as u64;
        let external: Vec<String> = variants.iter().map(|v| v.variant_id.clone()).collect();
        report.variant_links += sql::link_stockx_variants(&mut *tx, &external, &ids).await?;
        let mut gtins = Vec::new();
        let mut gtin_variants = Vec::new();
        for (v, id) in variants.iter().zip(&ids) {
            for g in &v.gtins {
                match Gtin::parse(&g.identifier) {
                    Ok(g) => {
                        gtins.push(g.as_str().to_owned());
                        gtin_variants.push(*id);
                    }
                    Err(_) => report.gtins_invalid += 1,
                }
            }
        }
        report.gtin_links += sql::link_stockx_gtins(&mut *tx, &gtins, &gtin_variants).await?;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn eu_sizes_of_stockx_charts_read_with_thirds_as_one_decimal() {
        assert_eq!(
            eu_value("EU 42.5"),
            Some(("42.5".into(), Decimal::new(425, 1)))
        );
        assert_eq!(
            eu_value("EU 44 2/3"),
            Some(("44 2/3".into(), Decimal::new(447, 1)))
        );
        assert_eq!(
            eu_value("EU 36 1/3"),
            Some(("36 1/3".into(), Decimal::new(363, 1)))
        );
        assert_eq!(eu_value("EU XL"), None);
    }
}
