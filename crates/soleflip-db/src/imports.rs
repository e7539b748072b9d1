//! The importers' SQL (migration 8): a run's batch row, the staging table a report is copied
//! into (COPY, text format), and the set-based merge of staged sales into the ledger: products
//! and sizes found or created, sales matched to the oldest pair in stock (first in, first out)
//! or given a new pair of unknown cost, orders, fee lines, the pairs' moves and one
//! `import_records` row per line. One statement per function; the transaction is the caller's.

use crate::copy_text::push_bytes;
use sqlx::postgres::{PgConnection, PgCopyIn};
use sqlx::types::chrono::{DateTime, Utc};
use sqlx::types::{Decimal, Uuid};
use sqlx::{Executor as _, PgExecutor};

/// A fee line of a staged sale, one per kind at most.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct StagedFee {
    pub amount: Decimal,
    /// `reported`, `schedule` or `derived`.
    pub source: &'static str,
    pub rate_pct: Option<Decimal>,
    /// The fee schedule row it comes from (`stockx.csv:12`), if any.
    pub schedule_row: Option<String>,
}

/// The fee kinds a staged sale has a slot for, in the staging table's column order.
pub const FEE_KINDS: [&str; 6] = [
    "transaction_fee",
    "payment_processing",
    "shipping",
    "minimum_fee_topup",
    "cash_out",
    "other",
];

/// One line of a sales report, read and checked: either a sale or the reason it is refused.
/// Nothing personal is in it (no seller, buyer name, address, VAT number or user name).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct StagedSale {
    /// The line the record starts on in the file (the header is line 1).
    pub line_no: u64,
    /// Why the line is refused; None for a sale.
    pub rejected: Option<String>,
    pub order_number: String,
    pub sold_at: Option<DateTime<Utc>>,
    pub payout_at: Option<DateTime<Utc>>,
    /// Normalized style code, and the second one of a compound code.
    pub style: Option<String>,
    pub style_alt: Option<String>,
    /// The product's name as the report gives it.
    pub item: String,
    /// The brand (a `core.brands` slug) the style code names, for a new product.
    pub brand_slug: Option<String>,
    pub size_text: String,
    pub cohort: String,
    pub region: String,
    pub value: String,
    pub parsed: Option<String>,
    pub standardized: Option<Decimal>,
    pub currency: String,
    pub price: Decimal,
    /// None when it is not known (no fee schedule for the sale's date).
    pub payout: Option<Decimal>,
    /// The payout does not balance with the reported and explained fees (a derived `other`
    /// line makes up the difference).
    pub flagged: bool,
    /// Indexed like `FEE_KINDS`.
    pub fees: [Option<StagedFee>; 6],
    pub buyer_country: Option<String>,
    pub buyer_city: Option<String>,
}

const STAGE_COLUMNS: &str = "line_no, rejected, order_number, sold_at, payout_at, style, \
    style_alt, item, brand_slug, size_text, cohort, region, value, parsed, standardized, \
    currency, price, payout, flagged, \
    f1_amount, f1_source, f1_rate, f1_row, f2_amount, f2_source, f2_rate, f2_row, \
    f3_amount, f3_source, f3_rate, f3_row, f4_amount, f4_source, f4_rate, f4_row, \
    f5_amount, f5_source, f5_rate, f5_row, f6_amount, f6_source, f6_rate, f6_row, \
    buyer_country, buyer_city";

/// Creates the run's staging tables (dropped at commit or rollback).
pub async fn create_sales_stage(conn: &mut PgConnection) -> Result<(), sqlx::Error> {
    conn.execute(include_str!("imports/stage.sql"))
        .await
        .map(|_| ())
}

fn tab(buf: &mut Vec<u8>) {
    buf.push(b'\t');
}

/// Streams staged sales into the staging table through COPY, in chunks of about 1 MiB.
pub struct SalesCopy<'c> {
    copy: PgCopyIn<&'c mut PgConnection>,
    buf: Vec<u8>,
}

