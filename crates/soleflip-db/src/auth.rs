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

// ---------------------------------------------------------------------------------------------
// users, sessions, API tokens, login attempts, setup tokens, audit (migration 7)
// ---------------------------------------------------------------------------------------------

use sqlx::types::Uuid;

/// A user as listed (never its password hash).
#[derive(Debug, Clone, sqlx::FromRow, serde::Serialize, utoipa::ToSchema)]
pub struct UserRow {
    pub id: Uuid,
    pub username: String,
    pub email: Option<String>,
    pub role: String,
    pub active: bool,
    pub last_login: Option<String>,
    pub created_at: String,
}

const USER_COLUMNS: &str = "id, username, email::text as email, role::text as role, \
     is_active as active, to_char(last_login at time zone 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS\"Z\"') as last_login, \
     to_char(created_at at time zone 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS\"Z\"') as created_at";

/// Adds a user; None when the name is taken.
pub async fn insert_user(
    db: impl PgExecutor<'_>,
    username: &str,
    hash: &str,
    role: &str,
) -> Result<Option<UserRow>, sqlx::Error> {
    sqlx::query_as(&format!(
        "insert into auth.users (username, hashed_password, role) values ($1, $2, $3::auth.user_role) \
         on conflict do nothing returning {USER_COLUMNS}"
    ))
    .bind(username)
    .bind(hash)
    .bind(role)
    .fetch_optional(db)
    .await
}

/// Every user, by name.
pub async fn list_users(db: impl PgExecutor<'_>) -> Result<Vec<UserRow>, sqlx::Error> {
    sqlx::query_as(&format!(
        "select {USER_COLUMNS} from auth.users order by username"
    ))
    .fetch_all(db)
    .await
}

/// One page of [`list_users`]: by name, after the name `after`.
pub async fn list_users_page(
    db: impl PgExecutor<'_>,
    after: Option<&str>,
    limit: i64,
) -> Result<Vec<UserRow>, sqlx::Error> {
    sqlx::query_as(&format!(
        "select {USER_COLUMNS} from auth.users where $1::text is null or username > $1 \
         order by username limit $2"
    ))
    .bind(after)
    .bind(limit)
    .fetch_all(db)
    .await
}

/// One user by username or email.
pub async fn find_user(
    db: impl PgExecutor<'_>,
    name: &str,
) -> Result<Option<UserRow>, sqlx::Error> {
    sqlx::query_as(&format!(
        "select {USER_COLUMNS} from auth.users where username = $1 or email = $1 \
         order by username = $1 desc limit 1"
    ))
    .bind(name)
    .fetch_optional(db)
    .await
}

/// Disables a user (is_active false); the row after, None when there is no such user.
pub async fn disable_user(
    db: impl PgExecutor<'_>,
    id: Uuid,
) -> Result<Option<UserRow>, sqlx::Error> {
    sqlx::query_as(&format!(
        "update auth.users set is_active = false where id = $1 returning {USER_COLUMNS}"
    ))
    .bind(id)
    .fetch_optional(db)
    .await
}

/// What a login needs of a user.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct LoginRow {
    pub id: Uuid,
    pub username: String,
    pub hash: String,
    pub role: String,
    pub active: bool,
}

pub async fn find_login(
    db: impl PgExecutor<'_>,
    name: &str,
) -> Result<Option<LoginRow>, sqlx::Error> {
    sqlx::query_as(
        "select id, username, hashed_password::text as hash, role::text as role, is_active as active \
         from auth.users where username = $1 or email = $1 order by username = $1 desc limit 1",
    )
    .bind(name)
    .fetch_optional(db)
    .await
}

pub async fn touch_last_login(db: impl PgExecutor<'_>, id: Uuid) -> Result<(), sqlx::Error> {
    sqlx::query("update auth.users set last_login = now() where id = $1")
        .bind(id)
        .execute(db)
        .await
        .map(|_| ())
}

