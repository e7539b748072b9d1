//! `soleflip match run|list|accept|reject` (retail offers to the variant catalog, and the review
//! queue) and `soleflip arbitrage list` (what a matched offer earns on StockX after fees).

use std::fmt::Write as _;

use clap::{Args, Subcommand};
use soleflip_app::arbitrage::{ArbitrageOptions, ArbitrageReport, Side};
use soleflip_app::matching::{DecisionReport, MatchPage, MatchRunReport, MatchStatus};
use soleflip_app::App;
use soleflip_app::{Decimal, Uuid};

use crate::cli::Format;
use crate::output::show;
use crate::Outcome;

#[derive(Debug, Subcommand)]
pub enum MatchCommand {
    /// Run the cascade over every offer without a decision: GTIN, then style code + size,
    /// else the review queue
    Run {
        /// Output: text for people, json for scripts
        #[arg(long, value_enum, default_value_t = Format::Text)]
        format: Format,
    },
    /// Decisions, newest first: --status review is the review queue
    List {
        /// matched, review or rejected (all when absent)
        #[arg(long)]
        status: Option<String>,
        /// Rows per page (1-500)
        #[arg(long, default_value_t = 50)]
        limit: i64,
        /// The next_cursor of the previous page
        #[arg(long)]
        cursor: Option<String>,
        /// Output: text for people, json for scripts
        #[arg(long, value_enum, default_value_t = Format::Text)]
        format: Format,
    },
    /// Accept a proposal (give --size when the size was what was in question)
    Accept {
        /// The match id (from `match list`)
        id: Uuid,
        /// The size, as a label on the product's brand chart (`US 9`, `EU 42.5`)
        #[arg(long)]
        size: Option<String>,
        /// Output: text for people, json for scripts
        #[arg(long, value_enum, default_value_t = Format::Text)]
        format: Format,
    },
    /// Reject a match or proposal: remembered, never proposed again
    Reject {
        /// The match id (from `match list`)
        id: Uuid,
        /// Output: text for people, json for scripts
        #[arg(long, value_enum, default_value_t = Format::Text)]
        format: Format,
    },
}

#[derive(Debug, Subcommand)]
pub enum ArbitrageCommand {
    /// Matched in-stock offers with their StockX payout and profit, best first
    List(ArbitrageArgs),
}

#[derive(Debug, Args)]
pub struct ArbitrageArgs {
    /// Least profit (the better of selling now and listing), in the resale currency
    #[arg(long, default_value = "0")]
    pub min_profit: Decimal,
    /// Least ROI in percent (the better of the two)
    #[arg(long, default_value = "0")]
    pub min_roi: Decimal,
    /// The resale platform whose fees apply
    #[arg(long, default_value = "stockx")]
    pub platform: String,
    /// Your seller level on it
    #[arg(long, default_value = "1")]
    pub level: String,
    /// Your seller region on it
    #[arg(long, default_value = "EU")]
    pub region: String,
    /// The resale currency (buy costs are converted into it)
    #[arg(long, default_value = "EUR")]
    pub currency: String,
    /// Only what is new or changed materially since the last --new run
    #[arg(long)]
    pub new: bool,
    /// At most this many (1-10000)
    #[arg(long, default_value_t = 50)]
    pub limit: i64,
    /// Output: text for people, json for scripts
    #[arg(long, value_enum, default_value_t = Format::Text)]
    pub format: Format,
}

pub async fn run_match(cmd: MatchCommand, app: &App) -> anyhow::Result<Outcome> {
    match cmd {
        MatchCommand::Run { format } => show(&app.match_run().await?, format, run_text),
        MatchCommand::List {
            status,
            limit,
            cursor,
            format,
        } => {
            let status = status
                .as_deref()
                .map(str::parse::<MatchStatus>)
                .transpose()?;
            let page = app.match_list(status, cursor.as_deref(), limit).await?;
            show(&page, format, list_text);
        }
        MatchCommand::Accept { id, size, format } => {
            let d = app.match_accept(id, size.as_deref(), None).await?;
            show(&d, format, decision_text);
        }
        MatchCommand::Reject { id, format } => {
            let d = app.match_reject(id, None).await?;
            show(&d, format, decision_text);
        }
    }
    Ok(Outcome::Ok)
}

