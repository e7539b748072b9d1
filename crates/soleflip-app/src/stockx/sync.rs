//! The StockX syncs. Each is a job with a checkpoint in `integration.sync_checkpoints`, written
//! in the transaction of the data of each step, so a run that is killed resumes after its last
//! committed step; each returns a report of what it fetched and changed.
//!
//! - prices: the market data of every StockX variant the catalog knows, into
//!   `integration.price_sources` through the one upsert path; lowest ask and highest bid are two
//!   price series ([`series_id`], documented in docs/prices-mapping.md). One request per StockX
//!   product (`/v2/catalog/products/{productId}/market-data` answers for all its variants), so
//!   the daily budget covers about ten times as many sizes as per-variant calls would.
//! - orders: the seller's order history into the ledger, mapped to the same staged sale rows as
//!   the StockX sales report and merged by the same SQL, so that an order number is one order
//!   whichever came first.
//! - listings: StockX's listings onto the ledger's StockX listings (price, currency, ended).

use std::collections::BTreeMap;
use std::str::FromStr as _;
use std::time::Instant;

use chrono::{DateTime, NaiveDate, Utc};
use futures_util::StreamExt as _;
use serde::Serialize;
use soleflip_db::imports::{StagedFee, StagedSale};
use soleflip_db::integration::{NewPriceSource, PriceType, SourceType, UpsertOutcome};
use soleflip_db::stockx::{self as sql, KnownVariant};
use sqlx::types::Decimal;
use sqlx::Connection as _;

use super::api::{ListingsPage, MarketData, Order, OrdersPage};
use super::{CallCounts, Client, StockxError, StockxSettings};
use crate::App;

/// The sync jobs, as `integration.sync_checkpoints` names them.
pub const JOBS: [&str; 4] = [
    PRICES_JOB,
    ORDERS_JOB,
    LISTINGS_JOB,
    super::sync::CATALOG_JOB,
];
pub const PRICES_JOB: &str = "stockx.prices";
pub const ORDERS_JOB: &str = "stockx.orders";
pub const LISTINGS_JOB: &str = "stockx.listings";
pub const CATALOG_JOB: &str = "stockx.catalog";

// ---------------------------------------------------------------------------------------
// The price series convention (one place; docs/prices-mapping.md describes it)
// ---------------------------------------------------------------------------------------

/// `integration.price_sources.source_type` of prices from the StockX API.
pub const PRICE_SOURCE: SourceType = SourceType::Stockxapi;
/// `price_type` of StockX market prices: resale.
pub const PRICE_KIND: PriceType = PriceType::Resale;
/// `source_name` of the rows.
pub const PRICE_SOURCE_NAME: &str = "StockX API market data";

/// The two series of one StockX variant.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Series {
    /// The lowest ask (`lowestAskAmount`): what a buyer pays now.
    LowestAsk,
    /// The highest bid (`highestBidAmount`): what a seller gets now.
    HighestBid,
}

impl Series {
    pub const ALL: [Series; 2] = [Series::LowestAsk, Series::HighestBid];

    /// The suffix of the series' `source_product_id`.
    pub fn suffix(self) -> &'static str {
        match self {
            Series::LowestAsk => "lowest_ask",
            Series::HighestBid => "highest_bid",
        }
    }
}

/// The `source_product_id` of a variant's series: `<variantId>:lowest_ask` or
/// `<variantId>:highest_bid`.
pub fn series_id(variant_id: &str, series: Series) -> String {
    format!("{variant_id}:{}", series.suffix())
}

/// The variant and series a `source_product_id` names, if it is one of ours.
pub fn parse_series_id(source_product_id: &str) -> Option<(&str, Series)> {
    let (variant, suffix) = source_product_id.rsplit_once(':')?;
    let series = Series::ALL.into_iter().find(|s| s.suffix() == suffix)?;
    Some((variant, series))
}

