//! `arbitrage list`: retail offers matched to a variant, against what the variant fetches on
//! StockX after its real fees.
//!
//! For each in-stock offer matched to a variant with a StockX quote:
//! - **buy cost** = the offer's price + its delivery cost, as the retailer charges them
//!   (consumer prices, VAT included; a VAT-registered reseller may reclaim that VAT as input
//!   tax, which is not subtracted here), converted into the resale currency at the latest ECB
//!   reference rate when the currencies differ (the rate, its date and source are shown);
//! - **sell now**: the highest bid through the fee schedule (`soleflip fees`), and **list**:
//!   the lowest ask through it; payout, profit and ROI for both, and the age of each price.
//!
//! The fees are the schedule's own quote: each distinct price is quoted once and the payouts
//! are joined in SQL, so the query filters and sorts on exactly the figures shown. With `--new`,
//! only opportunities that are new, or changed materially since the last `--new` run, are
//! shown (one per retailer and variant); what was shown is remembered.

use std::collections::{HashMap, HashSet};
use std::time::Instant;

use chrono::{NaiveDate, Utc};
use serde::Serialize;
use soleflip_db::variants::{self as sql, ArbitrageQuery, ArbitrageRow};
use soleflip_domain::fees::{self, FeeLine};
use soleflip_domain::money::{Currency, Money};
use sqlx::types::Decimal;

use crate::matching::MatchError;
use crate::App;

/// What to list.
#[derive(Debug, Clone)]
pub struct ArbitrageOptions {
    /// The resale platform (its fee schedule); StockX quotes are the resale prices stored.
    pub platform: String,
    /// The seller's region and level on it.
    pub region: String,
    pub level: Option<String>,
    /// The resale currency (quotes in it are used; buy costs are converted into it).
    pub currency: String,
    /// Least profit, the better of selling now and listing.
    pub min_profit: Decimal,
    /// Least ROI in percent, the better of the two.
    pub min_roi_pct: Decimal,
    pub limit: i64,
    /// Only what is new or changed materially since the last `--new` run.
    pub new_only: bool,
    /// The day the fee schedule is read for.
    pub date: NaiveDate,
}

impl Default for ArbitrageOptions {
    fn default() -> Self {
        ArbitrageOptions {
            platform: "stockx".into(),
            region: "EU".into(),
            level: Some("1".into()),
            currency: "EUR".into(),
            min_profit: Decimal::ZERO,
            min_roi_pct: Decimal::ZERO,
            limit: 50,
            new_only: false,
            date: Utc::now().date_naive(),
        }
    }
}

/// One way of selling: its price, fees, payout, profit and ROI.
#[derive(Debug, Clone, Serialize)]
pub struct Side {
    pub price: Decimal,
    pub fees: Vec<FeeLine>,
    pub payout: Decimal,
    pub profit: Decimal,
    /// Profit over buy cost, in percent (two decimals).
    pub roi_pct: Decimal,
    /// Hours since the price was observed.
    pub price_age_hours: i64,
}

/// The conversion a buy cost went through.
#[derive(Debug, Clone, Serialize)]
pub struct FxUsed {
    pub from: String,
    pub to: String,
    /// Resale-currency units per offer-currency unit.
    pub rate: Decimal,
    #[serde(serialize_with = "fees::iso_date_opt")]
    pub date: Option<NaiveDate>,
    pub source: &'static str,
}

/// One opportunity.
#[derive(Debug, Clone, Serialize)]
pub struct Opportunity {
    pub merchant_id: i32,
    pub merchant_name: Option<String>,
    pub merchant_product_id: String,
    pub offer_name: Option<String>,
    pub offer_size: Option<String>,
    pub offer_link: Option<String>,
    pub offer_age_hours: i64,
    pub sku: String,
    pub product: String,
    pub size: String,
    pub variant_id: String,
    /// How the offer was matched: gtin, style_size or manual.
    pub matched_by: String,
    /// In the offer's currency.
    pub retail_price: Decimal,
    pub delivery_cost: Decimal,
    pub offer_currency: String,
    /// Price + delivery in the resale currency.
    pub buy_cost: Decimal,
    pub fx: Option<FxUsed>,
    pub sell_now: Option<Side>,
    pub list: Option<Side>,
    /// With --new: `new` or `changed`.
    pub novelty: Option<&'static str>,
}

