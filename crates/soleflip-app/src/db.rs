//! The database's lifecycle: create it, migrate it, say where it stands, verify it against what
//! its migrations promise, reset it, and adopt one built by the old Python system.

use std::path::PathBuf;

use serde::Serialize;
pub use soleflip_db::migrate::MigrationState;
use soleflip_db::migrate::{self, MigrateError, MIGRATIONS};
use soleflip_db::{admin, adopt};
use sqlx::Connection;

use crate::error::{Code, Coded};
use crate::{App, Create};

pub use soleflip_db::schema::{Drift, DriftKind};
pub use soleflip_db::verify::VerifyReport;

/// What a caller of the database use cases must be able to tell apart.
#[derive(Debug, thiserror::Error)]
pub enum DbError {
    #[error(
        "no embedded PostgreSQL cluster in {}: `soleflip db up` creates one there (or point \
         SOLEFLIP_HOME at an existing home, or set DATABASE_URL to use another server)",
        home.display()
    )]
    NoCluster { home: PathBuf },
    #[error("the embedded PostgreSQL server is stopped: `soleflip pg start` starts it")]
    ServerStopped,
    /// The database could not be reached (down, restarting, refusing or ending connections):
    /// worth a retry, not a bug.
    #[error("the database cannot be reached: {0}")]
    Lost(sqlx::Error),
    #[error(
        "the database {database} does not exist yet on the embedded server: `soleflip db up` \
         creates it"
    )]
    NoDatabaseYet { database: String },
    #[error(
        "another server is configured (DATABASE_URL, .env or the database URL option): commands \
         use {server}, not the embedded one"
    )]
    OtherServerConfigured { server: String },
    #[error(transparent)]
    Connect(#[from] soleflip_db::target::ConnectError),
    #[error(transparent)]
    Migrate(#[from] MigrateError),
    #[error(transparent)]
    Admin(#[from] admin::AdminError),
    #[error(transparent)]
    Pg(#[from] soleflip_pg::PgError),
    #[error("this is not a database of the old SoleFlip system: {0}")]
    NotOldSystem(String),
    #[error("the database is already managed by soleflip (at migration {0}): nothing to adopt")]
    AlreadyManaged(i64),
    #[error(
        "the database differs from what the old system built ({} object(s)): not adopted; \
         adopting it anyway needs the force option",
        .0.len()
    )]
    AdoptDrift(Vec<Drift>),
    #[error(
        "dropping {database} needs a confirmation: it is not the embedded database, so type its \
         name to confirm"
    )]
    ConfirmationRequired { database: String },
    #[error(transparent)]
    Unexpected(#[from] anyhow::Error),
}

impl From<sqlx::Error> for DbError {
    fn from(e: sqlx::Error) -> Self {
        if lost_database(&e) {
            Self::Lost(e)
        } else {
            Self::Unexpected(e.into())
        }
    }
}

/// Whether the driver's error says the database cannot be reached: no connection could be made
/// or kept (I/O, pool time-out or closed), or the server refused or ended it (SQLSTATE class 08,
/// or 57P01-57P03: shutting down, crashed, not yet accepting connections).
pub fn lost_database(e: &sqlx::Error) -> bool {
    match e {
        sqlx::Error::Io(_) | sqlx::Error::PoolTimedOut | sqlx::Error::PoolClosed => true,
        sqlx::Error::Database(db) => db.code().is_some_and(|c| {
            c.starts_with("08") || matches!(c.as_ref(), "57P01" | "57P02" | "57P03")
        }),
        _ => false,
    }
}

