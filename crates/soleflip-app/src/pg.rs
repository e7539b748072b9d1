//! The embedded PostgreSQL server of the home directory: start, stop, status, URL.

use std::path::PathBuf;

use serde::Serialize;

use crate::db::DbError;
use crate::{App, EMBEDDED_DATABASE};

/// Whether the embedded server runs.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum ServerState {
    Running,
    Stopped,
    /// The home has no cluster (`pg start` or `db up` creates it).
    NotCreated,
}

/// `pg start`.
#[derive(Debug, Clone, Serialize)]
pub struct StartReport {
    /// False when it was running already.
    pub started: bool,
    pub pid: Option<u32>,
    pub version: String,
    pub data_dir: PathBuf,
    pub socket_dir: PathBuf,
}

/// `pg stop`.
#[derive(Debug, Clone, Serialize)]
pub struct StopReport {
    /// False when it was not running.
    pub stopped: bool,
}

/// `pg status`.
#[derive(Debug, Clone, Serialize)]
pub struct StatusReport {
    pub state: ServerState,
    pub pid: Option<u32>,
    pub version: String,
    pub bin_dir: PathBuf,
    pub data_dir: PathBuf,
    pub socket_dir: PathBuf,
    /// The URL of the SoleFlip database, once it exists on the running server.
    pub url: Option<String>,
    /// Whether the SoleFlip database exists (None while the server is not running).
    pub database_exists: Option<bool>,
    /// The other server commands use instead, when one is configured (password-free).
    pub configured_server: Option<String>,
}

impl App {
    /// Creates the embedded cluster if needed and starts it.
    #[tracing::instrument(skip(self))]
    pub async fn pg_start(&self) -> Result<StartReport, DbError> {
        let cluster = self.cluster()?;
        let (started, cluster) =
            tokio::task::spawn_blocking(move || cluster.start().map(|started| (started, cluster)))
                .await
                .map_err(|e| DbError::Unexpected(e.into()))??;
        Ok(StartReport {
            started,
            pid: cluster.status().pid,
            version: cluster.binaries().version.clone(),
            data_dir: cluster.data_dir().to_path_buf(),
            socket_dir: cluster.socket_dir().to_path_buf(),
        })
    }

    /// Stops the embedded server (fast shutdown; committed data is kept).
    #[tracing::instrument(skip(self))]
    pub async fn pg_stop(&self) -> Result<StopReport, DbError> {
        let cluster = self.cluster()?;
        let stopped = tokio::task::spawn_blocking(move || cluster.stop())
            .await
            .map_err(|e| DbError::Unexpected(e.into()))??;
        Ok(StopReport { stopped })
    }

    /// Where the embedded server is and whether it runs; creates and starts nothing.
    #[tracing::instrument(skip(self))]
    pub async fn pg_status(&self) -> Result<StatusReport, DbError> {
        let cluster = self.cluster()?;
        let status = cluster.status();
        let state = match (status.initialized, status.pid) {
            (_, Some(_)) => ServerState::Running,
            (true, None) => ServerState::Stopped,
            (false, None) => ServerState::NotCreated,
        };
        let database_exists = if state == ServerState::Running {
            Some(self.embedded_database_exists(&cluster).await?)
        } else {
            None
        };
        Ok(StatusReport {
            state,
            pid: status.pid,
            version: cluster.binaries().version.clone(),
            bin_dir: cluster.binaries().dir.clone(),
            data_dir: cluster.data_dir().to_path_buf(),
            socket_dir: cluster.socket_dir().to_path_buf(),
            url: (database_exists == Some(true)).then(|| cluster.url(EMBEDDED_DATABASE)),
            database_exists,
            configured_server: self.config.database.as_ref().map(|t| t.describe()),
        })
    }

    /// A URL of the embedded SoleFlip database for `psql`: only once the server runs and the
    /// database exists, and only when commands use the embedded server at all.
    #[tracing::instrument(skip(self))]
    pub async fn pg_url(&self) -> Result<String, DbError> {
        if let Some(t) = &self.config.database {
            return Err(DbError::OtherServerConfigured {
                server: t.describe(),
            });
        }
        let cluster = self.cluster()?;
        let status = cluster.status();
        if !status.initialized {
            return Err(DbError::NoCluster {
                home: std::path::absolute(self.home()).unwrap_or_else(|_| self.home().into()),
            });
        }
        if status.pid.is_none() {
            return Err(DbError::ServerStopped);
        }
        if !self.embedded_database_exists(&cluster).await? {
            return Err(DbError::NoDatabaseYet {
                database: EMBEDDED_DATABASE.to_string(),
            });
        }
        Ok(cluster.url(EMBEDDED_DATABASE))
    }

    async fn embedded_database_exists(&self, cluster: &crate::Cluster) -> Result<bool, DbError> {
        let target = crate::DbTarget::from_socket(
            cluster.socket_dir(),
            cluster.port(),
            soleflip_pg::SUPERUSER,
            EMBEDDED_DATABASE,
        );
        Ok(soleflip_db::admin::database_exists(&target).await?)
    }
}
