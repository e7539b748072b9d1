//! Files of a backup directory: names, checksums, and putting a file in place complete or not
//! at all.

use std::fs::{self, File};
use std::io::{Read, Write};
use std::os::unix::fs::{DirBuilderExt, OpenOptionsExt, PermissionsExt};
use std::path::{Path, PathBuf};

use anyhow::Context;
use chrono::{DateTime, NaiveDateTime, Utc};
use sha2::{Digest, Sha256};

/// The timestamp in backup names: `20250101T020000Z` (UTC).
pub(crate) const STAMP: &str = "%Y%m%dT%H%M%SZ";
pub(crate) const DUMP_EXT: &str = ".dump";
pub(crate) const MANIFEST_EXT: &str = ".manifest.json";
pub(crate) const VERIFIED_EXT: &str = ".verified.json";
pub(crate) const PARTIAL_EXT: &str = ".partial";
pub(crate) const BASE_PREFIX: &str = "base-";

/// SHA-256 (hex) and size of a file, read in large blocks.
pub fn sha256_file(path: &Path) -> std::io::Result<(String, u64)> {
    sha256_of(&mut open_regular(path)?)
}

/// SHA-256 (hex) and size of what is left to read in `file`.
pub(crate) fn sha256_of(file: &mut File) -> std::io::Result<(String, u64)> {
    let mut hasher = Sha256::new();
    let mut buf = vec![0u8; 1 << 20];
    let mut size = 0u64;
    loop {
        let n = file.read(&mut buf)?;
        if n == 0 {
            break;
        }
        hasher.update(&buf[..n]);
        size += n as u64;
    }
    Ok((hex::encode(hasher.finalize()), size))
}

/// Creates `dir` (and its parents) if missing, new directories with mode 0700: a backup holds
/// every row of the database, password hashes included. An existing directory must be ours (or
/// root's) and writable by nobody else, or another user could plant links or files in it.
pub(crate) fn ensure_private_dir(dir: &Path) -> anyhow::Result<()> {
    if fs::symlink_metadata(dir).is_err() {
        fs::DirBuilder::new()
            .recursive(true)
            .mode(0o700)
            .create(dir)
            .with_context(|| format!("creating the backup directory {}", dir.display()))?;
    }
    check_private_dir(dir)
}

/// Refuses a backup directory that is a symbolic link, not a directory, owned by another user
/// (root excepted), or writable by its group or by others.
pub(crate) fn check_private_dir(dir: &Path) -> anyhow::Result<()> {
    use std::os::unix::fs::MetadataExt;
    let meta = fs::symlink_metadata(dir)
        .with_context(|| format!("reading the backup directory {}", dir.display()))?;
    let refuse = |why: String| {
        anyhow::anyhow!(
            "refusing the backup directory {}: {why}; use a directory that only you may write \
             (chmod 700)",
            dir.display()
        )
    };
    if meta.file_type().is_symlink() {
        return Err(refuse("it is a symbolic link".to_string()));
    }
    if !meta.is_dir() {
        return Err(refuse("it is not a directory".to_string()));
    }
    let me = rustix::process::geteuid().as_raw();
    if meta.uid() != me && meta.uid() != 0 {
        return Err(refuse(format!(
            "it belongs to user id {}, not to us ({me})",
            meta.uid()
        )));
    }
    if meta.mode() & 0o022 != 0 {
        return Err(refuse(format!(
            "its group or other users may write to it (mode {:o})",
            meta.mode() & 0o7777
        )));
    }
    Ok(())
}

/// `name` with every character outside `[A-Za-z0-9_.-]` replaced by `_`, for file names.
pub(crate) fn file_safe(name: &str) -> String {
    name.chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || "_.-".contains(c) {
                c
            } else {
                '_'
            }
        })
        .collect()
}

/// `<prefix>-<stamp>`, or `<prefix>-<stamp>-N` when that name is taken in `dir` by any of the
/// given extensions.
pub(crate) fn free_stem(dir: &Path, prefix: &str, at: DateTime<Utc>, exts: &[&str]) -> String {
    let base = format!("{prefix}-{}", at.format(STAMP));
    let taken = |stem: &str| {
        exts.iter().any(|ext| {
            let name = format!("{stem}{ext}");
            fs::symlink_metadata(dir.join(&name)).is_ok()
                || fs::symlink_metadata(dir.join(format!("{name}{PARTIAL_EXT}"))).is_ok()
        })
    };
    if !taken(&base) {
        return base;
    }
    (1u32..)
        .map(|n| format!("{base}-{n}"))
        .find(|s| !taken(s))
        .unwrap_or(base)
}