/// Whether an active admin with a real (argon2) password exists.
pub async fn usable_admin_exists(db: impl PgExecutor<'_>) -> Result<bool, sqlx::Error> {
    sqlx::query_scalar(
        "select exists (select 1 from auth.users where role = 'admin' and is_active \
         and hashed_password like '$argon2%')",
    )
    .fetch_one(db)
    .await
}

/// Revokes every live session of a user; how many.
pub async fn revoke_user_sessions(
    db: impl PgExecutor<'_>,
    user_id: Uuid,
    reason: &str,
) -> Result<u64, sqlx::Error> {
    sqlx::query(
        "update auth.sessions set revoked_at = now(), revoked_reason = $2 \
         where user_id = $1 and revoked_at is null",
    )
    .bind(user_id)
    .bind(reason)
    .execute(db)
    .await
    .map(|d| d.rows_affected())
}

pub async fn insert_session(
    db: impl PgExecutor<'_>,
    user_id: Uuid,
    token_hash: &[u8],
    ttl_secs: i64,
    client: Option<&str>,
) -> Result<String, sqlx::Error> {
    sqlx::query_scalar(
        "insert into auth.sessions (user_id, token_hash, expires_at, client_addr) \
         values ($1, $2, now() + make_interval(secs => $3), $4) \
         returning to_char(expires_at at time zone 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS\"Z\"')",
    )
    .bind(user_id)
    .bind(token_hash)
    .bind(ttl_secs as f64)
    .bind(client)
    .fetch_one(db)
    .await
}

/// Who a credential belongs to.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct PrincipalRow {
    pub user_id: Uuid,
    pub username: String,
    pub role: String,
}

/// The user of a live session (not revoked, not expired, seen within the idle timeout, user
/// active), marking it seen (at most once a minute).
pub async fn session_principal(
    db: impl PgExecutor<'_>,
    token_hash: &[u8],
    idle_secs: i64,
) -> Result<Option<PrincipalRow>, sqlx::Error> {
    sqlx::query_as(include_str!("auth/session_principal.sql"))
        .bind(token_hash)
        .bind(idle_secs as f64)
        .fetch_optional(db)
        .await
}

pub async fn revoke_session(
    db: impl PgExecutor<'_>,
    token_hash: &[u8],
    reason: &str,
) -> Result<bool, sqlx::Error> {
    sqlx::query(
        "update auth.sessions set revoked_at = now(), revoked_reason = $2 \
         where token_hash = $1 and revoked_at is null",
    )
    .bind(token_hash)
    .bind(reason)
    .execute(db)
    .await
    .map(|d| d.rows_affected() > 0)
}

/// An API token as listed (never its hash).
#[derive(Debug, Clone, sqlx::FromRow, serde::Serialize, utoipa::ToSchema)]
pub struct TokenRow {
    pub id: Uuid,
    pub user: String,
    pub name: String,
    pub created_at: String,
    pub expires_at: Option<String>,
    pub last_used_at: Option<String>,
    pub revoked_at: Option<String>,
    /// When it was made, to the microsecond: the key of the list's order (cursors).
    #[serde(skip)]
    pub created: sqlx::types::chrono::DateTime<sqlx::types::chrono::Utc>,
}

const TOKEN_SELECT: &str = "select t.id, u.username as user, t.name::text as name, \
     to_char(t.created_at at time zone 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS\"Z\"') as created_at, \
     to_char(t.expires_at at time zone 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS\"Z\"') as expires_at, \
     to_char(t.last_used_at at time zone 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS\"Z\"') as last_used_at, \
     to_char(t.revoked_at at time zone 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS\"Z\"') as revoked_at, \
     t.created_at as created \
     from auth.api_tokens t join auth.users u on u.id = t.user_id";

/// Adds a token; None when the user already has one of this name.
pub async fn insert_token(
    db: &mut sqlx::PgConnection,
    user_id: Uuid,
    name: &str,
    token_hash: &[u8],
    expires_days: Option<i64>,
) -> Result<Option<TokenRow>, sqlx::Error> {
    let id: Option<Uuid> = sqlx::query_scalar(
        "insert into auth.api_tokens (user_id, name, token_hash, expires_at) \
         values ($1, $2, $3, now() + make_interval(days => $4::int)) \
         on conflict (user_id, name) do nothing returning id",
    )
    .bind(user_id)
    .bind(name)
    .bind(token_hash)
    .bind(expires_days.map(|d| d as i32))
    .fetch_optional(&mut *db)
    .await?;
    match id {
        Some(id) => token(db, id).await,
        None => Ok(None),
    }
}

