//! StockX API sync (issue 16): the account's credentials encrypted at rest
//! ([`secrets`]), a client that keeps within StockX's limits across processes ([`client`]),
//! and the syncs: market prices into `integration.price_sources`, orders into the ledger
//! (through the sales importers' merge), listings onto the ledger's listings, and the catalog.
//! Each sync is a job with a checkpoint, so a killed run resumes where it stopped.
//!
//! The credentials are four `system.config` rows (`stockx.client_id`, `stockx.client_secret`,
//! `stockx.api_key`, `stockx.refresh_token`), each encrypted with the key of [`secrets`];
//! nothing of them is ever printed, logged or put in a report.

pub mod api;
pub mod catalog;
pub mod client;
pub mod secrets;
pub mod sync;

use std::fmt;

use chrono::{DateTime, Utc};
use secrecy::{ExposeSecret, SecretString};
use serde::Serialize;
use sqlx::Connection as _;

use crate::error::{code_of, Code, Coded};
use crate::App;
pub use client::{CallCounts, Client};
pub use secrets::{KeySource, SecretKey};

/// The prefix of StockX's rows in `system.config`.
pub const CONFIG_PREFIX: &str = "stockx.";

/// The credential fields, in the order `connect` asks for them, with their config keys.
pub const FIELDS: [(&str, &str); 4] = [
    ("client_id", "stockx.client_id"),
    ("client_secret", "stockx.client_secret"),
    ("api_key", "stockx.api_key"),
    ("refresh_token", "stockx.refresh_token"),
];

