//! Whether the database can serve requests: reachable, and at the migration this binary expects
//! (what a server's `/readyz` answers).

use serde::Serialize;

use crate::db::DbError;
use crate::App;

/// The database's migration state against this binary's.
#[derive(Debug, Clone, Serialize)]
pub struct Readiness {
    /// The newest applied migration (0: none).
    pub version: i64,
    /// The newest migration this binary knows.
    pub expected: i64,
    /// Reachable and at the expected migration.
    pub ready: bool,
}

impl App {
    /// Asks the database for its newest applied migration. An unreachable server is an error
    /// (code `unavailable`); a database at another migration is a report with `ready` false.
    #[tracing::instrument(skip(self))]
    pub async fn readiness(&self) -> Result<Readiness, DbError> {
        let mut conn = self.conn().await?;
        let version = soleflip_db::migrate::current_version(&mut conn)
            .await
            .map_err(|e| DbError::Unexpected(anyhow::Error::new(e).context("reading migrations")))?
            .map_or(0, |(v, _)| v);
        let expected = soleflip_db::migrate::latest_version();
        Ok(Readiness {
            version,
            expected,
            ready: version == expected,
        })
    }
}
