//! Point-in-time recovery of the embedded cluster: WAL archiving into a directory, base backups
//! (`pg_basebackup`), and building a new cluster as it was at a given moment.
//!
//! The archive command never replaces a segment already in the archive (a retry of a segment
//! archived before a crash succeeds only if the copy is identical), and a segment appears under
//! its final name only once it is completely written and synced.

use std::fs;
use std::io::Write;
use std::os::unix::fs::{DirBuilderExt, PermissionsExt};
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use anyhow::Context;
use chrono::{DateTime, SecondsFormat, Utc};
use soleflip_db::server as sql;
use soleflip_db::DbTarget;
use soleflip_pg::{Cluster, ClusterOptions, OsUser, PgBinaries, SUPERUSER};

use super::child::ChildConnection;
use super::files::{
    ensure_private_dir, free_stem, no_follow, tree_size, write_new, Cleanup, BASE_PREFIX,
    MANIFEST_EXT,
};
use super::manifest::{BaseManifest, FORMAT};
use super::{program, BackupError};

/// Longest a committed transaction waits to reach the archive when the server is idle.
const ARCHIVE_TIMEOUT_SECONDS: u32 = 60;
const ARCHIVE_WAIT: Duration = Duration::from_secs(60);
const RECOVERY_WAIT: Duration = Duration::from_secs(3600);
const POLL: Duration = Duration::from_millis(20);

/// The embedded cluster's archiving, as the running server reports it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ArchiveStatus {
    /// `archive_mode` (`off`, `on`).
    pub mode: String,
    /// The archive directory, when the archive command is ours.
    pub dir: Option<PathBuf>,
    pub last_archived: Option<String>,
    pub last_failed: Option<String>,
}

impl ArchiveStatus {
    pub fn on(&self) -> bool {
        self.mode != "off" && self.dir.is_some()
    }
}

/// The archive command for `dir` (see the module documentation).
pub fn archive_command(dir: &Path) -> String {
    let d = sh_quote(&dir.to_string_lossy()).replace('%', "%%");
    format!(
        "d={d}; f=\"$d/%f\"; if [ -e \"$f\" ]; then cmp -s \"%p\" \"$f\"; \
         else cp \"%p\" \"$f.part\" && sync \"$f.part\" && ln \"$f.part\" \"$f\" \
         && rm -f \"$f.part\" && sync \"$d\"; fi"
    )
}

/// The directory of an archive command written by [`archive_command`] (None for any other).
pub fn archive_dir_from_command(command: &str) -> Option<PathBuf> {
    let rest = command.strip_prefix("d=")?.replace("%%", "%");
    let mut out = String::new();
    let mut chars = rest.chars();
    loop {
        match chars.next()? {
            '\'' => loop {
                match chars.next()? {
                    '\'' => break,
                    c => out.push(c),
                }
            },
            '\\' => out.push(chars.next()?),
            ';' => break,
            _ => return None,
        }
    }
    (!out.is_empty()).then(|| PathBuf::from(out))
}

fn restore_command(dir: &Path) -> String {
    let d = sh_quote(&dir.to_string_lossy()).replace('%', "%%");
    format!("cp {d}/\"%f\" \"%p\"")
}

/// Single-quotes a word for `sh`.
fn sh_quote(s: &str) -> String {
    format!("'{}'", s.replace('\'', "'\\''"))
}

/// A value for postgresql.conf.
fn conf_quote(s: &str) -> String {
    format!("'{}'", s.replace('\'', "''"))
}

/// Reads a moment with an explicit UTC offset: RFC 3339 (`2025-01-31T14:05:00Z`,
/// `2025-01-31T15:05:00.25+01:00`), or the same with a space for the `T`.
pub fn parse_time(text: &str) -> anyhow::Result<DateTime<Utc>> {
    let t = text.trim();
    let normalized = match t.char_indices().nth(10) {
        Some((i, ' ')) => format!("{}T{}", &t[..i], &t[i + 1..]),
        _ => t.to_string(),
    };
    DateTime::parse_from_rfc3339(&normalized)
        .map(|d| d.with_timezone(&Utc))
        .map_err(|_| {
            anyhow::anyhow!(
                "recovery time {t:?} is not a time with a UTC offset, e.g. 2025-01-31T14:05:00Z or \
                 2025-01-31 15:05:00+01:00"
            )
        })
}

