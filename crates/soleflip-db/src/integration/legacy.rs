//! The statements that move the legacy price tables (`integration.market_prices`,
//! `pricing.market_prices`) into `integration.price_sources`, set-based, in the caller's
//! transaction: stage (map every row not yet moved, decide its fate), apply (insert, update,
//! merge into history, record), read back what the validation compares, and retire the legacy
//! tables to `archive`. The mapping itself is `legacy_stage.sql`, in prose
//! `docs/prices-mapping.md`. The use case that orders these calls and decides is
//! `soleflip_app::prices`.

use sqlx::postgres::PgConnection;
use sqlx::types::Uuid;

/// The legacy tables, as named in reports and in `legacy_price_migrations.legacy_table`.
pub const TABLES: [&str; 2] = ["integration.market_prices", "pricing.market_prices"];

/// Which legacy tables still exist in their original schemas.
pub async fn tables_present(conn: &mut PgConnection) -> Result<Vec<String>, sqlx::Error> {
    let mut present = Vec::new();
    for table in TABLES {
        let exists =
            sqlx::query_scalar!(r#"select to_regclass($1) is not null as "exists!""#, table)
                .fetch_one(&mut *conn)
                .await?;
        if exists {
            present.push(table.to_string());
        }
    }
    Ok(present)
}

/// Sets the migration's transaction up: one big sort (the ranking of observations) and hash
/// joins over every legacy row stay in memory; JIT compiles for longer than these set-based
/// statements run; and the planner, which prefers merge joins that sort a million wide rows on
/// disk to join them with keys it could hash in memory, is told not to (measured: staging 1M
/// legacy rows 19.2 s -> 17.0 s). For the caller's transaction only.
pub async fn tune_transaction(conn: &mut PgConnection) -> Result<(), sqlx::Error> {
    sqlx::raw_sql(
        "set local work_mem = '256MB'; set local jit = off; set local enable_mergejoin = off",
    )
    .execute(conn)
    .await?;
    Ok(())
}

/// Whether `code` is a currency of `core.currencies`.
pub async fn currency_known(conn: &mut PgConnection, code: &str) -> Result<bool, sqlx::Error> {
    sqlx::query_scalar!(
        r#"select exists (select 1 from core.currencies where code = $1) as "known!""#,
        code
    )
    .fetch_one(conn)
    .await
}

/// Keeps writers away for the rest of the transaction: the legacy tables and the ledger cannot
/// change under the staging (share), and nobody else writes prices meanwhile (share row
/// exclusive still lets them read).
pub async fn lock(conn: &mut PgConnection) -> Result<(), sqlx::Error> {
    sqlx::raw_sql(
        "lock table integration.market_prices, pricing.market_prices in share mode;
         lock table integration.price_sources, integration.price_history,
                    integration.legacy_price_migrations in share row exclusive mode;",
    )
    .execute(conn)
    .await?;
    Ok(())
}

/// A size string of `pricing.market_prices` in its context (brand, category, platform).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LegacySizeInput {
    pub size_value: String,
    pub brand_id: Option<Uuid>,
    pub brand_slug: Option<String>,
    pub brand_name: Option<String>,
    pub category_id: Option<Uuid>,
    /// `platform_name` as written.
    pub platform: String,
}

/// The distinct size strings still to migrate, with what reading them depends on.
pub async fn size_inputs(conn: &mut PgConnection) -> Result<Vec<LegacySizeInput>, sqlx::Error> {
    sqlx::query_file_as!(LegacySizeInput, "src/integration/legacy_size_inputs.sql")
        .fetch_all(conn)
        .await
}

/// Rows of one legacy table before staging.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct TableCount {
    pub legacy_table: String,
    pub total: i64,
    /// Recorded in `legacy_price_migrations` by earlier runs.
    pub recorded: i64,
}

/// Each legacy table's rows and how many earlier runs moved.
pub async fn counts(conn: &mut PgConnection) -> Result<Vec<TableCount>, sqlx::Error> {
    sqlx::query_file_as!(TableCount, "src/integration/legacy_counts.sql")
        .fetch_all(conn)
        .await
}

