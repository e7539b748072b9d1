//! Users and their passwords (argon2id). Hashing and verifying are rules of this layer; the
//! `auth` schema's SQL is `soleflip_db::auth`.

use argon2::password_hash::rand_core::OsRng;
use argon2::password_hash::{PasswordHash, PasswordHasher, PasswordVerifier, SaltString};
use argon2::Argon2;
use serde::Serialize;

use crate::error::{Code, Coded};
use crate::App;

/// Passwords shorter than this are refused.
pub const MIN_PASSWORD_CHARS: usize = 12;

#[derive(Debug, thiserror::Error)]
pub enum UserError {
    #[error("no user named {0}")]
    NoSuchUser(String),
    #[error("the password is too short: at least {MIN_PASSWORD_CHARS} characters")]
    PasswordTooShort,
    #[error("hashing the password: {0}")]
    Hash(String),
    #[error(transparent)]
    Db(#[from] crate::db::DbError),
    #[error(transparent)]
    Unexpected(#[from] anyhow::Error),
}

impl From<sqlx::Error> for UserError {
    fn from(e: sqlx::Error) -> Self {
        Self::Unexpected(e.into())
    }
}

impl Coded for UserError {
    fn code(&self) -> Code {
        match self {
            UserError::NoSuchUser(_) => Code::NotFound,
            UserError::PasswordTooShort => Code::InvalidInput,
            UserError::Db(e) => e.code(),
            UserError::Hash(_) | UserError::Unexpected(_) => Code::Unexpected,
        }
    }
}

/// `user set-password`.
#[derive(Debug, Clone, Serialize)]
pub struct PasswordSet {
    pub user: String,
    pub scheme: &'static str,
}

/// An argon2id PHC string for `password` with a fresh random salt; refuses short passwords.
pub fn hash_password(password: &str) -> Result<String, UserError> {
    if password.chars().count() < MIN_PASSWORD_CHARS {
        return Err(UserError::PasswordTooShort);
    }
    let salt = SaltString::generate(&mut OsRng);
    Argon2::default()
        .hash_password(password.as_bytes(), &salt)
        .map(|h| h.to_string())
        .map_err(|e| UserError::Hash(e.to_string()))
}

/// Whether `password` matches the stored PHC string `hash` (a malformed or locked marker never
/// matches).
pub fn verify_password(password: &str, hash: &str) -> bool {
    PasswordHash::new(hash).is_ok_and(|parsed| {
        Argon2::default()
            .verify_password(password.as_bytes(), &parsed)
            .is_ok()
    })
}

impl App {
    /// Sets the password of the user named `name` (username or email) from the command line;
    /// every session of the user is revoked and the change audited.
    #[tracing::instrument(skip(self, password))]
    pub async fn set_password(&self, name: &str, password: &str) -> Result<PasswordSet, UserError> {
        use crate::auth::{Actor, AuthError};
        match self.user_set_password(&Actor::cli(), name, password).await {
            Ok(_) => Ok(PasswordSet {
                user: name.to_string(),
                scheme: "argon2id",
            }),
            Err(AuthError::User(e)) => Err(e),
            Err(AuthError::NoSuchUser(n)) => Err(UserError::NoSuchUser(n)),
            Err(AuthError::Db(e)) => Err(UserError::Db(e)),
            Err(e) => Err(UserError::Unexpected(e.into())),
        }
    }

    /// Checks a user's password: true only for an existing user whose stored hash matches.
    #[tracing::instrument(skip(self, password))]
    pub async fn check_password(&self, name: &str, password: &str) -> Result<bool, UserError> {
        let pool = self.pool().await?;
        let stored = soleflip_db::auth::find_password_hash(pool, name).await?;
        Ok(stored.is_some_and(|h| verify_password(password, &h)))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hashes_are_argon2id_and_verify_only_the_right_password() {
        let hash = hash_password("correct horse battery").unwrap();
        assert!(hash.starts_with("$argon2id$"), "{hash}");
        assert!(verify_password("correct horse battery", &hash));
        assert!(!verify_password("wrong horse battery", &hash));
        assert!(!verify_password("correct horse battery", "!locked"));
    }

    #[test]
    fn a_password_shorter_than_twelve_characters_is_refused() {
        assert!(matches!(
            hash_password("elevenchars"),
            Err(UserError::PasswordTooShort)
        ));
        assert!(hash_password("twelve chars").is_ok());
    }
}
