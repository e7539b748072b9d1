//! Upsert benchmark, run by `bench/prices.sh`.
//!
//! Needs a migrated database whose catalog (`products.products`, `products.sizes`) the rows can
//! point at, and an empty `integration.price_sources`. Builds N deterministic price rows (one
//! key each, 10% without a size, four sources, two currencies) and times, in this process:
//!
//! - `copy`: the floor, a COPY of the same rows into `bench.price_sources_copy`, an empty copy of
//!   `integration.price_sources` (same columns, indexes, checks and foreign keys);
//! - `insert`: `upsert_price_sources` of the N rows into the empty `integration.price_sources`;
//! - `change`: the same N rows again with every tenth price changed (10% updates, each
//!   appending one history row);
//! - `unchanged`: the same rows once more (nothing written).
//!
//! Prints one `name_ms=...` line per step and the history rows appended.
//!
//! Usage: `prices_upsert_bench --url URL [--rows N]`

use std::fmt::Write as _;
use std::time::Instant;

use soleflip_db::integration::{
    upsert_price_sources, Condition, NewPriceSource, PriceType, SourceType,
};
use soleflip_db::DbTarget;
use sqlx::types::chrono::{DateTime, Utc};
use sqlx::types::Uuid;

type Error = Box<dyn std::error::Error>;

#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), Error> {
    let mut url = None;
    let mut rows = 1_000_000_usize;
    let mut args = std::env::args().skip(1);
    while let Some(a) = args.next() {
        match a.as_str() {
            "--url" => url = args.next(),
            "--rows" => rows = args.next().ok_or("--rows needs a number")?.parse()?,
            other => return Err(format!("unknown argument {other}").into()),
        }
    }
    let url = url.ok_or("--url is required")?;
    let mut conn = DbTarget::from_url(&url)?.connect().await?;

    let catalog: Vec<(Uuid, Vec<Uuid>)> = sqlx::query_as(
        "select p.id, array(select s.id from products.sizes s \
                            where s.brand_id = p.brand_id order by s.value) \
         from products.products p order by p.sku",
    )
    .fetch_all(&mut conn)
    .await?;
    if catalog.is_empty() {
        return Err("no products: load the catalog first".into());
    }
    let base = Utc::now().timestamp() - 7200;
    let first = generate(&catalog, rows, base, false);

    sqlx::raw_sql(
        "create schema if not exists bench;
         drop table if exists bench.price_sources_copy;
         create table bench.price_sources_copy (like integration.price_sources including all);
         alter table bench.price_sources_copy
             add foreign key (product_id) references products.products (id) on delete cascade,
             add foreign key (size_id) references products.sizes (id) on delete set null,
             add foreign key (supplier_id) references core.suppliers (id) on delete set null;",
    )
    .execute(&mut conn)
    .await?;
    let t = Instant::now();
    copy_floor(&mut conn, &first).await?;
    println!("copy_ms={}", t.elapsed().as_millis());
    sqlx::raw_sql("drop table bench.price_sources_copy")
        .execute(&mut conn)
        .await?;

    let t = Instant::now();
    let o = upsert_price_sources(&mut conn, &first).await?;
    println!(
        "insert_ms={} inserted={}",
        t.elapsed().as_millis(),
        o.inserted
    );

    let changed = generate(&catalog, rows, base, true);
    let t = Instant::now();
    let o = upsert_price_sources(&mut conn, &changed).await?;
    println!(
        "change_ms={} updated={}",
        t.elapsed().as_millis(),
        o.updated
    );

    let t = Instant::now();
    let o = upsert_price_sources(&mut conn, &changed).await?;
    println!(
        "unchanged_ms={} unchanged={}",
        t.elapsed().as_millis(),
        o.unchanged
    );
    let history: i64 = sqlx::query_scalar("select count(*) from integration.price_history")
        .fetch_one(&mut conn)
        .await?;
    println!("history_rows={history}");
    Ok(())
}

/// N rows, one key each; with `changed`, every tenth has a new price, observed an hour later.
fn generate(
    catalog: &[(Uuid, Vec<Uuid>)],
    n: usize,
    base: i64,
    changed: bool,
) -> Vec<NewPriceSource> {
    const SOURCES: [SourceType; 4] = [
        SourceType::Stockx,
        SourceType::Goat,
        SourceType::Ebay,
        SourceType::Awin,
    ];
    (0..n)
        .map(|i| {
            let (product, sizes) = &catalog[i % catalog.len()];
            let size = if i % 10 == 0 || sizes.is_empty() {
                None
            } else {
                sizes.get((i / catalog.len()) % sizes.len()).copied()
            };
            let change = changed && i % 10 == 3;
            let cents = 5_000 + i32::try_from(i * 7_919 % 40_000).unwrap_or(0);
            let seconds = base - i64::try_from(i % 1_000).unwrap_or(0);
            NewPriceSource {
                product_id: *product,
                size_id: size,
                source_type: SOURCES[i % 4],
                source_product_id: format!("B-{i}"),
                source_name: Some("bench".to_string()),
                price_type: PriceType::Resale,
                price_cents: if change { cents + 100 } else { cents },
                currency: if i % 7 == 0 { "GBP" } else { "EUR" }.to_string(),
                stock_quantity: Some(i32::try_from(i % 13).unwrap_or(0)),
                in_stock: i % 3 != 0,
                condition: Some(Condition::New),
                source_url: None,
                affiliate_link: None,
                supplier_id: None,
                metadata: Some(serde_json::json!({ "variant_id": i })),
                last_updated: DateTime::from_timestamp(
                    if change { seconds + 3_600 } else { seconds },
                    0,
                ),
            }
        })
        .collect()
}

/// COPY of `rows` into the empty copy of price_sources, in the upsert's text format.
async fn copy_floor(conn: &mut sqlx::PgConnection, rows: &[NewPriceSource]) -> Result<(), Error> {
    let mut copy = conn
        .copy_in_raw(
            "copy bench.price_sources_copy (product_id, size_id, source_type, \
             source_product_id, source_name, price_type, price_cents, currency, stock_quantity, \
             in_stock, condition, source_url, affiliate_link, supplier_id, metadata, \
             last_updated) from stdin",
        )
        .await?;
    let mut buf = String::new();
    for r in rows {
        let _ = writeln!(
            buf,
            "{}\t{}\t{}\t{}\t{}\t{}\t{}\t{}\t{}\t{}\t{}\t\\N\t\\N\t\\N\t{}\t{}",
            r.product_id,
            r.size_id.map_or("\\N".to_string(), |s| s.to_string()),
            r.source_type,
            r.source_product_id,
            r.source_name.as_deref().unwrap_or("\\N"),
            r.price_type,
            r.price_cents,
            r.currency,
            r.stock_quantity
                .map_or("\\N".to_string(), |q| q.to_string()),
            if r.in_stock { "t" } else { "f" },
            r.condition.map_or("\\N", Condition::label),
            r.metadata
                .as_ref()
                .map_or("\\N".to_string(), ToString::to_string),
            r.last_updated.map_or("\\N".to_string(), |t| t.to_rfc3339()),
        );
        if buf.len() > 1 << 22 {
            copy.send(std::mem::take(&mut buf).into_bytes()).await?;
        }
    }
    copy.send(buf.into_bytes()).await?;
    copy.finish().await?;
    Ok(())
}