/// Maps every legacy row not yet moved into the temporary table `legacy_stage` (dropped at
/// commit), deciding each one's outcome. Needs `match_sizes` run on [`size_inputs`] first.
/// `pricing_currency` is the currency of `pricing.market_prices`, which has no column for it.
pub async fn stage(conn: &mut PgConnection, pricing_currency: &str) -> Result<(), sqlx::Error> {
    sqlx::query(include_str!("legacy_stage.sql"))
        .bind(pricing_currency)
        .execute(conn)
        .await?;
    Ok(())
}

/// Rows written by [`apply`].
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize)]
pub struct Applied {
    pub inserted: u64,
    pub updated: u64,
    pub merged: u64,
    pub recorded: u64,
    /// The tables that were bulk loaded (their indexes and keys rebuilt after the writes).
    pub bulk_loaded: Vec<String>,
}

/// Writes what [`stage`] decided (after creating the month partitions of `price_history` its
/// history rows fall in): new price sources, newer observations over existing ones,
/// older observations into history, and the record of every moved row. A table about to
/// receive at least as many rows as it holds is bulk loaded: its foreign keys and the indexes
/// nothing depends on are dropped first and rebuilt after the writes (`legacy_bulk_drop.sql`),
/// which holds an ACCESS EXCLUSIVE lock on it until the transaction ends. When that lock cannot
/// be had within [`BULK_LOCK_WAIT`] (a reader's transaction holds the table), the rows are
/// written through the indexes instead.
pub async fn apply(conn: &mut PgConnection) -> Result<Applied, sqlx::Error> {
    sqlx::query(include_str!("legacy_months.sql"))
        .execute(&mut *conn)
        .await?;
    let mut bulk_loaded: Vec<String> = sqlx::query_scalar(include_str!("legacy_bulk_tables.sql"))
        .fetch_all(&mut *conn)
        .await?;
    if !bulk_loaded.is_empty() && !lock_for_bulk(conn, &bulk_loaded).await? {
        tracing::warn!(
            tables = %bulk_loaded.join(", "),
            "another session holds the price tables: writing through their indexes instead"
        );
        bulk_loaded.clear();
    }
    if !bulk_loaded.is_empty() {
        sqlx::query!(
            "select set_config('soleflip.bulk_tables', $1, true)",
            bulk_loaded.join(",")
        )
        .fetch_one(&mut *conn)
        .await?;
        sqlx::raw_sql(include_str!("legacy_bulk_drop.sql"))
            .execute(&mut *conn)
            .await?;
    }
    let inserted = execute(conn, include_str!("legacy_insert.sql")).await?;
    let updated = execute(conn, include_str!("legacy_update.sql")).await?;
    let merged = execute(conn, include_str!("legacy_history.sql")).await?;
    let recorded = execute(conn, include_str!("legacy_record.sql")).await?;
    if !bulk_loaded.is_empty() {
        sqlx::raw_sql(include_str!("legacy_bulk_rebuild.sql"))
            .execute(&mut *conn)
            .await?;
    }
    Ok(Applied {
        inserted,
        updated,
        merged,
        recorded,
        bulk_loaded,
    })
}

/// How long a bulk load waits for the ACCESS EXCLUSIVE lock on its tables.
pub const BULK_LOCK_WAIT: &str = "3s";

