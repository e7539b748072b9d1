//! The SQL of taking over a database built by the old Python/Alembic system (the use case, with
//! its lock and transaction, is `soleflip_app`'s `db_adopt`): its drift from migration 1's
//! manifest, and recording migration 1 as applied without running it.

use sqlx::postgres::PgConnection;

use crate::migrate::{self, MIGRATIONS};
use crate::schema::{self, Drift, Snapshot};

/// The Alembic revision migration 1 reproduces.
pub const OLD_REVISION: &str = "consolidated_v1";

/// Structural differences between this database and migration 1's manifest, ignoring the
/// Alembic bookkeeping table.
pub async fn drift_from_consolidated_v1(
    conn: &mut PgConnection,
) -> Result<Vec<Drift>, sqlx::Error> {
    let found = Snapshot::read(conn)
        .await?
        .without(|key| key.contains("public.alembic_version"));
    let expected = schema::manifest(1).unwrap_or_default();
    Ok(found.drift_from(&expected))
}

/// Records migration 1 as applied by adoption and retires the Alembic bookkeeping table (its one
/// row is what our record replaces): renamed to `public.alembic_version_adopted`, with its row,
/// never dropped. (Not moved to the `archive` schema: migration 4 creates that schema, and
/// adoption runs before it.) Run inside the caller's transaction.
pub async fn record_adoption(conn: &mut PgConnection) -> Result<(), sqlx::Error> {
    let Some(first) = MIGRATIONS.first() else {
        return Err(sqlx::Error::Protocol(
            "this binary has no migrations".into(),
        ));
    };
    migrate::create_version_table(&mut *conn).await?;
    migrate::record(&mut *conn, first, "adopt", 0).await?;
    sqlx::query("alter table public.alembic_version rename to alembic_version_adopted")
        .execute(&mut *conn)
        .await?;
    Ok(())
}
