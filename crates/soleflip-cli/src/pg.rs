//! `soleflip pg`: the embedded PostgreSQL server.

use crate::cli::PgCommand;
use crate::config::{Config, EMBEDDED_DATABASE};
use crate::output::print;
use crate::Outcome;

pub fn run(cmd: PgCommand, config: &Config) -> anyhow::Result<Outcome> {
    let cluster = config.cluster()?;
    match cmd {
        PgCommand::Start => {
            let started = cluster.start()?;
            let pid = cluster
                .status()
                .pid
                .map_or_else(String::new, |p| format!(" (pid {p})"));
            let verb = if started {
                "started"
            } else {
                "already running"
            };
            print(&format!(
                "PostgreSQL {} {verb}{pid}\ndata: {}\nsocket: {}\n",
                cluster.binaries().version,
                cluster.data_dir().display(),
                cluster.socket_dir().display()
            ));
            Ok(Outcome::Ok)
        }
        PgCommand::Stop => {
            let text = if cluster.stop()? {
                "stopped\n"
            } else {
                "not running\n"
            };
            print(text);
            Ok(Outcome::Ok)
        }
        PgCommand::Status => {
            let status = cluster.status();
            let state = match (status.initialized, status.pid) {
                (_, Some(pid)) => format!("running (pid {pid})"),
                (true, None) => "stopped".to_string(),
                (false, None) => "not created yet (soleflip pg start creates it)".to_string(),
            };
            print(&format!(
                "server: {state}\nversion: PostgreSQL {} ({})\ndata: {}\nsocket: {}\nurl: {}\n",
                cluster.binaries().version,
                cluster.binaries().dir.display(),
                cluster.data_dir().display(),
                cluster.socket_dir().display(),
                cluster.url(EMBEDDED_DATABASE)
            ));
            Ok(if status.pid.is_some() {
                Outcome::Ok
            } else {
                Outcome::Stopped
            })
        }
        PgCommand::Url => {
            print(&format!("{}\n", cluster.url(EMBEDDED_DATABASE)));
            Ok(Outcome::Ok)
        }
        PgCommand::Archive(args) => crate::backup::archive(args, config),
    }
}