/// A StockX amount (`"140"`, `"76.81"`, or a JSON number) as an exact decimal.
fn amount(v: &serde_json::Value) -> Option<Decimal> {
    match v {
        serde_json::Value::String(s) => Decimal::from_str(s.trim()).ok(),
        serde_json::Value::Number(n) => Decimal::from_str(&n.to_string()).ok(),
        _ => None,
    }
}

/// Whole cents of a price, if it has no more than two decimals and fits.
fn cents(d: Decimal) -> Option<i32> {
    let c = d * Decimal::ONE_HUNDRED;
    if c.fract() != Decimal::ZERO || c.is_sign_negative() {
        return None;
    }
    i32::try_from(c.mantissa() / 10i128.pow(c.scale())).ok()
}

/// How a sync ended.
#[derive(Debug, Clone, Serialize)]
pub struct Stopped {
    /// Why it stopped before the end (the daily budget); the checkpoint is kept, so the next run
    /// resumes.
    pub reason: String,
    /// RFC 3339, UTC.
    pub resumes_at: Option<String>,
}

/// The result of `stockx sync prices`.
#[derive(Debug, Clone, Default, Serialize)]
pub struct PricesReport {
    pub job: &'static str,
    /// This run continued an interrupted one.
    pub resumed: bool,
    /// True when every known variant was done (false: stopped, see `stopped`).
    pub complete: bool,
    pub stopped: Option<Stopped>,
    pub products_fetched: u64,
    pub variants: u64,
    /// Series StockX quoted (an ask or a bid), written through the upsert path.
    pub quotes: u64,
    /// Series StockX did not quote now (null): a stored one is marked out of stock.
    pub no_quote: u64,
    pub marked_out_of_stock: u64,
    /// Known variants StockX no longer lists under their product.
    pub variants_missing: u64,
    pub rows: UpsertOutcome,
    pub calls: CallCounts,
    pub elapsed_ms: u64,
}

/// Products whose market data is fetched and written together (one transaction, one
/// checkpoint).
const PRODUCTS_PER_STEP: i64 = 100;
/// Requests in flight at once (with the per-second limit on, they wait for their slots anyway).
const CONCURRENT_REQUESTS: usize = 8;

/// One step of the prices sync: the known variants of its products and the market data fetched
/// for them (the products before the first failure, in order).
struct Step {
    known: Vec<KnownVariant>,
    done: Vec<(String, Vec<MarketData>)>,
}

/// The market data of `products` (up to [`CONCURRENT_REQUESTS`] at once), in order, up to the
/// first failure, which is returned beside them.
async fn fetch_market_data(
    client: &Client,
    currency: &str,
    products: &[String],
) -> (Vec<(String, Vec<MarketData>)>, Option<StockxError>) {
    let fetched: Vec<Result<Vec<MarketData>, StockxError>> =
        futures_util::stream::iter(products.iter().map(|p| async move {
            client
                .get::<Vec<MarketData>>(
                    &format!("/v2/catalog/products/{p}/market-data"),
                    &[("currencyCode", currency.to_owned())],
                )
                .await
        }))
        .buffered(CONCURRENT_REQUESTS)
        .collect()
        .await;
    let mut done = Vec::new();
    for (p, r) in products.iter().zip(fetched) {
        match r {
            Ok(md) => done.push((p.clone(), md)),
            Err(e) => return (done, Some(e)),
        }
    }
    (done, None)
}

fn add(a: &mut UpsertOutcome, b: UpsertOutcome) {
    a.received += b.received;
    a.distinct += b.distinct;
    a.inserted += b.inserted;
    a.updated += b.updated;
    a.unchanged += b.unchanged;
}

fn elapsed(t: Instant) -> u64 {
    u64::try_from(t.elapsed().as_millis()).unwrap_or(u64::MAX)
}

/// Stops on the budget (a clean end with its time), fails on anything else.
pub(crate) fn stop_or_fail(e: StockxError) -> Result<Stopped, StockxError> {
    match e {
        StockxError::BudgetSpent { resumes_at } => Ok(Stopped {
            reason: e.to_string(),
            resumes_at: Some(resumes_at.to_rfc3339()),
        }),
        e => Err(e),
    }
}

