//! The floor of `bench/stockx.sh`: the StockX price rows a `stockx sync prices` run wrote,
//! written again through `upsert_price_sources` alone, in the same steps (the rows of 100
//! StockX products per call, each call its own transaction, as the sync writes them), into an
//! `integration.price_sources` without them. Reads the rows and deletes them first (not timed),
//! then prints `rows=N upsert_ms=M`.
//!
//! Usage: `stockx_upsert_floor --url URL`

use std::time::Instant;

use soleflip_db::integration::{
    upsert_price_sources, Condition, NewPriceSource, PriceType, SourceType,
};
use soleflip_db::DbTarget;
use sqlx::types::chrono::{DateTime, Utc};
use sqlx::types::Uuid;

type Error = Box<dyn std::error::Error>;

type Row = (
    String,
    Uuid,
    Option<Uuid>,
    String,
    i32,
    String,
    bool,
    Option<DateTime<Utc>>,
);

#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), Error> {
    let mut args = std::env::args().skip(1);
    let url = match (args.next().as_deref(), args.next()) {
        (Some("--url"), Some(u)) => u,
        _ => return Err("usage: stockx_upsert_floor --url URL".into()),
    };
    let mut conn = DbTarget::from_url(&url)?.connect().await?;
    let rows: Vec<Row> = sqlx::query_as(
        "select p.stockx_product_id, ps.product_id, ps.size_id, ps.source_product_id, \
                ps.price_cents, ps.currency, ps.in_stock, ps.last_updated \
           from integration.price_sources ps \
           join products.products p on p.id = ps.product_id \
          where ps.source_type = 'stockxapi' \
          order by p.stockx_product_id, ps.source_product_id",
    )
    .fetch_all(&mut conn)
    .await?;
    if rows.is_empty() {
        return Err("no stockxapi prices: run `soleflip stockx sync prices` first".into());
    }
    sqlx::query("delete from integration.price_sources where source_type = 'stockxapi'")
        .execute(&mut conn)
        .await?;
    sqlx::query("vacuum analyze integration.price_sources")
        .execute(&mut conn)
        .await?;
    // The sync's steps: the rows of 100 StockX products per call.
    let mut steps: Vec<Vec<NewPriceSource>> = Vec::new();
    let mut products = 0;
    let mut last = String::new();
    for (stockx, product_id, size_id, id, cents, currency, in_stock, at) in rows.iter().cloned() {
        if stockx != last {
            if products % 100 == 0 {
                steps.push(Vec::new());
            }
            products += 1;
            last = stockx;
        }
        if let Some(step) = steps.last_mut() {
            step.push(NewPriceSource {
                product_id,
                size_id,
                source_type: SourceType::Stockxapi,
                source_product_id: id,
                source_name: Some("StockX API market data".into()),
                price_type: PriceType::Resale,
                price_cents: cents,
                currency,
                stock_quantity: None,
                in_stock,
                condition: Some(Condition::New),
                source_url: None,
                affiliate_link: None,
                supplier_id: None,
                metadata: None,
                last_updated: at,
            });
        }
    }
    let t = Instant::now();
    for step in &steps {
        upsert_price_sources(&mut conn, step).await?;
    }
    println!("rows={} upsert_ms={}", rows.len(), t.elapsed().as_millis());
    Ok(())
}
