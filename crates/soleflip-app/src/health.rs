//! `db health`: server facts and graded checks of indexes, tables, activity and slow statements.

pub use soleflip_db::health::{
    human_bytes, human_seconds, Area, Check, Finding, HealthReport, Severity, Thresholds,
};

use crate::db::DbError;
use crate::{App, Create};

impl App {
    /// Every health check, graded by `thresholds`. It runs on a connection of its own: it sets a
    /// lock time-out that must not leak into other use cases.
    #[tracing::instrument(skip(self, thresholds))]
    pub async fn health(&self, thresholds: &Thresholds) -> Result<HealthReport, DbError> {
        let target = self.target(Create::No).await?;
        let mut conn = self.own_conn().await?;
        let report = soleflip_db::health::check(&mut conn, &target.describe(), thresholds)
            .await
            .map_err(|e| anyhow::Error::new(e).context("reading the health of the database"))?;
        let _ = sqlx::Connection::close(conn).await;
        Ok(report)
    }
}