fn socket_target(cluster: &Cluster) -> DbTarget {
    DbTarget::from_socket(cluster.socket_dir(), cluster.port(), SUPERUSER, "postgres")
}

async fn read_status(cluster: &Cluster) -> Result<ArchiveStatus, BackupError> {
    let mut conn = socket_target(cluster).connect().await?;
    let settings = sql::archive_settings(&mut conn).await?;
    let archiver = sql::archiver_state(&mut conn).await?;
    Ok(ArchiveStatus {
        dir: archive_dir_from_command(&settings.command),
        mode: settings.mode,
        last_archived: archiver.last_archived,
        last_failed: archiver.last_failed,
    })
}

/// The archiving state of the embedded cluster (started if needed).
pub async fn archive_status(cluster: &Cluster) -> Result<ArchiveStatus, BackupError> {
    cluster.start()?;
    read_status(cluster).await
}

/// Turns WAL archiving into `dir` on: creates the directory for the server's user, writes the
/// settings (`ALTER SYSTEM`), restarts the server, and proves the archive works by archiving
/// one segment.
pub async fn archive_on(cluster: &Cluster, dir: &Path) -> Result<ArchiveStatus, BackupError> {
    let dir = std::path::absolute(dir).context("resolving the archive directory")?;
    let user = OsUser::for_server()?;
    make_server_dir(&dir, user.as_ref())?;
    cluster.start()?;
    {
        let mut conn = socket_target(cluster).connect().await?;
        sql::set_archiving(
            &mut conn,
            Some(&archive_command(&dir)),
            ARCHIVE_TIMEOUT_SECONDS,
        )
        .await?;
    }
    // archive_mode (and wal_level) take effect at a restart only.
    cluster.stop()?;
    cluster.start()?;
    let mut conn = socket_target(cluster).connect().await?;
    let segment = sql::switch_wal(&mut conn).await?;
    wait_archived(&mut conn, &segment, cluster).await?;
    read_status(cluster).await
}

/// Turns WAL archiving off (settings reset, server restarted). The archive is left as it is.
pub async fn archive_off(cluster: &Cluster) -> Result<ArchiveStatus, BackupError> {
    cluster.start()?;
    {
        let mut conn = socket_target(cluster).connect().await?;
        sql::set_archiving(&mut conn, None, ARCHIVE_TIMEOUT_SECONDS).await?;
    }
    cluster.stop()?;
    cluster.start()?;
    read_status(cluster).await
}

/// Creates `dir` (mode 0700) for the server's user, whose parents it must be able to enter. An
/// existing `dir` is used only when it is already the server's private directory (a re-run), or
/// when it is ours and empty: never a symbolic link, never another user's directory, never one
/// that holds files (whose owner and mode it would silently change). Owner and mode are set
/// through a descriptor opened without following links.
fn make_server_dir(dir: &Path, user: Option<&OsUser>) -> anyhow::Result<()> {
    use std::os::unix::fs::{MetadataExt, OpenOptionsExt};
    if let Some(parent) = dir.parent().filter(|p| !p.is_dir()) {
        fs::DirBuilder::new()
            .recursive(true)
            .mode(0o755)
            .create(parent)
            .with_context(|| format!("creating {}", parent.display()))?;
    }
    let created = fs::symlink_metadata(dir).is_err();
    if created {
        fs::DirBuilder::new()
            .mode(0o700)
            .create(dir)
            .with_context(|| format!("creating {}", dir.display()))?;
    }
    let refuse = |why: String| anyhow::anyhow!("refusing {}: {why}", dir.display());
    let flags = rustix::fs::OFlags::NOFOLLOW | rustix::fs::OFlags::DIRECTORY;
    let handle = fs::OpenOptions::new()
        .read(true)
        .custom_flags(i32::try_from(flags.bits()).unwrap_or(0))
        .open(dir)
        .map_err(|e| {
            refuse(format!(
                "it is not a directory that can be opened without following a link ({e})"
            ))
        })?;
    let meta = handle
        .metadata()
        .with_context(|| format!("reading {}", dir.display()))?;
    let me = rustix::process::geteuid().as_raw();
    let server = user.map_or(me, |u| u.uid);
    let already_private = meta.uid() == server && meta.mode() & 0o777 == 0o700;
    if !created && !already_private {
        if meta.uid() != me {
            return Err(refuse(format!(
                "it exists and belongs to user id {}; choose a new directory",
                meta.uid()
            )));
        }
        let empty = fs::read_dir(dir)
            .with_context(|| format!("reading {}", dir.display()))?
            .next()
            .is_none();
        if !empty {
            return Err(refuse(
                "it exists and is not empty; choose a new or empty directory".to_string(),
            ));
        }
    }
    if let Some(u) = user {
        if !dir.parent().is_none_or(|p| u.can_traverse(p)) {
            anyhow::bail!(
                "the {} user, which runs the server, cannot enter {}: choose an archive \
                 directory it can reach",
                u.name,
                dir.display()
            );
        }
        std::os::unix::fs::fchown(&handle, Some(u.uid), Some(u.gid))
            .with_context(|| format!("giving {} to {}", dir.display(), u.name))?;
    }
    handle
        .set_permissions(fs::Permissions::from_mode(0o700))
        .with_context(|| format!("setting the mode of {}", dir.display()))
}

