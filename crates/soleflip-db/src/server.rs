//! What backups ask of the server: its version, an exported snapshot, the tables a dump holds and
//! their row counts, whether a database is empty, and the WAL archiving and recovery state of a
//! cluster. The programs that copy the data (`pg_dump`, `pg_restore`, `pg_basebackup`) are run by
//! `soleflip-app`; this module only speaks SQL.

use std::collections::BTreeMap;

use sqlx::postgres::PgConnection;

use crate::quote::{quote_ident, quote_literal};

/// The server's version, as `SHOW server_version` prints it and as a number (`150018`).
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct ServerVersion {
    pub version: String,
    pub num: i32,
}

impl ServerVersion {
    /// The major version (`15` for `150018`).
    pub fn major(&self) -> u32 {
        u32::try_from(self.num / 10_000).unwrap_or(0)
    }
}

pub async fn server_version(conn: &mut PgConnection) -> Result<ServerVersion, sqlx::Error> {
    sqlx::query_as!(
        ServerVersion,
        r#"select current_setting('server_version') as "version!",
                  current_setting('server_version_num')::int as "num!""#
    )
    .fetch_one(conn)
    .await
}

/// Exports the snapshot of the caller's transaction (which must be REPEATABLE READ or
/// SERIALIZABLE, and stay open until every importer has imported it), for `pg_dump --snapshot`.
pub async fn export_snapshot(conn: &mut PgConnection) -> Result<String, sqlx::Error> {
    sqlx::query_scalar!(r#"select pg_export_snapshot() as "snapshot!""#)
        .fetch_one(conn)
        .await
}

/// A table whose rows a dump holds.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub struct TableName {
    pub schema: String,
    pub name: String,
}

impl TableName {
    /// `schema.table`, as manifests and reports show it; a part that is not a plain lower-case
    /// identifier is double-quoted (`x."y.z"` and `"x.y".z` stay apart).
    pub fn display(&self) -> String {
        let part = |s: &str| {
            let plain = s
                .chars()
                .next()
                .is_some_and(|c| c.is_ascii_lowercase() || c == '_')
                && s.chars()
                    .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_');
            if plain {
                s.to_string()
            } else {
                quote_ident(s)
            }
        };
        format!("{}.{}", part(&self.schema), part(&self.name))
    }

    /// The name quoted for SQL.
    pub fn quoted(&self) -> String {
        format!("{}.{}", quote_ident(&self.schema), quote_ident(&self.name))
    }
}

/// The tables whose rows a `pg_dump` of this database holds, sorted: ordinary tables
/// (partitions included) outside the system schemas, neither temporary nor part of an
/// extension.
pub async fn list_tables(conn: &mut PgConnection) -> Result<Vec<TableName>, sqlx::Error> {
    sqlx::query_as!(
        TableName,
        r#"select n.nspname as "schema!", c.relname as "name!"
         from pg_class c
         join pg_namespace n on n.oid = c.relnamespace
         where c.relkind = 'r'
           and c.relpersistence <> 't'
           and n.nspname not in ('pg_catalog', 'information_schema')
           and n.nspname not like 'pg\_toast%'
           and n.nspname not like 'pg\_temp\_%'
           and not exists (
               select 1 from pg_depend d
               where d.classid = 'pg_class'::regclass and d.objid = c.oid and d.deptype = 'e')
         order by 1, 2"#
    )
    .fetch_all(conn)
    .await
}

/// Exact row counts of `tables` (`schema.table` → rows), in one statement, so that all of them
/// come from the caller's snapshot. Each table is counted for its own rows (`only`), as a dump
/// holds them.
pub async fn count_rows(
    conn: &mut PgConnection,
    tables: &[TableName],
) -> Result<BTreeMap<String, i64>, sqlx::Error> {
    let mut counts = BTreeMap::new();
    if tables.is_empty() {
        return Ok(counts);
    }
    // Names come from the catalog and are quoted; the label is bound as a value.
    let sql = tables
        .iter()
        .enumerate()
        .map(|(i, t)| format!("select ${}::text, count(*) from only {}", i + 1, t.quoted()))
        .collect::<Vec<_>>()
        .join(" union all ");
    let mut query = sqlx::query_as::<_, (String, i64)>(&sql);
    for t in tables {
        query = query.bind(t.display());
    }
    counts.extend(query.fetch_all(&mut *conn).await?);
    Ok(counts)
}

/// How many objects of its own the connected database holds: relations, types, functions and
/// schemas outside the system schemas and `public` (0 for a database fresh from `template0`).
pub async fn user_object_count(conn: &mut PgConnection) -> Result<i64, sqlx::Error> {
    sqlx::query_scalar!(
        r#"with user_ns as (
             select oid, nspname from pg_namespace
             where nspname not in ('pg_catalog', 'information_schema')
               and nspname not like 'pg\_toast%' and nspname not like 'pg\_temp\_%')
         select (select count(*) from user_ns where nspname <> 'public')
              + (select count(*) from pg_class where relnamespace in (select oid from user_ns))
              + (select count(*) from pg_proc where pronamespace in (select oid from user_ns))
              + (select count(*) from pg_type t
                 where typnamespace in (select oid from user_ns) and typtype in ('e', 'd', 'r'))
              as "count!""#
    )
    .fetch_one(conn)
    .await
}