/// What can go wrong with StockX.
#[derive(Debug, thiserror::Error)]
pub enum StockxError {
    /// No credentials are stored.
    #[error("StockX is not connected: `soleflip stockx connect` stores the credentials")]
    NotConnected,
    /// A value given by the caller is malformed (named).
    #[error("{0}")]
    Invalid(String),
    /// The secret key is missing, unreadable, too open, or not the one the values need.
    #[error("{0}")]
    Key(String),
    /// StockX refused the credentials or the access token.
    #[error("{0}")]
    Unauthenticated(String),
    /// The daily request budget is spent (by this and every other process).
    #[error(
        "the daily StockX request budget is spent; requests resume at {}",
        resumes_at.format("%Y-%m-%d %H:%M:%S UTC")
    )]
    BudgetSpent { resumes_at: DateTime<Utc> },
    /// StockX cannot be reached, or kept failing after the retries.
    #[error("{0}")]
    Unavailable(String),
    /// StockX has no such object.
    #[error("{0}")]
    NotFound(String),
    /// StockX answered with an error or a shape we do not know.
    #[error("{0}")]
    Api(String),
    #[error(transparent)]
    Db(#[from] crate::db::DbError),
    #[error(transparent)]
    Unexpected(#[from] anyhow::Error),
}

impl From<sqlx::Error> for StockxError {
    fn from(e: sqlx::Error) -> Self {
        Self::Unexpected(e.into())
    }
}

impl Coded for StockxError {
    fn code(&self) -> Code {
        match self {
            StockxError::NotConnected | StockxError::NotFound(_) => Code::NotFound,
            StockxError::Invalid(_) => Code::InvalidInput,
            StockxError::Key(_) => Code::Conflict,
            StockxError::Unauthenticated(_) => Code::Unauthenticated,
            StockxError::BudgetSpent { .. } => Code::RateLimited,
            StockxError::Unavailable(_) => Code::Unavailable,
            StockxError::Api(_) => Code::Unexpected,
            StockxError::Db(e) => e.code(),
            StockxError::Unexpected(e) => code_of(e.as_ref()),
        }
    }
}

/// Where StockX is and how fast it may be called. The defaults are StockX's; tests and
/// benchmarks point the URLs at a fake server and lift the per-second limit.
#[derive(Debug, Clone)]
pub struct StockxSettings {
    /// The API's base (`https://api.stockx.com`); paths start with `/v2/`.
    pub api_url: String,
    /// The OAuth server's base (`https://accounts.stockx.com`); tokens at `/oauth/token`.
    pub auth_url: String,
    /// Minimum gap between two requests of all processes together (0: none).
    pub min_interval_ms: u64,
    /// Requests in 24 hours, all processes together.
    pub daily_limit: u32,
    /// Currency of market data.
    pub currency: String,
    /// Retries of one request (429, 5xx, a dropped connection) before giving up.
    pub max_retries: u32,
    /// Where the secret key comes from (None: `<home>/secrets/stockx.key`).
    pub key: Option<KeySource>,
}

impl Default for StockxSettings {
    fn default() -> Self {
        Self {
            api_url: "https://api.stockx.com".into(),
            auth_url: "https://accounts.stockx.com".into(),
            min_interval_ms: 1000,
            daily_limit: 25_000,
            currency: "EUR".into(),
            max_retries: 5,
            key: None,
        }
    }
}

impl StockxSettings {
    /// The settings from environment variables (`SOLEFLIP_STOCKX_API_URL`,
    /// `SOLEFLIP_STOCKX_AUTH_URL`, `SOLEFLIP_STOCKX_MIN_INTERVAL_MS`,
    /// `SOLEFLIP_STOCKX_DAILY_LIMIT`, `SOLEFLIP_STOCKX_CURRENCY`, `SOLEFLIP_SECRET_KEY`), read
    /// through `var`; a malformed number is refused naming its variable.
    /// [`StockxSettings::from_vars`] of this process's environment.
    pub fn from_env() -> Result<Self, StockxError> {
        Self::from_vars(|name| std::env::var(name).ok())
    }

    pub fn from_vars(var: impl Fn(&str) -> Option<String>) -> Result<Self, StockxError> {
        let mut s = Self::default();
        if let Some(v) = var("SOLEFLIP_STOCKX_API_URL") {
            s.api_url = v;
        }
        if let Some(v) = var("SOLEFLIP_STOCKX_AUTH_URL") {
            s.auth_url = v;
        }
        let number = |name: &str| -> Result<Option<u64>, StockxError> {
            var(name)
                .map(|v| {
                    v.trim().parse::<u64>().map_err(|_| {
                        StockxError::Invalid(format!("{name}: `{v}` is not a whole number"))
                    })
                })
                .transpose()
        };
        if let Some(v) = number("SOLEFLIP_STOCKX_MIN_INTERVAL_MS")? {
            s.min_interval_ms = v;
        }
        if let Some(v) = number("SOLEFLIP_STOCKX_DAILY_LIMIT")? {
            s.daily_limit = u32::try_from(v).map_err(|_| {
                StockxError::Invalid("SOLEFLIP_STOCKX_DAILY_LIMIT: too large".into())
            })?;
        }
        if let Some(v) = var("SOLEFLIP_STOCKX_CURRENCY") {
            let v = v.trim().to_ascii_uppercase();
            if v.len() != 3 || !v.bytes().all(|b| b.is_ascii_uppercase()) {
                return Err(StockxError::Invalid(format!(
                    "SOLEFLIP_STOCKX_CURRENCY: `{v}` is not a currency code"
                )));
            }
            s.currency = v;
        }
        if let Some(v) = var(secrets::KEY_ENV).filter(|v| !v.trim().is_empty()) {
            s.key = Some(KeySource::Env(SecretString::from(v)));
        }
        Ok(s)
    }
}

/// The account's credentials. Debug shows nothing of them.
#[derive(Clone)]
pub struct Credentials {
    pub client_id: SecretString,
    pub client_secret: SecretString,
    pub api_key: SecretString,
    pub refresh_token: SecretString,
}

impl fmt::Debug for Credentials {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Credentials(redacted)")
    }
}