/// Where a job starts: the cursor of an interrupted run (resumed), or `fresh` (a new run).
pub(crate) async fn begin_job(
    pool: &sqlx::PgPool,
    job: &str,
    fresh: serde_json::Value,
    resume_if: impl Fn(&serde_json::Value) -> bool,
) -> Result<(serde_json::Value, bool), StockxError> {
    if let Some(c) = sql::find_checkpoint(pool, job).await? {
        if c.status == "running" && resume_if(&c.cursor) {
            tracing::info!(job, "resuming an interrupted sync from its checkpoint");
            return Ok((c.cursor, true));
        }
    }
    sql::start_checkpoint(pool, job, &fresh).await?;
    Ok((fresh, false))
}

impl App {
    /// `stockx sync prices`: the market data of every known StockX variant.
    #[tracing::instrument(skip_all)]
    pub async fn stockx_sync_prices(
        &self,
        settings: &StockxSettings,
    ) -> Result<PricesReport, StockxError> {
        let started = Instant::now();
        let client = self.stockx_client(settings).await?;
        let pool = self.pool().await?.clone();
        let (cursor, resumed) =
            begin_job(&pool, PRICES_JOB, serde_json::json!({"after": ""}), |_| {
                true
            })
            .await?;
        let mut after = cursor
            .get("after")
            .and_then(|v| v.as_str())
            .unwrap_or_default()
            .to_owned();
        let mut report = PricesReport {
            job: PRICES_JOB,
            resumed,
            ..PricesReport::default()
        };
        // A step is fetched while the step before it is written: the requests and the database
        // work overlap, and each step still commits its prices with its checkpoint.
        let mut pending: Option<Step> = None;
        loop {
            let known = sql::list_known_variants(&pool, &after, PRODUCTS_PER_STEP).await?;
            let products: Vec<String> = {
                let mut p: Vec<String> =
                    known.iter().map(|v| v.stockx_product_id.clone()).collect();
                p.dedup();
                p
            };
            if let Some(last) = products.last() {
                after.clone_from(last);
            }
            let fetch = fetch_market_data(&client, &settings.currency, &products);
            let write = async {
                match pending.take() {
                    Some(step) => self.write_prices(settings, &pool, step, &mut report).await,
                    None => Ok(()),
                }
            };
            let (fetched, written) = tokio::join!(fetch, write);
            written?;
            if known.is_empty() {
                break;
            }
            let (done, failure) = fetched;
            if !done.is_empty() {
                pending = Some(Step { known, done });
            }
            if let Some(e) = failure {
                if let Some(step) = pending.take() {
                    self.write_prices(settings, &pool, step, &mut report)
                        .await?;
                }
                report.calls = client.counts();
                self.keep_rotated_token(settings, &client).await?;
                report.stopped = Some(stop_or_fail(e)?);
                report.elapsed_ms = elapsed(started);
                return Ok(report);
            }
        }
        report.complete = true;
        report.calls = client.counts();
        report.elapsed_ms = elapsed(started);
        self.keep_rotated_token(settings, &client).await?;
        let json = serde_json::to_value(&report).map_err(anyhow::Error::new)?;
        sql::finish_checkpoint(&pool, PRICES_JOB, &json).await?;
        Ok(report)
    }

