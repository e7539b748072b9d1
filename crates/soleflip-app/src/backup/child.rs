//! Starting PostgreSQL's own programs against a target without ever putting its password on a
//! command line: connection parameters go into the child's environment (libpq variables, with
//! `search_path` pinned), the password into a mode-0600 passfile that names exactly the target's
//! host, port and user and is removed when this value is dropped. A SIGINT or SIGTERM while a
//! child runs stops the child and unwinds (partial files and the passfile are removed) instead
//! of killing soleflip on the spot.

use std::ffi::OsStr;
use std::io::Write;
use std::os::unix::ffi::OsStrExt;
use std::path::Path;
use std::process::{Command, Stdio};

use anyhow::Context;
use soleflip_db::DbTarget;

/// How child processes reach one target. Keep it alive while they run.
#[derive(Debug)]
pub struct ChildConnection {
    env: Vec<(&'static str, String)>,
    /// The temporary passfile (removed on drop), when the target has a password.
    passfile: Option<tempfile::TempPath>,
    /// Whether the target has no password of its own, so that the caller's PGPASSWORD or
    /// PGPASSFILE (which the parent's own connection may have used) stay visible to the child.
    inherit_password: bool,
    scrub: DbTarget,
}

impl ChildConnection {
    /// `application` is shown in `pg_stat_activity` (PGAPPNAME).
    pub fn new(target: &DbTarget, application: &str) -> anyhow::Result<Self> {
        let mut env = target.libpq_env();
        env.push(("PGAPPNAME", application.to_string()));
        env.push(("PGCONNECT_TIMEOUT", "10".to_string()));
        let passfile = match target.password() {
            Some(password) => {
                let field = |key: &str| {
                    env.iter()
                        .find(|(k, _)| *k == key)
                        .map_or_else(String::new, |(_, v)| v.clone())
                };
                let line = passfile_line(
                    &field("PGHOST"),
                    &field("PGPORT"),
                    &field("PGUSER"),
                    password,
                );
                Some(write_passfile(&line)?)
            }
            None => None,
        };
        Ok(Self {
            env,
            inherit_password: passfile.is_none(),
            passfile,
            scrub: target.clone(),
        })
    }

    /// The passfile a child reads its password from, while this value lives.
    pub fn passfile(&self) -> Option<&Path> {
        self.passfile.as_deref()
    }

    /// A command for `program` that connects to the target: every inherited libpq variable is
    /// removed (a stray PGSERVICE or PGHOST must not redirect it), the target's are set, and
    /// stdin is closed so that nothing can prompt.
    pub fn command(&self, program: &Path) -> Command {
        let mut cmd = Command::new(program);
        for (key, _) in std::env::vars_os() {
            let keep = self.inherit_password
                && (key == OsStr::new("PGPASSWORD") || key == OsStr::new("PGPASSFILE"));
            let tls_file = key.as_bytes().starts_with(b"PGSSL") && key != OsStr::new("PGSSLMODE");
            if key.as_bytes().starts_with(b"PG") && !keep && !tls_file {
                cmd.env_remove(&key);
            }
        }
        cmd.envs(self.env.iter().map(|(k, v)| (*k, v.as_str())));
        if let Some(passfile) = &self.passfile {
            cmd.env("PGPASSFILE", passfile.as_os_str());
        }
        cmd.stdin(Stdio::null());
        cmd
    }

    /// Removes the target's password from a child's message.
    pub fn scrub(&self, text: &str) -> String {
        self.scrub.scrub(text)
    }