/// Waits until `segment` (and so everything before it) is in the archive.
async fn wait_archived(
    conn: &mut sqlx::PgConnection,
    segment: &str,
    cluster: &Cluster,
) -> Result<(), BackupError> {
    let deadline = Instant::now() + ARCHIVE_WAIT;
    loop {
        let state = sql::archiver_state(conn).await?;
        if state.last_archived.as_deref().is_some_and(|a| a >= segment) {
            return Ok(());
        }
        if Instant::now() > deadline {
            let failing = state
                .last_failed
                .map(|f| format!("; the archive command failed for {f}"))
                .unwrap_or_default();
            return Err(anyhow::anyhow!(
                "WAL segment {segment} was not archived within {} s{failing} (see {})",
                ARCHIVE_WAIT.as_secs(),
                cluster.log_file().display()
            )
            .into());
        }
        tokio::time::sleep(POLL).await;
    }
}

/// A base backup that is complete on disk.
#[derive(Debug, Clone)]
pub struct BaseOutcome {
    pub dir: PathBuf,
    pub manifest_path: PathBuf,
    pub manifest: BaseManifest,
}

/// Takes a base backup of the embedded cluster into `backups` (`pg_basebackup`, plain format,
/// with the WAL needed to make it consistent), checks it with `pg_verifybackup`, and writes its
/// manifest. WAL archiving must be on: recovery replays the archive on top of the base backup.
pub async fn base_backup(cluster: &Cluster, backups: &Path) -> Result<BaseOutcome, BackupError> {
    let bins = cluster.binaries();
    let pg_basebackup = program(bins, "pg_basebackup")?;
    let pg_verifybackup = program(bins, "pg_verifybackup")?;
    cluster.start()?;
    let target = socket_target(cluster);
    let mut conn = target.connect().await?;
    let status = read_status(cluster).await?;
    let wal_archive = match (&status.dir, status.on()) {
        (Some(dir), true) => dir.clone(),
        _ => return Err(BackupError::ArchivingOff),
    };
    let server = sql::server_version(&mut conn).await?;
    ensure_private_dir(backups)?;

    let started_at = Utc::now();
    let stem = free_stem(backups, "base", started_at, &["", MANIFEST_EXT]);
    let final_dir = backups.join(&stem);
    let partial = backups.join(format!("{stem}.partial"));
    let cleanup = Cleanup::new(partial.clone());
    let child = ChildConnection::new(&target, "soleflip-basebackup")?;
    let mut cmd = child.command(&pg_basebackup);
    cmd.arg("--pgdata")
        .arg(&partial)
        .args([
            "--format=plain",
            "--wal-method=stream",
            "--checkpoint=fast",
            "--no-password",
        ])
        .arg(format!("--label=soleflip {stem}"));
    child.run(cmd, "pg_basebackup").await?;
    let mut check = child.command(&pg_verifybackup);
    check.arg("--quiet").arg(&partial);
    child.run(check, "pg_verifybackup").await?;
    let finished_at = Utc::now();

    fs::rename(&partial, &final_dir)
        .with_context(|| format!("putting {} in place", final_dir.display()))?;
    cleanup.keep();
    let manifest = BaseManifest {
        format: FORMAT.to_string(),
        kind: "base".to_string(),
        directory: stem.clone(),
        started_at: started_at.to_rfc3339_opts(SecondsFormat::Millis, true),
        finished_at: finished_at.to_rfc3339_opts(SecondsFormat::Millis, true),
        server_version: server.version,
        wal_archive,
        size: tree_size(&final_dir),
    };
    let manifest_path = backups.join(format!("{stem}{MANIFEST_EXT}"));
    let json = serde_json::to_vec_pretty(&manifest).context("encoding the manifest")?;
    write_new(&manifest_path, &json)?;
    Ok(BaseOutcome {
        dir: final_dir,
        manifest_path,
        manifest,
    })
}

