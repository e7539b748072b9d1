//! AWIN retail feeds in the `integration` schema, and reference FX rates in `core`: the staging
//! table a feed is copied into, the set-based merge into `integration.awin_products` (whose
//! row trigger appends the history of real changes), the marking of offers a full feed
//! no longer carries, and the upsert of rates. The rules that read a feed row are the app
//! layer's (`soleflip_app::awin`); every statement here runs in the caller's transaction.

use sqlx::postgres::{PgConnection, PgCopyIn};
use sqlx::types::{Decimal, Uuid};
use sqlx::Executor as _;

/// One feed row, validated, as it is staged. Text is borrowed from the reader's buffer.
#[derive(Debug, Default, Clone)]
pub struct StageRow<'a> {
    /// The line the row starts on (1-based, the header being line 1 of a CSV).
    pub line: u64,
    pub merchant_id: i32,
    pub merchant_product_id: &'a str,
    pub awin_product_id: Option<&'a str>,
    pub merchant_name: Option<&'a str>,
    pub data_feed_id: Option<i32>,
    pub product_name: &'a str,
    pub brand_name: Option<&'a str>,
    pub brand_id: Option<i32>,
    pub ean: Option<&'a str>,
    pub product_gtin: Option<&'a str>,
    pub upc: Option<&'a str>,
    /// The first valid GTIN, padded to 14 digits.
    pub gtin: Option<&'a str>,
    pub mpn: Option<&'a str>,
    pub product_model: Option<&'a str>,
    pub search_price: Decimal,
    pub store_price: Option<Decimal>,
    pub rrp_price: Option<Decimal>,
    pub delivery_cost: Option<Decimal>,
    pub currency: &'a str,
    pub description: Option<&'a str>,
    pub short_description: Option<&'a str>,
    pub colour: Option<&'a str>,
    pub size: Option<&'a str>,
    pub in_stock: bool,
    pub stock_quantity: Option<i32>,
    pub delivery_time: Option<&'a str>,
    pub image_url: Option<&'a str>,
    pub thumbnail_url: Option<&'a str>,
    pub affiliate_link: Option<&'a str>,
    pub merchant_link: Option<&'a str>,
    pub parent_product_id: Option<&'a str>,
}

/// Staged rows encoded in COPY's text format, sent in chunks as they fill.
#[derive(Debug, Default)]
pub struct StageBuffer {
    buf: Vec<u8>,
}

impl StageBuffer {
    /// Appends one row (the column order of [`STAGE_COPY`]).
    pub fn push(&mut self, r: &StageRow<'_>) {
        let b = &mut self.buf;
        put(b, &r.line.to_string());
        put(b, &r.merchant_id.to_string());
        put_text(b, Some(r.merchant_product_id));
        put_text(b, r.awin_product_id);
        put_text(b, r.merchant_name);
        put_num(b, r.data_feed_id);
        put_text(b, Some(r.product_name));
        put_text(b, r.brand_name);
        put_num(b, r.brand_id);
        put_text(b, r.ean);
        put_text(b, r.product_gtin);
        put_text(b, r.upc);
        put_text(b, r.gtin);
        put_text(b, r.mpn);
        put_text(b, r.product_model);
        put_num(b, Some(r.search_price));
        put_num(b, r.store_price);
        put_num(b, r.rrp_price);
        put_num(b, r.delivery_cost);
        put_text(b, Some(r.currency));
        put_text(b, r.description);
        put_text(b, r.short_description);
        put_text(b, r.colour);
        put_text(b, r.size);
        put(b, if r.in_stock { "t" } else { "f" });
        put_num(b, r.stock_quantity);
        put_text(b, r.delivery_time);
        put_text(b, r.image_url);
        put_text(b, r.thumbnail_url);
        put_text(b, r.affiliate_link);
        put_text(b, r.merchant_link);
        put_text(b, r.parent_product_id);
        // the last separator becomes the line's end
        if let Some(last) = b.last_mut() {
            *last = b'\n';
        }
    }

    pub fn len(&self) -> usize {
        self.buf.len()
    }

