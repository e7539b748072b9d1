//! The StockX API sync's SQL (migration 12): encrypted credentials in `system.config`, the
//! shared request budget (`integration.api_budgets`), job checkpoints
//! (`integration.sync_checkpoints`), the StockX variants whose prices are synced, and the
//! StockX listings recorded on pairs. One statement per function; the transaction is the
//! caller's.

use sqlx::types::chrono::{DateTime, Utc};
use sqlx::types::{Decimal, Uuid};
use sqlx::PgExecutor;

/// Stores one encrypted configuration value under `key` (replacing it).
pub async fn put_config(
    db: impl PgExecutor<'_>,
    key: &str,
    value_encrypted: &str,
    description: &str,
) -> Result<(), sqlx::Error> {
    sqlx::query(
        "insert into system.config (key, value_encrypted, description) values ($1, $2, $3) \
         on conflict (key) do update set value_encrypted = excluded.value_encrypted, \
                                         description = excluded.description",
    )
    .bind(key)
    .bind(value_encrypted)
    .bind(description)
    .execute(db)
    .await
    .map(|_| ())
}

/// The encrypted values whose key starts with `prefix`, as (key, value) pairs, by key.
pub async fn list_config(
    db: impl PgExecutor<'_>,
    prefix: &str,
) -> Result<Vec<(String, String)>, sqlx::Error> {
    sqlx::query_as(
        "select key, value_encrypted from system.config \
          where starts_with(key, $1) order by key",
    )
    .bind(prefix)
    .fetch_all(db)
    .await
}

/// Removes every configuration value whose key starts with `prefix`; how many there were.
pub async fn delete_config(db: impl PgExecutor<'_>, prefix: &str) -> Result<u64, sqlx::Error> {
    sqlx::query("delete from system.config where starts_with(key, $1)")
        .bind(prefix)
        .execute(db)
        .await
        .map(|r| r.rows_affected())
}

/// The answer of the shared budget to one request.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Reservation {
    /// The request may be sent at `at` (now or later); it is counted.
    Granted { at: DateTime<Utc>, day_count: i32 },
    /// The daily limit is spent: nothing was reserved; requests resume at `resumes_at`.
    Exhausted { resumes_at: DateTime<Utc> },
}

/// Reserves the next request to `api`: at least `gap_ms` after the one reserved before it (by
/// any process) and at most `daily` in a 24-hour window. One statement locks the row, reads
/// it and moves it on (the row is made first if missing), so concurrent callers are served one after the other.
pub async fn reserve_request(
    conn: &mut sqlx::PgConnection,
    api: &str,
    gap_ms: i64,
    daily: i32,
) -> Result<Reservation, sqlx::Error> {
    type Row = (bool, DateTime<Utc>, i32, DateTime<Utc>);
    let reserve = || {
        sqlx::query_as::<_, Row>(include_str!("stockx/reserve.sql"))
            .bind(api)
            .bind(gap_ms)
            .bind(daily)
    };
    let row = match reserve().fetch_optional(&mut *conn).await? {
        Some(r) => r,
        None => {
            sqlx::query(
                "insert into integration.api_budgets (api) values ($1) on conflict (api) do nothing",
            )
            .bind(api)
            .execute(&mut *conn)
            .await?;
            reserve().fetch_one(&mut *conn).await?
        }
    };
    let (granted, at, count, resumes) = row;
    Ok(if granted {
        Reservation::Granted {
            at,
            day_count: count,
        }
    } else {
        Reservation::Exhausted {
            resumes_at: resumes,
        }
    })
}

/// Claims sending a request to `api` now, if the last one was sent at least `gap_ms` ago:
/// `0` when claimed, else the milliseconds to wait before trying again.
pub async fn claim_send(
    db: impl PgExecutor<'_>,
    api: &str,
    gap_ms: i64,
) -> Result<i64, sqlx::Error> {
    sqlx::query_scalar(include_str!("stockx/claim.sql"))
        .bind(api)
        .bind(gap_ms)
        .fetch_one(db)
        .await
}

/// A sync job's checkpoint.
#[derive(Debug, Clone, PartialEq, sqlx::FromRow)]
pub struct CheckpointRow {
    pub job: String,
    /// `running` (a run was started and has not finished: resume from `cursor`) or `finished`.
    pub status: String,
    pub cursor: serde_json::Value,
    pub report: Option<serde_json::Value>,
    pub started_at: DateTime<Utc>,
    pub finished_at: Option<DateTime<Utc>>,
}

/// The checkpoint of `job`, if it ever ran.
pub async fn find_checkpoint(
    db: impl PgExecutor<'_>,
    job: &str,
) -> Result<Option<CheckpointRow>, sqlx::Error> {
    sqlx::query_as(
        "select job, status, cursor, report, started_at, finished_at \
           from integration.sync_checkpoints where job = $1",
    )
    .bind(job)
    .fetch_optional(db)
    .await
}

