//! `soleflip user`: accounts and passwords.

use std::io::{IsTerminal, Read};

use anyhow::Context;
use clap::Subcommand;
use soleflip_app::auth::{Actor, Role};
use soleflip_app::App;

use crate::cli::{Format, UserCommand};
use crate::output::{print, show};
use crate::Outcome;

#[derive(Debug, Subcommand)]
pub enum TokenCommand {
    /// Create a personal API token for a user; it is printed once and never again
    Create {
        /// The user the token acts as (username or email)
        #[arg(long, value_name = "NAME")]
        user: String,
        /// A name for the token, unique per user (e.g. the script that uses it)
        #[arg(long, default_value = "default")]
        name: String,
        /// Days until it expires (default: never; it can be revoked any time)
        #[arg(long, value_name = "DAYS")]
        expires: Option<u32>,
        /// Output: text for people, json for scripts
        #[arg(long, value_enum, default_value_t = Format::Text)]
        format: Format,
    },
    /// List the API tokens (never the secrets), of one user or all
    List {
        /// Only this user's tokens
        #[arg(long, value_name = "NAME")]
        user: Option<String>,
        /// Output: text for people, json for scripts
        #[arg(long, value_enum, default_value_t = Format::Text)]
        format: Format,
    },
    /// Revoke an API token by its id; it stops working on the next request
    Revoke {
        /// The token's id (from token list)
        id: String,
        /// Output: text for people, json for scripts
        #[arg(long, value_enum, default_value_t = Format::Text)]
        format: Format,
    },
}

pub async fn run_token(cmd: TokenCommand, app: &App) -> anyhow::Result<Outcome> {
    let actor = Actor::cli();
    match cmd {
        TokenCommand::Create {
            user,
            name,
            expires,
            format,
        } => {
            let made = app.token_create(&actor, &user, &name, expires).await?;
            show(&made, format, |m| {
                format!(
                    "token {} of {} (id {}, expires {}); shown once, keep it now:\n{}\n",
                    m.row.name,
                    m.row.user,
                    m.row.id,
                    m.row.expires_at.as_deref().unwrap_or("never"),
                    m.token
                )
            });
        }
        TokenCommand::List { user, format } => {
            let rows = app.token_list(user.as_deref()).await?;
            show(&rows, format, |rows| {
                let mut out = String::new();
                for t in rows {
                    out.push_str(&format!(
                        "{}  {:<12} {:<16} expires {:<20} {}\n",
                        t.id,
                        t.user,
                        t.name,
                        t.expires_at.as_deref().unwrap_or("never"),
                        t.revoked_at
                            .as_deref()
                            .map_or_else(String::new, |r| format!("revoked {r}"))
                    ));
                }
                if out.is_empty() {
                    out.push_str("no API tokens\n");
                }
                out
            });
        }
        TokenCommand::Revoke { id, format } => {
            let id = id
                .trim()
                .parse()
                .map_err(|_| anyhow::anyhow!("id: {id:?} is not a token id (a UUID)"))?;
            let row = app.token_revoke(&actor, id).await?;
            show(&row, format, |r| {
                format!("token {} of {} revoked\n", r.name, r.user)
            });
        }
    }
    Ok(Outcome::Ok)
}

pub async fn run(cmd: UserCommand, app: &App) -> anyhow::Result<Outcome> {
    match cmd {
        UserCommand::Add {
            name,
            role,
            stdin,
            format,
        } => {
            let role = Role::parse(&role)?;
            let password = if stdin { Some(read_stdin()?) } else { None };
            let user = app
                .user_add(&Actor::cli(), &name, role, password.as_deref())
                .await?;
            show(&user, format, |u| {
                let mut text = format!("user {} added ({})\n", u.username, u.role);
                if password.is_none() {
                    text.push_str(&format!(
                        "it cannot sign in until: soleflip user set-password {}\n",
                        u.username
                    ));
                }
                text
            });
            Ok(Outcome::Ok)
        }
        UserCommand::List { format } => {
            let users = app.user_list().await?;
            show(&users, format, |users| {
                users
                    .iter()
                    .map(|u| {
                        format!(
                            "{:<20} {:<9} {}\n",
                            u.username,
                            u.role,
                            if u.active { "active" } else { "disabled" }
                        )
                    })
                    .collect()
            });
            Ok(Outcome::Ok)
        }
        UserCommand::Disable { name, format } => {
            let done = app.user_disable(&Actor::cli(), &name).await?;
            show(&done, format, |d| {
                format!(
                    "user {} disabled; {} session(s) revoked\n",
                    d.user.username, d.sessions_revoked
                )
            });
            Ok(Outcome::Ok)
        }
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