    /// Writes the prices of a fetched step and moves the checkpoint past its last product, in
    /// one transaction.
    async fn write_prices(
        &self,
        settings: &StockxSettings,
        pool: &sqlx::PgPool,
        step: Step,
        report: &mut PricesReport,
    ) -> Result<(), StockxError> {
        let Step { known, done } = step;
        let mut by_product: BTreeMap<&str, Vec<&KnownVariant>> = BTreeMap::new();
        for v in &known {
            by_product
                .entry(v.stockx_product_id.as_str())
                .or_default()
                .push(v);
        }
        let last = done.last().map(|(p, _)| p.clone()).unwrap_or_default();
        let now = Utc::now();
        let mut rows = Vec::new();
        let mut unquoted: Vec<String> = Vec::new();
        for (product, data) in done {
            report.products_fetched += 1;
            let quotes: BTreeMap<&str, &MarketData> =
                data.iter().map(|m| (m.variant_id.as_str(), m)).collect();
            for v in by_product
                .get(product.as_str())
                .map(Vec::as_slice)
                .unwrap_or(&[])
            {
                report.variants += 1;
                let Some(m) = quotes.get(v.stockx_variant_id.as_str()) else {
                    report.variants_missing += 1;
                    for s in Series::ALL {
                        unquoted.push(series_id(&v.stockx_variant_id, s));
                    }
                    continue;
                };
                for s in Series::ALL {
                    let text = match s {
                        Series::LowestAsk => m.lowest_ask_amount.as_deref(),
                        Series::HighestBid => m.highest_bid_amount.as_deref(),
                    };
                    let id = series_id(&v.stockx_variant_id, s);
                    let Some(price) = text
                        .and_then(|t| Decimal::from_str(t.trim()).ok())
                        .and_then(cents)
                    else {
                        report.no_quote += 1;
                        unquoted.push(id);
                        continue;
                    };
                    report.quotes += 1;
                    rows.push(NewPriceSource {
                        product_id: v.product_id,
                        size_id: v.size_id,
                        source_type: PRICE_SOURCE,
                        source_product_id: id,
                        source_name: Some(PRICE_SOURCE_NAME.to_owned()),
                        price_type: PRICE_KIND,
                        price_cents: price,
                        currency: if m.currency_code.is_empty() {
                            settings.currency.clone()
                        } else {
                            m.currency_code.to_ascii_uppercase()
                        },
                        stock_quantity: None,
                        in_stock: true,
                        condition: Some(soleflip_db::integration::Condition::New),
                        source_url: None,
                        affiliate_link: None,
                        supplier_id: None,
                        metadata: None,
                        last_updated: Some(now),
                    });
                }
            }
        }
        let mut conn = pool.acquire().await?;
        let mut tx = conn.begin().await?;
        if !unquoted.is_empty() {
            for s in sql::list_stockx_series(&mut *tx, &unquoted).await? {
                if s.in_stock {
                    report.marked_out_of_stock += 1;
                    rows.push(NewPriceSource {
                        product_id: s.product_id,
                        size_id: s.size_id,
                        source_type: PRICE_SOURCE,
                        source_product_id: s.source_product_id,
                        source_name: Some(PRICE_SOURCE_NAME.to_owned()),
                        price_type: PRICE_KIND,
                        price_cents: s.price_cents,
                        currency: s.currency,
                        stock_quantity: None,
                        in_stock: false,
                        condition: Some(soleflip_db::integration::Condition::New),
                        source_url: None,
                        affiliate_link: None,
                        supplier_id: None,
                        metadata: None,
                        last_updated: Some(now),
                    });
                }
            }
        }
        if !rows.is_empty() {
            let outcome = soleflip_db::integration::upsert_price_sources(&mut tx, &rows)
                .await
                .map_err(anyhow::Error::new)?;
            add(&mut report.rows, outcome);
        }
        sql::save_checkpoint(&mut *tx, PRICES_JOB, &serde_json::json!({ "after": last })).await?;
        tx.commit().await?;
        Ok(())
    }
}

// ---------------------------------------------------------------------------------------
// Orders
// ---------------------------------------------------------------------------------------

