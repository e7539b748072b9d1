//! `soleflip pg`: the embedded PostgreSQL server.

use soleflip_app::pg::ServerState;
use soleflip_app::App;

use crate::cli::{Format, PgCommand};
use crate::output::show;
use crate::Outcome;

pub async fn run(cmd: PgCommand, app: &App) -> anyhow::Result<Outcome> {
    match cmd {
        PgCommand::Start { format } => {
            let r = app.pg_start().await?;
            show(&r, format, |r| {
                let pid = r.pid.map_or_else(String::new, |p| format!(" (pid {p})"));
                let verb = if r.started {
                    "started"
                } else {
                    "already running"
                };
                format!(
                    "PostgreSQL {} {verb}{pid}\ndata: {}\nsocket: {}\n",
                    r.version,
                    r.data_dir.display(),
                    r.socket_dir.display()
                )
            });
            Ok(Outcome::Ok)
        }
        PgCommand::Stop { format } => {
            let r = app.pg_stop().await?;
            show(&r, format, |r| {
                if r.stopped {
                    "stopped\n"
                } else {
                    "not running\n"
                }
                .to_string()
            });
            Ok(Outcome::Ok)
        }
        PgCommand::Status { format } => {
            let r = app.pg_status().await?;
            show(&r, format, |r| {
                let state = match (r.state, r.pid) {
                    (ServerState::Running, Some(pid)) => format!("running (pid {pid})"),
                    (ServerState::Running, None) => "running".to_string(),
                    (ServerState::Stopped, _) => "stopped".to_string(),
                    (ServerState::NotCreated, _) => {
                        "not created yet (soleflip pg start or soleflip db up creates it)"
                            .to_string()
                    }
                };
                let url = match (&r.url, r.database_exists) {
                    (Some(url), _) => url.clone(),
                    (None, Some(false)) => {
                        "none yet: the database does not exist (soleflip db up creates it)"
                            .to_string()
                    }
                    (None, _) => "none while the server is not running".to_string(),
                };
                let mut s = format!(
                    "server: {state}\nversion: PostgreSQL {} ({})\ndata: {}\nsocket: {}\nurl: {url}\n",
                    r.version,
                    r.bin_dir.display(),
                    r.data_dir.display(),
                    r.socket_dir.display(),
                );
                if let Some(other) = &r.configured_server {
                    s.push_str(&format!(
                        "note: another server is configured (DATABASE_URL, .env or \
                         --database-url); commands use {other}, not this one\n"
                    ));
                }
                s
            });
            Ok(if r.state == ServerState::Running {
                Outcome::Ok
            } else {
                Outcome::Stopped
            })
        }
        PgCommand::Url => {
            let url = app.pg_url().await?;
            show(&url, Format::Text, |u| format!("{u}\n"));
            Ok(Outcome::Ok)
        }
        PgCommand::Archive(args) => crate::backup::archive(args, app).await,
    }
}