    pub fn is_empty(&self) -> bool {
        self.buf.is_empty()
    }

    /// The encoded rows, leaving the buffer empty.
    pub fn take(&mut self) -> Vec<u8> {
        std::mem::take(&mut self.buf)
    }
}

fn put(b: &mut Vec<u8>, raw: &str) {
    b.extend_from_slice(raw.as_bytes());
    b.push(b'\t');
}

fn put_num(b: &mut Vec<u8>, v: Option<impl std::fmt::Display>) {
    match v {
        Some(v) => put(b, &v.to_string()),
        None => put(b, "\\N"),
    }
}

fn put_text(b: &mut Vec<u8>, v: Option<&str>) {
    crate::copy_text::push_bytes(b, v);
    b.push(b'\t');
}

const STAGE_COPY: &str = "copy awin_stage (line, merchant_id, merchant_product_id, \
     awin_product_id, merchant_name, data_feed_id, product_name, brand_name, brand_id, ean, \
     product_gtin, upc, gtin, mpn, product_model, search_price, store_price, rrp_price, \
     delivery_cost, currency, description, short_description, colour, size, in_stock, \
     stock_quantity, delivery_time, image_url, thumbnail_url, affiliate_link, merchant_link, \
     parent_product_id) from stdin";

/// Creates the staging table (dropped at commit) and starts the COPY into it. Send the
/// [`StageBuffer`] chunks, then `finish` (or `abort` on bad input).
pub async fn begin_stage(
    conn: &mut PgConnection,
) -> Result<PgCopyIn<&mut PgConnection>, sqlx::Error> {
    conn.execute(include_str!("awin/stage.sql")).await?;
    conn.copy_in_raw(STAGE_COPY).await
}

/// Keeps one row per offer (the last line) in `awin_incoming`, analyzed for the merge, and
/// returns the earlier lines of offers the file gives more than once: (line, the later line
/// that wins), in line order. A file without duplicates (the usual case) is not sorted at all:
/// its staging table becomes `awin_incoming` as it is.
pub async fn dedupe_stage(conn: &mut PgConnection) -> Result<Vec<(i64, i64)>, sqlx::Error> {
    // The sorts and hashes of a million staged rows fit in memory (the default 4 MB spills
    // them to disk). For the caller's transaction only.
    // Statistics of the key only: the plans join and group on it, and analyzing the 90 text
    // columns of a wide feed cost more than the check itself (0.4 s of a 200,000-row import).
    conn.execute(
        "set local work_mem = '256MB'; analyze awin_stage (merchant_id, merchant_product_id)",
    )
    .await?;
    let repeated: bool = sqlx::query_scalar(
        "select exists (select 1 from awin_stage \
                        group by merchant_id, merchant_product_id having count(*) > 1)",
    )
    .fetch_one(&mut *conn)
    .await?;
    if !repeated {
        conn.execute("alter table awin_stage rename to awin_incoming")
            .await?;
        return Ok(Vec::new());
    }
    let superseded = sqlx::query_as(
        "select line, winner from ( \
             select line, last_value(line) over w as winner from awin_stage \
             window w as (partition by merchant_id, merchant_product_id order by line \
                          rows between unbounded preceding and unbounded following)) x \
         where line <> winner order by line",
    )
    .fetch_all(&mut *conn)
    .await?;
    conn.execute(include_str!("awin/incoming.sql")).await?;
    Ok(superseded)
}

/// Records the import batch and makes it the batch the history trigger stamps.
pub async fn insert_batch(
    conn: &mut PgConnection,
    total_records: i32,
) -> Result<Uuid, sqlx::Error> {
    let id: Uuid = sqlx::query_scalar(
        "insert into integration.import_batches (source, total_records, status, completed_at) \
         values ('awin', $1, 'completed', now()) returning id",
    )
    .bind(total_records)
    .fetch_one(&mut *conn)
    .await?;
    sqlx::query("select set_config('soleflip.awin_batch_id', $1, true)")
        .bind(id.to_string())
        .execute(&mut *conn)
        .await?;
    Ok(id)
}