/// What to recover, from what, and where to.
#[derive(Debug, Clone)]
pub struct RecoverRequest {
    pub target_time: DateTime<Utc>,
    /// A new SoleFlip home for the recovered cluster; it must not hold a cluster yet.
    pub into: PathBuf,
    /// Where the base backups are.
    pub backups: PathBuf,
    /// The WAL archive (default: the one named in the base backup's manifest).
    pub archive: Option<PathBuf>,
}

/// What `recover` built.
#[derive(Debug, Clone)]
pub struct RecoverOutcome {
    pub base: PathBuf,
    pub archive: PathBuf,
    pub data_dir: PathBuf,
    /// The server's own account of where recovery stopped, e.g. `recovery stopping before
    /// commit of transaction 747, time 2025-01-31 14:05:00.1+00`.
    pub stopped: Option<String>,
}

/// Builds, in the new home `req.into`, a cluster as the source was at `req.target_time`: the
/// newest base backup finished before that moment, plus the archived WAL replayed up to it. When
/// the source cluster runs, its current WAL segment is archived first, so that everything
/// committed until now can be recovered. The new cluster is left stopped.
pub async fn recover(
    source: Option<&Cluster>,
    bins: PgBinaries,
    req: &RecoverRequest,
) -> Result<RecoverOutcome, BackupError> {
    let (base_dir, base) = newest_base_before(&req.backups, req.target_time)?;
    let archive = match &req.archive {
        Some(a) => std::path::absolute(a).context("resolving the archive directory")?,
        None => base.wal_archive.clone(),
    };
    if !archive.is_dir() {
        return Err(anyhow::anyhow!("the WAL archive {} does not exist", archive.display()).into());
    }
    if let Some(source) = source.filter(|c| c.status().pid.is_some()) {
        let status = read_status(source).await?;
        if status.on() && status.dir.as_deref() == Some(archive.as_path()) {
            let mut conn = socket_target(source).connect().await?;
            let segment = sql::switch_wal(&mut conn).await?;
            wait_archived(&mut conn, &segment, source).await?;
        }
    }

    let cluster = Cluster::open(&req.into, bins, ClusterOptions::default())?;
    let data_dir = cluster.data_dir().to_path_buf();
    if cluster.status().initialized || data_dir.exists() {
        return Err(anyhow::anyhow!(
            "{} already holds a PostgreSQL cluster ({}): recover into a new directory",
            req.into.display(),
            data_dir.display()
        )
        .into());
    }
    let user = OsUser::for_server()?;
    let root = data_dir
        .parent()
        .context("the data directory has no parent")?
        .to_path_buf();
    make_server_dir(&root, user.as_ref())?;
    if root != req.into.join("pg") {
        let note = req.into.join("pg-location.txt");
        fs::write(
            &note,
            format!(
                "The PostgreSQL cluster of this SoleFlip home lives in {} (the postgres user \
                 cannot enter this directory).\n",
                root.display()
            ),
        )
        .with_context(|| format!("writing {}", note.display()))?;
    }
    let cleanup = Cleanup::new(data_dir.clone());
    copy_tree(&base_dir, &data_dir, user.as_ref())
        .with_context(|| format!("copying {} to {}", base_dir.display(), data_dir.display()))?;
    write_recovery_settings(&data_dir, &archive, req.target_time, user.as_ref())?;

    let log_start = fs::metadata(cluster.log_file()).map_or(0, |m| m.len());
    cluster.start()?;
    let waited = wait_promoted(&cluster).await;
    let stopped = recovery_stop_line(&cluster.log_file(), log_start);
    if let Err(e) = waited {
        let _ = cluster.stop();
        return Err(e);
    }
    cluster.stop()?;
    cleanup.keep();
    Ok(RecoverOutcome {
        base: base_dir,
        archive,
        data_dir,
        stopped,
    })
}

