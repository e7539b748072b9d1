//! The reports of the backup use cases, as the CLI prints them in JSON and the API will return
//! them. Each keeps the use case's full outcome beside it (not serialized) for text rendering.

use std::path::PathBuf;

use serde::Serialize;

use super::{BackupOutcome, BaseManifest, BaseOutcome, Manifest, RestoreOutcome, VerifyOutcome};

/// `db backup [--verify]`.
#[derive(Debug, Clone, Serialize)]
pub struct BackupReport {
    pub dump: PathBuf,
    pub manifest_path: PathBuf,
    pub manifest: Manifest,
    /// The verification of the new backup, when asked for.
    pub verify: Option<BackupVerifyReport>,
}

impl BackupReport {
    pub fn new(done: &BackupOutcome, verify: Option<&VerifyOutcome>) -> Self {
        Self {
            dump: done.dump.clone(),
            manifest_path: done.manifest_path.clone(),
            manifest: done.manifest.clone(),
            verify: verify.map(BackupVerifyReport::from),
        }
    }
}

/// `db backup verify FILE`.
#[derive(Debug, Clone, Serialize)]
pub struct BackupVerifyReport {
    /// True when the restored database matches the manifest.
    pub ok: bool,
    pub file: PathBuf,
    pub scratch_database: String,
    /// Scratch databases of verifies that died, dropped by this one.
    pub abandoned_scratch_dropped: Vec<String>,
    pub tables: usize,
    pub total_rows: i64,
    pub differences: Vec<String>,
    pub verified_record: Option<PathBuf>,
}

impl From<&VerifyOutcome> for BackupVerifyReport {
    fn from(v: &VerifyOutcome) -> Self {
        Self {
            ok: v.differences.is_empty(),
            file: v.checked.dump.clone(),
            scratch_database: v.scratch.clone(),
            abandoned_scratch_dropped: v.abandoned.clone(),
            tables: v.checked.manifest.tables.len(),
            total_rows: v.checked.manifest.total_rows,
            differences: v.differences.clone(),
            verified_record: v.verified_path.clone(),
        }
    }
}

/// `db restore FILE`.
#[derive(Debug, Clone, Serialize)]
pub struct RestoreReport {
    pub ok: bool,
    pub file: PathBuf,
    pub database: String,
    pub created: bool,
    pub replaced: bool,
    pub differences: Vec<String>,
}

impl From<&RestoreOutcome> for RestoreReport {
    fn from(r: &RestoreOutcome) -> Self {
        Self {
            ok: r.differences.is_empty(),
            file: r.checked.dump.clone(),
            database: r.database.clone(),
            created: r.created,
            replaced: r.replaced,
            differences: r.differences.clone(),
        }
    }
}

/// `db backup --base`.
#[derive(Debug, Clone, Serialize)]
pub struct BaseReport {
    pub base_backup: PathBuf,
    pub manifest_path: PathBuf,
    pub manifest: BaseManifest,
}

impl From<&BaseOutcome> for BaseReport {
    fn from(b: &BaseOutcome) -> Self {
        Self {
            base_backup: b.dir.clone(),
            manifest_path: b.manifest_path.clone(),
            manifest: b.manifest.clone(),
        }
    }
}