/// What `arbitrage list` found.
#[derive(Debug, Clone, Serialize)]
pub struct ArbitrageReport {
    pub platform: String,
    pub region: String,
    pub level: Option<String>,
    pub currency: String,
    #[serde(serialize_with = "fees::iso_date")]
    pub fee_date: NaiveDate,
    pub vat_treatment: &'static str,
    pub opportunities: Vec<Opportunity>,
    /// Distinct StockX prices quoted through the fee schedule.
    pub prices_quoted: usize,
    pub new_only: bool,
    pub elapsed_ms: u128,
}

/// How the buy cost treats VAT (shown with every report).
pub const VAT_TREATMENT: &str = "buy cost is the retailer's consumer price incl. VAT plus delivery; reclaimable input VAT is not subtracted";

/// A change this large (in the resale currency) in cost or profit makes a seen opportunity
/// worth showing again; or 10 % of the profit, whichever is larger.
const MATERIAL: Decimal = Decimal::from_parts(200, 0, 0, false, 2);

impl App {
    /// `arbitrage list`.
    pub async fn arbitrage_list(
        &self,
        o: &ArbitrageOptions,
    ) -> Result<ArbitrageReport, MatchError> {
        let started = Instant::now();
        if o.platform != "stockx" {
            return Err(MatchError::Invalid {
                field: "platform",
                reason: format!(
                    "`{}`: resale prices are StockX's (stockx sync prices); only stockx is listed",
                    o.platform
                ),
            });
        }
        if !(1..=10_000).contains(&o.limit) {
            return Err(MatchError::Invalid {
                field: "limit",
                reason: format!("{} is not between 1 and 10000", o.limit),
            });
        }
        let currency =
            Currency::parse("currency", &o.currency).map_err(|e| MatchError::Invalid {
                field: "currency",
                reason: e.to_string(),
            })?;
        let quote = |cents: i64| -> Result<fees::Quote, fees::QuoteError> {
            let price = Money::rounded(Decimal::new(cents, 2), currency);
            fees::quote(&o.platform, &o.region, o.level.as_deref(), price, o.date)
        };
        // A setting the schedule cannot quote at all is the caller's error, said once.
        quote(10_000).map_err(|e| MatchError::Invalid {
            field: "fees",
            reason: e.to_string(),
        })?;

        let mut conn = self.conn().await?;
        let quotes = sql::resale_quotes(&mut conn, currency.code()).await?;
        let mut priced = Vec::with_capacity(quotes.len());
        let mut payouts = Vec::with_capacity(quotes.len());
        for cents in &quotes {
            // A price the fees exceed pays nothing: it is left out.
            if let Ok(q) = quote(*cents) {
                priced.push(*cents);
                payouts.push(to_cents(q.payout.amount()));
            }
        }
        let limit = if o.new_only {
            (o.limit * 50).min(100_000)
        } else {
            o.limit * 4
        };
        let rows = sql::arbitrage(
            &mut conn,
            &ArbitrageQuery {
                quotes: &priced,
                payouts: &payouts,
                currency: currency.code(),
                min_profit: o.min_profit,
                min_roi: o.min_roi_pct / Decimal::ONE_HUNDRED,
                limit,
            },
        )
        .await?;

        // One per retailer and variant: the best (rows come best first).
        let mut kept = HashSet::new();
        let rows: Vec<ArbitrageRow> = rows
            .into_iter()
            .filter(|r| kept.insert((r.merchant_id, r.variant_id)))
            .collect();

        let mut novelty: HashMap<(i32, sqlx::types::Uuid), &'static str> = HashMap::new();
        let rows: Vec<ArbitrageRow> = if o.new_only {
            let keys: Vec<_> = rows.iter().map(|r| (r.merchant_id, r.variant_id)).collect();
            let seen: HashMap<_, _> = sql::seen(&mut conn, &keys, &o.platform)
                .await?
                .into_iter()
                .map(|s| ((s.merchant_id, s.variant_id), s))
                .collect();
            let mut shown = Vec::new();
            for r in rows {
                let key = (r.merchant_id, r.variant_id);
                let label = match seen.get(&key) {
                    None => Some("new"),
                    Some(s) if changed(s, &r) => Some("changed"),
                    Some(_) => None,
                };
                if let Some(label) = label {
                    novelty.insert(key, label);
                    shown.push(r);
                }
                if shown.len() as i64 >= o.limit {
                    break;
                }
            }
            let refs: Vec<&ArbitrageRow> = shown.iter().collect();
            sql::record_seen(&mut conn, &o.platform, &refs).await?;
            shown
        } else {
            rows.into_iter()
                .take(usize::try_from(o.limit).unwrap_or(0))
                .collect()
        };

        let now = Utc::now();
        let hours = |t: chrono::DateTime<Utc>| (now - t).num_hours().max(0);
        let mut opportunities = Vec::with_capacity(rows.len());
        for r in rows {
            let side = |cents: Option<i64>, at: Option<chrono::DateTime<Utc>>| -> Option<Side> {
                let q = quote(cents?).ok()?;
                let payout = q.payout.amount();
                let profit = payout - r.buy_cost;
                Some(Side {
                    price: q.price.amount(),
                    fees: q.lines,
                    payout,
                    profit,
                    roi_pct: roi(profit, r.buy_cost),
                    price_age_hours: at.map_or(0, hours),
                })
            };
            let sell_now = side(r.bid, r.bid_at);
            let list = side(r.ask, r.ask_at);
            let fx = (r.currency != currency.code()).then(|| FxUsed {
                from: r.currency.clone(),
                to: currency.code().to_owned(),
                rate: r.factor.round_dp(6),
                date: r.fx_date,
                source: "ecb",
            });
            opportunities.push(Opportunity {
                merchant_id: r.merchant_id,
                merchant_name: r.merchant_name,
                merchant_product_id: r.merchant_product_id,
                offer_name: r.product_name,
                offer_size: r.offer_size,
                offer_link: r.affiliate_link,
                offer_age_hours: hours(r.offer_at),
                sku: r.sku,
                product: r.product_title,
                size: r.size_key,
                variant_id: r.variant_id.to_string(),
                matched_by: r.method,
                retail_price: r.search_price,
                delivery_cost: r.delivery_cost.unwrap_or_default(),
                offer_currency: r.currency,
                buy_cost: r.buy_cost,
                fx,
                sell_now,
                list,
                novelty: novelty.get(&(r.merchant_id, r.variant_id)).copied(),
            });
        }
        Ok(ArbitrageReport {
            platform: o.platform.clone(),
            region: o.region.clone(),
            level: o.level.clone(),
            currency: currency.code().to_owned(),
            fee_date: o.date,
            vat_treatment: VAT_TREATMENT,
            opportunities,
            prices_quoted: priced.len(),
            new_only: o.new_only,
            elapsed_ms: started.elapsed().as_millis(),
        })
    }
}

fn to_cents(amount: Decimal) -> i64 {
    let cents = (amount * Decimal::ONE_HUNDRED).round();
    i64::try_from(cents).unwrap_or(i64::MAX)
}

fn roi(profit: Decimal, cost: Decimal) -> Decimal {
    if cost.is_zero() {
        Decimal::ZERO
    } else {
        (profit * Decimal::ONE_HUNDRED / cost).round_dp(2)
    }
}

/// Whether an opportunity moved enough since it was last shown.
fn changed(s: &sql::Seen, r: &ArbitrageRow) -> bool {
    let moved = |old: Option<Decimal>, new: Option<Decimal>| match (old, new) {
        (Some(a), Some(b)) => (a - b).abs() >= MATERIAL.max(a.abs() / Decimal::TEN),
        (None, None) => false,
        _ => true,
    };
    (s.buy_cost - r.buy_cost).abs() >= MATERIAL
        || moved(s.profit_now, r.profit_now)
        || moved(s.profit_list, r.profit_list)
}
