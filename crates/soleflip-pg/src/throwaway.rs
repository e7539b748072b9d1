use std::os::unix::process::CommandExt as _;
use std::path::{Path, PathBuf};
use std::process::{ChildStdin, Command, Stdio};
use std::sync::atomic::{AtomicU32, Ordering};

use crate::binaries::PgBinaries;
use crate::cluster::{Cluster, ClusterOptions};
use crate::error::{IoContext, PgError};

/// A cluster for one test run: created in a fresh directory under the system temp dir with
/// `fsync` off, listening on its socket and on a free port of 127.0.0.1 (password auth), and removed (server killed, files deleted) when the process that created it
/// exits, however it exits.
///
/// The clean-up is done by a small watchdog shell whose stdin is a pipe held by this value: the
/// kernel closes the pipe when our process ends, even on SIGKILL, and the watchdog then stops the
/// server and deletes the directory. No `Drop` is needed, so it can live in a `static`.
#[derive(Debug)]
pub struct ThrowawayCluster {
    cluster: Cluster,
    dir: PathBuf,
    _watchdog: ChildStdin,
}

impl ThrowawayCluster {
    pub fn start() -> Result<Self, PgError> {
        static SEQ: AtomicU32 = AtomicU32::new(0);
        let bins = PgBinaries::locate()?;
        let dir = std::env::temp_dir().join(format!(
            "sf-test-{}-{}",
            std::process::id(),
            SEQ.fetch_add(1, Ordering::Relaxed)
        ));
        if dir.exists() {
            std::fs::remove_dir_all(&dir).ctx(|| format!("removing {}", dir.display()))?;
        }
        let options = ClusterOptions {
            durable: false,
            port: free_port()?,
            loopback_tcp: true,
        };
        let cluster = Cluster::open(&dir, bins, options)?;
        let watchdog = spawn_watchdog(&dir, cluster.data_dir())?;
        cluster.start()?;
        Ok(Self {
            cluster,
            dir,
            _watchdog: watchdog,
        })
    }

    pub fn cluster(&self) -> &Cluster {
        &self.cluster
    }

    pub fn dir(&self) -> &Path {
        &self.dir
    }
}

/// A port nobody listens on right now on 127.0.0.1.
fn free_port() -> Result<u16, PgError> {
    let listener = std::net::TcpListener::bind(("127.0.0.1", 0))
        .ctx(|| "finding a free port on 127.0.0.1".to_string())?;
    let addr = listener
        .local_addr()
        .ctx(|| "reading the free port".to_string())?;
    Ok(addr.port())
}

fn spawn_watchdog(dir: &Path, data_dir: &Path) -> Result<ChildStdin, PgError> {
    // Waits for EOF on stdin, then stops the server immediately and removes everything.
    let script = r#"
        read _ignored
        pid=$(head -n 1 "$SF_DATA/postmaster.pid" 2>/dev/null)
        if [ -n "$pid" ]; then
            kill -QUIT "$pid" 2>/dev/null
            n=0
            while kill -0 "$pid" 2>/dev/null && [ $n -lt 100 ]; do sleep 0.05; n=$((n+1)); done
        fi
        rm -rf "$SF_DIR"
    "#;
    let mut child = Command::new("sh")
        .arg("-c")
        .arg(script)
        .env("SF_DIR", dir)
        .env("SF_DATA", data_dir)
        .stdin(Stdio::piped())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .process_group(0)
        .spawn()
        .ctx(|| "starting the clean-up watchdog of a test cluster".to_string())?;
    child.stdin.take().ok_or_else(|| PgError::Command {
        program: "sh".to_string(),
        detail: "no stdin pipe for the watchdog".to_string(),
    })
}