/// Splits a backup stem `<prefix>-<stamp>[-N]` into prefix, time and sequence number.
pub(crate) fn parse_stem(stem: &str) -> Option<(String, DateTime<Utc>, u32)> {
    let split = |s: &str| -> Option<(String, DateTime<Utc>)> {
        let cut = s.len().checked_sub(STAMP_LEN + 1)?;
        let (prefix, rest) = s.split_at(cut);
        let stamp = rest.strip_prefix('-')?;
        let at = NaiveDateTime::parse_from_str(stamp, STAMP).ok()?.and_utc();
        (!prefix.is_empty()).then(|| (prefix.to_string(), at))
    };
    if let Some((head, seq)) = stem.rsplit_once('-') {
        if !seq.is_empty() && seq.bytes().all(|b| b.is_ascii_digit()) {
            if let (Some((prefix, at)), Ok(n)) = (split(head), seq.parse::<u32>()) {
                return Some((prefix, at, n));
            }
        }
    }
    split(stem).map(|(prefix, at)| (prefix, at, 0))
}

const STAMP_LEN: usize = "20250101T020000Z".len();

/// Writes `bytes` to `<path>.partial`, syncs it and links it into place at `path`, refusing to
/// replace an existing file.
pub(crate) fn write_new(path: &Path, bytes: &[u8]) -> anyhow::Result<()> {
    let partial = partial_of(path);
    let result = (|| {
        let mut f = create_private(&partial)?;
        f.write_all(bytes)?;
        f.sync_all()
    })();
    if let Err(e) = result {
        let _ = fs::remove_file(&partial);
        return Err(e).with_context(|| format!("writing {}", partial.display()));
    }
    publish(&partial, path)
}

/// Writes `bytes` to `path`, replacing it atomically (rename) if it exists.
pub(crate) fn write_replace(path: &Path, bytes: &[u8]) -> anyhow::Result<()> {
    let partial = partial_of(path);
    // A partial file a killed run left behind (unlinking never follows a link).
    let _ = fs::remove_file(&partial);
    let result = (|| {
        let mut f = create_private(&partial)?;
        f.write_all(bytes)?;
        f.sync_all()?;
        fs::rename(&partial, path)
    })();
    if let Err(e) = result {
        let _ = fs::remove_file(&partial);
        return Err(e).with_context(|| format!("writing {}", path.display()));
    }
    sync_parent(path)
}

/// Moves a complete `partial` file to `path` without ever replacing an existing file: a hard
/// link (which fails if `path` exists), then the partial name is removed and the directory
/// synced.
pub(crate) fn publish(partial: &Path, path: &Path) -> anyhow::Result<()> {
    if let Err(e) = fs::hard_link(partial, path) {
        let _ = fs::remove_file(partial);
        return Err(e).with_context(|| format!("putting {} in place", path.display()));
    }
    fs::remove_file(partial).with_context(|| format!("removing {}", partial.display()))?;
    sync_parent(path)
}

/// Creates a new file only its owner may read: never an existing file, never through a
/// symbolic link (`O_CREAT|O_EXCL|O_NOFOLLOW`). A child that then writes to it
/// (`pg_dump --file`) keeps that mode.
pub(crate) fn create_private(path: &Path) -> std::io::Result<File> {
    let f = fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .custom_flags(no_follow())
        .mode(0o600)
        .open(path)?;
    f.set_permissions(fs::Permissions::from_mode(0o600))?;
    Ok(f)
}

/// `O_NOFOLLOW` for `OpenOptions::custom_flags`.
pub(crate) fn no_follow() -> i32 {
    i32::try_from(rustix::fs::OFlags::NOFOLLOW.bits()).unwrap_or(0)
}

/// Opens an existing regular file for reading without following a symbolic link: a device, a
/// FIFO or a link is refused (reading `/dev/zero` would never end).
pub(crate) fn open_regular(path: &Path) -> std::io::Result<File> {
    let f = fs::OpenOptions::new()
        .read(true)
        .custom_flags(no_follow() | i32::try_from(rustix::fs::OFlags::NONBLOCK.bits()).unwrap_or(0))
        .open(path)?;
    if !f.metadata()?.is_file() {
        return Err(std::io::Error::new(
            std::io::ErrorKind::InvalidInput,
            "not a regular file",
        ));
    }
    Ok(f)
}

pub(crate) fn partial_of(path: &Path) -> PathBuf {
    let mut name = path.as_os_str().to_owned();
    name.push(PARTIAL_EXT);
    PathBuf::from(name)
}