/// The result of `stockx sync orders`.
#[derive(Debug, Clone, Default, Serialize)]
pub struct OrdersReport {
    pub job: &'static str,
    pub resumed: bool,
    pub complete: bool,
    pub stopped: Option<Stopped>,
    /// The `fromDate` asked of StockX (None: the whole history).
    pub from: Option<String>,
    pub pages: u64,
    pub orders_fetched: u64,
    /// Completed orders new to the ledger.
    pub imported: i64,
    /// Completed orders the ledger had (from a report import or an earlier sync).
    pub already_present: i64,
    /// Orders that are not (or not yet) sales: canceled, returned, failed, per status.
    pub skipped: BTreeMap<String, u64>,
    /// Completed orders that could not be read (order number and reason).
    pub rejected: Vec<String>,
    pub pairs_matched: i64,
    pub pairs_created_cost_unknown: i64,
    pub products_created: i64,
    pub calls: CallCounts,
    pub elapsed_ms: u64,
}

/// Orders per page (StockX's maximum).
const ORDER_PAGE_SIZE: u32 = 100;

/// An API order as the staged sale row of the sales importers (`StagedSale`): the same order
/// number, price, fee lines and payout the seller report gives for it.
pub fn staged_sale(order: &Order, line_no: u64) -> StagedSale {
    let mut s = StagedSale {
        line_no,
        order_number: order.order_number.chars().take(100).collect(),
        ..StagedSale::default()
    };
    match read_order(order, &mut s) {
        Ok(()) => s,
        Err(reason) => StagedSale {
            line_no,
            order_number: s.order_number,
            rejected: Some(reason),
            ..StagedSale::default()
        },
    }
}

fn read_order(o: &Order, s: &mut StagedSale) -> Result<(), String> {
    if s.order_number.is_empty() {
        return Err("orderNumber: missing".into());
    }
    let time = |field: &str, t: &Option<String>| -> Result<Option<DateTime<Utc>>, String> {
        t.as_deref()
            .map(|t| {
                DateTime::parse_from_rfc3339(t)
                    .map(|d| d.with_timezone(&Utc))
                    .map_err(|_| format!("{field}: `{t}` is not an ISO 8601 time"))
            })
            .transpose()
    };
    s.sold_at = Some(time("createdAt", &o.created_at)?.ok_or("createdAt: missing")?);
    s.payout_at = time("updatedAt", &o.updated_at)?;
    s.item = o
        .product
        .product_name
        .clone()
        .unwrap_or_default()
        .chars()
        .take(255)
        .collect();
    let styles = crate::imports::sale::style(o.product.style_id.as_deref().unwrap_or(""))
        .map_err(|e| format!("product.styleId: {e}"))?;
    if let Some((first, second)) = styles {
        s.style = Some(first);
        s.style_alt = second;
    }
    if s.style.is_none() && s.item.is_empty() {
        return Err("product: neither styleId nor productName; the product cannot be found".into());
    }
    s.brand_slug = crate::imports::sale::brand(s.style.as_deref());
    let size = o.variant.variant_value.as_deref().unwrap_or("N/A");
    crate::imports::sale::size(size, s).map_err(|e| format!("variant.variantValue: {e}"))?;
    let payout = o.payout.as_ref().ok_or("payout: missing")?;
    let currency = payout
        .currency_code
        .clone()
        .or_else(|| o.currency_code.clone())
        .unwrap_or_default()
        .to_ascii_uppercase();
    if currency.len() != 3 || !currency.bytes().all(|b| b.is_ascii_uppercase()) {
        return Err(format!("currencyCode: `{currency}` is not a currency code"));
    }
    s.currency = currency;
    let price = amount(&payout.sale_price)
        .or_else(|| Decimal::from_str(o.amount.trim()).ok())
        .ok_or("payout.salePrice: not an amount")?;
    if price <= Decimal::ZERO {
        return Err(format!("payout.salePrice: {price} is not a sale price"));
    }
    s.price = price.round_dp(2);
    let paid = amount(&payout.total_payout).ok_or("payout.totalPayout: not an amount")?;
    s.payout = Some(paid.round_dp(2));
    let reported = |amount: Decimal| StagedFee {
        amount,
        source: "reported",
        rate_pct: None,
        schedule_row: None,
    };
    for adj in &payout.adjustments {
        let value = amount(&adj.amount)
            .ok_or_else(|| {
                format!(
                    "payout.adjustments `{}`: not an amount",
                    adj.adjustment_type
                )
            })?
            .abs()
            .round_dp(2);
        let kind = adj.adjustment_type.to_ascii_lowercase();
        let slot = if kind.contains("transaction") || kind.contains("seller fee") {
            0
        } else if kind.contains("payment") || kind.contains("processing") {
            1
        } else if kind.contains("shipping") {
            2
        } else {
            5
        };
        let fee = s.fees[slot].get_or_insert_with(|| reported(Decimal::ZERO));
        fee.amount += value;
    }
    let fees: Decimal = s.fees.iter().flatten().map(|f| f.amount).sum();
    let rest = s.price - fees - paid.round_dp(2);
    if !rest.is_zero() {
        match &mut s.fees[5] {
            Some(other) => {
                other.amount += rest;
                s.flagged = true;
            }
            None => {
                s.fees[5] = Some(StagedFee {
                    amount: rest,
                    source: "derived",
                    rate_pct: None,
                    schedule_row: None,
                });
                s.flagged = rest.abs() > Decimal::new(5, 2);
            }
        }
    }
    Ok(())
}

