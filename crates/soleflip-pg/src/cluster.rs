use std::fs::{self, File, OpenOptions};
use std::io::{Read, Seek, SeekFrom};
use std::os::unix::fs::{DirBuilderExt, PermissionsExt};
use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use sha2::{Digest, Sha256};

use crate::binaries::PgBinaries;
use crate::error::{IoContext, PgError};
use crate::os_user::OsUser;

/// The port in the socket's file name (`.s.PGSQL.5432`). The server listens on no TCP port, and
/// its socket directory is private, so this never collides with another server.
pub const DEFAULT_PORT: u16 = 5432;
/// The cluster's superuser role, created by `initdb`.
pub const SUPERUSER: &str = "postgres";

/// Unix socket paths are limited to 107 bytes on Linux; keep a margin.
const MAX_SOCKET_PATH: usize = 100;
const START_TIMEOUT: Duration = Duration::from_secs(60);
const STOP_TIMEOUT: Duration = Duration::from_secs(60);
const POLL: Duration = Duration::from_millis(5);

#[derive(Debug, Clone)]
pub struct ClusterOptions {
    /// `fsync` stays on for a cluster that holds real data; throwaway test clusters turn it off.
    pub durable: bool,
    pub port: u16,
    /// Also listen on 127.0.0.1 (password auth), never on another interface. Off for the
    /// embedded cluster, which is reached through its private socket only.
    pub loopback_tcp: bool,
}

impl Default for ClusterOptions {
    fn default() -> Self {
        Self {
            durable: true,
            port: DEFAULT_PORT,
            loopback_tcp: false,
        }
    }
}

/// A private PostgreSQL cluster kept under a SoleFlip home directory.
///
/// Layout: `<home>/pg/data` (PGDATA), `<home>/pg/run` (socket directory, or a short directory
/// under /tmp when that path would be too long for a socket), `<home>/pg/postgres.log`, and the
/// lock `<home>/pg.lock` that serialises every start and stop. When SoleFlip runs as root and the
/// `postgres` user cannot enter `<home>`, the `pg` directory lives in
/// `/var/lib/soleflip/clusters/<hash of home>` instead.
#[derive(Debug, Clone)]
pub struct Cluster {
    home: PathBuf,
    root: PathBuf,
    data_dir: PathBuf,
    socket_dir: PathBuf,
    bins: PgBinaries,
    user: Option<OsUser>,
    options: ClusterOptions,
}

/// What `status` found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Status {
    pub initialized: bool,
    pub pid: Option<u32>,
}

impl Cluster {
    /// Describes the cluster of `home` (nothing is created until [`Cluster::start`]).
    pub fn open(home: &Path, bins: PgBinaries, options: ClusterOptions) -> Result<Self, PgError> {
        let home = absolute(home)?;
        let user = OsUser::for_server()?;
        let mut root = home.join("pg");
        // Judged on the home, not on `<home>/pg`: that directory is ours, created 0700 and then
        // handed to the server's user, and a concurrent start that looked at it in between
        // would have taken the fallback location and started a second server.
        if let Some(u) = &user {
            if !u.can_traverse(&home) {
                let digest = hex::encode(Sha256::digest(home.as_os_str().as_encoded_bytes()));
                root = PathBuf::from("/var/lib/soleflip/clusters").join(&digest[..16]);
            }
        }
        let data_dir = root.join("data");
        let mut socket_dir = root.join("run");
        let socket_len = socket_dir.as_os_str().len() + format!("/.s.PGSQL.{}", options.port).len();
        if socket_len > MAX_SOCKET_PATH {
            let digest = hex::encode(Sha256::digest(root.as_os_str().as_encoded_bytes()));
            socket_dir = std::env::temp_dir().join(format!("soleflip-{}", &digest[..12]));
        }
        Ok(Self {
            home,
            root,
            data_dir,
            socket_dir,
            bins,
            user,
            options,
        })
    }

    pub fn data_dir(&self) -> &Path {
        &self.data_dir
    }