impl Coded for DbError {
    fn code(&self) -> Code {
        match self {
            DbError::NoCluster { .. } | DbError::NoDatabaseYet { .. } => Code::NotFound,
            DbError::ServerStopped | DbError::Lost(_) => Code::Unavailable,
            DbError::OtherServerConfigured { .. } => Code::Conflict,
            DbError::Connect(e) => e.code(),
            DbError::Migrate(e) => match e {
                MigrateError::ChecksumMismatch { .. } => Code::ChecksumMismatch,
                MigrateError::UnknownVersion { .. }
                | MigrateError::NeedsAdopt(_)
                | MigrateError::NotEmpty(_) => Code::Conflict,
                MigrateError::BadTarget(..) => Code::InvalidInput,
                MigrateError::ConnectionLost { .. } => Code::Unavailable,
                MigrateError::Failed { .. } | MigrateError::Sql(_) => Code::Unexpected,
            },
            DbError::Admin(admin::AdminError::Connect(e)) => e.code(),
            DbError::Admin(_) => Code::Unexpected,
            DbError::Pg(e) => e.code(),
            DbError::NotOldSystem(_) | DbError::AlreadyManaged(_) => Code::Conflict,
            DbError::AdoptDrift(_) => Code::Drift,
            DbError::ConfirmationRequired { .. } => Code::ConfirmationRequired,
            DbError::Unexpected(_) => Code::Unexpected,
        }
    }
}

/// A migration, by version and name.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct MigrationRef {
    pub version: i64,
    pub name: String,
}

fn migration_ref(version: i64) -> MigrationRef {
    MigrationRef {
        version,
        name: MIGRATIONS
            .iter()
            .find(|m| m.version == version)
            .map_or_else(String::new, |m| m.name.to_string()),
    }
}

/// What one migrate run did.
#[derive(Debug, Clone, Serialize)]
pub struct MigrateReport {
    /// Applied by this run, in order (empty: nothing was pending).
    pub applied: Vec<MigrationRef>,
    /// The version the database is at afterwards (0: none).
    pub version: i64,
}

/// `db up`: what was created and applied, then the verification report.
#[derive(Debug, Clone, Serialize)]
pub struct UpReport {
    /// Whether this run created the database.
    pub created_database: bool,
    pub migrate: MigrateReport,
    pub verify: VerifyReport,
}

/// `db status`: every known or applied migration.
#[derive(Debug, Clone, Serialize)]
pub struct StatusReport {
    pub database: String,
    pub migrations: Vec<MigrationState>,
}

impl StatusReport {
    /// Applied migrations whose file has changed since.
    pub fn changed(&self) -> impl Iterator<Item = &MigrationState> {
        self.migrations
            .iter()
            .filter(|m| m.checksum_ok == Some(false))
    }
}

/// `db adopt`: what was taken over, and the drift that was accepted.
#[derive(Debug, Clone, Serialize)]
pub struct AdoptReport {
    pub database: String,
    /// The migration recorded as applied.
    pub recorded: MigrationRef,
    /// Differences from what the old system built that adopting with force accepted.
    pub accepted_drift: Vec<Drift>,
}

/// `db reset`: the database dropped and built again.
#[derive(Debug, Clone, Serialize)]
pub struct ResetReport {
    pub database: String,
    pub migrate: MigrateReport,
    pub verify: VerifyReport,
}

/// How `db reset` was confirmed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Confirm {
    /// Enough for the embedded database, whose server only this machine's user reaches.
    Yes,
    /// The database name typed by the operator; needed for any other server.
    Named(String),
}

impl App {
    /// Creates the database if missing, applies pending migrations (up to `to`), and verifies.
    #[tracing::instrument(skip(self))]
    pub async fn db_up(&self, to: Option<i64>) -> Result<UpReport, DbError> {
        let target = self.target(Create::Yes).await?;
        let created_database = admin::ensure_database(&target).await?;
        let migrate = self.db_migrate(to).await?;
        let verify = self.db_verify().await?;
        Ok(UpReport {
            created_database,
            migrate,
            verify,
        })
    }

    /// Applies pending migrations up to `to` (default: all), each in its own transaction,
    /// under the migration lock.
    #[tracing::instrument(skip(self))]
    pub async fn db_migrate(&self, to: Option<i64>) -> Result<MigrateReport, DbError> {
        // The migration lock is a session lock: a connection of its own, closed afterwards.
        let mut conn = self.own_conn().await?;
        let outcome = migrate::migrate(&mut conn, to).await?;
        let _ = conn.close().await;
        Ok(MigrateReport {
            applied: outcome.applied.into_iter().map(migration_ref).collect(),
            version: outcome.version,
        })
    }

