//! `soleflip`, the one binary: parses the command line, resolves which database to use, runs
//! the command and turns its outcome into output and an exit code.
//!
//! Exit codes: 0 success; 1 failure (one line on stderr); 2 the database is not what its
//! migrations promise (drift); 3 `pg status` found the server stopped; 4 the input was refused
//! with a reason (`sizes parse` of an ambiguous or unparsable size).

mod backup;
mod cli;
mod config;
mod db;
mod inspect;
mod output;
mod pg;
mod prices;
mod sizes;
mod user;

use std::process::ExitCode;

use clap::Parser;

use crate::cli::{Cli, Command};
use crate::config::Config;

/// What a command reports besides success.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outcome {
    Ok,
    Drift,
    Stopped,
    /// The input was understood and refused (e.g. an ambiguous size).
    Refused,
    /// `db health`: the worst finding is WARN (exit 1).
    Warn,
    /// `db health`: the worst finding is CRIT (exit 2).
    Crit,
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    init_logging();
    let config = match Config::resolve(&cli.global) {
        Ok(c) => c,
        Err(e) => return fail(&e, None),
    };
    let runtime = match tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
    {
        Ok(r) => r,
        Err(e) => return fail(&anyhow::Error::new(e).context("starting the runtime"), None),
    };
    let result = runtime.block_on(run(cli.command, &config));
    match result {
        Ok(Outcome::Ok) => ExitCode::SUCCESS,
        Ok(Outcome::Drift) => ExitCode::from(2),
        Ok(Outcome::Stopped) => ExitCode::from(3),
        Ok(Outcome::Refused) => ExitCode::from(4),
        Ok(Outcome::Warn) => ExitCode::from(1),
        Ok(Outcome::Crit) => ExitCode::from(2),
        Err(e) => fail(&e, Some(&config)),
    }
}

async fn run(command: Command, config: &Config) -> anyhow::Result<Outcome> {
    match command {
        Command::Pg(cmd) => pg::run(cmd, config),
        Command::Db(cmd) => db::run(cmd, config).await,
        Command::User(cmd) => user::run(cmd, config).await,
        Command::Sizes(cli::SizesCommand::Parse {
            input,
            brand,
            cohort,
            source,
            format,
        }) => sizes::parse(&input, brand.as_deref(), cohort.as_deref(), source, format),
        Command::Sizes(cli::SizesCommand::Normalize {
            all,
            dry_run,
            format,
        }) => sizes::normalize(config, all, dry_run, format).await,
        Command::Prices(cmd) => prices::run(cmd, config).await,
    }
}

/// Prints the error chain on one line, without any password, and exits 1.
fn fail(error: &anyhow::Error, config: Option<&Config>) -> ExitCode {
    let text = format!("{error:#}").replace('\n', " ");
    let text = config.map_or(text.clone(), |c| c.scrub(&text));
    output::error_line(&format!("soleflip: error: {text}"));
    ExitCode::FAILURE
}

fn init_logging() {
    let filter = tracing_subscriber::EnvFilter::try_from_env("SOLEFLIP_LOG")
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("warn"));
    tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .init();
}
