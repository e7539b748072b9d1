//! Who may do what: users and roles, login with rate limiting, browser sessions, personal API
//! tokens, the first admin's one-time setup token, and the audit of every mutation. The
//! `auth` schema's SQL is `soleflip_db::auth`; the HTTP transport (cookies, headers, CSRF) is
//! the server's.
//!
//! Every secret handed out (session, API or setup token) is 32 random bytes, hex-encoded, and
//! stored only as its SHA-256 hash.

use argon2::password_hash::rand_core::{OsRng, RngCore};
use serde::Serialize;
use sha2::{Digest, Sha256};
use soleflip_db::auth as sql;
use sqlx::types::Uuid;
use sqlx::Connection;

pub use soleflip_db::auth::{AuditRow, TokenRow, UserRow};

use crate::error::{Code, Coded};
use crate::users::{hash_password, verify_password, UserError};
use crate::App;

/// A session lives at most this long.
pub const SESSION_TTL_SECS: i64 = 12 * 3600;
/// A session without a request for this long has ended.
pub const SESSION_IDLE_SECS: i64 = 30 * 60;
/// The setup link is valid this long.
pub const SETUP_TTL_SECS: i64 = 30 * 60;
/// Failed logins are counted over this window.
pub const RATE_WINDOW_SECS: i64 = 15 * 60;
/// Failed logins of one user name allowed per window.
pub const MAX_FAILURES_PER_USER: i64 = 5;
/// Failed logins from one client address allowed per window.
pub const MAX_FAILURES_PER_CLIENT: i64 = 20;
/// The prefix of personal API tokens (so a leaked one is recognisable).
pub const API_TOKEN_PREFIX: &str = "sfp_";

/// A role, from least to most allowed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Role {
    /// Reads everything a reseller sees.
    Readonly,
    /// Everything a reseller does: purchases, moves, listings, sales.
    User,
    /// Users, tokens, database status, verify and health.
    Admin,
}

impl Role {
    pub fn as_str(self) -> &'static str {
        match self {
            Role::Readonly => "readonly",
            Role::User => "user",
            Role::Admin => "admin",
        }
    }

    pub fn parse(text: &str) -> Result<Role, AuthError> {
        match text.trim().to_ascii_lowercase().as_str() {
            "readonly" => Ok(Role::Readonly),
            "user" => Ok(Role::User),
            "admin" => Ok(Role::Admin),
            other => Err(AuthError::Invalid(format!(
                "role: {other:?} is not one of admin, user, readonly"
            ))),
        }
    }
}