pub async fn token(db: impl PgExecutor<'_>, id: Uuid) -> Result<Option<TokenRow>, sqlx::Error> {
    sqlx::query_as(&format!("{TOKEN_SELECT} where t.id = $1"))
        .bind(id)
        .fetch_optional(db)
        .await
}

/// Tokens of one user (by name) or of everyone, newest first.
pub async fn list_tokens(
    db: impl PgExecutor<'_>,
    user: Option<&str>,
) -> Result<Vec<TokenRow>, sqlx::Error> {
    sqlx::query_as(&format!(
        "{TOKEN_SELECT} where $1::text is null or u.username = $1 order by t.created_at desc, t.id"
    ))
    .bind(user)
    .fetch_all(db)
    .await
}

/// One page of [`list_tokens`]: newest first, after the token (created, id) `after`.
pub async fn list_tokens_page(
    db: impl PgExecutor<'_>,
    user: Option<&str>,
    after: Option<(
        sqlx::types::chrono::DateTime<sqlx::types::chrono::Utc>,
        Uuid,
    )>,
    limit: i64,
) -> Result<Vec<TokenRow>, sqlx::Error> {
    sqlx::query_as(&format!(
        "{TOKEN_SELECT} where ($1::text is null or u.username = $1) \
           and ($2::timestamptz is null \
                or (t.created_at <= $2 and (t.created_at < $2 or t.id > $3::uuid))) \
         order by t.created_at desc, t.id limit $4"
    ))
    .bind(user)
    .bind(after.map(|(at, _)| at))
    .bind(after.map(|(_, id)| id))
    .bind(limit)
    .fetch_all(db)
    .await
}

/// Revokes a token; false when it does not exist or was already revoked.
pub async fn revoke_token(db: impl PgExecutor<'_>, id: Uuid) -> Result<bool, sqlx::Error> {
    sqlx::query(
        "update auth.api_tokens set revoked_at = now() where id = $1 and revoked_at is null",
    )
    .bind(id)
    .execute(db)
    .await
    .map(|d| d.rows_affected() > 0)
}

/// The user of a live API token (not revoked, not expired, user active), marking it used. The
/// mark is to the minute: it is written only when the last one is older, so that a script's many
/// requests on one token are reads, not each a write (and a commit) queued on the token's row.
pub async fn token_principal(
    db: impl PgExecutor<'_>,
    token_hash: &[u8],
) -> Result<Option<PrincipalRow>, sqlx::Error> {
    sqlx::query_as(include_str!("auth/token_principal.sql"))
        .bind(token_hash)
        .fetch_optional(db)
        .await
}

pub async fn record_attempt(
    db: impl PgExecutor<'_>,
    username: &str,
    client: &str,
    succeeded: bool,
) -> Result<(), sqlx::Error> {
    sqlx::query(
        "insert into auth.login_attempts (username, client_addr, succeeded) values ($1, $2, $3)",
    )
    .bind(username)
    .bind(client)
    .bind(succeeded)
    .execute(db)
    .await
    .map(|_| ())
}

/// Failed attempts within the last `window_secs` for this name and for this address, and the
/// seconds until the oldest of each leaves the window.
#[derive(Debug, Clone, Copy, sqlx::FromRow)]
pub struct Failures {
    pub by_user: i64,
    pub user_retry_secs: i64,
    pub by_client: i64,
    pub client_retry_secs: i64,
}

