//! The ledger's commands: `purchase add`, `inventory list|show|move`, `listing add|end`,
//! `sale record`, `fees quote`, `report pnl|stock`. Each calls one use case of
//! `soleflip_app::ledger` and shows its report as text or JSON.
//!
//! Input the ledger refuses (an unknown SKU format, a size the size service refuses, a negative
//! price, a currency that is not ISO 4217, a transition the lifecycle does not allow) is one
//! line on stderr naming the field, exit 4, and nothing written.

use std::fmt::Write as _;

use clap::{Args, Subcommand, ValueEnum};
use soleflip_app::ledger::{
    self, parse_date, parse_id, InventoryList, LedgerError, ListingReport, MoveReport, PairReport,
    PnlBy, PnlReport, PurchaseLineRequest, PurchaseReport, PurchaseRequest, SaleReport,
    SaleRequest, StockReport,
};
use soleflip_app::App;

use crate::cli::Format;
use crate::output::show;
use crate::Outcome;

#[derive(Debug, Subcommand)]
pub enum PurchaseCommand {
    /// Record a purchase: one invoice line of QTY pairs, each a pair in the inventory
    /// (state incoming) with its cost basis
    Add(PurchaseAddArgs),
}

#[derive(Debug, Args)]
pub struct PurchaseAddArgs {
    /// The product's SKU (style code); an unknown one is created with the brand its shape names
    #[arg(long)]
    pub sku: String,
    /// The size, e.g. `US 10`, `EU 44 2/3`, `UK 9` (read on the brand's chart)
    #[arg(long)]
    pub size: String,
    /// Net price of one pair
    #[arg(long, value_name = "NET", allow_negative_numbers = true)]
    pub price: String,
    /// VAT rate in percent (default 0: no VAT on the invoice, margin scheme)
    #[arg(long, value_name = "R")]
    pub vat_rate: Option<String>,
    /// Number of pairs
    #[arg(long, value_name = "N", default_value_t = 1)]
    pub qty: u32,
    /// Supplier (a known supplier's name or slug is linked)
    #[arg(long, value_name = "S")]
    pub supplier: Option<String>,
    /// Invoice number
    #[arg(long, value_name = "NO")]
    pub invoice: Option<String>,
    /// Invoice date, YYYY-MM-DD (default today)
    #[arg(long, value_name = "D")]
    pub date: Option<String>,
    /// Currency, ISO 4217 (default EUR)
    #[arg(long, value_name = "C")]
    pub currency: Option<String>,
    /// Shipping on the invoice, shared over the pairs by their cost
    #[arg(long, value_name = "AMOUNT", allow_negative_numbers = true)]
    pub shipping: Option<String>,
    /// Discounts on the invoice (vouchers, cashback), shared the same way
    #[arg(long, value_name = "AMOUNT", allow_negative_numbers = true)]
    pub discount: Option<String>,
    /// Output: text for people, json for scripts
    #[arg(long, value_enum, default_value_t = Format::Text)]
    pub format: Format,
}

#[derive(Debug, Subcommand)]
pub enum InventoryCommand {
    /// List pairs, oldest first
    List {
        /// Only pairs in this state (incoming, available, consigned, need_shipping, packed,
        /// outgoing, sale_completed, cancelled), or in_stock, or unknown
        #[arg(long, value_name = "S")]
        status: Option<String>,
        /// Only pairs of this SKU
        #[arg(long)]
        sku: Option<String>,
        /// Only pairs that entered the books at least DAYS days ago
        #[arg(long, value_name = "DAYS")]
        older_than: Option<u32>,
        /// At most this many pairs
        #[arg(long, default_value_t = 200)]
        limit: u32,
        /// Output: text for people, json for scripts
        #[arg(long, value_enum, default_value_t = Format::Text)]
        format: Format,
    },
    /// One pair with its event history and listings
    Show {
        /// The pair's id
        id: String,
        /// Output: text for people, json for scripts
        #[arg(long, value_enum, default_value_t = Format::Text)]
        format: Format,
    },
    /// Move a pair to another state (refused, with the allowed next states, when the lifecycle
    /// does not allow it)
    Move {
        /// The pair's id
        id: String,
        /// The state to move to
        #[arg(long, value_name = "STATE")]
        to: String,
        /// Why (kept in the event)
        #[arg(long)]
        reason: Option<String>,
        /// Output: text for people, json for scripts
        #[arg(long, value_enum, default_value_t = Format::Text)]
        format: Format,
    },
}

