//! `soleflip stockx`: connect (credentials from stdin, encrypted at rest), disconnect, status,
//! rotate-key, and the syncs (prices, orders, listings, catalog). Settings come from the
//! environment (`SOLEFLIP_STOCKX_*`, `SOLEFLIP_SECRET_KEY`); credentials never from the command
//! line or the environment, only from stdin.

use std::fmt::Write as _;
use std::io::{IsTerminal as _, Read as _};

use clap::{Args, Subcommand};
use secrecy::SecretString;
use soleflip_app::stockx::catalog::{CatalogReport, CatalogSource};
use soleflip_app::stockx::sync::{ListingsReport, OrdersReport, PricesReport, Stopped};
use soleflip_app::stockx::{Credentials, StatusReport, StockxSettings, FIELDS};
use soleflip_app::App;

use crate::cli::Format;
use crate::output::show;
use crate::Outcome;

#[derive(Debug, Subcommand)]
pub enum StockxCommand {
    /// Store the StockX credentials, encrypted: client id, client secret, API key and refresh
    /// token, read from stdin (a JSON object, or four lines) or prompted for on a terminal
    Connect(FormatArg),
    /// Remove the stored credentials
    Disconnect(FormatArg),
    /// Whether StockX is connected (never any secret), the key in use, the sync jobs
    Status(FormatArg),
    /// Re-encrypt the credentials with a new key (the key file is replaced; with
    /// SOLEFLIP_SECRET_KEY, the new key comes from SOLEFLIP_SECRET_KEY_NEW)
    RotateKey(FormatArg),
    /// Sync from StockX: prices, orders, listings, catalog
    #[command(subcommand)]
    Sync(SyncCommand),
}

#[derive(Debug, Args)]
pub struct FormatArg {
    /// Output: text for people, json for scripts
    #[arg(long, value_enum, default_value_t = Format::Text)]
    pub format: Format,
}

#[derive(Debug, Subcommand)]
pub enum SyncCommand {
    /// Market data (lowest ask, highest bid) of every known StockX variant into price_sources
    Prices(FormatArg),
    /// Completed orders into the ledger (one order per order number, with the report importer)
    Orders(OrdersArgs),
    /// StockX's listings onto the ledger's StockX listings
    Listings(FormatArg),
    /// StockX products and variants (sizes from StockX's chart, GTINs, variant ids) into the
    /// variant catalog: one style code, one GTIN, the products in the inventory, or the GTINs
    /// of retail offers no variant has yet
    Catalog(CatalogArgs),
}

#[derive(Debug, Args)]
#[command(group(
    clap::ArgGroup::new("what")
        .required(true)
        .multiple(false)
        .args(["sku", "gtin", "from_inventory", "from_offers"])
))]
pub struct CatalogArgs {
    /// A style code, e.g. DD1391-100
    #[arg(long)]
    pub sku: Option<String>,
    /// A GTIN (EAN-13, UPC-A, GTIN-14)
    #[arg(long)]
    pub gtin: Option<String>,
    /// Every product with pairs in the inventory
    #[arg(long)]
    pub from_inventory: bool,
    /// The GTINs of retail offers that no variant has yet
    #[arg(long)]
    pub from_offers: bool,
    /// Output: text for people, json for scripts
    #[arg(long, value_enum, default_value_t = Format::Text)]
    pub format: Format,
}

#[derive(Debug, Args)]
pub struct OrdersArgs {
    /// Only orders created on or after this date (YYYY-MM-DD)
    #[arg(long, value_name = "DATE")]
    pub from: Option<chrono::NaiveDate>,
    /// Output: text for people, json for scripts
    #[arg(long, value_enum, default_value_t = Format::Text)]
    pub format: Format,
}

fn settings() -> anyhow::Result<StockxSettings> {
    Ok(StockxSettings::from_env()?)
}

