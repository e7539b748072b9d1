//! The embedded migrations and the runner that applies them: in order, each in its own
//! transaction, under an advisory lock, recording version, name and checksum.
//!
//! Forward-only by design: `db reset` and backups replace downgrades (the old system's
//! downgrade never worked). Files in `migrations/` are never edited once released; the checksum
//! check refuses a database whose applied migration no longer matches the file.

use std::time::Instant;

use sha2::{Digest, Sha256};
use sqlx::postgres::PgConnection;
use sqlx::Connection;

/// One migration, compiled into the binary.
#[derive(Debug, Clone, Copy)]
pub struct Migration {
    pub version: i64,
    pub name: &'static str,
    pub sql: &'static str,
}

impl Migration {
    /// File name in `migrations/`, e.g. `0001_consolidated_v1.sql`.
    pub fn file_name(&self) -> String {
        format!("{:04}_{}.sql", self.version, self.name)
    }

    pub fn checksum(&self) -> String {
        hex::encode(Sha256::digest(self.sql.as_bytes()))
    }
}

/// Every migration, in apply order. A test checks that this list and the files in
/// `migrations/` agree.
pub const MIGRATIONS: &[Migration] = &[
    Migration {
        version: 1,
        name: "consolidated_v1",
        sql: include_str!("../../../migrations/0001_consolidated_v1.sql"),
    },
    Migration {
        version: 2,
        name: "document_promises",
        sql: include_str!("../../../migrations/0002_document_promises.sql"),
    },
    Migration {
        version: 3,
        name: "brand_aware_sizes",
        sql: include_str!("../../../migrations/0003_brand_aware_sizes.sql"),
    },
    Migration {
        version: 4,
        name: "unified_prices",
        sql: include_str!("../../../migrations/0004_unified_prices.sql"),
    },
    Migration {
        version: 5,
        name: "sizes_room_to_normalize",
        sql: include_str!("../../../migrations/0005_sizes_room_to_normalize.sql"),
    },
    Migration {
        version: 6,
        name: "ledger",
        sql: include_str!("../../../migrations/0006_ledger.sql"),
    },
    Migration {
        version: 7,
        name: "auth_sessions",
        sql: include_str!("../../../migrations/0007_auth_sessions.sql"),
    },
    Migration {
        version: 8,
        name: "imports",
        sql: include_str!("../../../migrations/0008_imports.sql"),
    },
    Migration {
        version: 9,
        name: "awin_feeds",
        sql: include_str!("../../../migrations/0009_awin_feeds.sql"),
    },
    Migration {
        version: 10,
        name: "variant_catalog",
        sql: include_str!("../../../migrations/0010_variant_catalog.sql"),
    },
    Migration {
        version: 11,
        name: "price_history_partitions",
        sql: include_str!("../../../migrations/0011_price_history_partitions.sql"),
    },
    Migration {
        version: 12,
        name: "stockx_sync",
        sql: include_str!("../../../migrations/0012_stockx_sync.sql"),
    },
];

/// The newest version this binary knows.
pub fn latest_version() -> i64 {
    MIGRATIONS.last().map_or(0, |m| m.version)
}

/// Held while migrating, so that concurrent runs wait and then find nothing to do.
/// (The bytes of "SoleFlip" read as a big-endian integer.)
const LOCK_KEY: i64 = 0x536f_6c65_466c_6970;

/// Our bookkeeping table: one row per applied migration.
pub const VERSION_TABLE: &str = "public.soleflip_migrations";

const CREATE_VERSION_TABLE: &str = "
    create table if not exists public.soleflip_migrations (
        version bigint primary key,
        name text not null,
        checksum text not null,
        applied_at timestamptz not null default now(),
        -- 'migrate' when our runner applied it, 'adopt' when an existing database built by
        -- the old system was recorded as being at this version
        applied_by text not null default 'migrate',
        duration_ms integer not null default 0
    )";