    /// Runs `cmd` to completion; on failure the error names `what` and the child's own
    /// explanation (its `error:` lines, password removed). A SIGINT or SIGTERM meanwhile kills
    /// the child and returns an error, so that the caller unwinds and removes what it made.
    pub async fn run(&self, cmd: Command, what: &str) -> anyhow::Result<std::process::Output> {
        let mut cmd = tokio::process::Command::from(cmd);
        cmd.stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .kill_on_drop(true);
        // Listen before the child exists, so that no signal finds us unprepared.
        let mut stop = Interrupt::listen().context("listening for SIGINT and SIGTERM")?;
        // The program and its arguments, never its environment (the passfile's path is there,
        // the password is not, but neither belongs in a log).
        tracing::debug!(program = ?cmd.as_std().get_program(), args = ?cmd.as_std().get_args().collect::<Vec<_>>(), "running {what}");
        let started = std::time::Instant::now();
        let child = cmd.spawn().with_context(|| format!("starting {what}"))?;
        let out = tokio::select! {
            out = child.wait_with_output() => out.with_context(|| format!("running {what}"))?,
            signal = stop.received() => anyhow::bail!(
                "{what} stopped: soleflip received {signal}; nothing was left behind"
            ),
        };
        tracing::debug!(status = %out.status, ms = started.elapsed().as_millis() as u64, "{what} ended");
        if out.status.success() {
            return Ok(out);
        }
        anyhow::bail!(
            "{what} failed ({}): {}",
            out.status,
            self.scrub(&explain(&out.stderr))
        )
    }
}

/// SIGINT and SIGTERM, caught while a child runs.
///
/// Once a process catches a signal it never gets the default action back, so the first
/// [`Interrupt::listen`] also starts a watcher (a thread of its own) that ends the process as the
/// default action would (exit 130 or 143) when a signal arrives while no child runs: between
/// children, and after the last one, SIGINT and SIGTERM still stop soleflip.
struct Interrupt {
    term: tokio::signal::unix::Signal,
    int: tokio::signal::unix::Signal,
    _active: Active,
}

/// How many children run now, each with its own listener.
static ACTIVE: std::sync::atomic::AtomicUsize = std::sync::atomic::AtomicUsize::new(0);
/// Signals a child's listener acted on that the watcher has not accounted for yet.
static HANDLED: std::sync::atomic::AtomicUsize = std::sync::atomic::AtomicUsize::new(0);

/// Counts one running child while it lives.
struct Active;

impl Active {
    fn new() -> Self {
        ACTIVE.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
        Self
    }
}

impl Drop for Active {
    fn drop(&mut self) {
        ACTIVE.fetch_sub(1, std::sync::atomic::Ordering::SeqCst);
    }
}

impl Interrupt {
    fn listen() -> std::io::Result<Self> {
        use tokio::signal::unix::{signal, SignalKind};
        start_watcher()?;
        Ok(Self {
            _active: Active::new(),
            term: signal(SignalKind::terminate())?,
            int: signal(SignalKind::interrupt())?,
        })
    }

    async fn received(&mut self) -> &'static str {
        let name = tokio::select! {
            _ = self.term.recv() => "SIGTERM",
            _ = self.int.recv() => "SIGINT",
        };
        HANDLED.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
        name
    }
}

/// Starts the process-wide watcher once, and waits until it listens.
fn start_watcher() -> std::io::Result<()> {
    use std::sync::atomic::Ordering::SeqCst;
    static STARTED: std::sync::OnceLock<Result<(), String>> = std::sync::OnceLock::new();
    let started = STARTED.get_or_init(|| {
        let (ready_tx, ready_rx) = std::sync::mpsc::channel::<Result<(), String>>();
        let spawned = std::thread::Builder::new()
            .name("soleflip-signals".to_string())
            .spawn(move || {
                use tokio::signal::unix::{signal, SignalKind};
                let runtime = match tokio::runtime::Builder::new_current_thread()
                    .enable_all()
                    .build()
                {
                    Ok(r) => r,
                    Err(e) => {
                        let _ = ready_tx.send(Err(e.to_string()));
                        return;
                    }
                };
                runtime.block_on(async move {
                    let listeners = signal(SignalKind::terminate())
                        .and_then(|t| Ok((t, signal(SignalKind::interrupt())?)));
                    let (mut term, mut int) = match listeners {
                        Ok(l) => l,
                        Err(e) => {
                            let _ = ready_tx.send(Err(e.to_string()));
                            return;
                        }
                    };
                    let _ = ready_tx.send(Ok(()));
                    // Signals seen while a child ran, which its listener acted on (or will).
                    let mut credit = 0usize;
                    loop {
                        let code = tokio::select! {
                            _ = term.recv() => 143,
                            _ = int.recv() => 130,
                        };
                        if ACTIVE.load(SeqCst) > 0 {
                            credit += 1; // the running child's listener unwinds
                            continue;
                        }
                        let handled = HANDLED.swap(0, SeqCst);
                        let unmatched = handled.saturating_sub(credit);
                        credit = credit.saturating_sub(handled);
                        if unmatched > 0 {
                            // A child's listener acted on this signal just before its run ended.
                            continue;
                        }
                        std::process::exit(code);
                    }
                });
            });
        match spawned {
            Ok(_) => ready_rx
                .recv()
                .unwrap_or_else(|_| Err("the signal watcher ended".to_string())),
            Err(e) => Err(e.to_string()),
        }
    });
    started.clone().map_err(std::io::Error::other)
}