    pub fn socket_dir(&self) -> &Path {
        &self.socket_dir
    }

    pub fn port(&self) -> u16 {
        self.options.port
    }

    pub fn binaries(&self) -> &PgBinaries {
        &self.bins
    }

    pub fn log_file(&self) -> PathBuf {
        self.root.join("postgres.log")
    }

    /// A libpq connection URI for database `dbname` (usable by `psql`).
    pub fn url(&self, dbname: &str) -> String {
        format!(
            "postgresql:///{}?host={}&port={}&user={SUPERUSER}",
            encode(dbname),
            encode(&self.socket_dir.to_string_lossy()),
            self.options.port
        )
    }

    pub fn status(&self) -> Status {
        Status {
            initialized: self.data_dir.join("PG_VERSION").is_file(),
            pid: running_pid(&self.data_dir),
        }
    }

    /// Creates the cluster if needed and starts the server unless it runs already. Safe to call
    /// from several processes at once: one starts it, the others wait for it and use it.
    /// Returns whether this call started the server.
    pub fn start(&self) -> Result<bool, PgError> {
        let _lock = self.lock()?;
        if let Some(pid) = running_pid(&self.data_dir) {
            if self.socket_file().exists() {
                return Ok(false);
            }
            // Alive but unreachable: something (a /tmp cleaner) removed its socket, which the
            // server never recreates. A fast shutdown keeps committed data; start it again.
            self.stop_pid(pid)?;
        }
        if !self.data_dir.join("PG_VERSION").is_file() {
            self.init()?;
        }
        self.make_private_dir(&self.socket_dir)?;
        self.remove_stale_lock_files()?;
        let deadline = Instant::now() + START_TIMEOUT;
        loop {
            match self.spawn_and_wait(deadline) {
                // Backends of a killed server may hold its shared memory for a moment.
                Err(PgError::StartFailed { detail, .. })
                    if detail.contains("shared memory block") && Instant::now() < deadline =>
                {
                    std::thread::sleep(Duration::from_millis(100));
                }
                other => return other.map(|()| true),
            }
        }
    }

    /// Stops the server (fast shutdown: running transactions are rolled back, committed data is
    /// kept). Returns whether it was running.
    pub fn stop(&self) -> Result<bool, PgError> {
        let _lock = self.lock()?;
        let Some(pid) = running_pid(&self.data_dir) else {
            return Ok(false);
        };
        self.stop_pid(pid)?;
        Ok(true)
    }

    /// The socket file clients connect to.
    fn socket_file(&self) -> PathBuf {
        self.socket_dir
            .join(format!(".s.PGSQL.{}", self.options.port))
    }

    /// Fast shutdown of the postmaster `pid`, waiting until it is gone (caller holds the lock).
    fn stop_pid(&self, pid: u32) -> Result<(), PgError> {
        signal(pid, rustix::process::Signal::Int);
        let deadline = Instant::now() + STOP_TIMEOUT;
        while running_pid(&self.data_dir) == Some(pid) {
            if Instant::now() > deadline {
                return Err(PgError::StopTimedOut {
                    data_dir: self.data_dir.clone(),
                    seconds: STOP_TIMEOUT.as_secs(),
                });
            }
            std::thread::sleep(POLL);
        }
        Ok(())
    }

    /// A server killed with SIGKILL leaves postmaster.pid and the socket's lock file behind.
    /// Their pid may since belong to another process, or to the unreaped zombie of the killed
    /// server, and either makes a new server refuse to start. We only get here under our lock
    /// with no live server for this data directory, and the socket directory is private to
    /// this cluster, so they are stale.
    fn remove_stale_lock_files(&self) -> Result<(), PgError> {
        let socket = self
            .socket_dir
            .join(format!(".s.PGSQL.{}", self.options.port));
        let socket_lock = self
            .socket_dir
            .join(format!(".s.PGSQL.{}.lock", self.options.port));
        for stale in [self.data_dir.join("postmaster.pid"), socket_lock, socket] {
            if fs::symlink_metadata(&stale).is_ok() {
                fs::remove_file(&stale).ctx(|| format!("removing stale {}", stale.display()))?;
            }
        }
        Ok(())
    }