#[derive(Debug, thiserror::Error)]
pub enum MigrateError {
    #[error(
        "migration {version} ({name}) was applied from a file that has since changed (checksum \
         mismatch): released migrations must never be edited"
    )]
    ChecksumMismatch { version: i64, name: String },
    #[error(
        "the database is at migration {version} ({name}), which this soleflip binary does not \
         know (it knows up to {known}): use a newer soleflip"
    )]
    UnknownVersion {
        version: i64,
        name: String,
        known: i64,
    },
    #[error(
        "this database was built by the old SoleFlip system (public.alembic_version = {0}) and \
         has no soleflip version records: run `soleflip db adopt` to take it over"
    )]
    NeedsAdopt(String),
    #[error(
        "the database already holds SoleFlip objects ({0}) but no soleflip version records: \
         refusing to build over it"
    )]
    NotEmpty(String),
    #[error("migration {0} is not a known migration version (known: 1 to {1})")]
    BadTarget(i64, i64),
    #[error("migration {version} ({name}) failed and was rolled back: {reason}")]
    Failed {
        version: i64,
        name: String,
        reason: String,
    },
    #[error(
        "the connection to PostgreSQL was lost while applying migration {version} ({name}); \
         its transaction was rolled back by the server{unsure}: run the command again"
    )]
    ConnectionLost {
        version: i64,
        name: String,
        unsure: &'static str,
    },
    #[error("reading the migration state: {0}")]
    Sql(#[from] sqlx::Error),
}

/// One row of `db status`.
#[derive(Debug, Clone, serde::Serialize)]
pub struct MigrationState {
    pub version: i64,
    pub name: String,
    /// When it was applied (RFC 3339, server time); None while pending.
    pub applied_at: Option<String>,
    pub applied_by: Option<String>,
    /// Whether the applied checksum equals the embedded file's; None while pending.
    pub checksum_ok: Option<bool>,
}

/// A row of our version table.
#[derive(Debug, Clone)]
struct Applied {
    version: i64,
    name: String,
    checksum: String,
    applied_at: String,
    applied_by: String,
}

