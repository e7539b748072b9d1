//! The JSON written beside each backup.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use super::files::{DUMP_EXT, MANIFEST_EXT, VERIFIED_EXT};
use super::BackupError;

/// Version tag of the manifest format.
pub const FORMAT: &str = "soleflip-backup/1";

/// What a logical backup holds, read in the same snapshot as the dump itself.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Manifest {
    pub format: String,
    /// File name of the dump, in the manifest's directory.
    pub file: String,
    pub database: String,
    /// When the snapshot was taken (RFC 3339, UTC).
    pub created_at: String,
    pub sha256: String,
    pub size: u64,
    pub server_version: String,
    pub pg_dump_version: String,
    /// The applied migration (None: a database without soleflip migrations).
    pub migration: Option<MigrationRef>,
    /// `schema.table` → rows, for every table the dump holds.
    pub tables: BTreeMap<String, i64>,
    pub total_rows: i64,
    /// What `db verify` said about the database when it was backed up (drift lines, in
    /// order); a restore must say the same.
    pub drift: Vec<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct MigrationRef {
    pub version: i64,
    pub name: String,
}

/// Written beside a backup that `backup verify` restored and found exactly as its manifest
/// says; `prune` never deletes the newest such backup.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Verified {
    pub verified_at: String,
    /// The checksum of the dump that was verified (a replaced dump is not verified).
    pub sha256: String,
    pub tables: usize,
    pub total_rows: i64,
}

/// A base backup of the embedded cluster, for point-in-time recovery.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct BaseManifest {
    pub format: String,
    pub kind: String,
    /// Directory name of the base backup, in the manifest's directory.
    pub directory: String,
    pub started_at: String,
    /// When `pg_basebackup` had finished: recovery may target any later moment.
    pub finished_at: String,
    pub server_version: String,
    /// Where the cluster archives its WAL; recovery reads it from there.
    pub wal_archive: PathBuf,
    pub size: u64,
}

/// `X.dump` → `X.manifest.json`; a manifest path is returned as is.
pub(crate) fn manifest_path_for(file: &Path) -> PathBuf {
    let name = file
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    if name.ends_with(MANIFEST_EXT) {
        return file.to_path_buf();
    }
    let stem = name.strip_suffix(DUMP_EXT).unwrap_or(&name);
    file.with_file_name(format!("{stem}{MANIFEST_EXT}"))
}

/// `X.manifest.json` → `X.verified.json`.
pub(crate) fn verified_path_for(manifest: &Path) -> PathBuf {
    let name = manifest
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    let stem = name.strip_suffix(MANIFEST_EXT).unwrap_or(&name);
    manifest.with_file_name(format!("{stem}{VERIFIED_EXT}"))
}

pub(crate) fn read_manifest(path: &Path) -> Result<Manifest, BackupError> {
    let bad = |reason: String| BackupError::BadManifest {
        file: path.to_path_buf(),
        reason,
    };
    let text = super::files::open_regular(path)
        .and_then(|mut f| {
            let mut text = String::new();
            std::io::Read::read_to_string(&mut f, &mut text).map(|_| text)
        })
        .map_err(|e| bad(e.to_string()))?;
    let manifest: Manifest = serde_json::from_str(&text).map_err(|e| bad(e.to_string()))?;
    if manifest.format != FORMAT {
        return Err(bad(format!(
            "format {:?}, this soleflip reads {FORMAT:?}",
            manifest.format
        )));
    }
    if !is_plain_file_name(&manifest.file) {
        return Err(bad(format!(
            "field \"file\" is {:?}, which is not the name of a file beside the manifest",
            manifest.file
        )));
    }
    Ok(manifest)
}

/// A name of a file in the manifest's own directory: no directory part, not `.` or `..`, no
/// control character.
pub(crate) fn is_plain_file_name(name: &str) -> bool {
    !name.is_empty()
        && name != "."
        && name != ".."
        && !name.contains('/')
        && !name.chars().any(char::is_control)
}

pub(crate) fn read_verified(path: &Path) -> Option<Verified> {
    let text = std::fs::read_to_string(path).ok()?;
    serde_json::from_str(&text).ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn manifest_and_marker_names_sit_beside_the_dump() {
        let m = manifest_path_for(Path::new("/b/soleflip-20250101T020000Z.dump"));
        assert_eq!(m, Path::new("/b/soleflip-20250101T020000Z.manifest.json"));
        assert_eq!(manifest_path_for(&m), m);
        assert_eq!(
            verified_path_for(&m),
            Path::new("/b/soleflip-20250101T020000Z.verified.json")
        );
        assert_eq!(
            manifest_path_for(Path::new("odd.bin")),
            Path::new("odd.bin.manifest.json")
        );
    }
}
