//! Which PostgreSQL server and database to talk to, and connecting to it with messages that
//! name the server but never the password.

use std::path::Path;
use std::str::FromStr;
use std::time::Duration;

use secrecy::{ExposeSecret, SecretString};
use sqlx::postgres::{PgConnectOptions, PgConnection};
use sqlx::{ConnectOptions, Connection};

/// How long a connection attempt may take before we give up on the server.
pub const CONNECT_TIMEOUT: Duration = Duration::from_secs(5);

/// The `search_path` of every session we open (and of the PostgreSQL programs we start): only
/// the system catalog and our own temporary schema, so that no function, operator or table a
/// database role created in `public` (or any other schema) can stand in for a built-in one.
/// SoleFlip's own SQL qualifies every name of its own schemas.
pub const SAFE_SEARCH_PATH: &str = "pg_catalog,pg_temp";

/// A database on a server: connection options plus a printable, password-free description.
/// Its `Debug` is that description: the password (kept as a `SecretString`, also inside the
/// connection options) is never formatted.
#[derive(Clone)]
pub struct DbTarget {
    options: PgConnectOptions,
    /// How the target was given, password replaced by `***` (None for targets built from parts).
    shown: Option<Shown>,
    password: Option<SecretString>,
}

impl std::fmt::Debug for DbTarget {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_tuple("DbTarget").field(&self.describe()).finish()
    }
}

/// The printable form of a target given as a string.
#[derive(Debug, Clone)]
enum Shown {
    /// A URL whose password (userinfo and `password=` parameter) reads `***`.
    Url(url::Url),
    /// A keyword/value string (`host=... dbname=...`), password `***`.
    KeyValue(Vec<(String, String)>),
}

impl Shown {
    fn render(&self) -> String {
        match self {
            Shown::Url(u) => u.to_string(),
            Shown::KeyValue(pairs) => pairs
                .iter()
                .map(|(k, v)| format!("{k}={}", conninfo_quote(v)))
                .collect::<Vec<_>>()
                .join(" "),
        }
    }

    fn with_database(&self, database: &str) -> Self {
        match self {
            Shown::Url(u) => {
                let mut u = u.clone();
                let pairs: Vec<(String, String)> = u
                    .query_pairs()
                    .filter(|(k, _)| k != "dbname")
                    .map(|(k, v)| (k.into_owned(), v.into_owned()))
                    .collect();
                if pairs.is_empty() {
                    u.set_query(None);
                } else {
                    u.query_pairs_mut().clear().extend_pairs(pairs);
                }
                // The path is one segment: a `/` or `?` in the name is percent-encoded.
                let segment: String = url::form_urlencoded::byte_serialize(database.as_bytes())
                    .collect::<String>()
                    .replace('+', "%20");
                u.set_path(&format!("/{segment}"));
                Shown::Url(u)
            }
            Shown::KeyValue(pairs) => {
                let mut pairs: Vec<(String, String)> = pairs
                    .iter()
                    .filter(|(k, _)| k != "dbname")
                    .cloned()
                    .collect();
                pairs.push(("dbname".to_string(), database.to_string()));
                Shown::KeyValue(pairs)
            }
        }
    }
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
    /// Parses a libpq connection string: a URL (`postgresql://user:pw@host:port/db?...`) or a
    /// keyword/value string (`host=h port=5432 dbname=db user=u password=pw`). SQLAlchemy's
    /// driver-qualified URL forms (`postgresql+asyncpg://`, `postgresql+psycopg2://`) are
    /// accepted, since existing installations keep their URL in that form. A password, wherever
    /// it is given (`user:pw@`, `?password=`, `password=`), never appears in a description or
    /// an error, and is handed to the child programs.
    pub fn from_url(raw: &str) -> Result<Self, TargetError> {
        let raw = raw.trim();
        if !raw.contains("://") && raw.contains('=') {
            return Self::from_key_value(raw);
        }
        let url = normalize_scheme(raw);
        let parsed = url::Url::parse(&url).map_err(|e| TargetError::BadUrl {
            url: redact_unparsable(&url),
            reason: e.to_string(),
        })?;
        let shown = redact_url(&parsed);
        let redacted = shown.to_string();
        let bad = |reason: String| TargetError::BadUrl {
            url: redacted.clone(),
            reason,
        };
        if !matches!(parsed.scheme(), "postgres" | "postgresql") {
            return Err(bad(format!(
                "the scheme must be postgresql:// or postgres://, not {}://",
                parsed.scheme()
            )));
        }
        // libpq refuses a `%` that does not start two hex digits; so do we, or the child
        // programs would read another password than we do.
        check_percent_escapes(&url).map_err(bad)?;
        let mut password = parsed
            .password()
            .map(percent_decode)
            .filter(|p| !p.is_empty());
        for (key, value) in parsed.query_pairs() {
            if key == "password" {
                password = Some(value.into_owned()).filter(|p| !p.is_empty());
            }
        }
        let options = PgConnectOptions::from_str(&url)
            .map_err(|e| bad(scrub(&e.to_string(), password.as_deref())))?;
        Ok(Self {
            options: tune(options),
            shown: Some(Shown::Url(shown)),
            password: password.map(SecretString::from),
        })
    }