async fn read_applied(conn: &mut PgConnection) -> Result<Vec<Applied>, sqlx::Error> {
    let exists = sqlx::query_scalar!(
        r#"select to_regclass($1) is not null as "exists!""#,
        VERSION_TABLE
    )
    .fetch_one(&mut *conn)
    .await?;
    if !exists {
        return Ok(Vec::new());
    }
    sqlx::query_as!(
        Applied,
        r#"select version, name, checksum,
                  to_char(applied_at at time zone 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS"Z"')
                      as "applied_at!",
                  applied_by
           from public.soleflip_migrations order by version"#
    )
    .fetch_all(&mut *conn)
    .await
}

/// Applied and pending migrations, for `db status`.
pub async fn status(conn: &mut PgConnection) -> Result<Vec<MigrationState>, MigrateError> {
    let applied = read_applied(conn).await?;
    let mut out = Vec::new();
    for a in &applied {
        let known = MIGRATIONS.iter().find(|m| m.version == a.version);
        out.push(MigrationState {
            version: a.version,
            name: a.name.clone(),
            applied_at: Some(a.applied_at.clone()),
            applied_by: Some(a.applied_by.clone()),
            checksum_ok: Some(known.is_some_and(|m| m.checksum() == a.checksum)),
        });
    }
    for m in MIGRATIONS
        .iter()
        .filter(|m| applied.iter().all(|a| a.version != m.version))
    {
        out.push(MigrationState {
            version: m.version,
            name: m.name.to_string(),
            applied_at: None,
            applied_by: None,
            checksum_ok: None,
        });
    }
    out.sort_by_key(|s| s.version);
    Ok(out)
}

/// The highest applied version and its name, if any.
pub async fn current_version(
    conn: &mut PgConnection,
) -> Result<Option<(i64, String)>, sqlx::Error> {
    Ok(read_applied(conn)
        .await?
        .last()
        .map(|a| (a.version, a.name.clone())))
}

/// What one `migrate` call did.
#[derive(Debug, Clone, Default, serde::Serialize)]
pub struct MigrateOutcome {
    /// Versions applied by this call, in order.
    pub applied: Vec<i64>,
    /// The version the database is at afterwards.
    pub version: i64,
}

/// Applies pending migrations up to `to` (default: all), each in its own transaction.
pub async fn migrate(
    conn: &mut PgConnection,
    to: Option<i64>,
) -> Result<MigrateOutcome, MigrateError> {
    let latest = latest_version();
    let target = match to {
        Some(v) if v < 1 || v > latest => return Err(MigrateError::BadTarget(v, latest)),
        Some(v) => v,
        None => latest,
    };
    lock(conn).await?;
    let result = migrate_locked(conn, target).await;
    unlock(conn).await;
    result
}

/// Takes the migration lock (waits while another soleflip migrates or adopts).
pub async fn lock(conn: &mut PgConnection) -> Result<(), sqlx::Error> {
    sqlx::query!("select pg_advisory_lock($1)", LOCK_KEY)
        .fetch_one(conn)
        .await?;
    Ok(())
}

pub async fn unlock(conn: &mut PgConnection) {
    // If the connection is gone the server has released the lock already.
    let _ = sqlx::query!("select pg_advisory_unlock($1)", LOCK_KEY)
        .fetch_one(conn)
        .await;
}

pub async fn create_version_table(conn: &mut PgConnection) -> Result<(), sqlx::Error> {
    sqlx::raw_sql(CREATE_VERSION_TABLE).execute(conn).await?;
    Ok(())
}

async fn migrate_locked(
    conn: &mut PgConnection,
    target: i64,
) -> Result<MigrateOutcome, MigrateError> {
    let applied = read_applied(conn).await?;
    check_applied(&applied)?;
    if applied.is_empty() {
        refuse_foreign_database(conn).await?;
        create_version_table(conn).await?;
    }
    let start = applied.last().map_or(0, |a| a.version);
    let mut outcome = MigrateOutcome {
        applied: Vec::new(),
        version: start,
    };
    for m in MIGRATIONS
        .iter()
        .filter(|m| m.version > start && m.version <= target)
    {
        apply_one(conn, m).await?;
        outcome.applied.push(m.version);
        outcome.version = m.version;
    }
    Ok(outcome)
}

fn check_applied(applied: &[Applied]) -> Result<(), MigrateError> {
    for a in applied {
        match MIGRATIONS.iter().find(|m| m.version == a.version) {
            None => {
                return Err(MigrateError::UnknownVersion {
                    version: a.version,
                    name: a.name.clone(),
                    known: latest_version(),
                })
            }
            Some(m) if m.checksum() != a.checksum => {
                return Err(MigrateError::ChecksumMismatch {
                    version: a.version,
                    name: a.name.clone(),
                })
            }
            Some(_) => {}
        }
    }
    Ok(())
}

/// The Alembic revision recorded in `public.alembic_version`, if that table exists.
pub async fn alembic_revision(conn: &mut PgConnection) -> Result<Option<String>, sqlx::Error> {
    let exists = sqlx::query_scalar!(
        r#"select to_regclass('public.alembic_version') is not null as "exists!""#
    )
    .fetch_one(&mut *conn)
    .await?;
    if !exists {
        return Ok(None);
    }
    let revision: Option<String> =
        sqlx::query_scalar("select version_num::text from public.alembic_version limit 1")
            .fetch_optional(&mut *conn)
            .await?;
    Ok(Some(revision.unwrap_or_default()))
}

/// A database without our records must be empty of SoleFlip objects before migration 1 builds
/// it; one built by the old system is to be adopted instead.
async fn refuse_foreign_database(conn: &mut PgConnection) -> Result<(), MigrateError> {
    let alembic = alembic_revision(conn).await?;
    if let Some(version) = alembic {
        return Err(MigrateError::NeedsAdopt(version));
    }
    let example = sqlx::query_scalar!(
        r#"select n.nspname || '.' || c.relname as "object!" from pg_class c
           join pg_namespace n on n.oid = c.relnamespace
           where n.nspname in ('analytics', 'auth', 'core', 'integration', 'platforms', 'pricing',
                               'products', 'system', 'transactions')
           order by 1 limit 1"#
    )
    .fetch_optional(&mut *conn)
    .await?;
    match example {
        Some(object) => Err(MigrateError::NotEmpty(object)),
        None => Ok(()),
    }
}

async fn apply_one(conn: &mut PgConnection, m: &Migration) -> Result<(), MigrateError> {
    let started = Instant::now();
    let lost = |unsure: &'static str| MigrateError::ConnectionLost {
        version: m.version,
        name: m.name.to_string(),
        unsure,
    };
    let mut tx = conn.begin().await.map_err(|_| lost(""))?;
    if let Err(e) = sqlx::raw_sql(m.sql).execute(&mut *tx).await {
        return Err(match e {
            // Classes 08 (connection exception) and 57 (operator intervention, e.g. a
            // terminated backend or a server shutting down) mean the session is gone.
            sqlx::Error::Database(db)
                if db
                    .code()
                    .is_some_and(|c| c.starts_with("08") || c.starts_with("57")) =>
            {
                lost("")
            }
            sqlx::Error::Database(db) => MigrateError::Failed {
                version: m.version,
                name: m.name.to_string(),
                reason: db.message().to_string(),
            },
            _ => lost(""),
        });
    }
    let elapsed = i32::try_from(started.elapsed().as_millis()).unwrap_or(i32::MAX);
    record(&mut tx, m, "migrate", elapsed)
        .await
        .map_err(|_| lost(""))?;
    tx.commit().await.map_err(|_| {
        lost(" (if the commit had reached the server first, the next run finds it applied)")
    })?;
    tracing::info!(
        version = m.version,
        name = m.name,
        ms = elapsed,
        "migration applied"
    );
    Ok(())
}