#[derive(Debug, thiserror::Error)]
pub enum AuthError {
    /// Bad input; the message names the field.
    #[error("{0}")]
    Invalid(String),
    /// The same answer for an unknown user, a wrong password and a disabled user.
    #[error("wrong user name or password")]
    BadCredentials,
    /// No valid session or token.
    #[error("no valid session or token")]
    Unauthenticated,
    #[error("too many failed logins: try again in {retry_after_secs} s")]
    RateLimited { retry_after_secs: u64 },
    #[error("the setup token is unknown, used or expired")]
    BadSetupToken,
    #[error("a user named {0} exists already")]
    UserExists(String),
    #[error("no user named {0}")]
    NoSuchUser(String),
    #[error("{0} has a token named {1} already")]
    TokenExists(String, String),
    #[error("no live API token with id {0}")]
    NoSuchToken(Uuid),
    #[error(transparent)]
    User(#[from] UserError),
    #[error(transparent)]
    Db(#[from] crate::db::DbError),
    #[error(transparent)]
    Unexpected(#[from] anyhow::Error),
}

impl From<sqlx::Error> for AuthError {
    fn from(e: sqlx::Error) -> Self {
        if crate::db::lost_database(&e) {
            Self::Db(crate::db::DbError::Lost(e))
        } else {
            Self::Unexpected(e.into())
        }
    }
}

impl Coded for AuthError {
    fn code(&self) -> Code {
        match self {
            AuthError::Invalid(_) => Code::InvalidInput,
            AuthError::BadCredentials | AuthError::Unauthenticated | AuthError::BadSetupToken => {
                Code::Unauthenticated
            }
            AuthError::RateLimited { .. } => Code::RateLimited,
            AuthError::UserExists(_) | AuthError::TokenExists(..) => Code::Conflict,
            AuthError::NoSuchUser(_) | AuthError::NoSuchToken(_) => Code::NotFound,
            AuthError::User(e) => e.code(),
            AuthError::Db(e) => e.code(),
            AuthError::Unexpected(_) => Code::Unexpected,
        }
    }
}

/// Who is acting, for the audit: a signed-in user, the command line, or nobody yet.
#[derive(Debug, Clone)]
pub struct Actor {
    pub id: Option<Uuid>,
    pub name: String,
    /// The client's address (HTTP), None on the command line.
    pub client: Option<String>,
}

impl Actor {
    /// The operator at this machine's command line.
    pub fn cli() -> Self {
        Self {
            id: None,
            name: "cli".into(),
            client: None,
        }
    }

    pub fn of(principal: &Principal, client: Option<String>) -> Self {
        Self {
            id: Some(principal.user_id),
            name: principal.username.clone(),
            client,
        }
    }

    pub fn anonymous(client: Option<String>) -> Self {
        Self {
            id: None,
            name: "anonymous".into(),
            client,
        }
    }
}

/// A signed-in user.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct Principal {
    pub user_id: Uuid,
    pub username: String,
    pub role: Role,
}

/// How an audited mutation ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outcome {
    Ok,
    /// Refused for a reason the caller can fix (bad input, no permission, a conflict).
    Refused,
    Failed,
}

impl Outcome {
    fn as_str(self) -> &'static str {
        match self {
            Outcome::Ok => "ok",
            Outcome::Refused => "refused",
            Outcome::Failed => "failed",
        }
    }

    /// The outcome of a use case's result.
    pub fn of<T, E: Coded>(result: &Result<T, E>) -> Self {
        match result {
            Ok(_) => Outcome::Ok,
            Err(e) if e.code() == Code::Unexpected => Outcome::Failed,
            Err(_) => Outcome::Refused,
        }
    }
}

/// `login`: the session token is the secret the client keeps (shown once).
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct LoginReport {
    #[serde(skip)]
    pub token: String,
    pub user: String,
    pub role: Role,
    pub expires_at: String,
}

/// `token create`: the token is shown once.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct TokenCreated {
    pub token: String,
    #[serde(flatten)]
    pub row: TokenRow,
}

/// `user disable`.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct UserDisabled {
    pub user: UserRow,
    pub sessions_revoked: u64,
}

/// One page of `user list`, by name.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct UserPage {
    pub users: Vec<UserRow>,
    /// The cursor of the next page; None on the last.
    pub next_cursor: Option<String>,
}

/// One page of `token list`, newest first.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct TokenPage {
    pub tokens: Vec<TokenRow>,
    /// The cursor of the next page; None on the last.
    pub next_cursor: Option<String>,
}

const USERS_CURSOR: &str = "users";
const TOKENS_CURSOR: &str = "tokens";

/// A fresh secret: 32 random bytes, hex.
fn new_secret() -> String {
    let mut bytes = [0u8; 32];
    OsRng.fill_bytes(&mut bytes);
    hex::encode(bytes)
}

/// The stored form of a secret.
pub fn secret_hash(secret: &str) -> Vec<u8> {
    Sha256::digest(secret.as_bytes()).to_vec()
}

/// A valid argon2id hash of nothing anybody knows, verified for unknown users so that they take
/// as long as a wrong password.
fn dummy_hash() -> &'static str {
    static DUMMY: std::sync::OnceLock<String> = std::sync::OnceLock::new();
    DUMMY.get_or_init(|| hash_password(&new_secret()).unwrap_or_else(|_| String::from("!unusable")))
}

