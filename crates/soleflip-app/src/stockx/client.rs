//! The StockX API client: OAuth access tokens from the refresh token (refreshed a minute before
//! they expire, and once more when the API answers 401), the `x-api-key` header on every call,
//! the shared request budget in the database before every call (so every process together
//! stays within 1 request/s and 25,000 a day, or the configured limits), and retries: a 429
//! after its `Retry-After`, a 5xx or a dropped connection after an exponential back-off with
//! jitter. When the daily budget is spent it stops with the time requests resume.
//!
//! Nothing secret is logged: requests are logged by method and path (never a header, body or
//! token), and errors carry StockX's message, never the request.

use std::time::Duration;

use chrono::{DateTime, Utc};
use rand::Rng as _;
use reqwest::StatusCode;
use secrecy::{ExposeSecret, SecretString};
use serde::de::DeserializeOwned;
use sqlx::PgPool;
use tokio::sync::Mutex;

use super::api::{ApiError, TokenResponse};
use super::{Credentials, StockxError, StockxSettings};

/// The name of StockX's row in `integration.api_budgets`.
pub const BUDGET_API: &str = "stockx";

/// An access token is renewed this long before it expires.
const RENEW_BEFORE: chrono::TimeDelta = chrono::TimeDelta::seconds(60);

/// Added to the minimum gap between two requests, so that scheduling jitter on the way to
/// StockX cannot bring two of them closer than the limit.
const GAP_MARGIN_MS: i64 = 20;

struct Token {
    value: SecretString,
    expires_at: DateTime<Utc>,
}

/// Counts of one client's calls, for reports.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, serde::Serialize)]
pub struct CallCounts {
    /// API requests sent (each retry counts).
    pub requests: u64,
    /// Access tokens fetched.
    pub token_refreshes: u64,
    /// Retries after a 429, a 5xx or a dropped connection.
    pub retries: u64,
}

/// A client of one StockX account.
pub struct Client {
    http: reqwest::Client,
    settings: StockxSettings,
    credentials: Credentials,
    pool: PgPool,
    token: Mutex<Option<Token>>,
    counts: std::sync::Mutex<CallCounts>,
    /// A rotated refresh token StockX sent, for the caller to store.
    rotated: std::sync::Mutex<Option<SecretString>>,
}

impl std::fmt::Debug for Client {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Client")
            .field("api_url", &self.settings.api_url)
            .finish_non_exhaustive()
    }
}

impl Client {
    pub fn new(
        settings: StockxSettings,
        credentials: Credentials,
        pool: PgPool,
    ) -> Result<Self, StockxError> {
        let http = reqwest::Client::builder()
            .timeout(Duration::from_secs(30))
            .connect_timeout(Duration::from_secs(10))
            .user_agent(concat!("soleflip/", env!("CARGO_PKG_VERSION")))
            .build()
            .map_err(|e| StockxError::Unexpected(anyhow::Error::new(e)))?;
        Ok(Self {
            http,
            settings,
            credentials,
            pool,
            token: Mutex::new(None),
            counts: std::sync::Mutex::new(CallCounts::default()),
            rotated: std::sync::Mutex::new(None),
        })
    }

    pub fn settings(&self) -> &StockxSettings {
        &self.settings
    }

    pub fn counts(&self) -> CallCounts {
        self.counts.lock().map(|c| *c).unwrap_or_default()
    }

    fn count(&self, f: impl FnOnce(&mut CallCounts)) {
        if let Ok(mut c) = self.counts.lock() {
            f(&mut c);
        }
    }

    /// The refresh token StockX rotated to, if it did.
    pub fn take_rotated_refresh_token(&self) -> Option<SecretString> {
        self.rotated.lock().ok().and_then(|mut r| r.take())
    }

