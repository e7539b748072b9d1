//! The variant catalog (`products.variants`, their GTINs and marketplace ids), the decisions of
//! the matching cascade (`integration.offer_matches`) and the arbitrage query over them. The
//! rules (which size a label is, what a fee is) are the application's; every statement here
//! runs on the caller's connection or transaction.

use serde::Serialize;
use sqlx::postgres::PgConnection;
use sqlx::types::chrono::{DateTime, NaiveDate, Utc};
use sqlx::types::{Decimal, Uuid};

use crate::integration::{opt_uuid_str, uuid_str};

/// An offer whose GTIN names a variant.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct GtinHit {
    pub offer_id: Uuid,
    pub variant_id: Uuid,
    /// Proposals of these offers that the GTIN replaced (the same count on every row).
    pub cleared: i64,
}

/// Step 1 of the cascade: offers without a match whose GTIN is a variant's (review proposals of
/// those offers are removed; [`record`] then stores the matches).
pub async fn gtin_hits(conn: &mut PgConnection) -> Result<Vec<GtinHit>, sqlx::Error> {
    sqlx::query_as(include_str!("variants/match_gtin.sql"))
        .fetch_all(conn)
        .await
}

/// An offer without a decision whose style code names a catalog product.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct StyleCandidate {
    pub offer_id: Uuid,
    pub product_id: Uuid,
    pub brand_slug: Option<String>,
    pub brand_name: Option<String>,
    pub size_text: Option<String>,
}

/// Step 2 of the cascade, first half: each open offer with every product its style code names.
pub async fn style_candidates(conn: &mut PgConnection) -> Result<Vec<StyleCandidate>, sqlx::Error> {
    sqlx::query_as(include_str!("variants/style_candidates.sql"))
        .fetch_all(conn)
        .await
}

/// A size as read on a brand's chart, for finding or creating a product's variant.
#[derive(Debug, Clone, PartialEq)]
pub struct SizeOf {
    pub product_id: Uuid,
    /// `US`, `EU`, ... for a shoe size; `TEXT` or `OS` otherwise.
    pub region: String,
    pub value: String,
    /// The brand-aware EU size (one decimal) of a shoe size.
    pub standardized: Option<Decimal>,
    pub cohort: String,
}

/// The variant of each size (created when missing), in the order given.
pub async fn ensure_variants(
    conn: &mut PgConnection,
    sizes: &[SizeOf],
) -> Result<Vec<Uuid>, sqlx::Error> {
    if sizes.is_empty() {
        return Ok(Vec::new());
    }
    let products: Vec<Uuid> = sizes.iter().map(|s| s.product_id).collect();
    let regions: Vec<&str> = sizes.iter().map(|s| s.region.as_str()).collect();
    let values: Vec<&str> = sizes.iter().map(|s| s.value.as_str()).collect();
    let standardized: Vec<Option<Decimal>> = sizes.iter().map(|s| s.standardized).collect();
    let cohorts: Vec<&str> = sizes.iter().map(|s| s.cohort.as_str()).collect();
    let rows: Vec<(i64, Uuid)> = sqlx::query_as(include_str!("variants/variant_ensure.sql"))
        .bind(&products)
        .bind(&regions)
        .bind(&values)
        .bind(&standardized)
        .bind(&cohorts)
        .fetch_all(conn)
        .await?;
    Ok(rows.into_iter().map(|(_, id)| id).collect())
}

/// One decision of the cascade, to be recorded.
#[derive(Debug, Clone)]
pub struct Decision {
    pub offer_id: Uuid,
    pub variant_id: Option<Uuid>,
    pub product_id: Option<Uuid>,
    /// `matched` or `review`.
    pub status: &'static str,
    /// `gtin` or `style_size`.
    pub method: &'static str,
    pub reason: Option<String>,
}

/// Records decisions (an offer that already has one, or a pair a person rejected, is skipped).
/// Returns how many were recorded.
pub async fn record(conn: &mut PgConnection, decisions: &[Decision]) -> Result<u64, sqlx::Error> {
    if decisions.is_empty() {
        return Ok(0);
    }
    let offers: Vec<Uuid> = decisions.iter().map(|d| d.offer_id).collect();
    let variants: Vec<Option<Uuid>> = decisions.iter().map(|d| d.variant_id).collect();
    let products: Vec<Option<Uuid>> = decisions.iter().map(|d| d.product_id).collect();
    let statuses: Vec<&str> = decisions.iter().map(|d| d.status).collect();
    let methods: Vec<&str> = decisions.iter().map(|d| d.method).collect();
    let reasons: Vec<Option<&str>> = decisions.iter().map(|d| d.reason.as_deref()).collect();
    let done = sqlx::query(include_str!("variants/match_insert.sql"))
        .bind(&offers)
        .bind(&variants)
        .bind(&products)
        .bind(&statuses)
        .bind(&methods)
        .bind(&reasons)
        .execute(conn)
        .await?;
    Ok(done.rows_affected())
}

