//! Which PostgreSQL server and database to talk to, and connecting to it with messages that
//! name the server but never the password.

use std::path::Path;
use std::str::FromStr;
use std::time::Duration;

use sqlx::postgres::{PgConnectOptions, PgConnection};
use sqlx::{ConnectOptions, Connection};

/// How long a connection attempt may take before we give up on the server.
pub const CONNECT_TIMEOUT: Duration = Duration::from_secs(5);

/// A database on a server: connection options plus a printable, password-free description.
#[derive(Debug, Clone)]
pub struct DbTarget {
    options: PgConnectOptions,
    /// The URL as given with its password replaced by `***` (None for targets built from parts).
    redacted_url: Option<String>,
    password: Option<String>,
}

#[derive(Debug, thiserror::Error)]
pub enum TargetError {
    #[error("invalid database URL {url}: {reason}")]
    BadUrl { url: String, reason: String },
}

#[derive(Debug, thiserror::Error)]
pub enum ConnectError {
    #[error("cannot reach PostgreSQL at {endpoint}: no answer within {} s", CONNECT_TIMEOUT.as_secs())]
    Timeout { endpoint: String },
    #[error("cannot reach PostgreSQL at {endpoint}: {reason}")]
    Unreachable { endpoint: String, reason: String },
    #[error("PostgreSQL at {endpoint} refused the login of user {user}: {reason}")]
    LoginRefused {
        endpoint: String,
        user: String,
        reason: String,
    },
    #[error("database {database} does not exist on the PostgreSQL server at {endpoint}")]
    NoDatabase { endpoint: String, database: String },
    #[error("connecting to PostgreSQL at {endpoint}: {reason}")]
    Other { endpoint: String, reason: String },
}

impl DbTarget {
    /// Parses a libpq-style URL. SQLAlchemy's driver-qualified forms
    /// (`postgresql+asyncpg://`, `postgresql+psycopg2://`) are accepted, since existing
    /// installations keep their URL in that form.
    pub fn from_url(raw: &str) -> Result<Self, TargetError> {
        let url = normalize_scheme(raw.trim());
        let parsed = url::Url::parse(&url).map_err(|e| TargetError::BadUrl {
            url: redact_unparsable(&url),
            reason: e.to_string(),
        })?;
        let mut shown = parsed.clone();
        let password = parsed
            .password()
            .map(percent_decode)
            .filter(|p| !p.is_empty());
        if password.is_some() {
            let _ = shown.set_password(Some("***"));
        }
        let redacted = shown.to_string();
        if !matches!(parsed.scheme(), "postgres" | "postgresql") {
            return Err(TargetError::BadUrl {
                url: redacted,
                reason: format!(
                    "the scheme must be postgresql:// or postgres://, not {}://",
                    parsed.scheme()
                ),
            });
        }
        let options = PgConnectOptions::from_str(&url).map_err(|e| TargetError::BadUrl {
            url: redacted.clone(),
            reason: scrub(&e.to_string(), password.as_deref()),
        })?;
        Ok(Self {
            options: tune(options),
            redacted_url: Some(redacted),
            password,
        })
    }

    /// A database reached through a unix socket directory with the given role (trust auth).
    pub fn from_socket(socket_dir: &Path, port: u16, user: &str, database: &str) -> Self {
        let options = PgConnectOptions::new_without_pgpass()
            .socket(socket_dir)
            .port(port)
            .username(user)
            .database(database);
        Self {
            options: tune(options),
            redacted_url: None,
            password: None,
        }
    }

    /// The same server, another database.
    pub fn with_database(&self, database: &str) -> Self {
        let redacted_url = self.redacted_url.as_ref().and_then(|u| {
            let mut u = url::Url::parse(u).ok()?;
            u.set_path(&format!("/{database}"));
            Some(u.to_string())
        });
        Self {
            options: self.options.clone().database(database),
            redacted_url,
            password: self.password.clone(),
        }
    }

    pub fn database(&self) -> String {
        self.options
            .get_database()
            .map(str::to_string)
            .unwrap_or_else(|| self.user())
    }

    pub fn user(&self) -> String {
        self.options.get_username().to_string()
    }

    pub fn options(&self) -> &PgConnectOptions {
        &self.options
    }

    /// Where the server is: `host:port`, or the socket file for a unix socket.
    pub fn endpoint(&self) -> String {
        match self.options.get_socket() {
            Some(dir) => format!("{}/.s.PGSQL.{}", dir.display(), self.options.get_port()),
            None => format!("{}:{}", self.options.get_host(), self.options.get_port()),
        }
    }

    /// A one-line, password-free description: the redacted URL, or database@endpoint.
    pub fn describe(&self) -> String {
        self.redacted_url
            .clone()
            .unwrap_or_else(|| format!("database {} at {}", self.database(), self.endpoint()))
    }

