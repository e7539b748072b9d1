//! The month partitions of `integration.price_history` (migration 11): listing them with their
//! bounds, moving what is in the default partition into months, and dropping a month whole.
//! The use case that decides what to drop (`prices prune`) is `soleflip_app::prices`.

use sqlx::postgres::PgConnection;
use sqlx::types::chrono::{DateTime, Utc};

use crate::quote::quote_ident;

/// The schema of the partitions.
const SCHEMA: &str = "integration";

/// One month partition.
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct MonthPartition {
    /// `price_history_YYYY_MM`.
    pub name: String,
    /// First instant of the month (UTC), included.
    pub starts: DateTime<Utc>,
    /// First instant of the next month, excluded.
    pub ends: DateTime<Utc>,
    /// The planner's estimate (`pg_class.reltuples`); None before the first analyze.
    pub estimated_rows: Option<i64>,
}

/// The month partitions, oldest first.
pub async fn partitions(conn: &mut PgConnection) -> Result<Vec<MonthPartition>, sqlx::Error> {
    sqlx::query_as(include_str!("history_partitions.sql"))
        .fetch_all(conn)
        .await
}

/// Moves every row of the default partition into its month's partition, creating the
/// partitions needed; returns how many it created.
pub async fn split_default(conn: &mut PgConnection) -> Result<i32, sqlx::Error> {
    sqlx::query_scalar("select integration.price_history_split_default()")
        .fetch_one(conn)
        .await
}

/// Rows in the default partition (after [`split_default`]: only rows with a non-finite time).
pub async fn default_rows(conn: &mut PgConnection) -> Result<i64, sqlx::Error> {
    sqlx::query_scalar("select count(*) from integration.price_history_default")
        .fetch_one(conn)
        .await
}

/// The instant `months` months and `days` days before now, counted on the UTC calendar (the
/// calendar the partitions' months are on).
pub async fn cutoff(
    conn: &mut PgConnection,
    months: i32,
    days: i32,
) -> Result<DateTime<Utc>, sqlx::Error> {
    sqlx::query_scalar(
        "select ((now() at time zone 'UTC') - make_interval(months => $1, days => $2))
                at time zone 'UTC'",
    )
    .bind(months)
    .bind(days)
    .fetch_one(conn)
    .await
}

/// Takes the ACCESS EXCLUSIVE lock that dropping a partition needs on `price_history` (and its
/// partitions) for the rest of the transaction, waiting at most `wait` (an interval text such
/// as `10s`); a lock not had in time is the error 55P03 (lock_not_available).
pub async fn lock(conn: &mut PgConnection, wait: &str) -> Result<(), sqlx::Error> {
    sqlx::query("select set_config('lock_timeout', $1, true)")
        .bind(wait)
        .execute(&mut *conn)
        .await?;
    sqlx::raw_sql("lock table integration.price_history in access exclusive mode")
        .execute(conn)
        .await?;
    Ok(())
}

/// The exact number of rows of one partition.
pub async fn count_rows(conn: &mut PgConnection, partition: &str) -> Result<i64, sqlx::Error> {
    sqlx::query_scalar(&format!(
        "select count(*) from {}.{}",
        quote_ident(SCHEMA),
        quote_ident(partition)
    ))
    .fetch_one(conn)
    .await
}

/// Drops one partition with its rows (its indexes and its copy of the foreign key go with it).
pub async fn drop_partition(conn: &mut PgConnection, partition: &str) -> Result<(), sqlx::Error> {
    sqlx::raw_sql(&format!(
        "drop table {}.{}",
        quote_ident(SCHEMA),
        quote_ident(partition)
    ))
    .execute(conn)
    .await?;
    Ok(())
}