/// The credentials from stdin: prompted (hidden) on a terminal, else read whole.
fn read_credentials() -> anyhow::Result<Credentials> {
    if std::io::stdin().is_terminal() {
        let mut lines = String::new();
        for (name, _) in FIELDS {
            let v = rpassword::prompt_password(format!("StockX {}: ", name.replace('_', " ")))?;
            lines.push_str(&v);
            lines.push('\n');
        }
        return Ok(Credentials::parse(&lines)?);
    }
    let mut text = String::new();
    std::io::stdin()
        .take(64 * 1024)
        .read_to_string(&mut text)
        .map_err(|e| anyhow::anyhow!("reading the credentials from stdin: {e}"))?;
    Ok(Credentials::parse(&text)?)
}

pub async fn run(cmd: StockxCommand, app: &App) -> anyhow::Result<Outcome> {
    let settings = settings()?;
    match cmd {
        StockxCommand::Connect(a) => {
            let creds = read_credentials()?;
            let r = app.stockx_connect(&settings, &creds).await?;
            show(&r, a.format, |r| {
                format!(
                    "stockx connect: {} credential fields stored, encrypted with key {} ({}{})\n",
                    r.stored.len(),
                    r.key_id,
                    r.key_source,
                    if r.key_created { ", created now" } else { "" }
                )
            });
        }
        StockxCommand::Disconnect(a) => {
            let r = app.stockx_disconnect().await?;
            show(&r, a.format, |r| {
                format!("stockx disconnect: {} stored value(s) removed\n", r.removed)
            });
        }
        StockxCommand::Status(a) => {
            let r = app.stockx_status(&settings).await?;
            show(&r, a.format, status_text);
        }
        StockxCommand::RotateKey(a) => {
            let new = std::env::var("SOLEFLIP_SECRET_KEY_NEW")
                .ok()
                .filter(|v| !v.is_empty())
                .map(SecretString::from);
            let r = app.stockx_rotate_key(&settings, new.as_ref()).await?;
            show(&r, a.format, |r| {
                format!(
                    "stockx rotate-key: {} value(s) re-encrypted; key {} replaced by {} ({})\n",
                    r.re_encrypted, r.old_key_id, r.new_key_id, r.key_source
                )
            });
        }
        StockxCommand::Sync(SyncCommand::Prices(a)) => {
            let r = app.stockx_sync_prices(&settings).await?;
            show(&r, a.format, prices_text);
        }
        StockxCommand::Sync(SyncCommand::Orders(a)) => {
            let r = app.stockx_sync_orders(&settings, a.from).await?;
            show(&r, a.format, orders_text);
        }
        StockxCommand::Sync(SyncCommand::Catalog(a)) => {
            let source = match (a.sku, a.gtin) {
                (Some(s), _) => CatalogSource::Sku(s),
                (None, Some(g)) => CatalogSource::Gtin(g),
                (None, None) if a.from_inventory => CatalogSource::FromInventory,
                (None, None) => CatalogSource::FromOffers,
            };
            let r = app.stockx_sync_catalog(&settings, &source).await?;
            show(&r, a.format, catalog_text);
        }
        StockxCommand::Sync(SyncCommand::Listings(a)) => {
            let r = app.stockx_sync_listings(&settings).await?;
            show(&r, a.format, listings_text);
        }
    }
    Ok(Outcome::Ok)
}

fn status_text(r: &StatusReport) -> String {
    let mut s = String::new();
    let _ = writeln!(
        s,
        "stockx: {}",
        if r.connected {
            "connected"
        } else {
            "not connected"
        }
    );
    if !r.fields.is_empty() && !r.connected {
        let _ = writeln!(s, "  stored fields: {}", r.fields.join(", "));
    }
    let _ = writeln!(s, "  key: {}", r.key_source);
    match r.key_ok {
        Some(true) => s.push_str("  the key decrypts every stored value\n"),
        Some(false) => s.push_str("  THE KEY DOES NOT DECRYPT the stored values\n"),
        None => {}
    }
    let _ = writeln!(s, "  api: {}", r.api_url);
    if let Some(n) = r.requests_in_window {
        let _ = writeln!(s, "  requests in the current 24-hour window: {n}");
    }
    for j in &r.jobs {
        let _ = writeln!(
            s,
            "  {}: {} (started {}{})",
            j.job,
            if j.status == "running" {
                "interrupted or running; the next run resumes"
            } else {
                "finished"
            },
            j.started_at,
            j.finished_at
                .as_deref()
                .map(|f| format!(", finished {f}"))
                .unwrap_or_default()
        );
    }
    s
}

