//! `soleflip user`: accounts and passwords.

use std::io::{IsTerminal, Read};

use anyhow::Context;
use soleflip_app::App;

use crate::cli::UserCommand;
use crate::output::print;
use crate::Outcome;

pub async fn run(cmd: UserCommand, app: &App) -> anyhow::Result<Outcome> {
    match cmd {
        UserCommand::SetPassword { name, stdin } => {
            let password = if stdin { read_stdin()? } else { prompt(&name)? };
            let done = app.set_password(&name, &password).await?;
            print(&format!(
                "password of {} set ({})\n",
                done.user, done.scheme
            ));
            Ok(Outcome::Ok)
        }
    }
}

/// One line from stdin, without its line ending.
fn read_stdin() -> anyhow::Result<String> {
    let mut text = String::new();
    std::io::stdin()
        .read_to_string(&mut text)
        .context("reading the password from stdin")?;
    let line = text.lines().next().unwrap_or("");
    Ok(line.to_string())
}

fn prompt(name: &str) -> anyhow::Result<String> {
    if !std::io::stdin().is_terminal() {
        anyhow::bail!("no terminal to prompt for the password on: pipe it in with --stdin");
    }
    let first = rpassword::prompt_password(format!("New password for {name}: "))?;
    let second = rpassword::prompt_password("Again: ")?;
    if first != second {
        anyhow::bail!("the two passwords differ; nothing was changed");
    }
    Ok(first)
}
