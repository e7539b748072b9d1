//! `soleflip`, the one binary: parses the command line, builds the application handle once,
//! calls one use case per command, renders its report as text or JSON, and turns its outcome or
//! error into an exit code, in one place ([`exit_code`]).
//!
//! Exit codes: 0 success; 1 failure (one line on stderr); 2 the database is not what its
//! migrations promise (drift, a changed migration, an untrusted backup); 3 `pg status` found the
//! server stopped; 4 the input was refused with a reason (a malformed or out-of-range value,
//! named; `sizes parse` refusing a size); 64 the command line is wrong (usage). `db health` exits by its worst finding: 0 OK, 1 WARN, 2 CRIT.

mod arbitrage;
mod backup;
mod cli;
mod config;
mod db;
mod feeds;
mod imports;
mod inspect;
mod ledger;
mod output;
mod pg;
mod prices;
mod serve;
mod sizes;
mod stockx;
mod user;

use std::process::ExitCode;

use clap::Parser;
use soleflip_app::{code_of, App, Code};

use crate::cli::{Cli, Command};

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

/// Exit code of a command line clap refused (unknown option, missing value, ...).
const USAGE: u8 = 64;

fn main() -> ExitCode {
    let cli = match Cli::try_parse() {
        Ok(cli) => cli,
        Err(e) => {
            let _ = e.print();
            return if e.use_stderr() {
                ExitCode::from(USAGE)
            } else {
                ExitCode::SUCCESS
            };
        }
    };
    init_logging();
    let config = match config::resolve(&cli.global) {
        Ok(c) => c,
        Err(e) => return fail(&e, None),
    };
    let app = App::new(config);
    let runtime = match tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
    {
        Ok(r) => r,
        Err(e) => return fail(&anyhow::Error::new(e).context("starting the runtime"), None),
    };
    match runtime.block_on(run(cli.command, &app)) {
        Ok(outcome) => ExitCode::from(exit_code(outcome)),
        Err(e) => fail(&e, Some(&app)),
    }
}

async fn run(command: Command, app: &App) -> anyhow::Result<Outcome> {
    match command {
        Command::Pg(cmd) => pg::run(cmd, app).await,
        Command::Db(cmd) => db::run(cmd, app).await,
        Command::User(cmd) => user::run(cmd, app).await,
        Command::Token(cmd) => user::run_token(cmd, app).await,
        Command::Sizes(cmd) => sizes::run(cmd, app).await,
        Command::Prices(cmd) => prices::run(cmd, app).await,
        Command::Purchase(cmd) => ledger::run(ledger::LedgerCommand::Purchase(cmd), app).await,
        Command::Inventory(cmd) => ledger::run(ledger::LedgerCommand::Inventory(cmd), app).await,
        Command::Listing(cmd) => ledger::run(ledger::LedgerCommand::Listing(cmd), app).await,
        Command::Sale(cmd) => ledger::run(ledger::LedgerCommand::Sale(cmd), app).await,
        Command::Fees(cmd) => ledger::run(ledger::LedgerCommand::Fees(cmd), app).await,
        Command::Report(cmd) => ledger::run(ledger::LedgerCommand::Report(cmd), app).await,
        Command::Import(cmd) => imports::run(cmd, app).await,
        Command::Match(cmd) => arbitrage::run_match(cmd, app).await,
        Command::Arbitrage(cmd) => arbitrage::run_arbitrage(cmd, app).await,
        Command::Stockx(cmd) => stockx::run(cmd, app).await,
        Command::Serve { bind } => serve::run(bind, app).await,
        Command::Completions { shell } => {
            cli::completions(shell);
            Ok(Outcome::Ok)
        }
    }
}

/// The exit code of a report's outcome.
fn exit_code(outcome: Outcome) -> u8 {
    match outcome {
        Outcome::Ok => 0,
        Outcome::Warn => 1,
        Outcome::Drift | Outcome::Crit => 2,
        Outcome::Stopped => 3,
        Outcome::Refused => 4,
    }
}

/// The exit code of an error, by its stable code.
fn error_exit_code(code: Code) -> u8 {
    match code {
        Code::Drift | Code::ChecksumMismatch | Code::Corrupt => 2,
        Code::InvalidInput => 4,
        _ => 1,
    }
}

/// Prints the error chain on one line, without any password, and exits by its code.
fn fail(error: &anyhow::Error, app: Option<&App>) -> ExitCode {
    let text = format!("{error:#}").replace('\n', " ");
    let text = app.map_or(text.clone(), |a| a.scrub(&text));
    output::error_line(&format!("soleflip: error: {text}"));
    ExitCode::from(error_exit_code(code_of(error.as_ref())))
}

fn init_logging() {
    let filter = tracing_subscriber::EnvFilter::try_from_env("SOLEFLIP_LOG")
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("warn"));
    // Each use case is a span with its key fields (never a secret): at `info` it is logged when
    // it starts and when it ends, with its duration; events inside it carry its fields.
    tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_span_events(
            tracing_subscriber::fmt::format::FmtSpan::NEW
                | tracing_subscriber::fmt::format::FmtSpan::CLOSE,
        )
        .with_ansi(std::io::IsTerminal::is_terminal(&std::io::stderr()))
        .with_writer(std::io::stderr)
        .init();
}