impl Credentials {
    /// Reads the credentials as `connect` takes them on stdin: a JSON object with the four
    /// fields, or the four values on four lines in the order of [`FIELDS`]. An error names the
    /// field or line, never a value.
    pub fn parse(input: &str) -> Result<Self, StockxError> {
        let t = input.trim();
        let values: Vec<String> = if t.starts_with('{') {
            let v: serde_json::Map<String, serde_json::Value> =
                serde_json::from_str(t).map_err(|e| {
                    StockxError::Invalid(format!(
                        "stdin: not a JSON object of the credentials (line {}, column {})",
                        e.line(),
                        e.column()
                    ))
                })?;
            if let Some(extra) = v.keys().find(|k| !FIELDS.iter().any(|(f, _)| f == k)) {
                return Err(StockxError::Invalid(format!(
                    "stdin: unknown field `{}` (expected client_id, client_secret, api_key, refresh_token)",
                    extra.chars().take(40).collect::<String>()
                )));
            }
            FIELDS
                .iter()
                .map(|(name, _)| match v.get(*name) {
                    Some(serde_json::Value::String(s)) => Ok(s.trim().to_owned()),
                    Some(_) => Err(StockxError::Invalid(format!("stdin: {name}: not a string"))),
                    None => Err(StockxError::Invalid(format!("stdin: {name}: missing"))),
                })
                .collect::<Result<_, _>>()?
        } else {
            let lines: Vec<String> = t.lines().map(|l| l.trim().to_owned()).collect();
            if lines.len() != FIELDS.len() {
                return Err(StockxError::Invalid(format!(
                    "stdin: {} line(s); expected 4 (client id, client secret, API key, refresh token) or a JSON object",
                    lines.len()
                )));
            }
            lines
        };
        for ((name, _), v) in FIELDS.iter().zip(&values) {
            if v.is_empty() {
                return Err(StockxError::Invalid(format!("stdin: {name}: empty")));
            }
            if v.len() > 8192 || v.chars().any(char::is_control) {
                return Err(StockxError::Invalid(format!(
                    "stdin: {name}: not a credential (control characters or longer than 8 KiB)"
                )));
            }
        }
        let mut it = values.into_iter().map(SecretString::from);
        let mut next = || {
            it.next()
                .unwrap_or_else(|| SecretString::from(String::new()))
        };
        Ok(Self {
            client_id: next(),
            client_secret: next(),
            api_key: next(),
            refresh_token: next(),
        })
    }

    fn field(&self, name: &str) -> &SecretString {
        match name {
            "client_id" => &self.client_id,
            "client_secret" => &self.client_secret,
            "api_key" => &self.api_key,
            _ => &self.refresh_token,
        }
    }
}

/// The result of `stockx connect`.
#[derive(Debug, Clone, Serialize)]
pub struct ConnectReport {
    /// Config keys written (never their values).
    pub stored: Vec<String>,
    /// The id of the key they are encrypted with.
    pub key_id: String,
    pub key_source: String,
    /// The key file was made now.
    pub key_created: bool,
}

/// The result of `stockx disconnect`.
#[derive(Debug, Clone, Serialize)]
pub struct DisconnectReport {
    pub removed: u64,
}

/// The result of `stockx rotate-key`.
#[derive(Debug, Clone, Serialize)]
pub struct RotateReport {
    pub re_encrypted: usize,
    pub old_key_id: String,
    pub new_key_id: String,
    pub key_source: String,
}

/// One sync job's state, for `stockx status`.
#[derive(Debug, Clone, Serialize)]
pub struct JobState {
    pub job: String,
    /// `running` (interrupted or in progress: the next run resumes) or `finished`.
    pub status: String,
    /// RFC 3339, UTC.
    pub started_at: String,
    pub finished_at: Option<String>,
}

/// The result of `stockx status`: whether credentials are stored, never any of them.
#[derive(Debug, Clone, Serialize)]
pub struct StatusReport {
    pub connected: bool,
    /// Which of the four fields are stored.
    pub fields: Vec<String>,
    pub key_source: String,
    /// Whether the key decrypts every stored field (None when nothing is stored or no key).
    pub key_ok: Option<bool>,
    pub api_url: String,
    pub requests_in_window: Option<i32>,
    pub jobs: Vec<JobState>,
}

impl App {
    fn key_source(&self, settings: &StockxSettings) -> KeySource {
        settings
            .key
            .clone()
            .unwrap_or_else(|| KeySource::File(secrets::key_file(self.home())))
    }

    /// Stores the credentials, encrypted, replacing any stored before (one transaction).
    #[tracing::instrument(skip_all)]
    pub async fn stockx_connect(
        &self,
        settings: &StockxSettings,
        credentials: &Credentials,
    ) -> Result<ConnectReport, StockxError> {
        let source = self.key_source(settings);
        let existed = matches!(&source, KeySource::File(p) if p.exists());
        let key = source.load(true)?;
        let mut conn = self.conn().await?;
        let mut tx = conn.begin().await?;
        let mut stored = Vec::new();
        for (name, config_key) in FIELDS {
            let sealed = key.seal(config_key, credentials.field(name).expose_secret())?;
            soleflip_db::stockx::put_config(
                &mut *tx,
                config_key,
                &sealed,
                "StockX API credential (encrypted; soleflip stockx connect)",
            )
            .await?;
            stored.push(config_key.to_owned());
        }
        tx.commit().await?;
        Ok(ConnectReport {
            stored,
            key_id: key.id(),
            key_source: source.describe(),
            key_created: matches!(source, KeySource::File(_)) && !existed,
        })
    }