/// Teaches the catalog what matched offers name: their GTIN (from `source`) and the retailer's
/// product id now belong to the variant (unless they already name one).
pub async fn remember_ids(
    conn: &mut PgConnection,
    matched: &[(Uuid, Uuid)],
    source: &str,
) -> Result<(), sqlx::Error> {
    if matched.is_empty() {
        return Ok(());
    }
    let offers: Vec<Uuid> = matched.iter().map(|m| m.0).collect();
    let variants: Vec<Uuid> = matched.iter().map(|m| m.1).collect();
    sqlx::query(include_str!("variants/remember_ids.sql"))
        .bind(&offers)
        .bind(&variants)
        .bind(source)
        .execute(conn)
        .await?;
    Ok(())
}

/// One match decision with its offer and variant, as `match list` shows it.
#[derive(Debug, Clone, Serialize, sqlx::FromRow)]
pub struct MatchRow {
    #[serde(serialize_with = "uuid_str")]
    pub id: Uuid,
    pub status: String,
    pub method: String,
    pub reason: Option<String>,
    #[serde(serialize_with = "time_str")]
    pub created_at: DateTime<Utc>,
    #[serde(serialize_with = "opt_time_str")]
    pub decided_at: Option<DateTime<Utc>>,
    #[serde(serialize_with = "uuid_str")]
    pub offer_id: Uuid,
    pub merchant_id: i32,
    pub merchant_name: Option<String>,
    pub merchant_product_id: String,
    pub product_name: Option<String>,
    pub offer_size: Option<String>,
    pub gtin: Option<String>,
    pub search_price: Option<Decimal>,
    pub currency: String,
    #[serde(serialize_with = "opt_uuid_str")]
    pub variant_id: Option<Uuid>,
    pub size_key: Option<String>,
    #[serde(serialize_with = "opt_uuid_str")]
    pub product_id: Option<Uuid>,
    pub sku: Option<String>,
    pub product_title: Option<String>,
}

fn time_str<S: serde::Serializer>(t: &DateTime<Utc>, s: S) -> Result<S::Ok, S::Error> {
    s.collect_str(&t.to_rfc3339())
}

fn opt_time_str<S: serde::Serializer>(t: &Option<DateTime<Utc>>, s: S) -> Result<S::Ok, S::Error> {
    match t {
        Some(t) => time_str(t, s),
        None => s.serialize_none(),
    }
}

/// Match decisions of `status` (all when None), newest first, after the cursor `(created_at, id)`.
pub async fn list(
    conn: &mut PgConnection,
    status: Option<&str>,
    after: Option<(DateTime<Utc>, Uuid)>,
    limit: i64,
) -> Result<Vec<MatchRow>, sqlx::Error> {
    sqlx::query_as(include_str!("variants/list.sql"))
        .bind(status)
        .bind(after.map(|a| a.0))
        .bind(after.map(|a| a.1))
        .bind(limit)
        .fetch_all(conn)
        .await
}

/// One match row with what deciding it needs.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct MatchTarget {
    pub id: Uuid,
    pub status: String,
    pub variant_id: Option<Uuid>,
    pub product_id: Option<Uuid>,
    pub brand_slug: Option<String>,
    pub brand_name: Option<String>,
}

/// The match row `id`, if any.
pub async fn match_row(
    conn: &mut PgConnection,
    id: Uuid,
) -> Result<Option<MatchTarget>, sqlx::Error> {
    sqlx::query_as(include_str!("variants/match_row.sql"))
        .bind(id)
        .fetch_optional(conn)
        .await
}

/// The row a decision left.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct Decided {
    pub id: Uuid,
    pub offer_id: Uuid,
    pub variant_id: Option<Uuid>,
    pub product_id: Option<Uuid>,
    pub status: String,
}

/// A person's decision: `status` `matched` (with `variant`, else the row's own) or `rejected`.
/// None when the row does not exist or was rejected already.
pub async fn decide(
    conn: &mut PgConnection,
    id: Uuid,
    status: &str,
    variant: Option<Uuid>,
    by: Option<Uuid>,
) -> Result<Option<Decided>, sqlx::Error> {
    sqlx::query_as(include_str!("variants/decide.sql"))
        .bind(id)
        .bind(status)
        .bind(variant)
        .bind(by)
        .fetch_optional(conn)
        .await
}

