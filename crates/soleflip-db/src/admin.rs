//! Creating and dropping whole databases, through the server's maintenance database.

use sqlx::postgres::PgConnection;

use crate::target::{ConnectError, DbTarget};

#[derive(Debug, thiserror::Error)]
pub enum AdminError {
    #[error(transparent)]
    Connect(#[from] ConnectError),
    #[error("{action} database {database}: {reason}")]
    Sql {
        action: &'static str,
        database: String,
        reason: String,
    },
}

/// Connects to the server's maintenance database (`postgres`, else `template1`).
pub async fn connect_maintenance(target: &DbTarget) -> Result<PgConnection, ConnectError> {
    match target.with_database("postgres").connect().await {
        Err(ConnectError::NoDatabase { .. }) => target.with_database("template1").connect().await,
        other => other,
    }
}

/// Creates the target's database unless it exists. Returns whether this call created it; a
/// concurrent creator winning the race counts as "exists".
pub async fn ensure_database(target: &DbTarget) -> Result<bool, AdminError> {
    let database = target.database();
    let mut conn = connect_maintenance(target).await?;
    let exists = sqlx::query_scalar!(
        r#"select exists (select 1 from pg_database where datname = $1) as "exists!""#,
        database
    )
    .fetch_one(&mut conn)
    .await
    .map_err(|e| sql_error("checking", &database, target, &e))?;
    if exists {
        return Ok(false);
    }
    match sqlx::raw_sql(&format!("create database {}", quote_ident(&database)))
        .execute(&mut conn)
        .await
    {
        Ok(_) => Ok(true),
        // 42P04 duplicate_database; 23505 when two creators collide in pg_database itself.
        Err(sqlx::Error::Database(db))
            if matches!(db.code().as_deref(), Some("42P04" | "23505")) =>
        {
            Ok(false)
        }
        Err(e) => Err(sql_error("creating", &database, target, &e)),
    }
}

/// Whether the target's database exists on its server.
pub async fn database_exists(target: &DbTarget) -> Result<bool, AdminError> {
    let database = target.database();
    let mut conn = connect_maintenance(target).await?;
    sqlx::query_scalar!(
        r#"select exists (select 1 from pg_catalog.pg_database where datname = $1) as "exists!""#,
        database
    )
    .fetch_one(&mut conn)
    .await
    .map_err(|e| sql_error("checking", &database, target, &e))
}

/// Drops the target's database if it exists, ending other sessions connected to it.
pub async fn drop_database(target: &DbTarget) -> Result<(), AdminError> {
    let database = target.database();
    let mut conn = connect_maintenance(target).await?;
    sqlx::raw_sql(&format!(
        "drop database if exists {} with (force)",
        quote_ident(&database)
    ))
    .execute(&mut conn)
    .await
    .map_err(|e| sql_error("dropping", &database, target, &e))?;
    Ok(())
}

/// The databases whose name starts with `prefix` and that nobody is connected to.
pub async fn idle_databases_named(
    target: &DbTarget,
    prefix: &str,
) -> Result<Vec<String>, AdminError> {
    let mut conn = connect_maintenance(target).await?;
    sqlx::query_scalar!(
        r#"select d.datname::text as "datname!" from pg_database d
           where pg_catalog.starts_with(d.datname, $1)
             and not exists (select 1 from pg_stat_activity a where a.datname = d.datname)
           order by 1"#,
        prefix
    )
    .fetch_all(&mut conn)
    .await
    .map_err(|e| sql_error("listing", &format!("{prefix}*"), target, &e))
}

fn sql_error(
    action: &'static str,
    database: &str,
    target: &DbTarget,
    e: &sqlx::Error,
) -> AdminError {
    let reason = match e {
        sqlx::Error::Database(db) => db.message().to_string(),
        other => other.to_string(),
    };
    AdminError::Sql {
        action,
        database: database.to_string(),
        reason: target.scrub(&reason),
    }
}

/// Quotes an SQL identifier.
pub fn quote_ident(name: &str) -> String {
    format!("\"{}\"", name.replace('"', "\"\""))
}
