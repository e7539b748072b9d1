//! Backups you can trust: a logical backup (`pg_dump`, custom format) with a manifest taken in the
//! same snapshot as the dump; verification by restoring into a scratch database; restore in one
//! transaction; a retention policy; and, for the embedded cluster, WAL archiving, base backups
//! and point-in-time recovery.
//!
//! Files in a backup directory, for a database `soleflip` backed up at 02:00:00 UTC:
//!
//! ```text
//! soleflip-20250101T020000Z.dump            pg_dump --format=custom
//! soleflip-20250101T020000Z.manifest.json   sha256, size, versions, row count per table
//! soleflip-20250101T020000Z.verified.json   written by a successful `backup verify`
//! base-20250101T030000Z/                    pg_basebackup of the embedded cluster (plain format)
//! base-20250101T030000Z.manifest.json       its times, server version and WAL archive
//! ```
//!
//! Every file appears under its final name complete or not at all (written as `*.partial`,
//! synced, then linked into place without ever replacing an existing file).

mod cases;
mod child;
mod dump;
mod files;
mod manifest;
mod pitr;
mod prune;
mod report;
mod restore;

pub use cases::RecoverAsk;
pub use child::{pg_dump_command, ChildConnection};
pub use dump::{backup, BackupOutcome};
pub use files::sha256_file;
pub use manifest::{BaseManifest, Manifest, MigrationRef, Verified, FORMAT};
pub use pitr::{
    archive_command, archive_dir_from_command, archive_off, archive_on, archive_status,
    base_backup, parse_time, recover, ArchiveStatus, BaseOutcome, RecoverOutcome, RecoverRequest,
};
pub use prune::{list_backups, plan, prune, BackupEntry, Decision, Policy, PrunePlan};
pub use report::{BackupReport, BackupVerifyReport, BaseReport, RestoreReport};
pub use restore::{check_file, restore, verify, Checked, RestoreOutcome, VerifyOutcome};

use std::path::PathBuf;

use soleflip_pg::PgBinaries;

/// What a caller of the backup use cases must be able to tell apart.
#[derive(Debug, thiserror::Error)]
pub enum BackupError {
    /// The file is not what its manifest describes (truncated, bit-flipped, replaced). Found
    /// before anything was restored.
    #[error("{}: {reason}; nothing was restored", file.display())]
    Corrupt { file: PathBuf, reason: String },
    /// No manifest beside the dump, so it cannot be checked.
    #[error("{}: no manifest {} beside it, so the backup cannot be checked", file.display(), manifest.display())]
    NoManifest { file: PathBuf, manifest: PathBuf },
    /// The manifest itself cannot be read.
    #[error("{}: not a soleflip backup manifest: {reason}", file.display())]
    BadManifest { file: PathBuf, reason: String },
    /// Restoring over a database that holds objects needs an explicit yes.
    #[error(
        "refusing to restore over database {database}, which is not empty ({objects} objects): \
         replacing its contents needs an explicit confirmation"
    )]
    NotEmpty { database: String, objects: i64 },
    /// `pg_dump` older than the server cannot dump it faithfully.
    #[error(
        "pg_dump {client} (in {}) is older than the PostgreSQL {server} server it would back \
         up: install the PostgreSQL {server} client programs and point SOLEFLIP_PG_BINDIR at them",
        dir.display()
    )]
    ClientTooOld {
        client: u32,
        server: u32,
        dir: PathBuf,
    },
    /// Point-in-time recovery needs WAL archiving, which is off.
    #[error("WAL archiving is off on the embedded cluster: turn it on with `soleflip pg archive on` (then take a base backup)")]
    ArchivingOff,
    /// A use case of the embedded cluster asked of another server.
    #[error("{what} is taken of the embedded cluster; for another server use its own tools (pg_basebackup and its WAL archiving)")]
    NotEmbedded { what: &'static str },
    /// A value given by the caller is malformed.
    #[error("{reason}")]
    BadInput { reason: String },
    #[error(transparent)]
    Unexpected(#[from] anyhow::Error),
}

impl From<sqlx::Error> for BackupError {
    fn from(e: sqlx::Error) -> Self {
        Self::Unexpected(e.into())
    }
}

impl From<soleflip_db::target::ConnectError> for BackupError {
    fn from(e: soleflip_db::target::ConnectError) -> Self {
        Self::Unexpected(e.into())
    }
}

impl From<soleflip_db::admin::AdminError> for BackupError {
    fn from(e: soleflip_db::admin::AdminError) -> Self {
        Self::Unexpected(e.into())
    }
}

impl From<soleflip_pg::PgError> for BackupError {
    fn from(e: soleflip_pg::PgError) -> Self {
        Self::Unexpected(e.into())
    }
}

/// Refuses a `pg_dump` whose major version is older than the server's.
pub fn check_client_version(bins: &PgBinaries, server_major: u32) -> Result<(), BackupError> {
    if bins.major < server_major {
        return Err(BackupError::ClientTooOld {
            client: bins.major,
            server: server_major,
            dir: bins.dir.clone(),
        });
    }
    Ok(())
}

/// One PostgreSQL program of `bins`, which must exist.
fn program(bins: &PgBinaries, name: &str) -> anyhow::Result<PathBuf> {
    let path = bins.program(name);
    if !path.is_file() {
        anyhow::bail!(
            "{name} not found in {}: install the PostgreSQL {} client programs or point \
             SOLEFLIP_PG_BINDIR at them",
            bins.dir.display(),
            bins.major
        );
    }
    Ok(path)
}