/// The distinct StockX quotes (cents) in `currency`, to be priced through the fee schedule.
pub async fn resale_quotes(
    conn: &mut PgConnection,
    currency: &str,
) -> Result<Vec<i64>, sqlx::Error> {
    sqlx::query_scalar(include_str!("variants/resale_prices.sql"))
        .bind(currency)
        .fetch_all(conn)
        .await
}

/// What the arbitrage query is asked.
#[derive(Debug, Clone)]
pub struct ArbitrageQuery<'a> {
    /// Quote cents and the payout (cents) the fee schedule gives for each.
    pub quotes: &'a [i64],
    pub payouts: &'a [i64],
    pub currency: &'a str,
    pub min_profit: Decimal,
    /// As a fraction (0.1 = 10 %).
    pub min_roi: Decimal,
    pub limit: i64,
}

/// One opportunity as the query computes it (amounts in the resale currency unless named).
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct ArbitrageRow {
    pub offer_id: Uuid,
    pub merchant_id: i32,
    pub merchant_name: Option<String>,
    pub merchant_product_id: String,
    pub product_name: Option<String>,
    pub offer_size: Option<String>,
    /// In the offer's currency.
    pub search_price: Decimal,
    /// In the offer's currency.
    pub delivery_cost: Option<Decimal>,
    pub currency: String,
    pub offer_at: DateTime<Utc>,
    pub affiliate_link: Option<String>,
    pub method: String,
    pub variant_id: Uuid,
    pub sku: String,
    pub product_title: String,
    pub size_key: String,
    /// Resale-currency units per offer-currency unit.
    pub factor: Decimal,
    pub fx_date: Option<NaiveDate>,
    pub buy_cost: Decimal,
    pub bid: Option<i64>,
    pub ask: Option<i64>,
    pub bid_at: Option<DateTime<Utc>>,
    pub ask_at: Option<DateTime<Utc>>,
    pub bid_payout: Option<i64>,
    pub ask_payout: Option<i64>,
    pub profit_now: Option<Decimal>,
    pub profit_list: Option<Decimal>,
}

/// The opportunities, best first.
pub async fn arbitrage(
    conn: &mut PgConnection,
    q: &ArbitrageQuery<'_>,
) -> Result<Vec<ArbitrageRow>, sqlx::Error> {
    sqlx::query_as(include_str!("variants/arbitrage.sql"))
        .bind(q.quotes)
        .bind(q.payouts)
        .bind(q.currency)
        .bind(q.min_profit)
        .bind(q.min_roi)
        .bind(q.limit)
        .fetch_all(conn)
        .await
}

/// What `--new` last reported for one retailer and variant.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct Seen {
    pub merchant_id: i32,
    pub variant_id: Uuid,
    pub buy_cost: Decimal,
    pub profit_now: Option<Decimal>,
    pub profit_list: Option<Decimal>,
}

/// What was last reported for these (merchant, variant) keys on `platform`.
pub async fn seen(
    conn: &mut PgConnection,
    keys: &[(i32, Uuid)],
    platform: &str,
) -> Result<Vec<Seen>, sqlx::Error> {
    let merchants: Vec<i32> = keys.iter().map(|k| k.0).collect();
    let variants: Vec<Uuid> = keys.iter().map(|k| k.1).collect();
    sqlx::query_as(include_str!("variants/seen.sql"))
        .bind(&merchants)
        .bind(&variants)
        .bind(platform)
        .fetch_all(conn)
        .await
}

/// Remembers what was reported (merchant, variant, offer, buy cost, profits) on `platform`.
pub async fn record_seen(
    conn: &mut PgConnection,
    platform: &str,
    rows: &[&ArbitrageRow],
) -> Result<(), sqlx::Error> {
    if rows.is_empty() {
        return Ok(());
    }
    let merchants: Vec<i32> = rows.iter().map(|r| r.merchant_id).collect();
    let variants: Vec<Uuid> = rows.iter().map(|r| r.variant_id).collect();
    let offers: Vec<Uuid> = rows.iter().map(|r| r.offer_id).collect();
    let costs: Vec<Decimal> = rows.iter().map(|r| r.buy_cost).collect();
    let now: Vec<Option<Decimal>> = rows.iter().map(|r| r.profit_now).collect();
    let list: Vec<Option<Decimal>> = rows.iter().map(|r| r.profit_list).collect();
    sqlx::query(include_str!("variants/seen_record.sql"))
        .bind(&merchants)
        .bind(&variants)
        .bind(platform)
        .bind(&offers)
        .bind(&costs)
        .bind(&now)
        .bind(&list)
        .execute(conn)
        .await?;
    Ok(())
}