    /// Removes the stored credentials.
    #[tracing::instrument(skip_all)]
    pub async fn stockx_disconnect(&self) -> Result<DisconnectReport, StockxError> {
        let removed = soleflip_db::stockx::delete_config(self.pool().await?, CONFIG_PREFIX).await?;
        Ok(DisconnectReport { removed })
    }

    /// The stored credentials, decrypted (for the syncs).
    pub async fn stockx_credentials(
        &self,
        settings: &StockxSettings,
    ) -> Result<Credentials, StockxError> {
        let rows = soleflip_db::stockx::list_config(self.pool().await?, CONFIG_PREFIX).await?;
        if rows.is_empty() {
            return Err(StockxError::NotConnected);
        }
        let key = self.key_source(settings).load(false)?;
        let get = |config_key: &str| -> Result<SecretString, StockxError> {
            let (_, v) = rows
                .iter()
                .find(|(k, _)| k == config_key)
                .ok_or(StockxError::NotConnected)?;
            key.open(config_key, v)
        };
        Ok(Credentials {
            client_id: get("stockx.client_id")?,
            client_secret: get("stockx.client_secret")?,
            api_key: get("stockx.api_key")?,
            refresh_token: get("stockx.refresh_token")?,
        })
    }

    /// Whether StockX is connected, which fields are stored, the key and the jobs.
    #[tracing::instrument(skip_all)]
    pub async fn stockx_status(
        &self,
        settings: &StockxSettings,
    ) -> Result<StatusReport, StockxError> {
        let pool = self.pool().await?;
        let rows = soleflip_db::stockx::list_config(pool, CONFIG_PREFIX).await?;
        let fields: Vec<String> = FIELDS
            .iter()
            .filter(|(_, k)| rows.iter().any(|(r, _)| r == k))
            .map(|(n, _)| (*n).to_owned())
            .collect();
        let source = self.key_source(settings);
        let key_ok = if rows.is_empty() {
            None
        } else {
            match source.load(false) {
                Ok(key) => Some(
                    rows.iter()
                        .filter(|(k, _)| FIELDS.iter().any(|(_, f)| f == k))
                        .all(|(k, v)| key.open(k, v).is_ok()),
                ),
                Err(_) => Some(false),
            }
        };
        let mut jobs = Vec::new();
        for job in sync::JOBS {
            if let Some(c) = soleflip_db::stockx::find_checkpoint(pool, job).await? {
                jobs.push(JobState {
                    job: c.job,
                    status: c.status,
                    started_at: c.started_at.to_rfc3339(),
                    finished_at: c.finished_at.map(|t| t.to_rfc3339()),
                });
            }
        }
        let requests_in_window: Option<i32> = sqlx::query_scalar(
            "select window_count from integration.api_budgets \
              where api = $1 and window_start > now() - interval '24 hours'",
        )
        .bind(client::BUDGET_API)
        .fetch_optional(pool)
        .await?;
        Ok(StatusReport {
            connected: fields.len() == FIELDS.len(),
            fields,
            key_source: source.describe(),
            key_ok,
            api_url: settings.api_url.clone(),
            requests_in_window,
            jobs,
        })
    }