pub async fn run_arbitrage(cmd: ArbitrageCommand, app: &App) -> anyhow::Result<Outcome> {
    let ArbitrageCommand::List(a) = cmd;
    let options = ArbitrageOptions {
        platform: a.platform,
        region: a.region,
        level: Some(a.level),
        currency: a.currency,
        min_profit: a.min_profit,
        min_roi_pct: a.min_roi,
        limit: a.limit,
        new_only: a.new,
        ..ArbitrageOptions::default()
    };
    show(
        &app.arbitrage_list(&options).await?,
        a.format,
        arbitrage_text,
    );
    Ok(Outcome::Ok)
}

fn run_text(r: &MatchRunReport) -> String {
    format!(
        "matched by GTIN: {}\nmatched by style code and size: {}\nsent to review: {}\n\
         proposals settled by a GTIN: {}\n({} ms)\n",
        r.by_gtin, r.by_style_size, r.to_review, r.settled_by_gtin, r.elapsed_ms
    )
}

fn list_text(p: &MatchPage) -> String {
    let mut out = String::new();
    if p.matches.is_empty() {
        out.push_str("no matches\n");
    }
    for m in &p.matches {
        let variant = match (&m.sku, &m.size_key) {
            (Some(sku), Some(size)) => format!("{sku} {size}"),
            (Some(sku), None) => format!("{sku} (size?)"),
            _ => "-".into(),
        };
        let _ = writeln!(
            out,
            "{}  {:<8} {:<10} {} #{} `{}` size `{}` -> {}{}",
            m.id,
            m.status,
            m.method,
            m.merchant_name.as_deref().unwrap_or("merchant"),
            m.merchant_product_id,
            m.product_name.as_deref().unwrap_or(""),
            m.offer_size.as_deref().unwrap_or(""),
            variant,
            m.reason
                .as_deref()
                .map(|r| format!("  ({r})"))
                .unwrap_or_default()
        );
    }
    if let Some(c) = &p.next_cursor {
        let _ = writeln!(out, "more: --cursor {c}");
    }
    out
}

fn decision_text(d: &DecisionReport) -> String {
    format!(
        "match {}: {} (offer {}, variant {})\n",
        d.id,
        d.status,
        d.offer_id,
        d.variant_id.as_deref().unwrap_or("-")
    )
}

fn arbitrage_text(r: &ArbitrageReport) -> String {
    let mut out = format!(
        "{} {} level {} in {} (fees as of {}); {}\n",
        r.platform,
        r.region,
        r.level.as_deref().unwrap_or("-"),
        r.currency,
        r.fee_date.format("%Y-%m-%d"),
        r.vat_treatment
    );
    if r.opportunities.is_empty() {
        out.push_str(if r.new_only {
            "nothing new or changed\n"
        } else {
            "no opportunities\n"
        });
    }
    let side = |name: &str, s: &Option<Side>| match s {
        Some(s) => format!(
            "{name} {} -> payout {} profit {} ({}%, price {}h old)",
            s.price, s.payout, s.profit, s.roi_pct, s.price_age_hours
        ),
        None => format!("{name}: no price"),
    };
    for o in &r.opportunities {
        let _ = writeln!(
            out,
            "{}{} {} [{}] from {} #{}: buy {} {} (price {} + delivery {} {}{}), matched by {}",
            o.novelty.map(|n| format!("[{n}] ")).unwrap_or_default(),
            o.sku,
            o.product,
            o.size,
            o.merchant_name.as_deref().unwrap_or("merchant"),
            o.merchant_product_id,
            o.buy_cost,
            r.currency,
            o.retail_price,
            o.delivery_cost,
            o.offer_currency,
            o.fx.as_ref()
                .map(|f| format!(
                    "; {} {}->{} {} {}",
                    f.source,
                    f.from,
                    f.to,
                    f.rate,
                    f.date.map(|d| d.to_string()).unwrap_or_default()
                ))
                .unwrap_or_default(),
            o.matched_by
        );
        let _ = writeln!(
            out,
            "    {}; {}",
            side("sell now", &o.sell_now),
            side("list", &o.list)
        );
    }
    let _ = writeln!(
        out,
        "{} shown; {} prices quoted ({} ms)",
        r.opportunities.len(),
        r.prices_quoted,
        r.elapsed_ms
    );
    out
}