    /// Applied and pending migrations, with the checksum state of each applied one.
    #[tracing::instrument(skip(self))]
    pub async fn db_status(&self) -> Result<StatusReport, DbError> {
        let target = self.target(Create::No).await?;
        let mut conn = self.conn().await?;
        Ok(StatusReport {
            database: target.describe(),
            migrations: migrate::status(&mut conn).await?,
        })
    }

    /// Compares the live catalog with the manifest of the applied migration, checks the promises
    /// made from migration 2 on, and reports applied migrations whose file changed.
    #[tracing::instrument(skip(self))]
    pub async fn db_verify(&self) -> Result<VerifyReport, DbError> {
        let target = self.target(Create::No).await?;
        let mut conn = self.conn().await?;
        verify_on(&mut conn, &target.describe()).await
    }

    /// Drops the database and builds it again. The embedded database needs [`Confirm::Yes`];
    /// any other needs its name typed ([`Confirm::Named`]).
    #[tracing::instrument(skip(self))]
    pub async fn db_reset(&self, confirm: Confirm) -> Result<ResetReport, DbError> {
        let target = self.target(Create::Yes).await?;
        let database = target.database();
        let confirmed = match &confirm {
            Confirm::Named(name) => *name == database,
            Confirm::Yes => self.embedded(),
        };
        if !confirmed {
            return Err(DbError::ConfirmationRequired {
                database: target.describe(),
            });
        }
        if let Some(pool) = self.pool.get() {
            pool.close().await;
        }
        admin::drop_database(&target).await?;
        admin::ensure_database(&target).await?;
        let mut conn = target.connect().await?;
        let outcome = migrate::migrate(&mut conn, None).await?;
        let verify = verify_on(&mut conn, &target.describe()).await?;
        let _ = conn.close().await;
        Ok(ResetReport {
            database: target.describe(),
            migrate: MigrateReport {
                applied: outcome.applied.into_iter().map(migration_ref).collect(),
                version: outcome.version,
            },
            verify,
        })
    }

    /// Takes over a database built by the old system: compares it with migration 1's manifest
    /// and records migration 1 as applied, in one transaction under the migration lock. The
    /// Alembic bookkeeping table it replaces is kept, renamed, never dropped. Rows are never
    /// touched.
    #[tracing::instrument(skip(self))]
    pub async fn db_adopt(&self, force: bool) -> Result<AdoptReport, DbError> {
        let target = self.target(Create::No).await?;
        let mut conn = self.own_conn().await?;
        migrate::lock(&mut conn).await?;
        let result = adopt_locked(&mut conn, force).await;
        migrate::unlock(&mut conn).await;
        let _ = conn.close().await;
        let accepted_drift = result?;
        Ok(AdoptReport {
            database: target.describe(),
            recorded: migration_ref(1),
            accepted_drift,
        })
    }
}

async fn adopt_locked(conn: &mut sqlx::PgConnection, force: bool) -> Result<Vec<Drift>, DbError> {
    if let Some((version, _)) = migrate::current_version(conn).await? {
        return Err(DbError::AlreadyManaged(version));
    }
    match migrate::alembic_revision(conn).await? {
        Some(r) if r == adopt::OLD_REVISION => {}
        Some(r) => {
            return Err(DbError::NotOldSystem(format!(
                "public.alembic_version is {r:?}, not {:?}",
                adopt::OLD_REVISION
            )))
        }
        None => {
            return Err(DbError::NotOldSystem(
                "it has no public.alembic_version (an empty database is built with `soleflip db \
                 up`)"
                    .to_string(),
            ))
        }
    }
    let drift = adopt::drift_from_consolidated_v1(conn).await?;
    if !drift.is_empty() && !force {
        return Err(DbError::AdoptDrift(drift));
    }
    let mut tx = conn.begin().await?;
    adopt::record_adoption(&mut tx).await?;
    tx.commit().await?;
    Ok(drift)
}

/// The verification report of the database behind `conn`, named `database`.
pub async fn verify_on(
    conn: &mut sqlx::PgConnection,
    database: &str,
) -> Result<VerifyReport, DbError> {
    Ok(soleflip_db::verify::verify(conn, database).await?)
}