    /// Re-encrypts the stored credentials with a new key. With the key file: a new key is
    /// written beside it (`stockx.key.new`), every value re-encrypted in one transaction, then
    /// the new file replaces the old one (a crash in between leaves both files; the values name
    /// the key they need). With `SOLEFLIP_SECRET_KEY`: the new key is `new_key` (the caller's
    /// `SOLEFLIP_SECRET_KEY_NEW`), which the operator then puts in place of the old.
    #[tracing::instrument(skip_all)]
    pub async fn stockx_rotate_key(
        &self,
        settings: &StockxSettings,
        new_key: Option<&SecretString>,
    ) -> Result<RotateReport, StockxError> {
        let source = self.key_source(settings);
        let old = source.load(false)?;
        let new = match (&source, new_key) {
            (_, Some(k)) => SecretKey::parse(k.expose_secret())?,
            (KeySource::File(_), None) => SecretKey::generate(),
            (KeySource::Env(_), None) => {
                return Err(StockxError::Invalid(format!(
                    "the key comes from {}: set SOLEFLIP_SECRET_KEY_NEW to the new key \
                     (e.g. `openssl rand -hex 32`), run rotate-key, then replace \
                     SOLEFLIP_SECRET_KEY with it",
                    secrets::KEY_ENV
                )))
            }
        };
        let staged = match &source {
            KeySource::File(path) => {
                let staged = path.with_extension("key.new");
                if staged.exists() {
                    return Err(StockxError::Key(format!(
                        "{} exists (an earlier rotation did not finish): see docs/stockx.md, \
                         \"Rotating the key\"",
                        staged.display()
                    )));
                }
                secrets::write_key_file(&staged, &new)?;
                Some((staged, path.clone()))
            }
            KeySource::Env(_) => None,
        };
        let mut conn = self.conn().await?;
        let mut tx = conn.begin().await?;
        let rows = soleflip_db::stockx::list_config(&mut *tx, CONFIG_PREFIX).await?;
        for (k, v) in &rows {
            let plain = old.open(k, v)?;
            let sealed = new.seal(k, plain.expose_secret())?;
            soleflip_db::stockx::put_config(
                &mut *tx,
                k,
                &sealed,
                "StockX API credential (encrypted; soleflip stockx connect)",
            )
            .await?;
        }
        tx.commit().await?;
        if let Some((staged, path)) = staged {
            std::fs::rename(&staged, &path).map_err(|e| {
                StockxError::Key(format!(
                    "the credentials are now encrypted with {}, but it could not replace {}: {e}",
                    staged.display(),
                    path.display()
                ))
            })?;
        }
        Ok(RotateReport {
            re_encrypted: rows.len(),
            old_key_id: old.id(),
            new_key_id: new.id(),
            key_source: source.describe(),
        })
    }

    /// A client of the connected account.
    pub async fn stockx_client(&self, settings: &StockxSettings) -> Result<Client, StockxError> {
        let credentials = self.stockx_credentials(settings).await?;
        Client::new(settings.clone(), credentials, self.pool().await?.clone())
    }

    /// Stores a refresh token StockX rotated to (encrypted), if the client got one.
    async fn keep_rotated_token(
        &self,
        settings: &StockxSettings,
        client: &Client,
    ) -> Result<(), StockxError> {
        if let Some(token) = client.take_rotated_refresh_token() {
            let key = self.key_source(settings).load(false)?;
            let sealed = key.seal("stockx.refresh_token", token.expose_secret())?;
            soleflip_db::stockx::put_config(
                self.pool().await?,
                "stockx.refresh_token",
                &sealed,
                "StockX API credential (encrypted; soleflip stockx connect)",
            )
            .await?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn credentials_are_read_from_json_or_four_lines_and_never_shown() {
        let c = Credentials::parse(
            r#"{"client_id":"cid","client_secret":"cs","api_key":"ak","refresh_token":"rt"}"#,
        )
        .unwrap();
        assert_eq!(c.api_key.expose_secret(), "ak");
        assert_eq!(format!("{c:?}"), "Credentials(redacted)");
        let c = Credentials::parse("cid\ncs\nak\nrt\n").unwrap();
        assert_eq!(c.refresh_token.expose_secret(), "rt");
    }

    #[test]
    fn a_missing_field_is_named_without_any_value() {
        let e =
            Credentials::parse(r#"{"client_id":"secret-cid","client_secret":"cs","api_key":"ak"}"#)
                .unwrap_err()
                .to_string();
        assert!(e.contains("refresh_token: missing"), "{e}");
        assert!(!e.contains("secret-cid"), "{e}");
        let e = Credentials::parse("only\ntwo").unwrap_err().to_string();
        assert!(e.contains("2 line(s)"), "{e}");
    }

    #[test]
    fn settings_come_from_the_environment_and_refuse_a_bad_number_by_name() {
        let s = StockxSettings::from_vars(|n| match n {
            "SOLEFLIP_STOCKX_API_URL" => Some("http://127.0.0.1:9".into()),
            "SOLEFLIP_STOCKX_MIN_INTERVAL_MS" => Some("0".into()),
            _ => None,
        })
        .unwrap();
        assert_eq!(s.api_url, "http://127.0.0.1:9");
        assert_eq!(s.min_interval_ms, 0);
        assert_eq!(s.daily_limit, 25_000);
        let e = StockxSettings::from_vars(|n| {
            (n == "SOLEFLIP_STOCKX_DAILY_LIMIT").then(|| "lots".to_owned())
        })
        .unwrap_err();
        assert!(e.to_string().starts_with("SOLEFLIP_STOCKX_DAILY_LIMIT"));
    }
}