/// Starts a new run of `job` from `cursor` (whatever the previous run left).
pub async fn start_checkpoint(
    db: impl PgExecutor<'_>,
    job: &str,
    cursor: &serde_json::Value,
) -> Result<(), sqlx::Error> {
    sqlx::query(
        "insert into integration.sync_checkpoints (job, status, cursor) values ($1, 'running', $2) \
         on conflict (job) do update set status = 'running', cursor = excluded.cursor, \
             report = null, started_at = now(), finished_at = null",
    )
    .bind(job)
    .bind(cursor)
    .execute(db)
    .await
    .map(|_| ())
}

/// Moves the running `job` on to `cursor` (with the data of the step, in its transaction).
pub async fn save_checkpoint(
    db: impl PgExecutor<'_>,
    job: &str,
    cursor: &serde_json::Value,
) -> Result<(), sqlx::Error> {
    sqlx::query(
        "update integration.sync_checkpoints set cursor = $2 \
          where job = $1 and status = 'running'",
    )
    .bind(job)
    .bind(cursor)
    .execute(db)
    .await
    .map(|_| ())
}

/// Marks `job` finished with its report.
pub async fn finish_checkpoint(
    db: impl PgExecutor<'_>,
    job: &str,
    report: &serde_json::Value,
) -> Result<(), sqlx::Error> {
    sqlx::query(
        "update integration.sync_checkpoints \
            set status = 'finished', report = $2, finished_at = now() where job = $1",
    )
    .bind(job)
    .bind(report)
    .execute(db)
    .await
    .map(|_| ())
}

/// A StockX variant the catalog knows, with the product and size its prices are stored on.
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct KnownVariant {
    /// StockX's product id (`products.products.stockx_product_id`).
    pub stockx_product_id: String,
    pub stockx_variant_id: String,
    pub product_id: Uuid,
    pub size_id: Option<Uuid>,
}

/// The known StockX variants of the StockX products after `after` (by StockX product id), the
/// first `limit` products' worth, in product then variant order.
pub async fn list_known_variants(
    db: impl PgExecutor<'_>,
    after: &str,
    limit: i64,
) -> Result<Vec<KnownVariant>, sqlx::Error> {
    sqlx::query_as(include_str!("stockx/known_variants.sql"))
        .bind(after)
        .bind(limit)
        .fetch_all(db)
        .await
}

/// How many StockX variants the catalog knows.
pub async fn count_known_variants(db: impl PgExecutor<'_>) -> Result<i64, sqlx::Error> {
    sqlx::query_scalar(
        "select count(*) from products.variant_ids where source = 'stockx' and scope = ''",
    )
    .fetch_one(db)
    .await
}

/// A StockX listing as the API reports it, to compare with the ledger's.
#[derive(Debug, Clone, PartialEq)]
pub struct ApiListing {
    pub listing_id: String,
    /// `active`, `ended` or `sold` (the ledger's words).
    pub status: &'static str,
    pub price: Option<Decimal>,
    pub currency: Option<String>,
}

/// What applying StockX's listings to the ledger did.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, sqlx::FromRow, serde::Serialize)]
pub struct ListingCounts {
    /// Listings of the ledger (platform stockx) that StockX reported.
    pub matched: i64,
    /// Of those, the ones whose price, currency or status changed.
    pub changed: i64,
}

/// Updates the ledger's StockX listings (by `external_id`) to what StockX reports: price and
/// currency of an active one, and an end when StockX no longer lists it (`ended`). A listing
/// StockX reports as sold is left to the orders sync, which records the sale.
pub async fn apply_listings(
    db: impl PgExecutor<'_>,
    listings: &[ApiListing],
) -> Result<ListingCounts, sqlx::Error> {
    let ids: Vec<&str> = listings.iter().map(|l| l.listing_id.as_str()).collect();
    let statuses: Vec<&str> = listings.iter().map(|l| l.status).collect();
    let prices: Vec<Option<Decimal>> = listings.iter().map(|l| l.price).collect();
    let currencies: Vec<Option<&str>> = listings.iter().map(|l| l.currency.as_deref()).collect();
    sqlx::query_as(include_str!("stockx/apply_listings.sql"))
        .bind(&ids)
        .bind(&statuses)
        .bind(&prices)
        .bind(&currencies)
        .fetch_one(db)
        .await
}

/// A stored StockX API price series (for marking it out of stock when StockX no longer quotes
/// it: the same price, `in_stock` false, through the one upsert path).
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct StoredSeries {
    pub product_id: Uuid,
    pub size_id: Option<Uuid>,
    pub source_product_id: String,
    pub price_cents: i32,
    pub currency: String,
    pub in_stock: bool,
}

/// The stored `stockxapi` price series with these source product ids.
pub async fn list_stockx_series(
    db: impl PgExecutor<'_>,
    source_product_ids: &[String],
) -> Result<Vec<StoredSeries>, sqlx::Error> {
    sqlx::query_as(
        "select product_id, size_id, source_product_id, price_cents, currency, in_stock \
           from integration.price_sources \
          where source_type = 'stockxapi' and source_product_id = any($1)",
    )
    .bind(source_product_ids)
    .fetch_all(db)
    .await
}