/// Whether a database of that name exists on the server.
pub async fn database_exists(conn: &mut PgConnection, name: &str) -> Result<bool, sqlx::Error> {
    sqlx::query_scalar!(
        r#"select exists (select 1 from pg_database where datname = $1) as "exists!""#,
        name
    )
    .fetch_one(conn)
    .await
}

/// The cluster's WAL archiving settings as the server runs with them now.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ArchiveSettings {
    /// `archive_mode`: `off`, `on` or `always`.
    pub mode: String,
    pub command: String,
    pub wal_level: String,
    /// Whether some setting waits for a restart to take effect.
    pub pending_restart: bool,
}

pub async fn archive_settings(conn: &mut PgConnection) -> Result<ArchiveSettings, sqlx::Error> {
    sqlx::query_as!(
        ArchiveSettings,
        r#"select current_setting('archive_mode') as "mode!",
                  current_setting('archive_command') as "command!",
                  current_setting('wal_level') as "wal_level!",
                  exists (select 1 from pg_settings where pending_restart) as "pending_restart!""#
    )
    .fetch_one(conn)
    .await
}

/// Writes the archiving settings into `postgresql.auto.conf` (`ALTER SYSTEM`; `None` resets
/// them) and reloads. `archive_mode` itself takes effect at the next restart.
pub async fn set_archiving(
    conn: &mut PgConnection,
    command: Option<&str>,
    timeout_seconds: u32,
) -> Result<(), sqlx::Error> {
    // ALTER SYSTEM takes no parameters, so the values are quoted as literals here; and it
    // cannot run in a transaction block, so each statement goes alone.
    let statements = match command {
        Some(command) => vec![
            "alter system set wal_level = 'replica'".to_string(),
            "alter system set archive_mode = 'on'".to_string(),
            format!(
                "alter system set archive_command = {}",
                quote_literal(command)
            ),
            format!("alter system set archive_timeout = '{timeout_seconds}s'"),
        ],
        None => vec![
            "alter system reset archive_mode".to_string(),
            "alter system reset archive_command".to_string(),
            "alter system reset archive_timeout".to_string(),
        ],
    };
    for sql in statements {
        sqlx::raw_sql(&sql).execute(&mut *conn).await?;
    }
    sqlx::query!("select pg_reload_conf()")
        .fetch_one(&mut *conn)
        .await?;
    Ok(())
}

/// Writes a small WAL record, then ends the current WAL segment so that the archiver archives
/// it; returns that segment's file name: once it is archived, everything committed before this
/// call is in the archive.
pub async fn switch_wal(conn: &mut PgConnection) -> Result<String, sqlx::Error> {
    // The message guarantees the segment holds something, so the switch really completes one
    // (a switch right at a segment boundary would do nothing).
    sqlx::query!("select pg_logical_emit_message(false, 'soleflip', 'wal switch')::text")
        .fetch_one(&mut *conn)
        .await?;
    // pg_walfile_name maps the boundary that pg_switch_wal returns to the segment before it:
    // the one just completed.
    sqlx::query_scalar!(r#"select pg_walfile_name(pg_switch_wal()) as "segment!""#)
        .fetch_one(conn)
        .await
}

/// The archiver's progress: the last archived segment and the last failure, if any.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ArchiverState {
    pub last_archived: Option<String>,
    pub last_failed: Option<String>,
}

pub async fn archiver_state(conn: &mut PgConnection) -> Result<ArchiverState, sqlx::Error> {
    sqlx::query_as!(
        ArchiverState,
        r#"select last_archived_wal as "last_archived?", last_failed_wal as "last_failed?"
           from pg_stat_archiver"#
    )
    .fetch_one(conn)
    .await
}

/// Whether the server is still replaying WAL (archive recovery) rather than open for writes.
pub async fn in_recovery(conn: &mut PgConnection) -> Result<bool, sqlx::Error> {
    sqlx::query_scalar!(r#"select pg_is_in_recovery() as "in_recovery!""#)
        .fetch_one(conn)
        .await
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn literals_double_their_quotes() {
        assert_eq!(quote_literal("it's"), "'it''s'");
        assert_eq!(quote_literal(r"a\b"), r"'a\b'");
    }

    #[test]
    fn the_major_version_comes_from_the_number() {
        let v = ServerVersion {
            version: "15.18".into(),
            num: 150_018,
        };
        assert_eq!(v.major(), 15);
    }
}