#[derive(Debug, Subcommand)]
pub enum ListingCommand {
    /// List a pair on a platform (one active listing per platform)
    Add {
        /// The pair's id
        id: String,
        /// The platform's slug: stockx, alias, goat, ebay, restocks, laced, wethenew,
        /// kleinanzeigen, manual
        #[arg(long, value_name = "P")]
        platform: String,
        /// The asking price
        #[arg(long, value_name = "X", allow_negative_numbers = true)]
        price: String,
        /// Currency, ISO 4217 (default: the pair's)
        #[arg(long, value_name = "C")]
        currency: Option<String>,
        /// Output: text for people, json for scripts
        #[arg(long, value_enum, default_value_t = Format::Text)]
        format: Format,
    },
    /// End an active listing
    End {
        /// The listing's id
        id: String,
        /// Output: text for people, json for scripts
        #[arg(long, value_enum, default_value_t = Format::Text)]
        format: Format,
    },
}

#[derive(Debug, Subcommand)]
pub enum SaleCommand {
    /// Record the sale of a pair: given fees are stored as reported, missing ones computed from
    /// the fee schedule; a payout that does not balance gets a derived line and is flagged
    Record(SaleRecordArgs),
}

#[derive(Debug, Args)]
pub struct SaleRecordArgs {
    /// The pair's id
    pub id: String,
    /// The platform's slug (stockx, alias, goat, ebay, restocks, manual, ...)
    #[arg(long, value_name = "P")]
    pub platform: String,
    /// The sale price
    #[arg(long, value_name = "X", allow_negative_numbers = true)]
    pub price: String,
    /// A fee the platform reported, KIND=AMOUNT (kinds: transaction_fee, payment_processing,
    /// shipping, minimum_fee_topup, cash_out, other); repeatable
    #[arg(long = "fee", value_name = "KIND=AMOUNT")]
    pub fees: Vec<String>,
    /// What the platform paid out
    #[arg(long, value_name = "Y", allow_negative_numbers = true)]
    pub payout: Option<String>,
    /// Day of the sale, YYYY-MM-DD (default today)
    #[arg(long, value_name = "D")]
    pub date: Option<String>,
    /// Currency, ISO 4217 (default: the pair's)
    #[arg(long, value_name = "C")]
    pub currency: Option<String>,
    /// Seller level for the fee schedule (StockX 1-5; GOAT/Alias 90-100, 70-89, ...)
    #[arg(long)]
    pub level: Option<String>,
    /// Seller region for the fee schedule (default from the currency: EUR is EU)
    #[arg(long)]
    pub region: Option<String>,
    /// Output: text for people, json for scripts
    #[arg(long, value_enum, default_value_t = Format::Text)]
    pub format: Format,
}

#[derive(Debug, Subcommand)]
pub enum FeesCommand {
    /// The fee lines and payout of one sale from the fee schedule, and the rows used
    Quote {
        /// The platform: stockx, goat, alias, ebay, restocks, manual
        #[arg(long)]
        platform: String,
        /// Seller level (StockX 1-5; GOAT/Alias 90-100, 70-89, 50-69, 0-49; eBay DE private)
        #[arg(long)]
        level: Option<String>,
        /// The sale price
        #[arg(long, allow_negative_numbers = true)]
        price: String,
        /// Currency of the price, ISO 4217
        #[arg(long)]
        currency: String,
        /// Day of the sale, YYYY-MM-DD (default today)
        #[arg(long, value_name = "D")]
        date: Option<String>,
        /// Seller region (default from the currency: EUR is EU, USD is US)
        #[arg(long)]
        region: Option<String>,
        /// Output: text for people, json for scripts
        #[arg(long, value_enum, default_value_t = Format::Text)]
        format: Format,
    },
}