/// The newest base backup in `dir` that finished before `at`.
fn newest_base_before(
    dir: &Path,
    at: DateTime<Utc>,
) -> Result<(PathBuf, BaseManifest), BackupError> {
    let entries = fs::read_dir(dir)
        .with_context(|| format!("reading the backup directory {}", dir.display()))?;
    let mut best: Option<(DateTime<Utc>, PathBuf, BaseManifest)> = None;
    for entry in entries.filter_map(Result::ok) {
        let name = entry.file_name().to_string_lossy().into_owned();
        if !(name.starts_with(BASE_PREFIX) && name.ends_with(MANIFEST_EXT)) {
            continue;
        }
        let Ok(text) = fs::read_to_string(entry.path()) else {
            continue;
        };
        let Ok(manifest) = serde_json::from_str::<BaseManifest>(&text) else {
            continue;
        };
        let Ok(finished) = DateTime::parse_from_rfc3339(&manifest.finished_at) else {
            continue;
        };
        let finished = finished.with_timezone(&Utc);
        let base_dir = dir.join(&manifest.directory);
        if finished < at && base_dir.is_dir() && best.as_ref().is_none_or(|(t, _, _)| finished > *t)
        {
            best = Some((finished, base_dir, manifest));
        }
    }
    best.map(|(_, d, m)| (d, m)).ok_or_else(|| {
        anyhow::anyhow!(
            "no base backup in {} finished before {}: take one with `soleflip db backup --base` \
             (recovery can reach only moments after a base backup)",
            dir.display(),
            at.to_rfc3339_opts(SecondsFormat::Millis, true)
        )
        .into()
    })
}

/// Copies a base backup into a new data directory (mode 0700, files 0600), owned by the
/// server's user.
fn copy_tree(from: &Path, to: &Path, user: Option<&OsUser>) -> std::io::Result<()> {
    fs::DirBuilder::new().mode(0o700).create(to)?;
    if let Some(u) = user {
        u.chown(to)?;
    }
    for entry in fs::read_dir(from)? {
        let entry = entry?;
        let src = entry.path();
        let dst = to.join(entry.file_name());
        let kind = entry.file_type()?;
        if kind.is_dir() {
            copy_tree(&src, &dst, user)?;
        } else if kind.is_symlink() {
            std::os::unix::fs::symlink(fs::read_link(&src)?, &dst)?;
            if let Some(u) = user {
                std::os::unix::fs::lchown(&dst, Some(u.uid), Some(u.gid))?;
            }
        } else {
            fs::copy(&src, &dst)?;
            fs::set_permissions(&dst, fs::Permissions::from_mode(0o600))?;
            if let Some(u) = user {
                u.chown(&dst)?;
            }
        }
    }
    Ok(())
}

/// Appends the recovery settings to `postgresql.auto.conf` (later lines win) and creates
/// `recovery.signal`. The recovered cluster archives nothing: the archive belongs to the
/// cluster it came from.
fn write_recovery_settings(
    data_dir: &Path,
    archive: &Path,
    at: DateTime<Utc>,
    user: Option<&OsUser>,
) -> anyhow::Result<()> {
    let auto = data_dir.join("postgresql.auto.conf");
    let target = at.format("%Y-%m-%d %H:%M:%S%.6f+00").to_string();
    let text = format!(
        "\n# Added by soleflip db recover: replay the WAL archive up to {target}, then open.\n\
         archive_mode = 'off'\n\
         restore_command = {}\n\
         recovery_target_time = {}\n\
         recovery_target_action = 'promote'\n",
        conf_quote(&restore_command(archive)),
        conf_quote(&target)
    );
    // Neither file is opened through a link the base backup might hold under its name.
    use std::os::unix::fs::OpenOptionsExt;
    let mut f = fs::OpenOptions::new()
        .append(true)
        .create(true)
        .custom_flags(no_follow())
        .open(&auto)
        .with_context(|| format!("opening {}", auto.display()))?;
    f.write_all(text.as_bytes())
        .and_then(|()| f.sync_all())
        .with_context(|| format!("writing {}", auto.display()))?;
    let signal = data_dir.join("recovery.signal");
    let marker = fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .custom_flags(no_follow())
        .mode(0o600)
        .open(&signal)
        .with_context(|| format!("writing {}", signal.display()))?;
    if let Some(u) = user {
        for (path, file) in [(&auto, &f), (&signal, &marker)] {
            std::os::unix::fs::fchown(file, Some(u.uid), Some(u.gid))
                .with_context(|| format!("giving {} to {}", path.display(), u.name))?;
        }
    }
    Ok(())
}

