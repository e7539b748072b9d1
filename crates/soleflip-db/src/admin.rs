//! Creating and dropping whole databases, through the server's maintenance database.

use sqlx::postgres::PgConnection;

use crate::quote::{quote_ident, quote_literal};
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

// Databases and roles of a restore (`soleflip_app::backup`): each function runs one statement
// (or one transaction) on the connection it is given; names are quoted here, never by callers.

/// The owner of database `database`.
pub async fn database_owner(
    conn: &mut PgConnection,
    database: &str,
) -> Result<String, sqlx::Error> {
    sqlx::query_scalar(
        "select pg_catalog.pg_get_userbyid(datdba)::text from pg_catalog.pg_database \
         where datname = $1",
    )
    .bind(database)
    .fetch_one(conn)
    .await
}

/// Gives database `database` to role `owner`.
pub async fn set_database_owner(
    conn: &mut PgConnection,
    database: &str,
    owner: &str,
) -> Result<(), sqlx::Error> {
    sqlx::raw_sql(&format!(
        "alter database {} owner to {}",
        quote_ident(database),
        quote_ident(owner)
    ))
    .execute(conn)
    .await?;
    Ok(())
}

/// Ends every other session connected to database `database`.
pub async fn terminate_sessions(
    conn: &mut PgConnection,
    database: &str,
) -> Result<(), sqlx::Error> {
    sqlx::query(
        "select pg_catalog.pg_terminate_backend(pid) from pg_catalog.pg_stat_activity \
         where datname = $1 and pid <> pg_catalog.pg_backend_pid()",
    )
    .bind(database)
    .execute(conn)
    .await?;
    Ok(())
}

/// In one transaction: database `database` is renamed `away`, and `fresh` takes its name. On
/// an error the transaction is rolled back and the error returned (55006: a session of the old
/// database is still there).
pub async fn swap_database_names(
    conn: &mut PgConnection,
    database: &str,
    away: &str,
    fresh: &str,
) -> Result<(), sqlx::Error> {
    let swap = format!(
        "begin; alter database {} rename to {}; alter database {} rename to {}; commit;",
        quote_ident(database),
        quote_ident(away),
        quote_ident(fresh),
        quote_ident(database)
    );
    match sqlx::raw_sql(&swap).execute(&mut *conn).await {
        Ok(_) => Ok(()),
        Err(e) => {
            let _ = sqlx::raw_sql("rollback").execute(&mut *conn).await;
            Err(e)
        }
    }
}

/// Creates an empty database from `template0` (as `pg_restore` expects); false when it exists.
pub async fn create_database_from_template0(
    conn: &mut PgConnection,
    name: &str,
) -> Result<bool, sqlx::Error> {
    let sql = format!("create database {} template template0", quote_ident(name));
    match sqlx::raw_sql(&sql).execute(conn).await {
        Ok(_) => Ok(true),
        Err(sqlx::Error::Database(db)) if db.code().as_deref() == Some("42P04") => Ok(false),
        Err(e) => Err(e),
    }
}

/// Whether the current role may create roles.
pub async fn may_create_roles(conn: &mut PgConnection) -> Result<bool, sqlx::Error> {
    sqlx::query_scalar(
        "select rolsuper or rolcreaterole from pg_catalog.pg_roles where rolname = current_user",
    )
    .fetch_one(conn)
    .await
}

/// Creates a login role with no other attribute, `password` valid until `valid_until` (an RFC
/// 3339 time).
pub async fn create_login_role(
    conn: &mut PgConnection,
    name: &str,
    password: &str,
    valid_until: &str,
) -> Result<(), sqlx::Error> {
    let create = format!(
        "create role {} login nosuperuser nocreatedb nocreaterole noinherit noreplication \
         nobypassrls password {} valid until {}",
        quote_ident(name),
        quote_literal(password),
        quote_literal(valid_until)
    );
    sqlx::raw_sql(&create).execute(conn).await?;
    Ok(())
}

/// Lets `role` connect to database `database` (the connection's) and create objects in it and,
/// when it exists, in its `public` schema.
pub async fn grant_create_rights(
    conn: &mut PgConnection,
    role: &str,
    database: &str,
) -> Result<(), sqlx::Error> {
    let public: bool = sqlx::query_scalar(
        "select exists (select 1 from pg_catalog.pg_namespace where nspname = 'public')",
    )
    .fetch_one(&mut *conn)
    .await?;
    let role = quote_ident(role);
    let mut grants = format!(
        "grant connect, create, temporary on database {} to {role};",
        quote_ident(database)
    );
    if public {
        grants.push_str(&format!("grant usage, create on schema public to {role};"));
    }
    sqlx::raw_sql(&grants).execute(conn).await?;
    Ok(())
}

/// Gives everything `role` owns in the connection's database to the current user and takes
/// back the grants made to it there (a non-superuser must hold the role's privileges for that).
pub async fn take_over_owned(conn: &mut PgConnection, role: &str) -> Result<(), sqlx::Error> {
    let role = quote_ident(role);
    sqlx::raw_sql(&format!(
        "grant {role} to current_user; reassign owned by {role} to current_user; \
         drop owned by {role};"
    ))
    .execute(conn)
    .await?;
    Ok(())
}

/// Drops what `role` owns or was granted in the connection's database.
pub async fn drop_owned(conn: &mut PgConnection, role: &str) -> Result<(), sqlx::Error> {
    sqlx::raw_sql(&format!("drop owned by {}", quote_ident(role)))
        .execute(conn)
        .await?;
    Ok(())
}

/// Drops `role` if it exists.
pub async fn drop_role(conn: &mut PgConnection, role: &str) -> Result<(), sqlx::Error> {
    sqlx::raw_sql(&format!("drop role if exists {}", quote_ident(role)))
        .execute(conn)
        .await?;
    Ok(())
}

/// The roles whose name starts with `prefix`.
pub async fn roles_named(
    conn: &mut PgConnection,
    prefix: &str,
) -> Result<Vec<String>, sqlx::Error> {
    sqlx::query_scalar(
        "select rolname::text from pg_catalog.pg_roles \
         where pg_catalog.starts_with(rolname, $1) order by 1",
    )
    .bind(prefix)
    .fetch_all(conn)
    .await
}