/// The catalog product a StockX product is: the one already linked to it, else the one whose
/// SKU or style code is one of `styles` (normalized, upper case).
pub async fn find_product_for_stockx(
    db: impl PgExecutor<'_>,
    stockx_product_id: &str,
    styles: &[String],
) -> Result<Option<Uuid>, sqlx::Error> {
    sqlx::query_scalar(
        "select id from products.products \
          where stockx_product_id = $1 \
             or upper(sku) = any($2) or upper(style_code) = any($2) \
          order by (stockx_product_id = $1) desc nulls last, created_at \
          limit 1",
    )
    .bind(stockx_product_id)
    .bind(styles)
    .fetch_optional(db)
    .await
}

/// Links a catalog product to its StockX product (and names it after StockX's title while its
/// name is still its SKU).
pub async fn link_stockx_product(
    db: impl PgExecutor<'_>,
    product_id: Uuid,
    stockx_product_id: &str,
    title: Option<&str>,
) -> Result<(), sqlx::Error> {
    sqlx::query(
        "update products.products \
            set stockx_product_id = $2, \
                name = case when name = sku and $3::text is not null then left($3, 255) \
                            else name end \
          where id = $1",
    )
    .bind(product_id)
    .bind(stockx_product_id)
    .bind(title)
    .execute(db)
    .await
    .map(|_| ())
}

/// Records StockX variant ids (scope empty) as naming these variants; an id that named
/// another variant is moved (StockX's size chart decides). How many links are new or moved.
pub async fn link_stockx_variants(
    db: impl PgExecutor<'_>,
    stockx_variant_ids: &[String],
    variant_ids: &[Uuid],
) -> Result<u64, sqlx::Error> {
    sqlx::query(
        "insert into products.variant_ids (source, scope, external_id, variant_id) \
         select 'stockx', '', e, v from unnest($1::text[], $2::uuid[]) as u (e, v) \
         on conflict (source, scope, external_id) do update set variant_id = excluded.variant_id \
          where products.variant_ids.variant_id <> excluded.variant_id",
    )
    .bind(stockx_variant_ids)
    .bind(variant_ids)
    .execute(db)
    .await
    .map(|r| r.rows_affected())
}

/// Records GTIN-14s as naming these variants (source `stockx`); a GTIN another source tied to
/// another variant is moved, unless it was set by hand. How many are new or moved.
pub async fn link_stockx_gtins(
    db: impl PgExecutor<'_>,
    gtins: &[String],
    variant_ids: &[Uuid],
) -> Result<u64, sqlx::Error> {
    sqlx::query(
        "insert into products.variant_gtins (gtin, variant_id, source) \
         select distinct on (g) g, v, 'stockx' from unnest($1::text[], $2::uuid[]) as u (g, v) \
          order by g \
         on conflict (gtin) do update set variant_id = excluded.variant_id, source = 'stockx' \
          where products.variant_gtins.variant_id <> excluded.variant_id \
            and products.variant_gtins.source <> 'manual'",
    )
    .bind(gtins)
    .bind(variant_ids)
    .execute(db)
    .await
    .map(|r| r.rows_affected())
}

/// The style codes of the products that have pairs in the inventory, in order.
pub async fn inventory_style_codes(db: impl PgExecutor<'_>) -> Result<Vec<String>, sqlx::Error> {
    sqlx::query_scalar(
        "select distinct upper(coalesce(p.style_code, p.sku)) \
           from products.products p \
          where exists (select 1 from products.inventory i where i.product_id = p.id) \
          order by 1",
    )
    .fetch_all(db)
    .await
}

/// The GTINs of retail offers that no variant has yet, in order (each is one GTIN lookup).
pub async fn offer_gtins_unknown(db: impl PgExecutor<'_>) -> Result<Vec<String>, sqlx::Error> {
    sqlx::query_scalar(
        "select distinct o.gtin from integration.awin_products o \
          where o.gtin is not null \
            and not exists (select 1 from products.variant_gtins g where g.gtin = o.gtin) \
          order by 1",
    )
    .fetch_all(db)
    .await
}

/// The brand and category of a catalog product.
pub async fn product_brand_category(
    db: impl PgExecutor<'_>,
    product_id: Uuid,
) -> Result<(Option<Uuid>, Uuid), sqlx::Error> {
    sqlx::query_as("select brand_id, category_id from products.products where id = $1")
        .bind(product_id)
        .fetch_one(db)
        .await
}

/// Refreshes the planner's statistics of the variant catalog after a large catalog sync (a step
/// of the prices sync reads its variants by product; stale statistics of freshly filled tables
/// make that a scan of every variant).
pub async fn analyze_variant_tables(db: impl PgExecutor<'_>) -> Result<(), sqlx::Error> {
    sqlx::raw_sql("analyze products.variants, products.variant_ids, products.variant_gtins")
        .execute(db)
        .await
        .map(|_| ())
}