/// Computes the dummy hash now, so that the first unknown-user login is not slower than others.
pub fn warm_up() {
    let _ = dummy_hash();
}

fn role_of(text: &str) -> Result<Role, AuthError> {
    Role::parse(text).map_err(|_| AuthError::Unexpected(anyhow::anyhow!("unknown role {text}")))
}

fn check_name(field: &str, name: &str) -> Result<(), AuthError> {
    let ok = !name.is_empty()
        && name.len() <= 100
        && name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || "._-@".contains(c));
    if ok {
        Ok(())
    } else {
        Err(AuthError::Invalid(format!(
            "{field}: {name:?} must be 1 to 100 letters, digits, '.', '_', '-' or '@'"
        )))
    }
}

impl App {
    /// Writes one audit entry. A failure to write it is logged and returned.
    pub async fn audit(
        &self,
        actor: &Actor,
        action: &str,
        target: Option<&str>,
        outcome: Outcome,
        detail: Option<&str>,
    ) -> Result<(), AuthError> {
        let pool = self.pool().await?;
        let written = sql::insert_audit(
            pool,
            &sql::AuditEntry {
                actor_id: actor.id,
                actor: &actor.name,
                action,
                target,
                client: actor.client.as_deref(),
                outcome: outcome.as_str(),
                detail,
            },
        )
        .await;
        if let Err(e) = &written {
            tracing::error!(error = %e, action, "writing the audit entry failed");
        }
        Ok(written?)
    }

    /// Audits a finished use case and hands its result back.
    async fn audited<T, E: Coded + std::fmt::Display>(
        &self,
        actor: &Actor,
        action: &str,
        target: Option<&str>,
        result: Result<T, E>,
    ) -> Result<T, E> {
        let outcome = Outcome::of(&result);
        let detail = result.as_ref().err().map(|e| e.code().as_str());
        let _ = self.audit(actor, action, target, outcome, detail).await;
        result
    }

    /// `user add`: a user with a role, and a password when given (else locked until one is set).
    #[tracing::instrument(skip(self, password))]
    pub async fn user_add(
        &self,
        actor: &Actor,
        name: &str,
        role: Role,
        password: Option<&str>,
    ) -> Result<UserRow, AuthError> {
        let result = async {
            check_name("name", name)?;
            let hash = match password {
                Some(p) => hash_password(p)?,
                None => format!("!locked: no password set; run soleflip user set-password {name}"),
            };
            let pool = self.pool().await?;
            sql::insert_user(pool, name, &hash, role.as_str())
                .await?
                .ok_or_else(|| AuthError::UserExists(name.to_string()))
        }
        .await;
        self.audited(actor, "user.add", Some(name), result).await
    }

    /// `user list`.
    pub async fn user_list(&self) -> Result<Vec<UserRow>, AuthError> {
        Ok(sql::list_users(self.pool().await?).await?)
    }

    /// `user list`, one page of at most `limit` users after the cursor `after`.
    pub async fn user_page(&self, after: Option<&str>, limit: u32) -> Result<UserPage, AuthError> {
        let after = after
            .map(|c| crate::cursor::decode(USERS_CURSOR, c, 1))
            .transpose()
            .map_err(|e| AuthError::Invalid(e.to_string()))?
            .and_then(|mut parts| parts.pop());
        let limit = limit.clamp(1, 500);
        let mut users =
            sql::list_users_page(self.pool().await?, after.as_deref(), i64::from(limit) + 1)
                .await?;
        let more = users.len() > limit as usize;
        users.truncate(limit as usize);
        let next_cursor = users
            .last()
            .filter(|_| more)
            .map(|u| crate::cursor::encode(USERS_CURSOR, &[&u.username]));
        Ok(UserPage { users, next_cursor })
    }