    /// A valid access token: the cached one, or a new one when it is missing, about to expire,
    /// or `stale` (the API refused it).
    async fn access_token(&self, stale: bool) -> Result<SecretString, StockxError> {
        let mut guard = self.token.lock().await;
        if let Some(t) = guard.as_ref() {
            if !stale && t.expires_at - RENEW_BEFORE > Utc::now() {
                return Ok(t.value.clone());
            }
        }
        let url = format!(
            "{}/oauth/token",
            self.settings.auth_url.trim_end_matches('/')
        );
        let c = &self.credentials;
        let form = [
            ("grant_type", "refresh_token"),
            ("client_id", c.client_id.expose_secret()),
            ("client_secret", c.client_secret.expose_secret()),
            ("audience", "gateway.stockx.com"),
            ("refresh_token", c.refresh_token.expose_secret()),
        ];
        let mut attempt = 0;
        let response = loop {
            attempt += 1;
            let sent = self.http.post(&url).form(&form).send().await;
            match sent {
                Ok(r) if r.status().is_server_error() && attempt <= self.settings.max_retries => {
                    self.count(|c| c.retries += 1);
                    tokio::time::sleep(backoff(attempt)).await;
                }
                Ok(r) => break r,
                Err(e) if attempt <= self.settings.max_retries => {
                    tracing::warn!(error = %without_url(&e), "StockX token request failed; retrying");
                    self.count(|c| c.retries += 1);
                    tokio::time::sleep(backoff(attempt)).await;
                }
                Err(e) => {
                    return Err(StockxError::Unavailable(format!(
                        "the StockX token endpoint cannot be reached: {}",
                        without_url(&e)
                    )))
                }
            }
        };
        self.count(|c| c.token_refreshes += 1);
        let status = response.status();
        if !status.is_success() {
            let text = response.text().await.unwrap_or_default();
            return Err(StockxError::Unauthenticated(format!(
                "StockX refused the stored credentials ({status}{}): run `soleflip stockx connect` \
                 with a new refresh token",
                short_reason(&text)
            )));
        }
        let token: TokenResponse = response.json().await.map_err(|e| {
            StockxError::Unavailable(format!(
                "the StockX token endpoint answered something that is not a token: {}",
                without_url(&e)
            ))
        })?;
        if let Some(r) = token.refresh_token {
            if let Ok(mut slot) = self.rotated.lock() {
                *slot = Some(SecretString::from(r));
            }
        }
        let value = SecretString::from(token.access_token);
        let lifetime = i64::try_from(token.expires_in).unwrap_or(i64::MAX / 2);
        *guard = Some(Token {
            value: value.clone(),
            expires_at: Utc::now() + chrono::TimeDelta::seconds(lifetime.min(86_400 * 365)),
        });
        tracing::debug!(expires_in = lifetime, "StockX access token renewed");
        Ok(value)
    }

    /// Waits for this process's next slot in the shared budget, then claims the send (a slot
    /// that came late, on a busy machine, must not bring the next request closer than the
    /// gap).
    async fn wait_for_slot(&self) -> Result<(), StockxError> {
        let gap = i64::try_from(self.settings.min_interval_ms).unwrap_or(i64::MAX);
        let gap = if gap > 0 { gap + GAP_MARGIN_MS } else { 0 };
        let daily = i32::try_from(self.settings.daily_limit).unwrap_or(i32::MAX);
        let mut conn = self.pool.acquire().await.map_err(anyhow::Error::new)?;
        let reservation = soleflip_db::stockx::reserve_request(&mut conn, BUDGET_API, gap, daily)
            .await
            .map_err(anyhow::Error::new)?;
        // No connection is held while waiting: concurrent requests of this process share a
        // small pool.
        drop(conn);
        let at = match reservation {
            soleflip_db::stockx::Reservation::Granted { at, .. } => at,
            soleflip_db::stockx::Reservation::Exhausted { resumes_at } => {
                return Err(StockxError::BudgetSpent { resumes_at })
            }
        };
        let wait = (at - Utc::now()).to_std().unwrap_or_default();
        if !wait.is_zero() {
            tokio::time::sleep(wait).await;
        }
        if gap == 0 {
            return Ok(());
        }
        loop {
            let more = soleflip_db::stockx::claim_send(&self.pool, BUDGET_API, gap)
                .await
                .map_err(anyhow::Error::new)?;
            if more <= 0 {
                return Ok(());
            }
            tokio::time::sleep(Duration::from_millis(u64::try_from(more).unwrap_or(0))).await;
        }
    }

    /// GET `path` (under the API URL, e.g. `/v2/catalog/search`) with `query`, as JSON.
    pub async fn get<T: DeserializeOwned>(
        &self,
        path: &str,
        query: &[(&str, String)],
    ) -> Result<T, StockxError> {
        self.call(reqwest::Method::GET, path, query, None).await
    }

    /// POST `body` as JSON to `path`.
    pub async fn post<T: DeserializeOwned>(
        &self,
        path: &str,
        body: &serde_json::Value,
    ) -> Result<T, StockxError> {
        self.call(reqwest::Method::POST, path, &[], Some(body))
            .await
    }