    fn lock(&self) -> Result<File, PgError> {
        fs::create_dir_all(&self.home).ctx(|| format!("creating {}", self.home.display()))?;
        let path = self.home.join("pg.lock");
        let file = OpenOptions::new()
            .create(true)
            .truncate(false)
            .write(true)
            .open(&path)
            .ctx(|| format!("opening {}", path.display()))?;
        file.lock().ctx(|| format!("locking {}", path.display()))?;
        Ok(file)
    }

    /// `initdb` into a scratch directory renamed into place when complete, so that a killed
    /// `initdb` never leaves a half-made cluster behind.
    fn init(&self) -> Result<(), PgError> {
        self.make_private_dir(&self.root)?;
        if self.root != self.home.join("pg") {
            let note = self.home.join("pg-location.txt");
            let text = format!(
                "The PostgreSQL cluster of this SoleFlip home lives in {} (the postgres user \
                 cannot enter this directory).\n",
                self.root.display()
            );
            fs::write(&note, text).ctx(|| format!("writing {}", note.display()))?;
        }
        let scratch = self.root.join("data.init");
        if scratch.exists() {
            fs::remove_dir_all(&scratch).ctx(|| format!("removing {}", scratch.display()))?;
        }
        let mut cmd = Command::new(self.bins.program("initdb"));
        cmd.arg("-D")
            .arg(&scratch)
            .args(["-U", SUPERUSER, "-E", "UTF8", "--locale=C"]);
        // The socket directory is private, so local connections may trust; TCP, which only
        // test clusters turn on (loopback only), asks for a password.
        cmd.args(["--auth-local=trust", "--auth-host=scram-sha-256"]);
        if !self.options.durable {
            cmd.arg("--no-sync");
        }
        self.run(cmd, "initdb")?;
        let conf = scratch.join("postgresql.conf");
        let mut text = fs::read_to_string(&conf).ctx(|| format!("reading {}", conf.display()))?;
        text.push_str(&self.settings());
        fs::write(&conf, text).ctx(|| format!("writing {}", conf.display()))?;
        fs::rename(&scratch, &self.data_dir)
            .ctx(|| format!("moving {} into place", scratch.display()))
    }

    fn settings(&self) -> String {
        let durable = if self.options.durable { "on" } else { "off" };
        let listen = if self.options.loopback_tcp {
            "127.0.0.1"
        } else {
            ""
        };
        let mut s = format!(
            "\n# Added by soleflip: a private server reachable through its unix socket, whose\n\
             # directory (given with -k at start) only the server's user may enter.\n\
             listen_addresses = '{listen}'\n\
             unix_socket_permissions = 0700\n\
             fsync = {durable}\n\
             synchronous_commit = {durable}\n\
             full_page_writes = {durable}\n\
             # Bulk imports of a million rows otherwise checkpoint every few seconds, each\n\
             # checkpoint forcing full-page images into the WAL (measured: a 1M-row UPDATE\n\
             # 7.7 s -> 5.7 s). WAL beyond what recovery needs is recycled.\n\
             max_wal_size = '2GB'\n"
        );
        if self.has_pg_stat_statements() {
            s.push_str(
                "shared_preload_libraries = 'pg_stat_statements'\n\
                 pg_stat_statements.track = all\n",
            );
        }
        s
    }

    fn has_pg_stat_statements(&self) -> bool {
        let lib = self
            .bins
            .dir
            .parent()
            .map(|p| p.join("lib").join("pg_stat_statements.so"));
        lib.is_some_and(|p| p.is_file())
    }

