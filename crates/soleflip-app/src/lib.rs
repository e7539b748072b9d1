//! SoleFlip's use cases: the one door to the data for the CLI, the HTTP API and the web page.
//! An [`App`] is built once from an [`AppConfig`]; it holds the connection pool (and the
//! embedded server when no server was given), and every use case is a function of one of its
//! areas (`db`, `pg`, `users`, `health`, `docs`, `sizes`, `prices`, `backup`, `awin`, `stockx`). Each returns a
//! typed, `serde::Serialize` report (what the CLI prints as text or JSON and the API returns) or
//! an area error with a stable [`Code`].
//!
//! This crate owns the transactions the use cases run in and the child processes they start;
//! the SQL they send lives in `soleflip-db`, the embedded server in `soleflip-pg`, pure rules in
//! `soleflip-domain`. It must not depend on the CLI: no flags, no printing, no exit codes.

pub mod arbitrage;
pub mod auth;
pub mod awin;
pub mod backup;
pub mod cursor;
pub mod db;
pub mod docs;
pub mod error;
pub mod fx;
pub mod health;
pub mod imports;
pub mod ledger;
pub mod matching;
pub mod pg;
pub mod prices;
pub mod readiness;
pub mod sizes;
pub mod stockx;
pub mod users;

use std::path::{Path, PathBuf};

use sqlx::postgres::{PgPool, PgPoolOptions};
use tokio::sync::OnceCell;

pub use error::{code_of, Code, Coded};
pub use soleflip_db::target::{ConnectError, TargetError};
pub use soleflip_db::DbTarget;
pub use soleflip_domain as domain;
pub use soleflip_pg::{Cluster, PgBinaries, PgError};
pub use sqlx::types::{Decimal, Uuid};

/// The database the embedded cluster serves.
pub const EMBEDDED_DATABASE: &str = "soleflip";

/// Connections a process keeps at most, unless it asks for another size
/// ([`App::with_pool_size`]): the CLI runs one use case at a time; the server sizes its own.
const POOL_SIZE: u32 = 4;

/// Where the data is: a given server, or the embedded cluster of a home directory.
#[derive(Debug, Clone)]
pub struct AppConfig {
    /// Home of the embedded cluster (and of its backups and WAL archive).
    pub home: PathBuf,
    /// A server given by the operator (URL flag, DATABASE_URL or .env); None: the embedded one.
    pub database: Option<DbTarget>,
}

/// Whether a use case may create the embedded cluster when the home has none.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Create {
    /// `db up`, `db reset`, `pg start`: building the database is what was asked.
    Yes,
    /// Everything else: a missing cluster is an error that says how to make one.
    No,
}

/// The application handle: configuration, the embedded server when used, and one pool.
#[derive(Debug)]
pub struct App {
    config: AppConfig,
    pool: OnceCell<PgPool>,
    pool_size: u32,
}

impl App {
    pub fn new(config: AppConfig) -> Self {
        Self {
            config,
            pool: OnceCell::new(),
            pool_size: POOL_SIZE,
        }
    }

    /// The same application with a pool of at most `size` connections (at least 1).
    pub fn with_pool_size(mut self, size: u32) -> Self {
        self.pool_size = size.max(1);
        self
    }

    /// An application on a given server (the embedded cluster is not used; its default home
    /// stays `./.soleflip`).
    pub fn on_server(target: DbTarget) -> Self {
        Self::new(AppConfig {
            home: PathBuf::from(".soleflip"),
            database: Some(target),
        })
    }

    pub fn config(&self) -> &AppConfig {
        &self.config
    }

    pub fn home(&self) -> &Path {
        &self.config.home
    }

    /// Whether the use cases work on the embedded cluster (no server was given).
    pub fn embedded(&self) -> bool {
        self.config.database.is_none()
    }

    /// Removes the given server's password from `text`.
    pub fn scrub(&self, text: &str) -> String {
        self.config
            .database
            .as_ref()
            .map_or_else(|| text.to_string(), |t| t.scrub(text))
    }

    /// The embedded cluster of the home directory, described but neither created nor started.
    pub fn cluster(&self) -> Result<Cluster, PgError> {
        let bins = PgBinaries::locate()?;
        Cluster::open(
            &self.config.home,
            bins,
            soleflip_pg::ClusterOptions::default(),
        )
    }

    /// The PostgreSQL client programs (`pg_dump`, `pg_restore`, ...) to use.
    pub fn binaries(&self) -> Result<PgBinaries, PgError> {
        PgBinaries::locate()
    }

    /// The database to work on: the given server's, or the embedded one, started on demand.
    /// With [`Create::No`] a home without a cluster is an error that says how to make one (a
    /// read-only command must never create a cluster where the user did not mean to have one).
    pub async fn target(&self, create: Create) -> Result<DbTarget, db::DbError> {
        if let Some(t) = &self.config.database {
            return Ok(t.clone());
        }
        let cluster = self.cluster()?;
        if create == Create::No && !cluster.status().initialized {
            return Err(db::DbError::NoCluster {
                home: std::path::absolute(&self.config.home)
                    .unwrap_or_else(|_| self.config.home.clone()),
            });
        }
        // Starting a cluster runs child processes and waits for them: keep it off the runtime.
        let started = tokio::task::spawn_blocking(move || cluster.start().map(|_| cluster))
            .await
            .map_err(|e| db::DbError::Unexpected(e.into()))??;
        Ok(DbTarget::from_socket(
            started.socket_dir(),
            started.port(),
            soleflip_pg::SUPERUSER,
            EMBEDDED_DATABASE,
        ))
    }

    /// The connection pool of the database (which must exist), built on first use.
    pub async fn pool(&self) -> Result<&PgPool, db::DbError> {
        self.pool
            .get_or_try_init(|| async {
                let target = self.target(Create::No).await?;
                // Connect once now, so that an unreachable server or a missing database is
                // reported with the server's name rather than as a pool time-out later.
                drop(target.connect().await?);
                Ok::<_, db::DbError>(
                    // No ping before each acquire: it is one more round trip per use case (two
                    // per API request, with the token check), and a connection the server
                    // dropped fails its statement, is closed by the pool, and the request
                    // answers 503 as when the server is down (tests/api.rs outage test).
                    PgPoolOptions::new()
                        .test_before_acquire(false)
                        .max_connections(self.pool_size)
                        .acquire_timeout(soleflip_db::target::CONNECT_TIMEOUT)
                        .connect_lazy_with(target.connect_options()),
                )
            })
            .await
    }

    /// One connection of the pool, for a use case that runs several statements on it.
    pub async fn conn(&self) -> Result<sqlx::pool::PoolConnection<sqlx::Postgres>, db::DbError> {
        self.pool()
            .await?
            .acquire()
            .await
            .map_err(|e| db::DbError::Unexpected(anyhow::Error::new(e).context("connecting")))
    }

    /// A connection of its own, outside the pool, for a use case that changes session settings
    /// (lock time-outs, advisory locks) that must not leak into other use cases.
    pub async fn own_conn(&self) -> Result<sqlx::PgConnection, db::DbError> {
        let target = self.target(Create::No).await?;
        Ok(target.connect().await?)
    }
}