/// Takes the ACCESS EXCLUSIVE lock on `tables` (our own schema-qualified names), waiting at
/// most [`BULK_LOCK_WAIT`]. False, with the transaction as it was, when the wait ran out.
async fn lock_for_bulk(conn: &mut PgConnection, tables: &[String]) -> Result<bool, sqlx::Error> {
    let before = sqlx::query_scalar!(r#"select current_setting('lock_timeout') as "before!""#)
        .fetch_one(&mut *conn)
        .await?;
    sqlx::raw_sql("savepoint bulk_lock")
        .execute(&mut *conn)
        .await?;
    sqlx::query!(
        "select set_config('lock_timeout', $1, true)",
        BULK_LOCK_WAIT
    )
    .fetch_one(&mut *conn)
    .await?;
    let locked = sqlx::raw_sql(&format!(
        "lock table {} in access exclusive mode",
        tables.join(", ")
    ))
    .execute(&mut *conn)
    .await;
    match locked {
        Ok(_) => {
            sqlx::raw_sql("release savepoint bulk_lock")
                .execute(&mut *conn)
                .await?;
            sqlx::query!("select set_config('lock_timeout', $1, true)", before)
                .fetch_one(&mut *conn)
                .await?;
            Ok(true)
        }
        // 55P03 lock_not_available: the rollback also undoes the lock_timeout.
        Err(sqlx::Error::Database(e)) if e.code().as_deref() == Some("55P03") => {
            sqlx::raw_sql("rollback to savepoint bulk_lock")
                .execute(&mut *conn)
                .await?;
            Ok(false)
        }
        Err(e) => Err(e),
    }
}

async fn execute(conn: &mut PgConnection, sql: &'static str) -> Result<u64, sqlx::Error> {
    Ok(sqlx::query(sql).execute(conn).await?.rows_affected())
}

/// How many rows of each legacy table got each outcome (`inserted`, `updated`, `merged`,
/// `rejected`).
pub async fn outcomes(conn: &mut PgConnection) -> Result<Vec<(String, String, i64)>, sqlx::Error> {
    sqlx::query_as(include_str!("legacy_outcomes.sql"))
        .fetch_all(conn)
        .await
}

/// A legacy row refused, with why (`kind: detail`).
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, sqlx::FromRow)]
pub struct Reject {
    pub legacy_table: String,
    #[serde(serialize_with = "super::uuid_str")]
    pub legacy_id: Uuid,
    pub reason: String,
}

/// Every legacy row refused by this run.
pub async fn rejects(conn: &mut PgConnection) -> Result<Vec<Reject>, sqlx::Error> {
    sqlx::query_as(include_str!("legacy_rejects.sql"))
        .fetch_all(conn)
        .await
}

/// What this run staged and recorded of one legacy table.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, sqlx::FromRow)]
pub struct TableAccounting {
    pub legacy_table: String,
    pub staged: i64,
    pub distinct_ids: i64,
    pub accepted: i64,
    pub rejected: i64,
    /// Accepted rows with their row in `legacy_price_migrations`.
    pub recorded: i64,
}

/// Per legacy table: staged, distinct, accepted, rejected and recorded rows of this run.
pub async fn accounting(conn: &mut PgConnection) -> Result<Vec<TableAccounting>, sqlx::Error> {
    sqlx::query_as(include_str!("legacy_accounting.sql"))
        .fetch_all(conn)
        .await
}

/// Per source and currency: the accepted legacy rows against what they became.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, sqlx::FromRow)]
pub struct Totals {
    pub source: String,
    pub currency: String,
    pub legacy_rows: i64,
    pub legacy_cents: i64,
    pub migrated_rows: i64,
    pub migrated_cents: i64,
}

impl Totals {
    pub fn ok(&self) -> bool {
        self.legacy_rows == self.migrated_rows && self.legacy_cents == self.migrated_cents
    }
}

/// The per source and currency comparison of `legacy_totals.sql`.
pub async fn totals(conn: &mut PgConnection) -> Result<Vec<Totals>, sqlx::Error> {
    sqlx::query_as(include_str!("legacy_totals.sql"))
        .fetch_all(conn)
        .await
}

/// Moves both legacy tables into the schema `archive` (`legacy_archive.sql`).
pub async fn archive(conn: &mut PgConnection) -> Result<(), sqlx::Error> {
    sqlx::raw_sql(include_str!("legacy_archive.sql"))
        .execute(conn)
        .await?;
    Ok(())
}

/// A deliberate error planted between writing and validating, so that tests can prove a
/// mismatch is caught and rolled back. Never used outside tests.
#[doc(hidden)]
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Fault {
    /// One migrated price source's price is off by one cent.
    RepriceOne,
    /// One moved row's record in `legacy_price_migrations` is lost.
    ForgetOne,
}

#[doc(hidden)]
pub async fn inject(conn: &mut PgConnection, fault: Fault) -> Result<(), sqlx::Error> {
    let sql = match fault {
        Fault::RepriceOne => {
            "update integration.price_sources set price_cents = price_cents + 1 \
             where id = (select landing_id from legacy_stage where outcome = 'inserted' \
                         order by legacy_id limit 1)"
        }
        Fault::ForgetOne => {
            "delete from integration.legacy_price_migrations \
             where (legacy_table, legacy_id) = (select legacy_table, legacy_id from legacy_stage \
                                                where outcome <> 'rejected' \
                                                order by legacy_id limit 1)"
        }
    };
    sqlx::query(sql).execute(conn).await?;
    Ok(())
}