impl App {
    /// `stockx sync orders [--from D]`: the seller's completed orders into the ledger.
    #[tracing::instrument(skip_all)]
    pub async fn stockx_sync_orders(
        &self,
        settings: &StockxSettings,
        from: Option<NaiveDate>,
    ) -> Result<OrdersReport, StockxError> {
        let started = Instant::now();
        let client = self.stockx_client(settings).await?;
        let pool = self.pool().await?.clone();
        let from_text = from.map(|d| d.to_string());
        let fresh = serde_json::json!({ "from": from_text, "page": 1 });
        let (cursor, resumed) = begin_job(&pool, ORDERS_JOB, fresh, |c| {
            from.is_none() || c.get("from").and_then(|f| f.as_str()) == from_text.as_deref()
        })
        .await?;
        let from_used = cursor
            .get("from")
            .and_then(|f| f.as_str())
            .and_then(|f| NaiveDate::parse_from_str(f, "%Y-%m-%d").ok());
        let mut page = cursor
            .get("page")
            .and_then(|p| p.as_u64())
            .unwrap_or(1)
            .max(1);
        let mut report = OrdersReport {
            job: ORDERS_JOB,
            resumed,
            from: from_used.map(|d| d.to_string()),
            ..OrdersReport::default()
        };
        loop {
            let mut query = vec![
                ("pageNumber", page.to_string()),
                ("pageSize", ORDER_PAGE_SIZE.to_string()),
            ];
            if let Some(f) = from_used {
                query.push(("fromDate", f.to_string()));
            }
            let fetched: Result<OrdersPage, _> =
                client.get("/v2/selling/orders/history", &query).await;
            let body = match fetched {
                Ok(b) => b,
                Err(e) => {
                    report.calls = client.counts();
                    self.keep_rotated_token(settings, &client).await?;
                    report.stopped = Some(stop_or_fail(e)?);
                    report.elapsed_ms = elapsed(started);
                    return Ok(report);
                }
            };
            report.pages += 1;
            report.orders_fetched += body.orders.len() as u64;
            let mut staged = Vec::new();
            for (i, o) in body.orders.iter().enumerate() {
                if o.status.eq_ignore_ascii_case("COMPLETED") {
                    let line = (page - 1) * u64::from(ORDER_PAGE_SIZE) + i as u64 + 1;
                    let s = staged_sale(o, line);
                    if let Some(r) = &s.rejected {
                        report.rejected.push(format!("{}: {r}", o.order_number));
                    }
                    staged.push(s);
                } else {
                    *report.skipped.entry(o.status.clone()).or_default() += 1;
                }
            }
            let next = if body.has_next_page { page + 1 } else { 0 };
            self.merge_orders(&staged, page, next, from_used, &mut report)
                .await?;
            if !body.has_next_page {
                break;
            }
            page += 1;
        }
        report.complete = true;
        report.calls = client.counts();
        report.elapsed_ms = elapsed(started);
        self.keep_rotated_token(settings, &client).await?;
        let json = serde_json::to_value(&report).map_err(anyhow::Error::new)?;
        sql::finish_checkpoint(&pool, ORDERS_JOB, &json).await?;
        Ok(report)
    }

