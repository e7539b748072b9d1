//! The `auth` schema: users and their password hashes (hashing itself is the app layer's).

use sqlx::PgExecutor;

/// Stores `hash` as the password of the user with this username or email. False: no such user.
pub async fn update_password_hash(
    db: impl PgExecutor<'_>,
    username: &str,
    hash: &str,
) -> Result<bool, sqlx::Error> {
    let done = sqlx::query!(
        "update auth.users set hashed_password = $1, updated_at = now() \
         where username = $2 or email = $2",
        hash,
        username,
    )
    .execute(db)
    .await?;
    Ok(done.rows_affected() > 0)
}

/// The stored password hash of the user with this username or email, if any.
pub async fn find_password_hash(
    db: impl PgExecutor<'_>,
    username: &str,
) -> Result<Option<String>, sqlx::Error> {
    sqlx::query_scalar!(
        r#"select hashed_password::text as "hashed_password!" from auth.users
           where username = $1 or email = $1 order by username = $1 desc limit 1"#,
        username,
    )
    .fetch_optional(db)
    .await
}