impl<'c> SalesCopy<'c> {
    pub async fn begin(conn: &'c mut PgConnection) -> Result<SalesCopy<'c>, sqlx::Error> {
        let copy = conn
            .copy_in_raw(&format!(
                "copy pg_temp.import_sales ({STAGE_COLUMNS}) from stdin"
            ))
            .await?;
        Ok(SalesCopy {
            copy,
            buf: Vec::with_capacity(1 << 20),
        })
    }

    /// Adds one line; sends when the buffer is full.
    pub async fn push(&mut self, s: &StagedSale) -> Result<(), sqlx::Error> {
        let b = &mut self.buf;
        let dec = |d: &Decimal| d.to_string();
        let time = |t: &Option<DateTime<Utc>>| t.map(|t| t.to_rfc3339());
        push_bytes(b, Some(&s.line_no.to_string()));
        tab(b);
        push_bytes(b, s.rejected.as_deref());
        tab(b);
        push_bytes(b, Some(&s.order_number));
        tab(b);
        push_bytes(b, time(&s.sold_at).as_deref());
        tab(b);
        push_bytes(b, time(&s.payout_at).as_deref());
        tab(b);
        push_bytes(b, s.style.as_deref());
        tab(b);
        push_bytes(b, s.style_alt.as_deref());
        tab(b);
        push_bytes(b, Some(&s.item));
        tab(b);
        push_bytes(b, s.brand_slug.as_deref());
        tab(b);
        push_bytes(b, Some(&s.size_text));
        tab(b);
        push_bytes(b, Some(&s.cohort));
        tab(b);
        push_bytes(b, Some(&s.region));
        tab(b);
        push_bytes(b, Some(&s.value));
        tab(b);
        push_bytes(b, s.parsed.as_deref());
        tab(b);
        push_bytes(b, s.standardized.as_ref().map(dec).as_deref());
        tab(b);
        push_bytes(b, Some(&s.currency));
        tab(b);
        push_bytes(b, Some(&dec(&s.price)));
        tab(b);
        push_bytes(b, s.payout.as_ref().map(dec).as_deref());
        tab(b);
        push_bytes(b, Some(if s.flagged { "t" } else { "f" }));
        for fee in &s.fees {
            tab(b);
            push_bytes(b, fee.as_ref().map(|f| dec(&f.amount)).as_deref());
            tab(b);
            push_bytes(b, fee.as_ref().map(|f| f.source));
            tab(b);
            push_bytes(
                b,
                fee.as_ref()
                    .and_then(|f| f.rate_pct.as_ref().map(dec))
                    .as_deref(),
            );
            tab(b);
            push_bytes(b, fee.as_ref().and_then(|f| f.schedule_row.as_deref()));
        }
        tab(b);
        push_bytes(b, s.buyer_country.as_deref());
        tab(b);
        push_bytes(b, s.buyer_city.as_deref());
        b.push(b'\n');
        if self.buf.len() >= 1 << 20 {
            self.copy.send(std::mem::take(&mut self.buf)).await?;
            self.buf.reserve(1 << 20);
        }
        Ok(())
    }

    /// Sends what is left and ends the COPY; the number of rows copied.
    pub async fn finish(mut self) -> Result<u64, sqlx::Error> {
        if !self.buf.is_empty() {
            self.copy.send(std::mem::take(&mut self.buf)).await?;
        }
        self.copy.finish().await
    }

    /// Ends the COPY without keeping anything (the transaction is then rolled back).
    pub async fn abort(self, why: &str) -> Result<(), sqlx::Error> {
        self.copy.abort(why).await
    }
}

/// A new run: its batch row (status `running`).
pub async fn insert_batch(
    db: impl PgExecutor<'_>,
    source: &str,
    file_name: &str,
    sha256: &str,
) -> Result<Uuid, sqlx::Error> {
    sqlx::query_scalar(
        "insert into integration.import_batches (source, total_records, status, file_name, \
                                                 file_sha256) \
         values ($1, 0, 'running', $2, $3) returning id",
    )
    .bind(source)
    .bind(file_name)
    .bind(sha256)
    .fetch_one(db)
    .await
}

/// The run is done: its counts and report (this also checks, at commit, that every order of
/// the batch balances).
pub async fn complete_batch(
    db: impl PgExecutor<'_>,
    id: Uuid,
    total: i64,
    summary: &serde_json::Value,
) -> Result<(), sqlx::Error> {
    sqlx::query(
        "update integration.import_batches \
            set status = 'completed', total_records = $2, summary = $3, completed_at = now() \
          where id = $1",
    )
    .bind(id)
    .bind(i32::try_from(total).unwrap_or(i32::MAX))
    .bind(summary)
    .execute(db)
    .await
    .map(|_| ())
}

/// Runs the deferred checks now (the balance of every order of the batch), so that a dry run,
/// which is rolled back instead of committed, is checked as a real run would be.
pub async fn check_deferred(conn: &mut PgConnection) -> Result<(), sqlx::Error> {
    sqlx::query("set constraints all immediate")
        .execute(conn)
        .await
        .map(|_| ())
}

/// Serializes importers: one import writes the ledger at a time (a second one waits), so two
/// runs cannot both match the same pair or both create the same order.
pub async fn lock_imports(conn: &mut PgConnection) -> Result<(), sqlx::Error> {
    // The bytes of "SFimport" as a big-endian integer.
    sqlx::query("select pg_advisory_xact_lock(6000599472276468340)")
        .execute(conn)
        .await
        .map(|_| ())
}

/// What the merge of staged sales did.
#[derive(Debug, Clone, Default, PartialEq, sqlx::FromRow)]
pub struct MergeCounts {
    pub imported: i64,
    pub present: i64,
    pub rejected: i64,
    pub products_created: i64,
    pub pairs_matched: i64,
    pub pairs_created: i64,
}

/// The steps of the merge, in order, named for progress messages (`imports/merge/*.sql`).
/// `bulk`: the new pairs, orders and fee lines are written with triggers and foreign-key checks
/// off (`*_bulk.sql`, `10b_triggers_on.sql`), which needs a role that may set
/// `session_replication_role`.
fn merge_steps(bulk: bool) -> Vec<(&'static str, &'static str)> {
    let mut steps = vec![
        ("index", include_str!("imports/merge/00_index.sql")),
        (
            "duplicates",
            include_str!("imports/merge/01_duplicates.sql"),
        ),
        ("present", include_str!("imports/merge/02_present.sql")),
        ("products", include_str!("imports/merge/03_products.sql")),
        (
            "new products",
            include_str!("imports/merge/04_products_created.sql"),
        ),
        ("sizes", include_str!("imports/merge/05_sizes.sql")),
        ("stock", include_str!("imports/merge/06_match.sql")),
        ("stock", include_str!("imports/merge/07_lock.sql")),
    ];
    if bulk {
        steps.push((
            "new pairs",
            include_str!("imports/merge/08_new_pairs_bulk.sql"),
        ));
    } else {
        steps.push(("new pairs", include_str!("imports/merge/08_new_pairs.sql")));
    }
    steps.push(("orders", include_str!("imports/merge/09_orders.sql")));
    steps.push(("fee lines", include_str!("imports/merge/10_fee_lines.sql")));
    if bulk {
        steps.push((
            "fee lines",
            include_str!("imports/merge/10b_triggers_on.sql"),
        ));
    }
    steps.push(("moves", include_str!("imports/merge/11_moves.sql")));
    steps
}

/// True when this session may write with triggers off (`session_replication_role`): a
/// superuser, as the embedded server's owner is. (PostgreSQL 15 can also grant the setting to
/// others; such a role takes the per-row path, which PostgreSQL 14 asks no function for.)
pub async fn may_bulk_write(conn: &mut PgConnection) -> Result<bool, sqlx::Error> {
    sqlx::query_scalar("select rolsuper from pg_roles where rolname = current_user")
        .fetch_one(conn)
        .await
}

/// Names the run for the merge: its batch, platform (a `core.platforms` slug) and the category
/// (a `core.categories` slug) of new products. False when either slug is unknown.
pub async fn start_merge(
    conn: &mut PgConnection,
    batch: Uuid,
    platform: &str,
    category: &str,
) -> Result<bool, sqlx::Error> {
    sqlx::query(
        "insert into pg_temp.import_run (batch_id, platform, platform_id, category_id) \
         select $1, p.slug, p.id, c.id from core.platforms p, core.categories c \
          where p.slug = $2 and c.slug = $3",
    )
    .bind(batch)
    .bind(platform)
    .bind(category)
    .execute(conn)
    .await
    .map(|r| r.rows_affected() == 1)
}

/// Merges the staged sales into the ledger (after `start_merge`), step by step; `progress`
/// hears each step's name before it runs.
pub async fn merge_sales(
    conn: &mut PgConnection,
    bulk: bool,
    progress: &(dyn Fn(&'static str) + Send + Sync),
) -> Result<MergeCounts, sqlx::Error> {
    let mut products_created = 0;
    for (name, sql) in merge_steps(bulk) {
        progress(name);
        let done = conn.execute(sql).await?;
        if name == "new products" {
            products_created = i64::try_from(done.rows_affected()).unwrap_or(i64::MAX);
        }
    }
    let mut counts: MergeCounts = sqlx::query_as(include_str!("imports/counts.sql"))
        .fetch_one(&mut *conn)
        .await?;
    counts.products_created = products_created;
    Ok(counts)
}

/// Sums of the sales imported by the run, per currency (for the report).
#[derive(Debug, Clone, Default, PartialEq, sqlx::FromRow, serde::Serialize)]
pub struct SaleSums {
    pub currency: String,
    pub orders: i64,
    pub sale_price: Decimal,
    pub transaction_fee: Decimal,
    pub payment_processing: Decimal,
    pub shipping: Decimal,
    pub minimum_fee_topup: Decimal,
    pub cash_out: Decimal,
    pub other: Decimal,
    /// Of the orders whose payout is known.
    pub payout: Decimal,
}

/// The sums of the staged sales, per currency;
/// `which`: `imported` (the lines imported now) or `file` (every accepted line of the file).
pub async fn sale_sums(conn: &mut PgConnection, which: &str) -> Result<Vec<SaleSums>, sqlx::Error> {
    sqlx::query_as(include_str!("imports/sums.sql"))
        .bind(which)
        .fetch_all(conn)
        .await
}

/// A refused line of the file.
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow, serde::Serialize)]
pub struct RejectedLine {
    pub line: i64,
    pub reason: String,
}

/// The first `limit` refused lines, in file order.
pub async fn rejected_lines(
    conn: &mut PgConnection,
    limit: i64,
) -> Result<Vec<RejectedLine>, sqlx::Error> {
    sqlx::query_as(
        "select line_no as line, rejected as reason from pg_temp.import_sales \
          where rejected is not null order by line_no limit $1",
    )
    .bind(limit)
    .fetch_all(conn)
    .await
}

/// One `integration.import_records` row per staged line, with its outcome.
pub async fn record_lines(conn: &mut PgConnection, batch: Uuid) -> Result<u64, sqlx::Error> {
    sqlx::query(include_str!("imports/records.sql"))
        .bind(batch)
        .execute(conn)
        .await
        .map(|r| r.rows_affected())
}

/// An invoice of a purchase list that is already in the ledger (same supplier and invoice
/// number).
pub async fn purchase_exists(
    db: impl PgExecutor<'_>,
    supplier: &str,
    invoice: &str,
) -> Result<bool, sqlx::Error> {
    sqlx::query_scalar(
        "select exists (select 1 from transactions.purchases \
                         where lower(supplier_name) = lower($1) and invoice_number = $2)",
    )
    .bind(supplier)
    .bind(invoice)
    .fetch_one(db)
    .await
}

/// Records the outcome of purchase-list lines (line, outcome, reason, purchase id).
pub async fn record_purchase_lines(
    db: impl PgExecutor<'_>,
    batch: Uuid,
    lines: &[i64],
    outcomes: &[String],
    reasons: &[Option<String>],
    purchases: &[Option<Uuid>],
) -> Result<u64, sqlx::Error> {
    sqlx::query(
        "insert into integration.import_records (batch_id, source_data, processed_data, status, \
                                                 error_message, processing_completed_at) \
         select $1, jsonb_build_object('line', l), \
                case when p is null then null else jsonb_build_object('purchase_id', p) end, \
                o, r, now() \
         from unnest($2::bigint[], $3::text[], $4::text[], $5::uuid[]) as u (l, o, r, p)",
    )
    .bind(batch)
    .bind(lines)
    .bind(outcomes)
    .bind(reasons)
    .bind(purchases)
    .execute(db)
    .await
    .map(|r| r.rows_affected())
}
