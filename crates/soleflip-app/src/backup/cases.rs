//! The backup use cases as the CLI (and later the API) calls them: on the configured database,
//! with the backup directory defaulted by where the data lives.

use std::path::{Path, PathBuf};

use anyhow::Context as _;

use super::{
    ArchiveStatus, BackupError, BackupOutcome, BaseOutcome, Policy, PrunePlan, RecoverOutcome,
    RecoverRequest, RestoreOutcome, VerifyOutcome,
};
use crate::{App, Create};

/// What `recover` is asked for, as given by the operator.
#[derive(Debug, Clone)]
pub struct RecoverAsk {
    /// The moment, with a UTC offset (`2025-01-31T14:05:00Z`).
    pub to_time: String,
    /// A new SoleFlip home for the recovered cluster.
    pub into: PathBuf,
    /// Where the base backups are (default: `<home>/backups` of the embedded cluster).
    pub backups: Option<PathBuf>,
    /// The WAL archive (default: the one the base backup names).
    pub archive: Option<PathBuf>,
}

impl App {
    /// The backup directory: `dir`, else `<home>/backups` for the embedded cluster, else
    /// `./backups`; absolute.
    pub fn backup_dir(&self, dir: Option<&Path>) -> Result<PathBuf, BackupError> {
        let dir = dir.map_or_else(
            || {
                if self.embedded() {
                    self.home().join("backups")
                } else {
                    PathBuf::from("backups")
                }
            },
            Path::to_path_buf,
        );
        Ok(std::path::absolute(&dir).with_context(|| format!("resolving {}", dir.display()))?)
    }

    /// `pg_dump` of the database and its manifest into `dir`; verified right away if asked.
    #[tracing::instrument(skip(self))]
    pub async fn take_backup(
        &self,
        dir: &Path,
        verify: bool,
    ) -> Result<(BackupOutcome, Option<VerifyOutcome>), BackupError> {
        let target = self.target(Create::No).await.map_err(anyhow::Error::new)?;
        let bins = self.binaries()?;
        let done = super::backup(&target, &bins, dir).await?;
        let verified = if verify {
            Some(super::verify(&target, &bins, &done.dump).await?)
        } else {
            None
        };
        Ok((done, verified))
    }

    /// Checks `file` against its manifest, restores it into a scratch database, verifies and
    /// compares it, and drops the scratch database.
    #[tracing::instrument(skip(self))]
    pub async fn verify_backup(&self, file: &Path) -> Result<VerifyOutcome, BackupError> {
        let target = self.target(Create::No).await.map_err(anyhow::Error::new)?;
        super::verify(&target, &self.binaries()?, file).await
    }

    /// Restores `file` into the configured database, or into database `to` on the same server.
    #[tracing::instrument(skip(self))]
    pub async fn restore_backup(
        &self,
        file: &Path,
        to: Option<&str>,
        replace: bool,
    ) -> Result<RestoreOutcome, BackupError> {
        let target = self.target(Create::No).await.map_err(anyhow::Error::new)?;
        let to = to.map_or_else(|| target.clone(), |name| target.with_database(name));
        super::restore(&to, &self.binaries()?, file, replace).await
    }

    /// Applies the retention policy to the backups in `dir`.
    #[tracing::instrument(skip(self))]
    pub fn prune_backups(
        &self,
        dir: &Path,
        policy: Policy,
        dry_run: bool,
    ) -> Result<PrunePlan, BackupError> {
        Ok(super::prune(dir, policy, dry_run)?)
    }

    /// A base backup of the embedded cluster into `dir`, for point-in-time recovery.
    #[tracing::instrument(skip(self))]
    pub async fn base_backup(&self, dir: &Path) -> Result<BaseOutcome, BackupError> {
        if !self.embedded() {
            return Err(BackupError::NotEmbedded {
                what: "a base backup",
            });
        }
        super::base_backup(&self.cluster()?, dir).await
    }

    /// WAL archiving of the embedded cluster: on into `dir`, off, or (None) its state.
    #[tracing::instrument(skip(self))]
    pub async fn archive(
        &self,
        on: Option<bool>,
        dir: Option<&Path>,
    ) -> Result<ArchiveStatus, BackupError> {
        let cluster = self.cluster()?;
        match on {
            Some(true) => {
                let dir = dir.map_or_else(|| self.home().join("wal-archive"), Path::to_path_buf);
                super::archive_on(&cluster, &dir).await
            }
            Some(false) => super::archive_off(&cluster).await,
            None => super::archive_status(&cluster).await,
        }
    }

    /// Builds, in a new home, the embedded cluster as it was at a moment.
    #[tracing::instrument(skip(self))]
    pub async fn recover(
        &self,
        ask: &RecoverAsk,
    ) -> Result<(RecoverRequest, RecoverOutcome), BackupError> {
        let target_time = super::parse_time(&ask.to_time).map_err(|e| BackupError::BadInput {
            reason: e.to_string(),
        })?;
        let backups = match (&ask.backups, self.embedded()) {
            (Some(d), _) => d.clone(),
            (None, true) => self.home().join("backups"),
            (None, false) => {
                return Err(BackupError::BadInput {
                    reason: "the directory of the base backups is needed: the configured \
                             server is not the embedded cluster"
                        .to_string(),
                })
            }
        };
        let source = if self.embedded() {
            Some(self.cluster()?)
        } else {
            None
        };
        let req = RecoverRequest {
            target_time,
            into: std::path::absolute(&ask.into).context("resolving the new home")?,
            backups: std::path::absolute(&backups).context("resolving the backup directory")?,
            archive: ask.archive.clone(),
        };
        let done = super::recover(source.as_ref(), self.binaries()?, &req).await?;
        Ok((req, done))
    }
}