    /// `user disable`: the user can no longer sign in; every session is revoked and every token
    /// refused.
    #[tracing::instrument(skip(self))]
    pub async fn user_disable(&self, actor: &Actor, name: &str) -> Result<UserDisabled, AuthError> {
        let result = async {
            let mut conn = self.conn().await?;
            let mut tx = conn.begin().await?;
            let user = sql::find_user(&mut *tx, name)
                .await?
                .ok_or_else(|| AuthError::NoSuchUser(name.to_string()))?;
            let user = sql::disable_user(&mut *tx, user.id)
                .await?
                .ok_or_else(|| AuthError::NoSuchUser(name.to_string()))?;
            let sessions_revoked = sql::revoke_user_sessions(&mut *tx, user.id, "disabled").await?;
            tx.commit().await?;
            Ok(UserDisabled {
                user,
                sessions_revoked,
            })
        }
        .await;
        self.audited(actor, "user.disable", Some(name), result)
            .await
    }

    /// `user set-password`: sets the password and revokes every session of the user.
    #[tracing::instrument(skip(self, password))]
    pub async fn user_set_password(
        &self,
        actor: &Actor,
        name: &str,
        password: &str,
    ) -> Result<u64, AuthError> {
        let result = async {
            let hash = hash_password(password)?;
            let mut conn = self.conn().await?;
            let mut tx = conn.begin().await?;
            let user = sql::find_user(&mut *tx, name)
                .await?
                .ok_or_else(|| AuthError::NoSuchUser(name.to_string()))?;
            sql::update_password_hash(&mut *tx, &user.username, &hash).await?;
            let revoked = sql::revoke_user_sessions(&mut *tx, user.id, "password changed").await?;
            tx.commit().await?;
            Ok(revoked)
        }
        .await;
        self.audited(actor, "user.set_password", Some(name), result)
            .await
    }

    /// Signs in with a name and password. An unknown user, a wrong password and a disabled user
    /// get the same answer after the same work (a password hash is verified in every case).
    /// Refused with [`AuthError::RateLimited`] while the name or the client address has too
    /// many recent failures. Every attempt is recorded and audited.
    #[tracing::instrument(skip(self, password))]
    pub async fn login(
        &self,
        name: &str,
        password: &str,
        client: &str,
    ) -> Result<LoginReport, AuthError> {
        let actor = Actor::anonymous(Some(client.to_string()));
        let pool = self.pool().await?;
        let f = sql::recent_failures(pool, name, client, RATE_WINDOW_SECS).await?;
        // Seconds until enough failures leave the window, for each limit that is reached.
        let retry = [
            (f.by_user >= MAX_FAILURES_PER_USER).then_some(f.user_retry_secs),
            (f.by_client >= MAX_FAILURES_PER_CLIENT).then_some(f.client_retry_secs),
        ]
        .into_iter()
        .flatten()
        .max();
        if let Some(secs) = retry {
            let _ = self
                .audit(
                    &actor,
                    "auth.login",
                    Some(name),
                    Outcome::Refused,
                    Some("rate_limited"),
                )
                .await;
            return Err(AuthError::RateLimited {
                retry_after_secs: u64::try_from(secs).unwrap_or(0).max(1),
            });
        }
        let found = sql::find_login(pool, name).await?;
        let hash = found
            .as_ref()
            .map_or_else(|| dummy_hash().to_string(), |u| u.hash.clone());
        let given = password.to_string();
        let verified = tokio::task::spawn_blocking(move || verify_password(&given, &hash))
            .await
            .map_err(|e| AuthError::Unexpected(e.into()))?;
        let user = found.filter(|u| verified && u.active);
        sql::record_attempt(pool, name, client, user.is_some()).await?;
        let Some(user) = user else {
            let _ = self
                .audit(
                    &actor,
                    "auth.login",
                    Some(name),
                    Outcome::Refused,
                    Some("bad_credentials"),
                )
                .await;
            return Err(AuthError::BadCredentials);
        };
        let token = new_secret();
        let expires_at = sql::insert_session(
            pool,
            user.id,
            &secret_hash(&token),
            SESSION_TTL_SECS,
            Some(client),
        )
        .await?;
        sql::touch_last_login(pool, user.id).await?;
        let role = role_of(&user.role)?;
        let actor = Actor {
            id: Some(user.id),
            name: user.username.clone(),
            client: Some(client.to_string()),
        };
        let _ = self
            .audit(
                &actor,
                "auth.login",
                Some(&user.username),
                Outcome::Ok,
                None,
            )
            .await;
        Ok(LoginReport {
            token,
            user: user.username,
            role,
            expires_at,
        })
    }