pub async fn record(
    conn: &mut PgConnection,
    m: &Migration,
    applied_by: &str,
    duration_ms: i32,
) -> Result<(), sqlx::Error> {
    sqlx::query!(
        "insert into public.soleflip_migrations (version, name, checksum, applied_by, duration_ms) \
         values ($1, $2, $3, $4, $5)",
        m.version,
        m.name,
        m.checksum(),
        applied_by,
        duration_ms,
    )
    .execute(conn)
    .await?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_embedded_list_matches_the_files_in_the_migrations_directory() {
        let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../migrations");
        let mut files: Vec<String> = std::fs::read_dir(&dir)
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .filter(|n| n.ends_with(".sql"))
            .collect();
        files.sort();
        let listed: Vec<String> = MIGRATIONS.iter().map(Migration::file_name).collect();
        assert_eq!(files, listed);
        for (i, m) in MIGRATIONS.iter().enumerate() {
            assert_eq!(
                m.version,
                i as i64 + 1,
                "versions are 1, 2, 3, ... without gaps"
            );
            let on_disk = std::fs::read_to_string(dir.join(m.file_name())).unwrap();
            assert_eq!(on_disk, m.sql);
        }
    }

    #[test]
    fn migrations_manage_their_own_transaction_boundaries_never() {
        for m in MIGRATIONS {
            for line in m.sql.lines().map(str::trim).map(str::to_lowercase) {
                // `begin` alone opens a plpgsql block; as a statement it ends with `;`.
                let statement = [
                    "begin;",
                    "begin transaction",
                    "start transaction",
                    "commit",
                    "rollback",
                ]
                .iter()
                .any(|s| line.starts_with(s));
                assert!(
                    !statement,
                    "{}: the runner owns the transaction",
                    m.file_name()
                );
            }
        }
    }
}
