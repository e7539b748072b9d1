//! The `auth` schema: users and their passwords.

use argon2::password_hash::rand_core::OsRng;
use argon2::password_hash::{PasswordHasher, SaltString};
use argon2::Argon2;
use sqlx::PgExecutor;

#[derive(Debug, thiserror::Error)]
pub enum AuthError {
    #[error("no user named {0}")]
    NoSuchUser(String),
    #[error("the password is empty")]
    EmptyPassword,
    #[error("hashing the password: {0}")]
    Hash(String),
    #[error(transparent)]
    Sql(#[from] sqlx::Error),
}

/// An argon2id PHC string for `password` with a fresh random salt.
pub fn hash_password(password: &str) -> Result<String, AuthError> {
    if password.is_empty() {
        return Err(AuthError::EmptyPassword);
    }
    let salt = SaltString::generate(&mut OsRng);
    Argon2::default()
        .hash_password(password.as_bytes(), &salt)
        .map(|h| h.to_string())
        .map_err(|e| AuthError::Hash(e.to_string()))
}

/// Sets the password of user `username` (by username or email).
pub async fn set_password(
    db: impl PgExecutor<'_>,
    username: &str,
    password: &str,
) -> Result<(), AuthError> {
    let hash = hash_password(password)?;
    let done = sqlx::query(
        "update auth.users set hashed_password = $1, updated_at = now() \
         where username = $2 or email = $2",
    )
    .bind(&hash)
    .bind(username)
    .execute(db)
    .await?;
    if done.rows_affected() == 0 {
        return Err(AuthError::NoSuchUser(username.to_string()));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use argon2::password_hash::{PasswordHash, PasswordVerifier};

    #[test]
    fn hashes_are_argon2id_and_verify_only_the_right_password() {
        let hash = hash_password("correct horse").unwrap();
        assert!(hash.starts_with("$argon2id$"), "{hash}");
        let parsed = PasswordHash::new(&hash).unwrap();
        assert!(Argon2::default()
            .verify_password(b"correct horse", &parsed)
            .is_ok());
        assert!(Argon2::default()
            .verify_password(b"wrong", &parsed)
            .is_err());
    }

    #[test]
    fn an_empty_password_is_refused() {
        assert!(matches!(hash_password(""), Err(AuthError::EmptyPassword)));
    }
}