    /// The user of a live session token.
    pub async fn session_principal(&self, token: &str) -> Result<Principal, AuthError> {
        let pool = self.pool().await?;
        let row = sql::session_principal(pool, &secret_hash(token), SESSION_IDLE_SECS)
            .await?
            .ok_or(AuthError::Unauthenticated)?;
        Ok(Principal {
            user_id: row.user_id,
            username: row.username,
            role: role_of(&row.role)?,
        })
    }

    /// The user of a live API token.
    pub async fn token_principal(&self, token: &str) -> Result<Principal, AuthError> {
        let pool = self.pool().await?;
        let row = sql::token_principal(pool, &secret_hash(token))
            .await?
            .ok_or(AuthError::Unauthenticated)?;
        Ok(Principal {
            user_id: row.user_id,
            username: row.username,
            role: role_of(&row.role)?,
        })
    }

    /// Ends a session (logout).
    pub async fn logout(&self, actor: &Actor, token: &str) -> Result<(), AuthError> {
        let result = async {
            let pool = self.pool().await?;
            sql::revoke_session(pool, &secret_hash(token), "logout").await?;
            Ok::<_, AuthError>(())
        }
        .await;
        self.audited(actor, "auth.logout", Some(&actor.name.clone()), result)
            .await
    }

    /// `token create`: a personal API token for `user`, valid `expires_days` days (None: until
    /// revoked). The token is in the report once and never again.
    #[tracing::instrument(skip(self))]
    pub async fn token_create(
        &self,
        actor: &Actor,
        user: &str,
        name: &str,
        expires_days: Option<u32>,
    ) -> Result<TokenCreated, AuthError> {
        let result = async {
            if name.trim().is_empty() || name.len() > 100 {
                return Err(AuthError::Invalid(
                    "name: a token needs a name of 1 to 100 characters".into(),
                ));
            }
            if expires_days == Some(0) {
                return Err(AuthError::Invalid("expires: at least 1 day".into()));
            }
            let mut conn = self.conn().await?;
            let owner = sql::find_user(&mut *conn, user)
                .await?
                .ok_or_else(|| AuthError::NoSuchUser(user.to_string()))?;
            let token = format!("{API_TOKEN_PREFIX}{}", new_secret());
            let row = sql::insert_token(
                &mut conn,
                owner.id,
                name,
                &secret_hash(&token),
                expires_days.map(i64::from),
            )
            .await?
            .ok_or_else(|| AuthError::TokenExists(owner.username.clone(), name.to_string()))?;
            Ok(TokenCreated { token, row })
        }
        .await;
        let target = format!("{user}/{name}");
        self.audited(actor, "token.create", Some(&target), result)
            .await
    }

    /// `token list`: every token, or those of one user; never the secrets.
    pub async fn token_list(&self, user: Option<&str>) -> Result<Vec<TokenRow>, AuthError> {
        Ok(sql::list_tokens(self.pool().await?, user).await?)
    }