    fn spawn_and_wait(&self, deadline: Instant) -> Result<(), PgError> {
        let log_path = self.log_file();
        let mut log = OpenOptions::new()
            .create(true)
            .append(true)
            .open(&log_path)
            .ctx(|| format!("opening {}", log_path.display()))?;
        let log_start = log.seek(SeekFrom::End(0)).unwrap_or(0);
        let stderr = log
            .try_clone()
            .ctx(|| "duplicating the log handle".to_string())?;
        let mut cmd = Command::new(self.bins.program("postgres"));
        cmd.arg("-D")
            .arg(&self.data_dir)
            .arg("-k")
            .arg(&self.socket_dir)
            .arg("-p")
            .arg(self.options.port.to_string())
            .stdin(Stdio::null())
            .stdout(log)
            .stderr(stderr)
            // Its own process group: a Ctrl-C meant for soleflip does not stop the server.
            .process_group(0);
        if let Some(u) = &self.user {
            u.apply(&mut cmd);
        }
        let mut child = cmd.spawn().ctx(|| "starting postgres".to_string())?;
        let failed = |detail: String| PgError::StartFailed {
            data_dir: self.data_dir.clone(),
            detail,
        };
        loop {
            if server_ready(&self.data_dir, child.id()) {
                return Ok(());
            }
            if let Ok(Some(status)) = child.try_wait() {
                let tail = log_tail(&log_path, log_start);
                return Err(failed(format!("postgres exited ({status}): {tail}")));
            }
            if Instant::now() > deadline {
                signal(child.id(), rustix::process::Signal::Quit);
                return Err(failed(format!(
                    "not ready after {} s (see {})",
                    START_TIMEOUT.as_secs(),
                    log_path.display()
                )));
            }
            std::thread::sleep(POLL);
        }
    }

    fn run(&self, mut cmd: Command, what: &str) -> Result<(), PgError> {
        if let Some(u) = &self.user {
            u.apply(&mut cmd);
        }
        let out = cmd.output().map_err(|e| PgError::Command {
            program: what.to_string(),
            detail: e.to_string(),
        })?;
        if out.status.success() {
            return Ok(());
        }
        let stderr = String::from_utf8_lossy(&out.stderr);
        let detail = stderr
            .lines()
            .rfind(|l| !l.trim().is_empty())
            .unwrap_or("no output");
        Err(PgError::Command {
            program: what.to_string(),
            detail: detail.trim().to_string(),
        })
    }

    /// Creates `dir` with mode 0700, owned by the server's user. An existing `dir` must be a
    /// real directory (not a symbolic link) owned by us or by the server's user: the socket
    /// directory may sit under the shared temp directory with a predictable name, where another
    /// user could have planted a link or a directory of their own. The owner and mode are set
    /// through a descriptor opened without following links.
    fn make_private_dir(&self, dir: &Path) -> Result<(), PgError> {
        use std::os::unix::fs::{MetadataExt, OpenOptionsExt};
        if let Some(parent) = dir.parent().filter(|p| !p.is_dir()) {
            // Parents stay enterable (0755) so that the server's user can reach `dir`.
            fs::DirBuilder::new()
                .recursive(true)
                .mode(0o755)
                .create(parent)
                .ctx(|| format!("creating {}", parent.display()))?;
        }
        if fs::symlink_metadata(dir).is_err() {
            // Not recursive: if anything appeared under that name meanwhile, this fails.
            fs::DirBuilder::new()
                .mode(0o700)
                .create(dir)
                .ctx(|| format!("creating {}", dir.display()))?;
        }
        let refuse = |why: String| PgError::Command {
            program: "soleflip".to_string(),
            detail: format!(
                "refusing {}: {why}; remove it (another user may have planted it)",
                dir.display()
            ),
        };
        let flags = rustix::fs::OFlags::NOFOLLOW | rustix::fs::OFlags::DIRECTORY;
        let handle = OpenOptions::new()
            .read(true)
            .custom_flags(i32::try_from(flags.bits()).unwrap_or(0))
            .open(dir)
            .map_err(|e| {
                refuse(format!(
                    "not a directory we can open without following a link ({e})"
                ))
            })?;
        let meta = handle
            .metadata()
            .ctx(|| format!("reading {}", dir.display()))?;
        let me = rustix::process::geteuid().as_raw();
        let server = self.user.as_ref().map_or(me, |u| u.uid);
        if meta.uid() != me && meta.uid() != server {
            return Err(refuse(format!("it belongs to user id {}", meta.uid())));
        }
        if let Some(u) = &self.user {
            std::os::unix::fs::fchown(&handle, Some(u.uid), Some(u.gid))
                .ctx(|| format!("giving {} to {}", dir.display(), u.name))?;
        }
        handle
            .set_permissions(fs::Permissions::from_mode(0o700))
            .ctx(|| format!("setting the mode of {}", dir.display()))?;
        Ok(())
    }
}