    /// Connection parameters for PostgreSQL's own programs (`pg_dump`, `pg_restore`, `psql`),
    /// as libpq environment variables: PGHOST (host name or socket directory), PGPORT, PGUSER,
    /// PGDATABASE, PGSSLMODE. The password is deliberately not among them: see
    /// [`DbTarget::password`], and never put it in a child's argv.
    pub fn libpq_env(&self) -> Vec<(&'static str, String)> {
        use sqlx::postgres::PgSslMode;
        let host = match self.options.get_socket() {
            Some(dir) => dir.display().to_string(),
            None => self.options.get_host().to_string(),
        };
        let ssl_mode = match self.options.get_ssl_mode() {
            PgSslMode::Disable => "disable",
            PgSslMode::Allow => "allow",
            PgSslMode::Prefer => "prefer",
            PgSslMode::Require => "require",
            PgSslMode::VerifyCa => "verify-ca",
            PgSslMode::VerifyFull => "verify-full",
        };
        vec![
            ("PGHOST", host),
            ("PGPORT", self.options.get_port().to_string()),
            ("PGUSER", self.user()),
            ("PGDATABASE", self.database()),
            ("PGSSLMODE", ssl_mode.to_string()),
        ]
    }

    /// The password, if the target has one: for a child's mode-0600 passfile (or its
    /// environment), never for its argv, a log or a message.
    pub fn password(&self) -> Option<&str> {
        self.password.as_deref()
    }

    /// Removes this target's password from any text (defence in depth for error messages).
    pub fn scrub(&self, text: &str) -> String {
        scrub(text, self.password.as_deref())
    }

    pub async fn connect(&self) -> Result<PgConnection, ConnectError> {
        let endpoint = self.endpoint();
        let attempt = PgConnection::connect_with(&self.options);
        let result = tokio::time::timeout(CONNECT_TIMEOUT, attempt)
            .await
            .map_err(|_| ConnectError::Timeout {
                endpoint: endpoint.clone(),
            })?;
        result.map_err(|e| self.classify(e, endpoint))
    }

    fn classify(&self, e: sqlx::Error, endpoint: String) -> ConnectError {
        let reason = self.scrub(&e.to_string());
        match &e {
            sqlx::Error::Io(io) => ConnectError::Unreachable {
                endpoint,
                reason: io.to_string(),
            },
            sqlx::Error::Database(db) => match db.code().as_deref() {
                Some("28P01") | Some("28000") => ConnectError::LoginRefused {
                    endpoint,
                    user: self.user(),
                    reason: self.scrub(db.message()),
                },
                Some("3D000") => ConnectError::NoDatabase {
                    endpoint,
                    database: self.database(),
                },
                _ => ConnectError::Other { endpoint, reason },
            },
            _ => ConnectError::Other { endpoint, reason },
        }
    }
}

fn tune(options: PgConnectOptions) -> PgConnectOptions {
    options
        .application_name("soleflip")
        .disable_statement_logging()
}

fn normalize_scheme(url: &str) -> String {
    match url.split_once("://") {
        Some((scheme, rest))
            if scheme.starts_with("postgresql+") || scheme.starts_with("postgres+") =>
        {
            format!("postgresql://{rest}")
        }
        _ => url.to_string(),
    }
}

/// For a URL too broken to parse: keep the scheme only, since we cannot tell where a password
/// would be.
fn redact_unparsable(url: &str) -> String {
    match url.split_once("://") {
        Some((scheme, _)) => format!("({scheme}://…)"),
        None => "(not a URL)".to_string(),
    }
}

fn scrub(text: &str, password: Option<&str>) -> String {
    match password {
        Some(p) if !p.is_empty() => text.replace(p, "***"),
        _ => text.to_string(),
    }
}

fn percent_decode(s: &str) -> String {
    let bytes = s.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%' && i + 2 < bytes.len() {
            if let Ok(b) = u8::from_str_radix(&s[i + 1..i + 3], 16) {
                out.push(b);
                i += 3;
                continue;
            }
        }
        out.push(bytes[i]);
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sqlalchemy_urls_are_accepted_and_their_password_is_redacted() {
        let t = DbTarget::from_url("postgresql+asyncpg://shop:s3cr%21t@db.example:6543/soleflip")
            .unwrap();
        assert_eq!(t.database(), "soleflip");
        assert_eq!(t.endpoint(), "db.example:6543");
        assert_eq!(
            t.describe(),
            "postgresql://shop:***@db.example:6543/soleflip"
        );
        assert_eq!(t.scrub("oops s3cr!t leaked"), "oops *** leaked");
        let t = DbTarget::from_url("postgresql+psycopg2://u:pw@h/d").unwrap();
        assert_eq!(t.describe(), "postgresql://u:***@h/d");
    }

    #[test]
    fn a_malformed_url_is_refused_without_echoing_it() {
        let err = DbTarget::from_url("postgresql://user:hunter2@[bad/db").unwrap_err();
        let msg = err.to_string();
        assert!(msg.starts_with("invalid database URL"), "{msg}");
        assert!(!msg.contains("hunter2"), "{msg}");
        let err = DbTarget::from_url("mysql://user:hunter2@h/d")
            .unwrap_err()
            .to_string();
        assert!(
            err.contains("postgresql://") && !err.contains("hunter2"),
            "{err}"
        );
    }

    #[test]
    fn another_database_on_the_same_server_keeps_the_redaction() {
        let t = DbTarget::from_url("postgres://u:pw@h:5/a")
            .unwrap()
            .with_database("postgres");
        assert_eq!(t.database(), "postgres");
        assert_eq!(t.describe(), "postgres://u:***@h:5/postgres");
    }
}