/// Waits until the recovering server has reached its target and opened for writes.
async fn wait_promoted(cluster: &Cluster) -> Result<(), BackupError> {
    let target = socket_target(cluster);
    let deadline = Instant::now() + RECOVERY_WAIT;
    let mut conn = None;
    loop {
        if conn.is_none() {
            conn = target.connect().await.ok();
        }
        if let Some(c) = conn.as_mut() {
            match sql::in_recovery(c).await {
                Ok(false) => return Ok(()),
                Ok(true) => {}
                Err(_) => conn = None,
            }
        }
        if cluster.status().pid.is_none() {
            return Err(anyhow::anyhow!(
                "recovery failed: {} (see {})",
                last_fatal(&cluster.log_file()),
                cluster.log_file().display()
            )
            .into());
        }
        if Instant::now() > deadline {
            return Err(anyhow::anyhow!(
                "recovery did not finish within {} s (see {})",
                RECOVERY_WAIT.as_secs(),
                cluster.log_file().display()
            )
            .into());
        }
        tokio::time::sleep(POLL).await;
    }
}

fn last_fatal(log: &Path) -> String {
    let text = fs::read_to_string(log).unwrap_or_default();
    text.lines()
        .rev()
        .find(|l| l.contains("FATAL"))
        .or_else(|| text.lines().rfind(|l| !l.trim().is_empty()))
        .map_or_else(|| "no log".to_string(), |l| l.trim().to_string())
}

/// The `recovery stopping ...` line the server logged since `from`.
fn recovery_stop_line(log: &Path, from: u64) -> Option<String> {
    let bytes = fs::read(log).ok()?;
    let start = usize::try_from(from).unwrap_or(0).min(bytes.len());
    let text = String::from_utf8_lossy(&bytes[start..]);
    let line = text.lines().rfind(|l| l.contains("recovery stopping"))?;
    let message = line.split_once("LOG:").map_or(line, |(_, m)| m);
    Some(message.trim().to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_archive_directory_reads_back_from_the_command() {
        for dir in ["/var/lib/wal", "/tmp/it's 100% mine", "/a\\b;c"] {
            let cmd = archive_command(Path::new(dir));
            assert_eq!(
                archive_dir_from_command(&cmd).as_deref(),
                Some(Path::new(dir)),
                "{cmd}"
            );
        }
        assert_eq!(archive_dir_from_command("cp %p /x/%f"), None);
        assert_eq!(archive_dir_from_command(""), None);
    }

    #[test]
    fn the_archive_command_never_replaces_a_segment() {
        let cmd = archive_command(Path::new("/w"));
        assert!(cmd.contains("if [ -e \"$f\" ]; then cmp -s"), "{cmd}");
        assert!(cmd.contains("ln \"$f.part\" \"$f\""), "{cmd}");
        assert!(!cmd.contains("mv "), "{cmd}");
    }

    #[test]
    fn times_need_an_offset() {
        let t = parse_time("2025-01-31T15:05:00.25+01:00").unwrap();
        assert_eq!(t.to_rfc3339(), "2025-01-31T14:05:00.250+00:00");
        assert_eq!(
            parse_time("2025-01-31 14:05:00Z").unwrap().to_rfc3339(),
            "2025-01-31T14:05:00+00:00"
        );
        let err = parse_time("2025-01-31 14:05").unwrap_err().to_string();
        assert!(err.contains("recovery time \"2025-01-31 14:05\""), "{err}");
    }
}