/// The lines of a PostgreSQL program's stderr that say what went wrong, on one line.
pub(crate) fn explain(stderr: &[u8]) -> String {
    let text = String::from_utf8_lossy(stderr);
    let lines: Vec<&str> = text
        .lines()
        .map(str::trim)
        .filter(|l| !l.is_empty())
        .collect();
    let errors: Vec<&str> = lines
        .iter()
        .copied()
        .filter(|l| {
            let l = l.to_ascii_lowercase();
            l.contains("error") || l.contains("fatal") || l.contains("could not")
        })
        .take(3)
        .collect();
    if errors.is_empty() {
        lines.last().copied().unwrap_or("no output").to_string()
    } else {
        errors.join("; ")
    }
}

/// The passfile line for exactly one host (name, address or socket directory), port and user,
/// any database (`pg_basebackup` asks for `replication`). libpq escapes `\` and `:` with a
/// backslash in every field.
pub(crate) fn passfile_line(host: &str, port: &str, user: &str, password: &str) -> String {
    let esc = |s: &str| s.replace('\\', "\\\\").replace(':', "\\:");
    format!(
        "{}:{}:*:{}:{}",
        esc(host),
        esc(port),
        esc(user),
        esc(password)
    )
}

/// A passfile holding `line`. `tempfile` creates it with mode 0600 in the system temp directory
/// under an unpredictable name, without following links.
fn write_passfile(line: &str) -> anyhow::Result<tempfile::TempPath> {
    let mut file = tempfile::Builder::new()
        .prefix("soleflip-pgpass-")
        .tempfile()
        .context("creating a temporary passfile")?;
    writeln!(file, "{line}").context("writing the temporary passfile")?;
    file.flush().context("writing the temporary passfile")?;
    Ok(file.into_temp_path())
}

/// The `pg_dump` command of a backup: custom format into `out`, inside the exported `snapshot`
/// when given. The database and credentials come from `conn` (environment and passfile); the
/// arguments name only the format, the file and the snapshot.
pub fn pg_dump_command(
    conn: &ChildConnection,
    pg_dump: &Path,
    out: &Path,
    snapshot: Option<&str>,
) -> Command {
    let mut cmd = conn.command(pg_dump);
    // `--file=PATH` in one argument: a path starting with `-` cannot pass for an option.
    let mut file = std::ffi::OsString::from("--file=");
    file.push(out);
    cmd.arg("--format=custom").arg("--no-password").arg(file);
    if let Some(snapshot) = snapshot {
        cmd.arg(format!("--snapshot={snapshot}"));
    }
    cmd
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn explain_keeps_the_error_lines() {
        let stderr =
            b"pg_restore: connecting\npg_restore: error: could not read input file: end of file\n";
        assert_eq!(
            explain(stderr),
            "pg_restore: error: could not read input file: end of file"
        );
        assert_eq!(explain(b"just this\n"), "just this");
        assert_eq!(explain(b""), "no output");
    }

    #[test]
    fn a_passfile_names_one_host_port_and_user_and_escapes_colons_and_backslashes() {
        let line = passfile_line("::1", "5432", r"u\s", r"a:b\c");
        let path = write_passfile(&line).unwrap();
        let text = std::fs::read_to_string(&path).unwrap();
        assert_eq!(text, "\\:\\:1:5432:*:u\\\\s:a\\:b\\\\c\n");
    }
}