    /// Merges one page's staged sales into the ledger with the importers' merge and moves the
    /// checkpoint to `next` (0: done), in one transaction.
    async fn merge_orders(
        &self,
        staged: &[StagedSale],
        page: u64,
        next: u64,
        from: Option<NaiveDate>,
        report: &mut OrdersReport,
    ) -> Result<(), StockxError> {
        use soleflip_db::imports as imp;
        let mut conn = self.conn().await?;
        let mut tx = conn.begin().await?;
        if !staged.is_empty() {
            imp::lock_imports(&mut tx).await?;
            imp::create_sales_stage(&mut tx).await?;
            let mut copy = imp::SalesCopy::begin(&mut tx).await?;
            for s in staged {
                copy.push(s).await?;
            }
            copy.finish().await?;
            let label = format!("StockX API orders/history page {page}");
            let batch = imp::insert_batch(&mut *tx, "stockx-api", &label, "").await?;
            if !imp::start_merge(&mut tx, batch, "stockx", "sneakers").await? {
                return Err(anyhow::anyhow!(
                    "the platform `stockx` or the category `sneakers` is missing"
                )
                .into());
            }
            let bulk = imp::may_bulk_write(&mut tx).await?;
            let counts = imp::merge_sales(&mut tx, bulk, &|_| {}).await?;
            imp::record_lines(&mut tx, batch).await?;
            for line in imp::rejected_lines(&mut tx, i64::MAX).await? {
                let order = staged
                    .iter()
                    .find(|s| i64::try_from(s.line_no).ok() == Some(line.line))
                    .map(|s| s.order_number.as_str())
                    .unwrap_or_default();
                if !report
                    .rejected
                    .iter()
                    .any(|r| r.starts_with(&format!("{order}: ")))
                {
                    report.rejected.push(format!("{order}: {}", line.reason));
                }
            }
            report.imported += counts.imported;
            report.already_present += counts.present;
            report.pairs_matched += counts.pairs_matched;
            report.pairs_created_cost_unknown += counts.pairs_created;
            report.products_created += counts.products_created;
            let summary = serde_json::json!({
                "kind": "stockx-api-orders", "page": page,
                "imported": counts.imported, "already_present": counts.present,
                "rejected": counts.rejected,
            });
            imp::complete_batch(&mut *tx, batch, staged.len() as i64, &summary).await?;
            imp::check_deferred(&mut tx).await?;
        }
        let cursor = serde_json::json!({ "from": from.map(|d| d.to_string()), "page": next });
        sql::save_checkpoint(&mut *tx, ORDERS_JOB, &cursor).await?;
        tx.commit().await?;
        Ok(())
    }
}

// ---------------------------------------------------------------------------------------
// Listings
// ---------------------------------------------------------------------------------------

/// The result of `stockx sync listings`.
#[derive(Debug, Clone, Default, Serialize)]
pub struct ListingsReport {
    pub job: &'static str,
    pub resumed: bool,
    pub complete: bool,
    pub stopped: Option<Stopped>,
    pub pages: u64,
    pub fetched: u64,
    /// StockX's listings per StockX status.
    pub by_status: BTreeMap<String, u64>,
    /// Ledger listings StockX reported (matched by the listing id).
    pub matched: i64,
    /// Of those, changed now (price, currency, or ended).
    pub changed: i64,
    /// StockX listings no pair of the ledger carries (listed outside SoleFlip).
    pub unlinked: u64,
    pub calls: CallCounts,
    pub elapsed_ms: u64,
}