fn stopped_line(s: &mut String, stopped: &Option<Stopped>, resumed: bool) {
    if resumed {
        s.push_str("  resumed an interrupted run from its checkpoint\n");
    }
    if let Some(st) = stopped {
        let _ = writeln!(
            s,
            "  STOPPED: {} (the checkpoint is kept; the next run resumes)",
            st.reason
        );
    }
}

fn prices_text(r: &PricesReport) -> String {
    let mut s = String::new();
    let _ = writeln!(
        s,
        "stockx sync prices: {} products, {} variants; {} quotes, {} without a quote ({} marked out of stock), {} variants missing at StockX ({} ms)",
        r.products_fetched, r.variants, r.quotes, r.no_quote, r.marked_out_of_stock, r.variants_missing, r.elapsed_ms
    );
    let _ = writeln!(
        s,
        "  price_sources: {} new, {} changed, {} unchanged",
        r.rows.inserted, r.rows.updated, r.rows.unchanged
    );
    let _ = writeln!(
        s,
        "  StockX requests: {} ({} retries, {} token refreshes)",
        r.calls.requests, r.calls.retries, r.calls.token_refreshes
    );
    stopped_line(&mut s, &r.stopped, r.resumed);
    s
}

fn orders_text(r: &OrdersReport) -> String {
    let mut s = String::new();
    let _ = writeln!(
        s,
        "stockx sync orders{}: {} orders in {} pages; {} imported, {} already present, {} rejected ({} ms)",
        r.from.as_deref().map(|f| format!(" from {f}")).unwrap_or_default(),
        r.orders_fetched,
        r.pages,
        r.imported,
        r.already_present,
        r.rejected.len(),
        r.elapsed_ms
    );
    if !r.skipped.is_empty() {
        let list: Vec<String> = r.skipped.iter().map(|(k, v)| format!("{k} {v}")).collect();
        let _ = writeln!(s, "  not sales (skipped): {}", list.join(", "));
    }
    for line in &r.rejected {
        let _ = writeln!(s, "  rejected: {line}");
    }
    let _ = writeln!(
        s,
        "  pairs: {} taken from stock, {} created at unknown cost; {} products created",
        r.pairs_matched, r.pairs_created_cost_unknown, r.products_created
    );
    let _ = writeln!(
        s,
        "  StockX requests: {} ({} retries, {} token refreshes)",
        r.calls.requests, r.calls.retries, r.calls.token_refreshes
    );
    stopped_line(&mut s, &r.stopped, r.resumed);
    s
}

fn listings_text(r: &ListingsReport) -> String {
    let mut s = String::new();
    let list: Vec<String> = r
        .by_status
        .iter()
        .map(|(k, v)| format!("{k} {v}"))
        .collect();
    let _ = writeln!(
        s,
        "stockx sync listings: {} listings in {} pages ({}); {} on pairs of the ledger, {} changed, {} listed outside SoleFlip ({} ms)",
        r.fetched,
        r.pages,
        list.join(", "),
        r.matched,
        r.changed,
        r.unlinked,
        r.elapsed_ms
    );
    stopped_line(&mut s, &r.stopped, r.resumed);
    s
}

fn catalog_text(r: &CatalogReport) -> String {
    let mut s = String::new();
    let _ = writeln!(
        s,
        "stockx sync catalog: {} lookups, {} StockX products ({} new to the catalog), {} variants; {} variant ids and {} GTINs linked ({} ms)",
        r.lookups, r.products, r.products_created, r.variants, r.variant_links, r.gtin_links, r.elapsed_ms
    );
    if r.gtins_invalid > 0 {
        let _ = writeln!(
            s,
            "  {} GTINs failed their check digit (not stored)",
            r.gtins_invalid
        );
    }
    for n in &r.not_found {
        let _ = writeln!(s, "  not found at StockX: {n}");
    }
    let _ = writeln!(
        s,
        "  StockX requests: {} ({} retries, {} token refreshes)",
        r.calls.requests, r.calls.retries, r.calls.token_refreshes
    );
    stopped_line(&mut s, &r.stopped, r.resumed);
    s
}