    /// A keyword/value connection string (`host=h port=5 dbname=d user=u password=pw
    /// sslmode=require`), values optionally in single quotes with `\'` and `\\` escapes.
    fn from_key_value(raw: &str) -> Result<Self, TargetError> {
        let pairs = parse_conninfo(raw).map_err(|reason| TargetError::BadUrl {
            url: "(keyword/value string)".to_string(),
            reason,
        })?;
        let shown: Vec<(String, String)> = pairs
            .iter()
            .map(|(k, v)| {
                let v = if k == "password" { "***" } else { v.as_str() };
                (k.clone(), v.to_string())
            })
            .collect();
        let redacted = Shown::KeyValue(shown.clone()).render();
        let bad = |reason: String| TargetError::BadUrl {
            url: redacted.clone(),
            reason,
        };
        let mut options = PgConnectOptions::new_without_pgpass();
        let mut password = None;
        for (key, value) in &pairs {
            options = match key.as_str() {
                "host" | "hostaddr" if value.starts_with('/') => options.socket(value),
                "host" | "hostaddr" => options.host(value),
                "port" => options.port(
                    value
                        .parse()
                        .map_err(|_| bad(format!("port {value:?} is not a port number")))?,
                ),
                "dbname" => options.database(value),
                "user" => options.username(value),
                "password" => {
                    password = Some(value.clone()).filter(|p| !p.is_empty());
                    options.password(value)
                }
                "sslmode" => options.ssl_mode(
                    value
                        .parse()
                        .map_err(|_| bad(format!("sslmode {value:?} is not an SSL mode")))?,
                ),
                "sslrootcert" => options.ssl_root_cert(value.as_str()),
                "application_name" => options.application_name(value),
                other => {
                    return Err(bad(format!(
                        "unknown keyword {other:?} (known: host, hostaddr, port, dbname, user, \
                         password, sslmode, sslrootcert, application_name)"
                    )))
                }
            };
        }
        Ok(Self {
            options: tune(options),
            shown: Some(Shown::KeyValue(shown)),
            password: password.map(SecretString::from),
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
            shown: None,
            password: None,
        }
    }

    /// The same server, another database.
    /// The name is a name, never a connection string: `dbname=x` names a database called
    /// `dbname=x`.
    pub fn with_database(&self, database: &str) -> Self {
        Self {
            options: self.options.clone().database(database),
            shown: self.shown.as_ref().map(|s| s.with_database(database)),
            password: self.password.clone(),
        }
    }

    /// The same server and database, logging in as another role (with its own password, if
    /// any): for programs that must run with that role's rights only.
    pub fn with_login(&self, user: &str, password: Option<&str>) -> Self {
        let mut options = self.options.clone().username(user);
        if let Some(p) = password {
            options = options.password(p);
        }
        Self {
            options,
            shown: None,
            password: password.map(SecretString::from),
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

    /// The options every connection to this target uses (for a `PgPool` too): they pin
    /// `search_path` to [`SAFE_SEARCH_PATH`] at login.
    pub fn options(&self) -> &PgConnectOptions {
        &self.options
    }

    /// Owned connection options for a pool (`PgPoolOptions::connect_with`): every session of
    /// the pool starts with `search_path` pinned to [`SAFE_SEARCH_PATH`].
    pub fn connect_options(&self) -> PgConnectOptions {
        self.options.clone()
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
        self.shown
            .as_ref()
            .map(Shown::render)
            .unwrap_or_else(|| format!("database {} at {}", self.database(), self.endpoint()))
    }

    /// Connection parameters for PostgreSQL's own programs (`pg_dump`, `pg_restore`, `psql`),
    /// as libpq environment variables: PGHOST (host name or socket directory), PGPORT, PGUSER,
    /// PGDATABASE, PGSSLMODE, and PGOPTIONS pinning `search_path` to [`SAFE_SEARCH_PATH`]. The
    /// password is deliberately not among them: see [`DbTarget::password`], and never put it in
    /// a child's argv. PGDATABASE is read by libpq as a plain name, never as a connection string.
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
            ("PGOPTIONS", format!("-c search_path={SAFE_SEARCH_PATH}")),
        ]
    }

    /// The password, if the target has one: for a child's mode-0600 passfile (or its
    /// environment), never for its argv, a log or a message.
    pub fn password(&self) -> Option<&str> {
        self.password.as_ref().map(ExposeSecret::expose_secret)
    }

    /// Removes this target's password from any text (defence in depth for error messages).
    pub fn scrub(&self, text: &str) -> String {
        scrub(text, self.password())
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

/// Our settings for every session, applied last so that they win over an `options` parameter
/// of the given string.
fn tune(options: PgConnectOptions) -> PgConnectOptions {
    options
        .application_name("soleflip")
        .options([("search_path", SAFE_SEARCH_PATH)])
        .disable_statement_logging()
}

/// `parsed` with its password (userinfo and `password=` parameter) replaced by `***`.
fn redact_url(parsed: &url::Url) -> url::Url {
    let mut shown = parsed.clone();
    if parsed.password().is_some_and(|p| !p.is_empty()) {
        let _ = shown.set_password(Some("***"));
    }
    if parsed.query_pairs().any(|(k, _)| k == "password") {
        let pairs: Vec<(String, String)> = parsed
            .query_pairs()
            .map(|(k, v)| {
                let v = if k == "password" {
                    "***".to_string()
                } else {
                    v.into_owned()
                };
                (k.into_owned(), v)
            })
            .collect();
        shown.query_pairs_mut().clear().extend_pairs(pairs);
    }
    shown
}

/// Refuses a `%` that is not followed by two hex digits (`%+1`, `%4`, `%zz`).
fn check_percent_escapes(url: &str) -> Result<(), String> {
    let bytes = url.as_bytes();
    for (i, &b) in bytes.iter().enumerate() {
        if b == b'%'
            && !(bytes.get(i + 1).is_some_and(u8::is_ascii_hexdigit)
                && bytes.get(i + 2).is_some_and(u8::is_ascii_hexdigit))
        {
            return Err(format!(
                "invalid percent escape at character {}: a % must be followed by two hex digits \
                 (write a literal % as %25)",
                i + 1
            ));
        }
    }
    Ok(())
}

/// Splits a keyword/value connection string as libpq does: `key = value` pairs separated by
/// whitespace, a value in single quotes may hold spaces, `\'` and `\\` escape inside values.
fn parse_conninfo(text: &str) -> Result<Vec<(String, String)>, String> {
    let mut out = Vec::new();
    let mut chars = text.chars().peekable();
    loop {
        while chars.next_if(|c| c.is_whitespace()).is_some() {}
        if chars.peek().is_none() {
            return Ok(out);
        }
        let mut key = String::new();
        while let Some(c) = chars.next_if(|c| *c != '=' && !c.is_whitespace()) {
            key.push(c);
        }
        while chars.next_if(|c| c.is_whitespace()).is_some() {}
        if chars.next() != Some('=') {
            return Err(format!("missing \"=\" after {key:?}"));
        }
        while chars.next_if(|c| c.is_whitespace()).is_some() {}
        let mut value = String::new();
        if chars.next_if_eq(&'\'').is_some() {
            loop {
                match chars.next() {
                    None => return Err(format!("unterminated quoted value of {key:?}")),
                    Some('\'') => break,
                    Some('\\') => match chars.next() {
                        Some(c) => value.push(c),
                        None => return Err(format!("unterminated quoted value of {key:?}")),
                    },
                    Some(c) => value.push(c),
                }
            }
        } else {
            while let Some(c) = chars.next_if(|c| !c.is_whitespace()) {
                if c == '\\' {
                    if let Some(next) = chars.next() {
                        value.push(next);
                    }
                } else {
                    value.push(c);
                }
            }
        }
        out.push((key, value));
    }
}

/// A value for a keyword/value connection string: single-quoted (`\` and `'` escaped) unless
/// it is a plain word.
pub fn conninfo_quote(value: &str) -> String {
    let plain = !value.is_empty()
        && value
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || "_-./:*".contains(c));
    if plain {
        value.to_string()
    } else {
        format!("'{}'", value.replace('\\', "\\\\").replace('\'', "\\'"))
    }
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
        let hex = |j: usize| bytes.get(j).copied().filter(u8::is_ascii_hexdigit);
        if let (b'%', Some(h), Some(l)) = (bytes[i], hex(i + 1), hex(i + 2)) {
            let digit = |d: u8| (d as char).to_digit(16).unwrap_or(0) as u8;
            out.push(digit(h) * 16 + digit(l));
            i += 3;
            continue;
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
    fn debug_output_shows_the_description_never_the_password() {
        for given in [
            "postgresql://u:hunter2@h:5432/d",
            "postgresql://u@h/d?password=hunter2",
            "host=h dbname=d user=u password=hunter2",
        ] {
            let t = DbTarget::from_url(given).unwrap();
            let debug = format!("{t:?} {:?}", t.with_database("other"));
            assert!(!debug.contains("hunter2"), "{debug}");
            assert_eq!(t.password(), Some("hunter2"));
        }
    }

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
