//! What the sales formats share: style codes, sizes and amounts read from report text.

use std::str::FromStr;

use soleflip_db::imports::StagedSale;
use soleflip_domain::money::{Currency, Money, MoneyError};
use soleflip_domain::sizes::Source;
use sqlx::types::Decimal;

use crate::ledger::brand_of_style_code;

/// A style code as the catalog keys it: trimmed, upper case, a run of blanks read as `-`
/// (Alias writes `DM7866 200` for `DM7866-200`). A compound code (`A/B`) gives both parts;
/// `N/A` or empty gives none.
pub fn style(text: &str) -> Result<Option<(String, Option<String>)>, String> {
    let t = text.trim();
    if t.is_empty() || t.eq_ignore_ascii_case("n/a") || t == "-" {
        return Ok(None);
    }
    let norm = |part: &str| -> Result<String, String> {
        let joined = part
            .split_whitespace()
            .collect::<Vec<_>>()
            .join("-")
            .to_uppercase();
        if joined.is_empty() || joined.len() > 100 {
            return Err(format!("`{text}` is not a style code"));
        }
        Ok(joined)
    };
    match t.split_once('/') {
        Some((a, b)) => Ok(Some((norm(a)?, Some(norm(b)?)))),
        None => Ok(Some((norm(t)?, None))),
    }
}

/// The size of a sale as the size rows key it. A shoe size is read on the brand's chart
/// (`source`'s convention for bare numbers); apparel and other labels keep their text under
/// region `TEXT`; no size (`N/A`) is the product's one size (`OS`). Bare numbers are US sizes,
/// as StockX and Alias write them.
/// The brand is the sale's `brand_slug`.
pub fn size(text: &str, sale: &mut StagedSale) -> Result<(), String> {
    let family = soleflip_db::integration::brand_family(sale.brand_slug.as_deref(), None);
    let reading = soleflip_db::integration::read_size(text, family, Some(Source::StockX));
    sale.size_text = text.trim().to_owned();
    if reading.missing {
        sale.cohort = "unisex".to_owned();
        sale.region = "OS".to_owned();
        sale.value = "one size".to_owned();
        return Ok(());
    }
    if let Some(problem) = reading.problem {
        return Err(format!("`{}`: {problem}", text.trim()));
    }
    sale.cohort = reading.cohort.unwrap_or("unisex").to_owned();
    match (reading.region, reading.value_text) {
        (Some(region), Some(value)) => {
            sale.region = region.to_owned();
            sale.value = value;
        }
        _ => {
            let label = reading
                .parsed
                .clone()
                .unwrap_or_else(|| text.trim().to_owned());
            if label.chars().count() > 20 {
                return Err(format!(
                    "`{}` is longer than a size label (20 characters)",
                    text.trim()
                ));
            }
            sale.region = "TEXT".to_owned();
            sale.value = label;
        }
    }
    sale.parsed = reading.parsed.map(|p| p.chars().take(60).collect());
    sale.standardized = reading
        .standardized
        .and_then(|s| Decimal::from_str(&s).ok());
    Ok(())
}

/// The brand a style code names (for a product the catalog does not have yet).
pub fn brand(style: Option<&str>) -> Option<String> {
    style.and_then(brand_of_style_code).map(str::to_owned)
}

/// An amount of `currency`, or None when the report leaves it empty (`N/A`, blank).
pub fn amount(field: &str, text: &str, currency: Currency) -> Result<Option<Decimal>, String> {
    match Money::parse(field, text, currency) {
        Ok(m) => Ok(Some(m.amount())),
        Err(MoneyError::Missing { .. }) => Ok(None),
        Err(e) => Err(e.to_string()),
    }
}