pub(crate) fn sync_parent(path: &Path) -> anyhow::Result<()> {
    let parent = path
        .parent()
        .filter(|p| !p.as_os_str().is_empty())
        .unwrap_or(Path::new("."));
    File::open(parent)
        .and_then(|d| d.sync_all())
        .with_context(|| format!("syncing the directory {}", parent.display()))
}

/// Removes a file when dropped, unless [`Cleanup::keep`] was called: partial files of a backup
/// that failed or was cancelled do not stay behind.
pub(crate) struct Cleanup(Option<PathBuf>);

impl Cleanup {
    pub(crate) fn new(path: PathBuf) -> Self {
        Self(Some(path))
    }

    pub(crate) fn keep(mut self) {
        self.0 = None;
    }
}

impl Drop for Cleanup {
    fn drop(&mut self) {
        if let Some(path) = self.0.take() {
            if path.is_dir() {
                let _ = fs::remove_dir_all(&path);
            } else {
                let _ = fs::remove_file(&path);
            }
        }
    }
}

/// Total size of the files under `dir`.
pub(crate) fn tree_size(dir: &Path) -> u64 {
    let Ok(entries) = fs::read_dir(dir) else {
        return 0;
    };
    entries
        .filter_map(Result::ok)
        .map(|e| match e.file_type() {
            Ok(t) if t.is_dir() => tree_size(&e.path()),
            Ok(t) if t.is_file() => e.metadata().map_or(0, |m| m.len()),
            _ => 0,
        })
        .sum()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stems_round_trip_with_and_without_a_sequence_number() {
        let (prefix, at, n) = parse_stem("soleflip-20250101T020304Z").unwrap();
        assert_eq!(prefix, "soleflip");
        assert_eq!(at.to_rfc3339(), "2025-01-01T02:03:04+00:00");
        assert_eq!(n, 0);
        let (prefix, _, n) = parse_stem("my-db-2-20250101T020304Z-3").unwrap();
        assert_eq!((prefix.as_str(), n), ("my-db-2", 3));
        assert!(parse_stem("soleflip").is_none());
        assert!(parse_stem("-20250101T020304Z").is_none());
        assert!(parse_stem("x-20251301T020304Z").is_none());
    }

    #[test]
    fn file_names_keep_only_safe_characters() {
        assert_eq!(file_safe("shop/db name"), "shop_db_name");
        assert_eq!(file_safe("sole-flip_1.x"), "sole-flip_1.x");
    }

    #[test]
    fn a_taken_name_gets_a_sequence_number_and_nothing_is_replaced() {
        let dir = tempfile::tempdir().unwrap();
        let at = NaiveDateTime::parse_from_str("20250101T020304Z", STAMP)
            .unwrap()
            .and_utc();
        let first = free_stem(dir.path(), "db", at, &[DUMP_EXT]);
        assert_eq!(first, "db-20250101T020304Z");
        write_new(&dir.path().join(format!("{first}{DUMP_EXT}")), b"one").unwrap();
        let second = free_stem(dir.path(), "db", at, &[DUMP_EXT]);
        assert_eq!(second, "db-20250101T020304Z-1");
        let again = write_new(&dir.path().join(format!("{first}{DUMP_EXT}")), b"two");
        assert!(again.is_err());
        let kept = fs::read(dir.path().join(format!("{first}{DUMP_EXT}"))).unwrap();
        assert_eq!(kept, b"one");
        assert_eq!(
            fs::read_dir(dir.path()).unwrap().count(),
            1,
            "no partial left"
        );
    }

    #[test]
    fn a_partial_name_planted_as_a_symlink_is_never_written_through() {
        let dir = tempfile::tempdir().unwrap();
        let victim = dir.path().join("victim");
        fs::write(&victim, b"precious").unwrap();
        let target = dir.path().join("x.manifest.json");
        std::os::unix::fs::symlink(&victim, partial_of(&target)).unwrap();

        let written = write_new(&target, b"hostile");

        assert!(written.is_err());
        assert_eq!(fs::read(&victim).unwrap(), b"precious");
        assert!(!target.exists());
        // write_replace removes the planted link (never its target) and writes its own file.
        std::os::unix::fs::symlink(&victim, partial_of(&target)).unwrap();
        write_replace(&target, b"mine").unwrap();
        assert_eq!(fs::read(&victim).unwrap(), b"precious");
        assert_eq!(fs::read(&target).unwrap(), b"mine");
    }
}
