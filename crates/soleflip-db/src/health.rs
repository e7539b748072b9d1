//! The rows `db health` grades (the grading, thresholds and report are the app layer's): server
//! facts, table and index statistics, sessions and lock waits of this database (their query
//! text is never read: it may hold literal secrets), and `pg_stat_statements`.

use serde::Serialize;
use sqlx::postgres::PgConnection;

use crate::quote::quote_ident;

/// A user table with its size and statistics.
/// Size, activity and maintenance of one table.
#[derive(Debug, Clone, Serialize, sqlx::FromRow)]
pub struct TableStats {
    pub name: String,
    /// Sizes are None for a table another session holds exclusively (reading them would wait).
    pub total_bytes: Option<i64>,
    pub table_bytes: Option<i64>,
    pub index_bytes: Option<i64>,
    pub live_rows: i64,
    pub dead_rows: i64,
    pub changed_since_analyze: i64,
    pub seq_scans: i64,
    pub index_scans: i64,
    pub row_writes: i64,
    /// The later of the last manual and automatic vacuum (UTC), and which it was.
    pub last_vacuum: Option<String>,
    pub last_vacuum_by: Option<String>,
    pub last_analyze: Option<String>,
    pub last_analyze_by: Option<String>,
}

/// An index of a user table with its size and usage.
/// Size and use of one index.
#[derive(Debug, Clone, Serialize, sqlx::FromRow)]
pub struct IndexStats {
    pub name: String,
    #[sqlx(rename = "table_name")]
    pub table: String,
    pub bytes: Option<i64>,
    pub scans: i64,
    #[sqlx(rename = "is_unique")]
    pub unique: bool,
    /// A primary key, unique or exclusion constraint needs it.
    pub backs_constraint: bool,
    pub table_scans: i64,
    pub table_writes: i64,
}

/// Server and database facts.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct Facts {
    pub version: String,
    pub uptime: f64,
    pub size: i64,
    pub max_connections: i64,
    pub stats_reset: Option<String>,
    pub blocks_hit: i64,
    pub blocks_read: i64,
    pub xid_age: i64,
    pub connections: i64,
}

/// Another session of this database.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct SessionRow {
    pub pid: i32,
    pub user_name: String,
    pub application: String,
    pub state: String,
    pub wait: String,
    pub transaction_seconds: Option<f64>,
    pub query_seconds: Option<f64>,
}

/// A session of this database waiting for a lock.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct LockRow {
    pub pid: i32,
    pub user_name: String,
    pub wait_seconds: f64,
    pub mode: String,
    pub object: String,
    pub blocked_by: Vec<i32>,
}

/// One statement tracked by `pg_stat_statements` in this database.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct StatementRow {
    pub query: String,
    pub calls: i64,
    pub mean_exec_time: f64,
    pub total_exec_time: f64,
    pub rows: i64,
}