/// The ledger's word for a StockX listing status.
fn listing_status(stockx: &str) -> &'static str {
    match stockx.to_ascii_uppercase().as_str() {
        "ACTIVE" => "active",
        "MATCHED" | "COMPLETED" => "sold",
        _ => "ended",
    }
}

impl App {
    /// `stockx sync listings`: StockX's listings onto the ledger's.
    #[tracing::instrument(skip_all)]
    pub async fn stockx_sync_listings(
        &self,
        settings: &StockxSettings,
    ) -> Result<ListingsReport, StockxError> {
        let started = Instant::now();
        let client = self.stockx_client(settings).await?;
        let pool = self.pool().await?.clone();
        let (cursor, resumed) =
            begin_job(&pool, LISTINGS_JOB, serde_json::json!({"page": 1}), |_| {
                true
            })
            .await?;
        let mut page = cursor
            .get("page")
            .and_then(|p| p.as_u64())
            .unwrap_or(1)
            .max(1);
        let mut report = ListingsReport {
            job: LISTINGS_JOB,
            resumed,
            ..ListingsReport::default()
        };
        loop {
            let query = [
                ("pageNumber", page.to_string()),
                ("pageSize", "100".to_owned()),
            ];
            let body: ListingsPage = match client.get("/v2/selling/listings", &query).await {
                Ok(b) => b,
                Err(e) => {
                    report.calls = client.counts();
                    report.stopped = Some(stop_or_fail(e)?);
                    report.elapsed_ms = elapsed(started);
                    return Ok(report);
                }
            };
            report.pages += 1;
            report.fetched += body.listings.len() as u64;
            let listings: Vec<sql::ApiListing> = body
                .listings
                .iter()
                .map(|l| {
                    *report.by_status.entry(l.status.clone()).or_default() += 1;
                    sql::ApiListing {
                        listing_id: l.listing_id.clone(),
                        status: listing_status(&l.status),
                        price: l
                            .amount
                            .as_deref()
                            .and_then(|a| Decimal::from_str(a.trim()).ok()),
                        currency: l.currency_code.clone().map(|c| c.to_ascii_uppercase()),
                    }
                })
                .collect();
            let next = if body.has_next_page { page + 1 } else { 0 };
            let mut conn = pool.acquire().await?;
            let mut tx = conn.begin().await?;
            let counts = sql::apply_listings(&mut *tx, &listings).await?;
            sql::save_checkpoint(&mut *tx, LISTINGS_JOB, &serde_json::json!({ "page": next }))
                .await?;
            tx.commit().await?;
            report.matched += counts.matched;
            report.changed += counts.changed;
            report.unlinked += listings.len() as u64 - u64::try_from(counts.matched).unwrap_or(0);
            if !body.has_next_page {
                break;
            }
            page += 1;
        }
        report.complete = true;
        report.calls = client.counts();
        report.elapsed_ms = elapsed(started);
        self.keep_rotated_token(settings, &client).await?;
        let json = serde_json::to_value(&report).map_err(anyhow::Error::new)?;
        sql::finish_checkpoint(&pool, LISTINGS_JOB, &json).await?;
        Ok(report)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_series_of_a_variant_are_named_by_one_convention_both_ways() {
        let id = series_id("586c3334-4dac-4ee0-bce3-eea845581a08", Series::HighestBid);
        assert_eq!(id, "586c3334-4dac-4ee0-bce3-eea845581a08:highest_bid");
        assert_eq!(
            parse_series_id(&id),
            Some(("586c3334-4dac-4ee0-bce3-eea845581a08", Series::HighestBid))
        );
        assert_eq!(parse_series_id("abc:retail"), None);
    }

    #[test]
    fn amounts_become_whole_cents_or_are_refused() {
        assert_eq!(cents(Decimal::from_str("140").unwrap()), Some(14_000));
        assert_eq!(cents(Decimal::from_str("76.81").unwrap()), Some(7_681));
        assert_eq!(cents(Decimal::from_str("1.005").unwrap()), None);
        assert_eq!(cents(Decimal::from_str("-3").unwrap()), None);
    }
}