#[derive(Debug, Subcommand)]
pub enum ReportCommand {
    /// Profit and loss: revenue, fees by kind, payouts, cost of goods sold, gross profit, ROI,
    /// average days to sell
    Pnl {
        /// First day, YYYY-MM-DD (inclusive)
        #[arg(long, value_name = "D")]
        from: Option<String>,
        /// Last day, YYYY-MM-DD (inclusive)
        #[arg(long, value_name = "D")]
        to: Option<String>,
        /// Group by month, platform or brand (default: one total)
        #[arg(long, value_enum)]
        by: Option<PnlGroup>,
        /// Output: text for people, json for scripts
        #[arg(long, value_enum, default_value_t = Format::Text)]
        format: Format,
    },
    /// Pairs in stock by state and age band (0-30, 31-60, 61-90, 90+ days), capital tied up,
    /// the oldest pairs
    Stock {
        /// Output: text for people, json for scripts
        #[arg(long, value_enum, default_value_t = Format::Text)]
        format: Format,
    },
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum PnlGroup {
    /// Calendar month of the sale (UTC)
    Month,
    /// The platform sold on
    Platform,
    /// The product's brand
    Brand,
}

/// Runs a ledger command (refused input exits 4 with one line naming the field, as every
/// invalid input does: main.rs maps the codes).
pub async fn run(cmd: LedgerCommand, app: &App) -> anyhow::Result<Outcome> {
    Ok(run_inner(cmd, app).await?)
}

/// The ledger's command groups, as `cli::Command` nests them.
#[derive(Debug)]
pub enum LedgerCommand {
    Purchase(PurchaseCommand),
    Inventory(InventoryCommand),
    Listing(ListingCommand),
    Sale(SaleCommand),
    Fees(FeesCommand),
    Report(ReportCommand),
}

fn opt_date(field: &str, text: Option<&str>) -> Result<Option<ledger::Date>, LedgerError> {
    text.map(|t| parse_date(field, t)).transpose()
}

async fn run_inner(cmd: LedgerCommand, app: &App) -> Result<Outcome, LedgerError> {
    match cmd {
        LedgerCommand::Purchase(PurchaseCommand::Add(a)) => {
            let req = PurchaseRequest {
                supplier: a.supplier,
                invoice: a.invoice,
                date: opt_date("date", a.date.as_deref())?,
                currency: a.currency,
                shipping: a.shipping,
                discount: a.discount,
                lines: vec![PurchaseLineRequest {
                    sku: a.sku,
                    size: a.size,
                    price: a.price,
                    vat_rate: a.vat_rate,
                    quantity: a.qty,
                }],
            };
            let report = app.purchase_add(&req).await?;
            show(&report, a.format, render_purchase);
        }
        LedgerCommand::Inventory(InventoryCommand::List {
            status,
            sku,
            older_than,
            limit,
            format,
        }) => {
            let report = app
                .inventory_list(status.as_deref(), sku.as_deref(), older_than, limit)
                .await?;
            show(&report, format, render_list);
        }
        LedgerCommand::Inventory(InventoryCommand::Show { id, format }) => {
            let report = app.inventory_show(parse_id("id", &id)?).await?;
            show(&report, format, render_pair);
        }
        LedgerCommand::Inventory(InventoryCommand::Move {
            id,
            to,
            reason,
            format,
        }) => {
            let report = app
                .inventory_move(parse_id("id", &id)?, &to, reason.as_deref())
                .await?;
            show(&report, format, render_move);
        }
        LedgerCommand::Listing(ListingCommand::Add {
            id,
            platform,
            price,
            currency,
            format,
        }) => {
            let report = app
                .listing_add(parse_id("id", &id)?, &platform, &price, currency.as_deref())
                .await?;
            show(&report, format, render_listing);
        }
        LedgerCommand::Listing(ListingCommand::End { id, format }) => {
            let report = app.listing_end(parse_id("id", &id)?).await?;
            show(&report, format, render_listing);
        }
        LedgerCommand::Sale(SaleCommand::Record(a)) => {
            let mut fees = Vec::new();
            for f in &a.fees {
                let Some((kind, amount)) = f.split_once('=') else {
                    return Err(LedgerError::Invalid(format!(
                        "fee: `{f}` is not KIND=AMOUNT (e.g. transaction_fee=10.80)"
                    )));
                };
                fees.push((kind.to_owned(), amount.to_owned()));
            }
            let req = SaleRequest {
                pair: parse_id("id", &a.id)?,
                platform: a.platform,
                price: a.price,
                currency: a.currency,
                fees,
                payout: a.payout,
                date: opt_date("date", a.date.as_deref())?,
                level: a.level,
                region: a.region,
            };
            let report = app.sale_record(&req).await?;
            show(&report, a.format, render_sale);
        }
        LedgerCommand::Fees(FeesCommand::Quote {
            platform,
            level,
            price,
            currency,
            date,
            region,
            format,
        }) => {
            let quote = ledger::fees_quote(
                &platform,
                level.as_deref(),
                &price,
                &currency,
                opt_date("date", date.as_deref())?,
                region.as_deref(),
            )?;
            show(&quote, format, |q| {
                let mut out = format!(
                    "{} {} level {} on {}: price {}\n",
                    q.platform,
                    q.region,
                    q.level.as_deref().unwrap_or("-"),
                    q.date,
                    q.price
                );
                for l in &q.lines {
                    let rate = l
                        .rate_pct
                        .map(|r| format!(" ({r} % of {})", l.base))
                        .unwrap_or_default();
                    let _ = writeln!(
                        out,
                        "  {:<20} {:>12}{rate}  [{}]",
                        l.kind.label(),
                        l.amount,
                        l.row
                    );
                }
                let _ = writeln!(out, "  {:<20} {:>12}", "total fees", q.total_fees);
                let _ = writeln!(out, "  {:<20} {:>12}", "payout", q.payout);
                let _ = writeln!(out, "confidence: {}", q.confidence.label());
                out
            });
        }
        LedgerCommand::Report(ReportCommand::Pnl {
            from,
            to,
            by,
            format,
        }) => {
            let by = match by {
                None => PnlBy::All,
                Some(PnlGroup::Month) => PnlBy::Month,
                Some(PnlGroup::Platform) => PnlBy::Platform,
                Some(PnlGroup::Brand) => PnlBy::Brand,
            };
            let report = app
                .report_pnl(
                    opt_date("from", from.as_deref())?,
                    opt_date("to", to.as_deref())?,
                    by,
                )
                .await?;
            show(&report, format, render_pnl);
        }
        LedgerCommand::Report(ReportCommand::Stock { format }) => {
            let report = app.report_stock().await?;
            show(&report, format, render_stock);
        }
    }
    Ok(Outcome::Ok)
}

fn opt<T: std::fmt::Display>(v: Option<T>) -> String {
    v.map_or_else(|| "-".to_owned(), |v| v.to_string())
}

fn render_purchase(r: &PurchaseReport) -> String {
    let mut out = format!(
        "purchase {} ({} {}, {}, VAT {}): total cost {} {}\n",
        r.purchase_id,
        opt(r.supplier.as_deref()),
        opt(r.invoice.as_deref()),
        r.date,
        r.vat_treatment,
        r.total_cost,
        r.currency
    );
    for l in &r.lines {
        let _ = writeln!(
            out,
            "  line {}: {} {}{} x{} net {} VAT {} ({} %) gross {}",
            l.line_no,
            l.sku,
            l.size,
            if l.product_created {
                " (new product)"
            } else {
                ""
            },
            l.quantity,
            l.net,
            l.vat,
            l.vat_rate,
            l.gross
        );
        for p in &l.pairs {
            let _ = writeln!(out, "    pair {} cost {}", p.id, p.cost_basis);
        }
    }
    out
}

fn render_list(r: &InventoryList) -> String {
    let mut out = String::new();
    for p in &r.pairs {
        let _ = writeln!(
            out,
            "{}  {:<14} {:<12} {:<14} {:>5} d  {} {}",
            p.id,
            p.state.as_deref().unwrap_or("unknown"),
            p.sku,
            p.size,
            opt(p.age_days),
            opt(p.cost),
            p.currency
        );
    }
    let _ = writeln!(
        out,
        "{} pair(s){}",
        r.pairs.len(),
        if r.truncated {
            " (more: raise --limit)"
        } else {
            ""
        }
    );
    out
}

fn render_pair(r: &PairReport) -> String {
    let p = &r.pair;
    let mut out = format!(
        "pair {}: {} {} ({}), size {}\nstate {}, cost {} {}, in the books since {} ({} days)\n",
        p.id,
        p.sku,
        p.product_name,
        opt(p.brand.as_deref()),
        p.size,
        p.state.as_deref().unwrap_or("unknown"),
        opt(p.cost),
        p.currency,
        opt(p.entered_at.as_deref()),
        opt(p.age_days)
    );
    let next: Vec<&str> = r.allowed_next.iter().map(|s| s.label()).collect();
    let _ = writeln!(
        out,
        "allowed next: {}",
        if next.is_empty() {
            "none (final)".to_owned()
        } else {
            next.join(", ")
        }
    );
    out.push_str("events:\n");
    for e in &r.events {
        let _ = writeln!(
            out,
            "  {}  {} -> {}{}{}",
            e.at,
            e.from_state.as_deref().unwrap_or("-"),
            e.to_state.as_deref().unwrap_or("unknown"),
            e.reason
                .as_deref()
                .map(|x| format!("  {x}"))
                .unwrap_or_default(),
            e.legacy_status
                .as_deref()
                .map(|x| format!("  (old status {x:?})"))
                .unwrap_or_default()
        );
    }
    if !r.listings.is_empty() {
        out.push_str("listings:\n");
        for l in &r.listings {
            let _ = writeln!(
                out,
                "  {} {:<10} {} {} {}",
                l.id,
                l.platform,
                opt(l.price),
                l.currency,
                l.status
            );
        }
    }
    out
}

fn render_move(r: &MoveReport) -> String {
    format!(
        "pair {}: {} -> {}{}\n",
        r.id,
        opt(r.from),
        r.to,
        r.order_status
            .map(|s| format!(" (order {s})"))
            .unwrap_or_default()
    )
}

fn render_listing(r: &ListingReport) -> String {
    let l = &r.listing;
    format!(
        "listing {} of pair {} on {}: {} {} ({})\n",
        l.id,
        l.inventory_id,
        l.platform,
        opt(l.price),
        l.currency,
        l.status
    )
}

fn render_sale(r: &SaleReport) -> String {
    let mut out = format!(
        "order {}: pair {} sold on {} for {} {}, now {}\n",
        r.order_id, r.pair, r.platform, r.price, r.currency, r.state
    );
    for l in &r.lines {
        let _ = writeln!(out, "  {:<20} {:>10}  {}", l.kind, l.amount, l.source);
    }
    let _ = writeln!(
        out,
        "  {:<20} {:>10}{}",
        "payout",
        r.payout,
        if r.flagged {
            "  FLAGGED: the given payout did not balance; a derived line makes up the difference"
        } else {
            ""
        }
    );
    if let Some(note) = &r.schedule_note {
        let _ = writeln!(out, "fee schedule not used: {note}");
    }
    if r.listings_ended > 0 {
        let _ = writeln!(out, "{} other listing(s) ended", r.listings_ended);
    }
    out
}

fn render_pnl(r: &PnlReport) -> String {
    let mut out = format!(
        "P&L from {} to {}, by {}\n",
        opt(r.from.as_deref()),
        opt(r.to.as_deref()),
        r.by
    );
    for x in &r.rows {
        let _ = writeln!(
            out,
            "{} {}: {} orders, revenue {}, fees {} (transaction {}, processing {}, shipping {}, \
             top-up {}, cash-out {}, other {}), payouts {}, COGS {}, gross profit {}, ROI {} %, \
             avg days to sell {}{}",
            x.group,
            x.currency,
            x.orders,
            x.revenue,
            x.fee_transaction
                + x.fee_payment_processing
                + x.fee_shipping
                + x.fee_minimum_topup
                + x.fee_cash_out
                + x.fee_other,
            x.fee_transaction,
            x.fee_payment_processing,
            x.fee_shipping,
            x.fee_minimum_topup,
            x.fee_cash_out,
            x.fee_other,
            x.payouts,
            x.cogs,
            x.gross_profit,
            opt(x.roi_pct),
            opt(x.avg_days_to_sell),
            if x.orders_without_cost > 0 {
                format!(
                    " ({} order(s) without a known cost left out of profit)",
                    x.orders_without_cost
                )
            } else {
                String::new()
            }
        );
    }
    if r.rows.is_empty() {
        out.push_str("no sales in the period\n");
    }
    out
}

fn render_stock(r: &StockReport) -> String {
    let mut out = String::from("pairs in stock by state and age (days):\n");
    for x in &r.rows {
        let _ = writeln!(
            out,
            "  {:<10} {:>6}  {:>7} pairs  {:>14} {}",
            x.state, x.age_band, x.pairs, x.capital, x.currency
        );
    }
    for t in &r.totals {
        let _ = writeln!(
            out,
            "total {}: {} pairs, capital tied up {}",
            t.currency, t.pairs, t.capital
        );
    }
    if !r.oldest.is_empty() {
        out.push_str("oldest:\n");
        for p in &r.oldest {
            let _ = writeln!(
                out,
                "  {} {:<12} {:<10} {:>5} d  {}",
                p.id,
                p.sku,
                p.state.as_deref().unwrap_or("unknown"),
                opt(p.age_days),
                opt(p.cost)
            );
        }
    }
    out
}
