//! `db backup prune`: the retention policy.
//!
//! Per database, a backup is kept when it is
//! - the newest backup of one of the `keep_daily` most recent days (UTC) that have a backup,
//! - the newest backup of one of the `keep_weekly` most recent ISO weeks that have one,
//! - the newest backup of all, or
//! - the newest backup that `backup verify` verified (whatever its age),
//!
//! and every other backup (dump, manifest and verification record) is deleted. The times come
//! from the file names, which the backup wrote from its snapshot time.

use std::collections::{BTreeMap, HashSet};
use std::path::{Path, PathBuf};

use std::fs;

use anyhow::Context;
use chrono::{DateTime, Datelike, NaiveDate, Utc};
use serde::Serialize;

use super::files::{parse_stem, DUMP_EXT, MANIFEST_EXT, VERIFIED_EXT};
use super::manifest::{read_manifest, read_verified};

/// How many backups to keep; the defaults are 7 daily and 4 weekly.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct Policy {
    pub keep_daily: usize,
    pub keep_weekly: usize,
}

impl Default for Policy {
    fn default() -> Self {
        Self {
            keep_daily: 7,
            keep_weekly: 4,
        }
    }
}

/// One backup in a directory, with the files that belong to it.
#[derive(Debug, Clone, Serialize)]
pub struct BackupEntry {
    /// `soleflip-20250101T020000Z`
    pub stem: String,
    pub database: String,
    #[serde(serialize_with = "rfc3339")]
    pub taken_at: DateTime<Utc>,
    #[serde(skip)]
    seq: u32,
    pub files: Vec<PathBuf>,
    /// The dump's size in bytes (None: no dump file).
    pub size: Option<u64>,
    /// A verification record exists and names the checksum in the manifest.
    pub verified: bool,
}

/// What the policy says about one backup.
#[derive(Debug, Clone, Serialize)]
pub struct Decision {
    pub backup: BackupEntry,
    pub keep: bool,
    /// Why it is kept: `newest`, `newest verified`, `daily`, `weekly`.
    pub reasons: Vec<&'static str>,
}

/// Decisions for every backup of a directory, newest first per database.
#[derive(Debug, Clone, Serialize)]
pub struct PrunePlan {
    pub policy: Policy,
    pub dry_run: bool,
    pub decisions: Vec<Decision>,
}

impl PrunePlan {
    pub fn deleted(&self) -> impl Iterator<Item = &Decision> {
        self.decisions.iter().filter(|d| !d.keep)
    }
}

fn rfc3339<S: serde::Serializer>(at: &DateTime<Utc>, s: S) -> Result<S::Ok, S::Error> {
    s.serialize_str(&at.to_rfc3339_opts(chrono::SecondsFormat::Secs, true))
}

/// The backups in `dir` (files named `<database>-<YYYYMMDDTHHMMSSZ>[-N].dump` and their
/// `.manifest.json` / `.verified.json`). Other files are ignored.
pub fn list_backups(dir: &Path) -> anyhow::Result<Vec<BackupEntry>> {
    let entries = std::fs::read_dir(dir)
        .with_context(|| format!("reading the backup directory {}", dir.display()))?;
    let mut by_stem: BTreeMap<String, Vec<PathBuf>> = BTreeMap::new();
    for entry in entries {
        let entry = entry.with_context(|| format!("reading {}", dir.display()))?;
        let name = entry.file_name().to_string_lossy().into_owned();
        let stem = [DUMP_EXT, MANIFEST_EXT, VERIFIED_EXT]
            .iter()
            .find_map(|ext| name.strip_suffix(ext));
        if let Some(stem) = stem {
            by_stem
                .entry(stem.to_string())
                .or_default()
                .push(entry.path());
        }
    }
    let mut out = Vec::new();
    for (stem, mut files) in by_stem {
        let Some((database, taken_at, seq)) = parse_stem(&stem) else {
            continue;
        };
        files.sort();
        let manifest = read_manifest(&dir.join(format!("{stem}{MANIFEST_EXT}"))).ok();
        // Only dumps and their files: a base backup's manifest (`base-<time>.manifest.json`)
        // is not a dump manifest and has no dump.
        let has_dump = files
            .iter()
            .any(|f| f.to_string_lossy().ends_with(DUMP_EXT));
        if !has_dump && manifest.is_none() {
            continue;
        }
        let record = read_verified(&dir.join(format!("{stem}{VERIFIED_EXT}")));
        let verified = match (&manifest, &record) {
            (Some(m), Some(v)) => {
                m.sha256 == v.sha256
                    && fs::symlink_metadata(dir.join(&m.file)).is_ok_and(|f| f.is_file())
            }
            _ => false,
        };
        let size = files
            .iter()
            .find(|f| f.to_string_lossy().ends_with(DUMP_EXT))
            .and_then(|f| fs::symlink_metadata(f).ok())
            .filter(std::fs::Metadata::is_file)
            .map(|m| m.len());
        out.push(BackupEntry {
            stem,
            database,
            taken_at,
            seq,
            files,
            size,
            verified,
        });
    }
    Ok(out)
}

/// Applies `policy` to `backups` (pure: nothing is read or deleted).
pub fn plan(backups: Vec<BackupEntry>, policy: Policy) -> Vec<Decision> {
    let mut groups: BTreeMap<String, Vec<BackupEntry>> = BTreeMap::new();
    for b in backups {
        groups.entry(b.database.clone()).or_default().push(b);
    }
    let mut out = Vec::new();
    for (_, mut group) in groups {
        group.sort_by_key(|b| std::cmp::Reverse((b.taken_at, b.seq)));
        let mut days: HashSet<NaiveDate> = HashSet::new();
        let mut weeks: HashSet<(i32, u32)> = HashSet::new();
        let mut verified_seen = false;
        for (i, backup) in group.into_iter().enumerate() {
            let mut reasons = Vec::new();
            if i == 0 {
                reasons.push("newest");
            }
            if backup.verified && !verified_seen {
                verified_seen = true;
                reasons.push("newest verified");
            }
            let day = backup.taken_at.date_naive();
            if !days.contains(&day) && days.len() < policy.keep_daily {
                days.insert(day);
                reasons.push("daily");
            }
            let week = backup.taken_at.iso_week();
            let week = (week.year(), week.week());
            if !weeks.contains(&week) && weeks.len() < policy.keep_weekly {
                weeks.insert(week);
                reasons.push("weekly");
            }
            out.push(Decision {
                keep: !reasons.is_empty(),
                backup,
                reasons,
            });
        }
    }
    out
}

/// Applies `policy` to the backups in `dir`, deleting what it does not keep unless `dry_run`.
pub fn prune(dir: &Path, policy: Policy, dry_run: bool) -> anyhow::Result<PrunePlan> {
    let decisions = plan(list_backups(dir)?, policy);
    if !dry_run {
        for d in decisions.iter().filter(|d| !d.keep) {
            // The manifest goes last: a backup interrupted here is still listed, and the next
            // prune finishes the job.
            let mut files = d.backup.files.clone();
            files.sort_by_key(|f| f.to_string_lossy().ends_with(MANIFEST_EXT));
            for f in files {
                std::fs::remove_file(&f).with_context(|| format!("deleting {}", f.display()))?;
            }
        }
    }
    Ok(PrunePlan {
        policy,
        dry_run,
        decisions,
    })
}
