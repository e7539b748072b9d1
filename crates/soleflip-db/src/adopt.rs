//! Taking over a database built by the old Python/Alembic system: it has
//! `public.alembic_version = consolidated_v1` and none of our version records. Its structure is
//! compared with migration 1's manifest; if it matches (or `force`), migration 1 is recorded as
//! applied without running it, in one transaction that also drops the Alembic bookkeeping table
//! (its one row is what our record replaces). Rows are never touched.

use sqlx::postgres::PgConnection;
use sqlx::Connection;

use crate::catalog::{self, Drift, Snapshot};
use crate::migrate::{self, MIGRATIONS};

/// The Alembic revision migration 1 reproduces.
pub const OLD_REVISION: &str = "consolidated_v1";

#[derive(Debug, thiserror::Error)]
pub enum AdoptError {
    #[error("this is not a database of the old SoleFlip system: {0}")]
    NotOldSystem(String),
    #[error("the database is already managed by soleflip (at migration {0}): nothing to adopt")]
    AlreadyManaged(i64),
    #[error(
        "the database differs from what the old system built ({} object(s) listed above): \
         refusing to adopt it; --force adopts it anyway",
        .0.len()
    )]
    Drift(Vec<Drift>),
    #[error(transparent)]
    Sql(#[from] sqlx::Error),
}

/// What `adopt` did.
#[derive(Debug, Clone, serde::Serialize)]
pub struct Adopted {
    /// Differences from migration 1's manifest that `force` accepted.
    pub drift: Vec<Drift>,
}

/// The Alembic revision recorded in `public.alembic_version`, if that table exists.
pub async fn alembic_revision(conn: &mut PgConnection) -> Result<Option<String>, sqlx::Error> {
    let exists: bool =
        sqlx::query_scalar("select to_regclass('public.alembic_version') is not null")
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

/// Structural differences between this database and migration 1's manifest, ignoring the
/// Alembic bookkeeping table.
pub async fn drift_from_consolidated_v1(
    conn: &mut PgConnection,
) -> Result<Vec<Drift>, sqlx::Error> {
    let found = Snapshot::read(conn)
        .await?
        .without(|key| key.contains("public.alembic_version"));
    let expected = catalog::manifest(1).unwrap_or_default();
    Ok(found.drift_from(&expected))
}

pub async fn adopt(conn: &mut PgConnection, force: bool) -> Result<Adopted, AdoptError> {
    migrate::lock(conn).await?;
    let result = adopt_locked(conn, force).await;
    migrate::unlock(conn).await;
    result
}

async fn adopt_locked(conn: &mut PgConnection, force: bool) -> Result<Adopted, AdoptError> {
    if let Some((version, _)) = migrate::current_version(conn).await? {
        return Err(AdoptError::AlreadyManaged(version));
    }
    match alembic_revision(conn).await? {
        Some(r) if r == OLD_REVISION => {}
        Some(r) => {
            return Err(AdoptError::NotOldSystem(format!(
                "public.alembic_version is {r:?}, not {OLD_REVISION:?}"
            )))
        }
        None => return Err(AdoptError::NotOldSystem(
            "it has no public.alembic_version (an empty database is built with `soleflip db up`)"
                .to_string(),
        )),
    }
    let drift = drift_from_consolidated_v1(conn).await?;
    if !drift.is_empty() && !force {
        return Err(AdoptError::Drift(drift));
    }
    let Some(first) = MIGRATIONS.first() else {
        return Err(AdoptError::NotOldSystem(
            "this binary has no migrations".to_string(),
        ));
    };
    let mut tx = conn.begin().await?;
    migrate::create_version_table(&mut tx).await?;
    migrate::record(&mut tx, first, "adopt", 0).await?;
    sqlx::query("drop table public.alembic_version")
        .execute(&mut *tx)
        .await?;
    tx.commit().await?;
    Ok(Adopted { drift })
}
