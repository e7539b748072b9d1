use std::path::PathBuf;

/// What can go wrong while finding, creating, starting or stopping a cluster. Every message is
/// one line that says what to do about it.
#[derive(Debug, thiserror::Error)]
pub enum PgError {
    #[error(
        "no PostgreSQL server binaries found (looked in SOLEFLIP_PG_BINDIR, `pg_config --bindir`, \
         /usr/lib/postgresql/*/bin and PATH): install PostgreSQL {min}+ (e.g. `apt-get install -y \
         postgresql`) or set DATABASE_URL to an existing server"
    )]
    BinariesNotFound { min: u32 },
    #[error("SOLEFLIP_PG_BINDIR={dir} does not contain {program}: point it at a PostgreSQL bin directory")]
    BadBinDir { dir: PathBuf, program: &'static str },
    #[error(
        "PostgreSQL {found} found in {dir}, but SoleFlip needs {min} or newer: install a newer \
         PostgreSQL or set DATABASE_URL"
    )]
    TooOld { found: u32, min: u32, dir: PathBuf },
    #[error(
        "running as root, but there is no unprivileged OS user `postgres` to run the server \
         (PostgreSQL refuses to run as root): install the postgresql package, or run soleflip as \
         a normal user"
    )]
    NoServerUser,
    #[error("{context}: {source}")]
    Io {
        context: String,
        #[source]
        source: std::io::Error,
    },
    #[error("{program} failed: {detail}")]
    Command { program: String, detail: String },
    #[error("the PostgreSQL server in {data_dir} did not start: {detail}")]
    StartFailed { data_dir: PathBuf, detail: String },
    #[error("the PostgreSQL server in {data_dir} did not stop within {seconds} s")]
    StopTimedOut { data_dir: PathBuf, seconds: u64 },
}

pub(crate) trait IoContext<T> {
    fn ctx(self, context: impl FnOnce() -> String) -> Result<T, PgError>;
}

impl<T> IoContext<T> for std::io::Result<T> {
    fn ctx(self, context: impl FnOnce() -> String) -> Result<T, PgError> {
        self.map_err(|source| PgError::Io {
            context: context(),
            source,
        })
    }
}