    async fn call<T: DeserializeOwned>(
        &self,
        method: reqwest::Method,
        path: &str,
        query: &[(&str, String)],
        body: Option<&serde_json::Value>,
    ) -> Result<T, StockxError> {
        let url = format!("{}{path}", self.settings.api_url.trim_end_matches('/'));
        let mut refreshed_on_401 = false;
        let mut attempt: u32 = 0;
        loop {
            let token = self.access_token(false).await?;
            self.wait_for_slot().await?;
            self.count(|c| c.requests += 1);
            tracing::debug!(%method, path, "StockX request");
            let mut request = self
                .http
                .request(method.clone(), &url)
                .query(query)
                .header("x-api-key", self.credentials.api_key.expose_secret())
                .bearer_auth(token.expose_secret());
            if let Some(b) = body {
                request = request.json(b);
            }
            let response = match request.send().await {
                Ok(r) => r,
                Err(e) => {
                    attempt += 1;
                    if attempt > self.settings.max_retries {
                        return Err(StockxError::Unavailable(format!(
                            "StockX cannot be reached ({path}): {}",
                            without_url(&e)
                        )));
                    }
                    self.count(|c| c.retries += 1);
                    tokio::time::sleep(backoff(attempt)).await;
                    continue;
                }
            };
            let status = response.status();
            if status.is_success() {
                return response.json::<T>().await.map_err(|e| {
                    StockxError::Api(format!(
                        "StockX answered {path} with an unexpected shape: {}",
                        without_url(&e)
                    ))
                });
            }
            if status == StatusCode::UNAUTHORIZED && !refreshed_on_401 {
                refreshed_on_401 = true;
                self.access_token(true).await?;
                continue;
            }
            if status == StatusCode::TOO_MANY_REQUESTS || status.is_server_error() {
                attempt += 1;
                if attempt > self.settings.max_retries {
                    return Err(StockxError::Unavailable(format!(
                        "StockX answered {status} to {path} {attempt} times; giving up"
                    )));
                }
                let wait = if status == StatusCode::TOO_MANY_REQUESTS {
                    retry_after(response.headers()).unwrap_or_else(|| backoff(attempt)) + jitter()
                } else {
                    backoff(attempt)
                };
                tracing::info!(%status, path, wait_ms = wait.as_millis() as u64, "StockX asks to wait; retrying");
                self.count(|c| c.retries += 1);
                tokio::time::sleep(wait).await;
                continue;
            }
            let text = response.text().await.unwrap_or_default();
            let reason = short_reason(&text);
            return Err(if status == StatusCode::UNAUTHORIZED {
                StockxError::Unauthenticated(format!(
                    "StockX refused the access token twice ({path}{reason})"
                ))
            } else if status == StatusCode::NOT_FOUND {
                StockxError::NotFound(format!("StockX has no {path}{reason}"))
            } else {
                StockxError::Api(format!("StockX answered {status} to {path}{reason}"))
            });
        }
    }
}

/// The wait a `Retry-After` header asks for: seconds, or an HTTP date.
fn retry_after(headers: &reqwest::header::HeaderMap) -> Option<Duration> {
    let v = headers
        .get(reqwest::header::RETRY_AFTER)?
        .to_str()
        .ok()?
        .trim();
    if let Ok(secs) = v.parse::<u64>() {
        return Some(Duration::from_secs(secs.min(3600)));
    }
    let at = DateTime::parse_from_rfc2822(v).ok()?.with_timezone(&Utc);
    Some((at - Utc::now()).to_std().unwrap_or_default())
}

/// 0.5 s, 1 s, 2 s, ... (at most 30 s), plus up to half of it again at random.
fn backoff(attempt: u32) -> Duration {
    let base = 500u64
        .saturating_mul(1 << attempt.saturating_sub(1).min(6))
        .min(30_000);
    Duration::from_millis(base + rand::thread_rng().gen_range(0..=base / 2))
}

/// Up to 250 ms at random, so that processes told the same Retry-After do not all come back
/// at once.
fn jitter() -> Duration {
    Duration::from_millis(rand::thread_rng().gen_range(0..=250))
}

/// StockX's error message (`PublicApiError.message`), if the body is one.
fn short_reason(body: &str) -> String {
    serde_json::from_str::<ApiError>(body)
        .map(|e| format!(": {}", e.message.chars().take(200).collect::<String>()))
        .unwrap_or_default()
}

/// A reqwest error without its URL (which carries nothing secret, but is noise in one line).
fn without_url(e: &reqwest::Error) -> String {
    let mut s = e.to_string();
    if let Some(url) = e.url() {
        s = s.replace(&format!(" for url ({url})"), "");
    }
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_retry_after_in_seconds_or_as_a_date_is_read() {
        let mut h = reqwest::header::HeaderMap::new();
        h.insert(reqwest::header::RETRY_AFTER, "3".parse().unwrap());
        assert_eq!(retry_after(&h), Some(Duration::from_secs(3)));
        let later = (Utc::now() + chrono::TimeDelta::seconds(120)).to_rfc2822();
        h.insert(reqwest::header::RETRY_AFTER, later.parse().unwrap());
        let wait = retry_after(&h).unwrap();
        assert!(wait > Duration::from_secs(100) && wait <= Duration::from_secs(120));
    }

    #[test]
    fn back_off_grows_and_is_capped() {
        assert!(
            backoff(1) >= Duration::from_millis(500) && backoff(1) <= Duration::from_millis(750)
        );
        assert!(backoff(3) >= Duration::from_millis(2000));
        assert!(backoff(40) <= Duration::from_millis(45_000));
    }
}