/// How the incoming offers compare with the stored ones.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, sqlx::FromRow)]
pub struct Classified {
    pub new: i64,
    pub changed: i64,
    pub unchanged: i64,
}

/// Counts new, changed and unchanged offers among `awin_incoming` (before the merge).
pub async fn classify(conn: &mut PgConnection) -> Result<Classified, sqlx::Error> {
    sqlx::query_as(include_str!("awin/classify.sql"))
        .fetch_one(&mut *conn)
        .await
}

/// Inserts the new offers and updates the others (every stored value, and when last seen),
/// in one statement; returns the rows written.
pub async fn merge(conn: &mut PgConnection, batch: Uuid) -> Result<u64, sqlx::Error> {
    let done = sqlx::query(include_str!("awin/merge.sql"))
        .bind(batch)
        .execute(&mut *conn)
        .await?;
    Ok(done.rows_affected())
}

/// Marks out of stock the in-stock offers of the file's merchants that the file does not carry
/// (a full feed). Nothing is deleted. Returns the offers marked.
pub async fn mark_absent_out_of_stock(conn: &mut PgConnection) -> Result<u64, sqlx::Error> {
    let done = sqlx::query(
        "update integration.awin_products p set in_stock = false \
         where p.in_stock \
           and p.merchant_id in (select distinct merchant_id from awin_incoming) \
           and not exists (select 1 from awin_incoming i \
                           where i.merchant_id = p.merchant_id \
                             and i.merchant_product_id = p.merchant_product_id)",
    )
    .execute(&mut *conn)
    .await?;
    Ok(done.rows_affected())
}

/// History rows the batch appended (real changes of price or stock).
pub async fn count_history(conn: &mut PgConnection, batch: Uuid) -> Result<i64, sqlx::Error> {
    sqlx::query_scalar("select count(*) from integration.awin_price_history where batch_id = $1")
        .bind(batch)
        .fetch_one(&mut *conn)
        .await
}

/// One reference rate.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewFxRate {
    pub rate_date: sqlx::types::chrono::NaiveDate,
    pub currency: String,
    pub rate: Decimal,
}

/// What storing rates did.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, sqlx::FromRow)]
pub struct FxUpserted {
    pub inserted: i64,
    pub updated: i64,
}

/// Stores rates of `source` against `base` in one statement: new ones inserted, a published
/// rate that differs from the stored one replaces it, equal ones are left alone.
pub async fn upsert_fx_rates(
    conn: &mut PgConnection,
    source: &str,
    base: &str,
    rates: &[NewFxRate],
) -> Result<FxUpserted, sqlx::Error> {
    let dates: Vec<sqlx::types::chrono::NaiveDate> = rates.iter().map(|r| r.rate_date).collect();
    let currencies: Vec<&str> = rates.iter().map(|r| r.currency.as_str()).collect();
    let values: Vec<Decimal> = rates.iter().map(|r| r.rate).collect();
    sqlx::query_as(include_str!("awin/fx_upsert.sql"))
        .bind(source)
        .bind(base)
        .bind(dates)
        .bind(currencies)
        .bind(values)
        .fetch_one(&mut *conn)
        .await
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_staged_row_is_one_copy_line_with_text_escaped_and_nulls_marked() {
        let mut buf = StageBuffer::default();
        buf.push(&StageRow {
            line: 7,
            merchant_id: 10,
            merchant_product_id: "00123",
            product_name: "Dunk\tLow\\42\n",
            currency: "EUR",
            search_price: Decimal::new(12999, 2),
            in_stock: true,
            ..StageRow::default()
        });
        let line = String::from_utf8(buf.take()).unwrap_or_default();
        assert!(line.starts_with("7\t10\t00123\t\\N\t\\N\t\\N\tDunk\\tLow\\\\42\\n\t"));
        assert!(line.ends_with("\\N\n"));
        assert_eq!(line.matches('\t').count(), 31);
        assert!(line.contains("\t129.99\t"));
    }
}