/// The pid of the live postmaster of `data_dir`, if there is one.
fn running_pid(data_dir: &Path) -> Option<u32> {
    let text = fs::read_to_string(data_dir.join("postmaster.pid")).ok()?;
    let pid: u32 = text.lines().next()?.trim().parse().ok()?;
    is_postgres_process(pid).then_some(pid)
}

/// Whether postmaster.pid names `pid` and says the server accepts connections.
fn server_ready(data_dir: &Path, pid: u32) -> bool {
    let Ok(text) = fs::read_to_string(data_dir.join("postmaster.pid")) else {
        return false;
    };
    let mut lines = text.lines();
    lines.next().and_then(|l| l.trim().parse::<u32>().ok()) == Some(pid)
        && lines.nth(6).is_some_and(|status| status.trim() == "ready")
}

/// A live (not zombie) process whose command is `postgres`: a pid from a stale postmaster.pid
/// may have been reused by an unrelated process.
fn is_postgres_process(pid: u32) -> bool {
    let Ok(stat) = fs::read_to_string(format!("/proc/{pid}/stat")) else {
        return false;
    };
    let Some((comm, rest)) = stat.split_once(") ") else {
        return false;
    };
    let name = comm.split_once('(').map(|(_, n)| n).unwrap_or("");
    !rest.starts_with('Z') && (name == "postgres" || name == "postmaster")
}

fn signal(pid: u32, sig: rustix::process::Signal) {
    if let Some(pid) = i32::try_from(pid)
        .ok()
        .and_then(rustix::process::Pid::from_raw)
    {
        // The process may be gone already; then there is nothing to signal.
        let _ = rustix::process::kill_process(pid, sig);
    }
}

/// The last meaningful line the server wrote to its log since `from`.
fn log_tail(path: &Path, from: u64) -> String {
    let mut text = String::new();
    if let Ok(mut f) = File::open(path) {
        let _ = f.seek(SeekFrom::Start(from));
        let _ = f.read_to_string(&mut text);
    }
    text.lines()
        .rev()
        .find(|l| l.contains("FATAL") || l.contains("ERROR"))
        .or_else(|| text.lines().rfind(|l| !l.trim().is_empty()))
        .unwrap_or("no output")
        .trim()
        .to_string()
}

fn absolute(path: &Path) -> Result<PathBuf, PgError> {
    if path.is_absolute() {
        return Ok(path.to_path_buf());
    }
    let cwd = std::env::current_dir().ctx(|| "reading the working directory".to_string())?;
    Ok(cwd.join(path))
}

/// Percent-encodes a URI component (keeping `/`, so socket paths stay readable).
fn encode(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for b in s.bytes() {
        if b.is_ascii_alphanumeric() || b"-._~/".contains(&b) {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn urls_encode_unusual_characters_in_socket_paths() {
        assert_eq!(encode("/tmp/a b/run"), "/tmp/a%20b/run");
        assert_eq!(encode("soleflip"), "soleflip");
    }

    #[test]
    fn a_pid_that_is_not_postgres_is_not_a_running_server() {
        assert!(!is_postgres_process(std::process::id()));
        assert!(!is_postgres_process(u32::MAX));
    }
}