const FACTS_SQL: &str = "
    select current_setting('server_version') as version,
           extract(epoch from now() - pg_postmaster_start_time())::float8 as uptime,
           pg_database_size(current_database()) as size,
           current_setting('max_connections')::bigint as max_connections,
           (select to_char(stats_reset at time zone 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS\"Z\"')
            from pg_stat_database where datname = current_database()) as stats_reset,
           (select coalesce(blks_hit, 0) from pg_stat_database
            where datname = current_database()) as blocks_hit,
           (select coalesce(blks_read, 0) from pg_stat_database
            where datname = current_database()) as blocks_read,
           (select age(datfrozenxid)::bigint from pg_database
            where datname = current_database()) as xid_age,
           (select count(*) from pg_stat_activity where backend_type = 'client backend')
               as connections";

/// A health check must not hang behind a lock: a session-level last guard.
pub async fn set_lock_timeout(conn: &mut PgConnection) -> Result<(), sqlx::Error> {
    sqlx::query("select pg_catalog.set_config('lock_timeout', '10s', false)")
        .execute(&mut *conn)
        .await?;
    Ok(())
}

pub async fn read_facts(conn: &mut PgConnection) -> Result<Facts, sqlx::Error> {
    sqlx::query_as(FACTS_SQL).fetch_one(&mut *conn).await
}

/// Statistics of every table, sorted by name; sizes of tables locked exclusively are None.
pub async fn read_tables(conn: &mut PgConnection) -> Result<Vec<TableStats>, sqlx::Error> {
    sqlx::query_as(include_str!("health_tables.sql"))
        .fetch_all(&mut *conn)
        .await
}

/// Statistics of every index, sorted by name.
pub async fn read_indexes(conn: &mut PgConnection) -> Result<Vec<IndexStats>, sqlx::Error> {
    let mut out: Vec<IndexStats> = sqlx::query_as(include_str!("health_indexes.sql"))
        .fetch_all(&mut *conn)
        .await?;
    out.sort_by(|a, b| a.name.cmp(&b.name));
    Ok(out)
}

pub async fn read_sessions(conn: &mut PgConnection) -> Result<Vec<SessionRow>, sqlx::Error> {
    sqlx::query_as(include_str!("health_sessions.sql"))
        .fetch_all(&mut *conn)
        .await
}

pub async fn read_locks(conn: &mut PgConnection) -> Result<Vec<LockRow>, sqlx::Error> {
    sqlx::query_as(include_str!("health_locks.sql"))
        .fetch_all(&mut *conn)
        .await
}

/// The schema `pg_stat_statements` is installed in, if it is.
pub async fn statements_schema(conn: &mut PgConnection) -> Result<Option<String>, sqlx::Error> {
    sqlx::query_scalar(
        "select n.nspname::text from pg_catalog.pg_extension e \
         join pg_catalog.pg_namespace n on n.oid = e.extnamespace \
         where e.extname = 'pg_stat_statements'",
    )
    .fetch_optional(&mut *conn)
    .await
}

/// Whether the server preloads the library; None when this role may not read the setting
/// (pg_settings hides it from roles without pg_read_all_settings).
pub async fn statements_preloaded(conn: &mut PgConnection) -> Result<Option<bool>, sqlx::Error> {
    sqlx::query_scalar(
        "select 'pg_stat_statements' = any(pg_catalog.string_to_array(\
             pg_catalog.replace(setting, ' ', ''), ',')) \
         from pg_catalog.pg_settings where name = 'shared_preload_libraries'",
    )
    .fetch_optional(&mut *conn)
    .await
}

/// Creates the extension unless it exists; the server's refusal (no right to create it, the
/// library missing) comes back as its message, a lost connection as an error.
pub async fn create_statements_extension(
    conn: &mut PgConnection,
) -> Result<Result<(), String>, sqlx::Error> {
    match sqlx::query("create extension if not exists pg_stat_statements schema public")
        .execute(&mut *conn)
        .await
    {
        Ok(_) => {
            tracing::info!("created extension pg_stat_statements");
            Ok(Ok(()))
        }
        // Another session created it at the same moment: fine, it exists now.
        Err(sqlx::Error::Database(e)) if matches!(e.code().as_deref(), Some("23505" | "42710")) => {
            Ok(Ok(()))
        }
        Err(sqlx::Error::Database(e)) => Ok(Err(e.message().to_string())),
        Err(e) => Err(e),
    }
}

/// The statements of this database tracked in `schema.pg_stat_statements`, slowest first.
pub async fn read_statements(
    conn: &mut PgConnection,
    schema: &str,
) -> Result<Vec<StatementRow>, sqlx::Error> {
    let sql = format!(
        "select s.query, s.calls, s.mean_exec_time, s.total_exec_time, s.rows \
         from {}.pg_stat_statements s \
         where s.dbid = (select oid from pg_catalog.pg_database \
                         where datname = pg_catalog.current_database()) \
         order by s.mean_exec_time desc",
        quote_ident(schema)
    );
    sqlx::query_as(&sql).fetch_all(&mut *conn).await
}