    /// `token list`, one page of at most `limit` tokens after the cursor `after`.
    pub async fn token_page(
        &self,
        user: Option<&str>,
        after: Option<&str>,
        limit: u32,
    ) -> Result<TokenPage, AuthError> {
        let after = after
            .map(|c| crate::cursor::decode_at_id(TOKENS_CURSOR, c))
            .transpose()
            .map_err(|e| AuthError::Invalid(e.to_string()))?;
        let limit = limit.clamp(1, 500);
        let mut tokens =
            sql::list_tokens_page(self.pool().await?, user, after, i64::from(limit) + 1).await?;
        let more = tokens.len() > limit as usize;
        tokens.truncate(limit as usize);
        let next_cursor = tokens
            .last()
            .filter(|_| more)
            .map(|t| crate::cursor::encode_at_id(TOKENS_CURSOR, t.created, t.id));
        Ok(TokenPage {
            tokens,
            next_cursor,
        })
    }

    /// `token revoke`: the token stops working on the next request.
    #[tracing::instrument(skip(self))]
    pub async fn token_revoke(&self, actor: &Actor, id: Uuid) -> Result<TokenRow, AuthError> {
        let result = async {
            let pool = self.pool().await?;
            if !sql::revoke_token(pool, id).await? {
                return Err(AuthError::NoSuchToken(id));
            }
            sql::token(pool, id)
                .await?
                .ok_or(AuthError::NoSuchToken(id))
        }
        .await;
        self.audited(actor, "token.revoke", Some(&id.to_string()), result)
            .await
    }

    /// When no active admin with a password exists: a new one-time setup token, valid 30
    /// minutes (None when an admin exists).
    pub async fn admin_setup_token(&self) -> Result<Option<String>, AuthError> {
        let pool = self.pool().await?;
        if sql::usable_admin_exists(pool).await? {
            return Ok(None);
        }
        let token = new_secret();
        sql::insert_setup_token(pool, &secret_hash(&token), SETUP_TTL_SECS).await?;
        Ok(Some(token))
    }

    /// Creates the first admin with a setup token (used once). An existing user of that name
    /// becomes an active admin with this password.
    #[tracing::instrument(skip(self, token, password))]
    pub async fn admin_setup(
        &self,
        client: &str,
        token: &str,
        name: &str,
        password: &str,
    ) -> Result<UserRow, AuthError> {
        let actor = Actor {
            id: None,
            name: "setup".into(),
            client: Some(client.to_string()),
        };
        let result = async {
            check_name("name", name)?;
            let hash = hash_password(password)?;
            let mut conn = self.conn().await?;
            let mut tx = conn.begin().await?;
            if sql::usable_admin_exists(&mut *tx).await?
                || !sql::use_setup_token(&mut *tx, &secret_hash(token)).await?
            {
                return Err(AuthError::BadSetupToken);
            }
            let user = match sql::insert_user(&mut *tx, name, &hash, Role::Admin.as_str()).await? {
                Some(u) => u,
                None => {
                    sql::make_active_admin(&mut *tx, name, &hash).await?;
                    sql::find_user(&mut *tx, name)
                        .await?
                        .ok_or_else(|| AuthError::NoSuchUser(name.to_string()))?
                }
            };
            tx.commit().await?;
            Ok(user)
        }
        .await;
        self.audited(&actor, "auth.setup", Some(name), result).await
    }

    /// The audit log, newest first, before entry `before` (a cursor) when given.
    pub async fn audit_list(
        &self,
        before: Option<i64>,
        limit: u32,
    ) -> Result<Vec<AuditRow>, AuthError> {
        let limit = i64::from(limit.clamp(1, 500));
        Ok(sql::list_audit(self.pool().await?, before, limit).await?)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn roles_parse_and_order_from_readonly_to_admin() {
        assert_eq!(Role::parse("Admin").unwrap(), Role::Admin);
        assert!(Role::Readonly < Role::User && Role::User < Role::Admin);
        assert!(Role::parse("root").is_err());
    }

    #[test]
    fn secrets_are_random_and_only_their_hash_is_kept() {
        let (a, b) = (new_secret(), new_secret());
        assert_ne!(a, b);
        assert_eq!(a.len(), 64);
        assert_eq!(secret_hash(&a).len(), 32);
    }
}