pub async fn recent_failures(
    db: impl PgExecutor<'_>,
    username: &str,
    client: &str,
    window_secs: i64,
) -> Result<Failures, sqlx::Error> {
    sqlx::query_as(
        "with w as (select * from auth.login_attempts \
                    where not succeeded and attempted_at > now() - make_interval(secs => $3)) \
         select (select count(*) from w where username = $1) as by_user, \
                coalesce((select ceil(extract(epoch from min(attempted_at) + make_interval(secs => $3) - now()))::bigint \
                          from w where username = $1), 0) as user_retry_secs, \
                (select count(*) from w where client_addr = $2) as by_client, \
                coalesce((select ceil(extract(epoch from min(attempted_at) + make_interval(secs => $3) - now()))::bigint \
                          from w where client_addr = $2), 0) as client_retry_secs",
    )
    .bind(username)
    .bind(client)
    .bind(window_secs as f64)
    .fetch_one(db)
    .await
}

pub async fn insert_setup_token(
    db: impl PgExecutor<'_>,
    token_hash: &[u8],
    ttl_secs: i64,
) -> Result<(), sqlx::Error> {
    sqlx::query(
        "insert into auth.setup_tokens (token_hash, expires_at) values ($1, now() + make_interval(secs => $2))",
    )
    .bind(token_hash)
    .bind(ttl_secs as f64)
    .execute(db)
    .await
    .map(|_| ())
}

/// Marks a setup token used; false when unknown, used or expired.
pub async fn use_setup_token(
    db: impl PgExecutor<'_>,
    token_hash: &[u8],
) -> Result<bool, sqlx::Error> {
    sqlx::query(
        "update auth.setup_tokens set used_at = now() \
         where token_hash = $1 and used_at is null and expires_at > now()",
    )
    .bind(token_hash)
    .execute(db)
    .await
    .map(|d| d.rows_affected() > 0)
}

/// One audit entry to write.
#[derive(Debug, Clone)]
pub struct AuditEntry<'a> {
    pub actor_id: Option<Uuid>,
    pub actor: &'a str,
    pub action: &'a str,
    pub target: Option<&'a str>,
    pub client: Option<&'a str>,
    pub outcome: &'a str,
    pub detail: Option<&'a str>,
}

pub async fn insert_audit(db: impl PgExecutor<'_>, e: &AuditEntry<'_>) -> Result<(), sqlx::Error> {
    sqlx::query(
        "insert into auth.audit_log (actor_id, actor, action, target, client_addr, outcome, detail) \
         values ($1, $2, $3, $4, $5, $6, $7)",
    )
    .bind(e.actor_id)
    .bind(e.actor)
    .bind(e.action)
    .bind(e.target)
    .bind(e.client)
    .bind(e.outcome)
    .bind(e.detail)
    .execute(db)
    .await
    .map(|_| ())
}

/// An audit entry as read.
#[derive(Debug, Clone, sqlx::FromRow, serde::Serialize, utoipa::ToSchema)]
pub struct AuditRow {
    pub id: i64,
    pub at: String,
    pub actor: String,
    pub action: String,
    pub target: Option<String>,
    pub client_addr: Option<String>,
    pub outcome: String,
    pub detail: Option<String>,
}

/// Audit entries newest first, older than `before` (an id) when given.
pub async fn list_audit(
    db: impl PgExecutor<'_>,
    before: Option<i64>,
    limit: i64,
) -> Result<Vec<AuditRow>, sqlx::Error> {
    sqlx::query_as(
        "select id, to_char(at at time zone 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS.MS\"Z\"') as at, actor::text as actor, \
         action::text as action, target, client_addr, outcome::text as outcome, detail \
         from auth.audit_log where $1::bigint is null or id < $1 order by id desc limit $2",
    )
    .bind(before)
    .bind(limit)
    .fetch_all(db)
    .await
}

/// Makes the named user an active admin with this password hash (the setup of the first admin).
pub async fn make_active_admin(
    db: impl PgExecutor<'_>,
    name: &str,
    hash: &str,
) -> Result<bool, sqlx::Error> {
    sqlx::query(
        "update auth.users set hashed_password = $2, role = 'admin', is_active = true \
         where username = $1",
    )
    .bind(name)
    .bind(hash)
    .execute(db)
    .await
    .map(|d| d.rows_affected() > 0)
}
