//! The command line, as clap declares it.

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand, ValueEnum};

#[derive(Debug, Parser)]
#[command(
    name = "soleflip",
    version,
    about = "SoleFlip: the operations system for sneaker resellers, on one PostgreSQL database",
    long_about = "SoleFlip: the operations system for sneaker resellers, on one PostgreSQL \
                  database.\n\nWithout --database-url or DATABASE_URL it uses a private \
                  PostgreSQL cluster in its home directory, started on demand.",
    after_help = "Exit codes: 0 ok, 1 failure, 2 drift (database differs from its migrations, \
                  a changed migration, an untrusted backup), 3 server stopped (pg status), 4 \
                  input refused with a reason (a value named, or a size), 64 wrong command \
                  line; db health: 0 OK, 1 WARN, 2 CRIT."
)]
pub struct Cli {
    #[command(flatten)]
    pub global: GlobalArgs,
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Args)]
pub struct GlobalArgs {
    /// PostgreSQL server to use instead of the embedded one (also DATABASE_URL, then .env).
    /// SQLAlchemy forms such as postgresql+asyncpg:// are accepted. Prefer the environment: a
    /// password on the command line is visible to other users.
    #[arg(
        long,
        global = true,
        value_name = "URL",
        help_heading = "Global options"
    )]
    pub database_url: Option<String>,
    /// SoleFlip home directory, holding the embedded cluster [env: SOLEFLIP_HOME] [default: ./.soleflip]
    #[arg(
        long,
        global = true,
        value_name = "DIR",
        help_heading = "Global options"
    )]
    pub home: Option<PathBuf>,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// The embedded PostgreSQL server: start, stop, status, url, archive
    #[command(subcommand)]
    Pg(PgCommand),
    /// The database: up, migrate, status, verify, adopt, health, docs, reset, backup, restore,
    /// recover
    #[command(subcommand)]
    Db(DbCommand),
    /// Users: add, list, disable, set-password
    #[command(subcommand)]
    User(UserCommand),
    /// Personal API tokens: create (shown once), list, revoke
    #[command(subcommand)]
    Token(crate::user::TokenCommand),
    /// Shoe and apparel sizes: parse (and convert), normalize the size table
    #[command(subcommand)]
    Sizes(SizesCommand),
    /// Prices: migrate-legacy (into price_sources), latest, prune (old history, by month)
    #[command(subcommand)]
    Prices(crate::prices::PricesCommand),
    /// Purchases: add (an invoice line; one inventory row per pair)
    #[command(subcommand)]
    Purchase(crate::ledger::PurchaseCommand),
    /// Inventory: list, show (with its history), move (along the lifecycle)
    #[command(subcommand)]
    Inventory(crate::ledger::InventoryCommand),
    /// Listings of a pair on any platform: add, end
    #[command(subcommand)]
    Listing(crate::ledger::ListingCommand),
    /// Sales: record (order, fee lines, payout)
    #[command(subcommand)]
    Sale(crate::ledger::SaleCommand),
    /// Marketplace fees: quote (from the fee schedules in data/fees)
    #[command(subcommand)]
    Fees(crate::ledger::FeesCommand),
    /// Reports: pnl (profit and loss), stock (pairs in stock by state and age)
    #[command(subcommand)]
    Report(crate::ledger::ReportCommand),
    /// Imports: stockx-sales, alias-sales, purchases (into the ledger), awin (a retail feed),
    /// fx (ECB reference rates)
    #[command(subcommand)]
    Import(crate::imports::ImportCommand),
    /// Retail offers to the variant catalog: run (the cascade), list (the review queue),
    /// accept, reject
    #[command(subcommand)]
    Match(crate::arbitrage::MatchCommand),
    /// Arbitrage: list (matched offers against StockX after fees)
    #[command(subcommand)]
    Arbitrage(crate::arbitrage::ArbitrageCommand),
    /// StockX API: connect (credentials from stdin, encrypted), disconnect, status, rotate-key,
    /// sync prices|orders|listings|catalog
    #[command(subcommand)]
    Stockx(crate::stockx::StockxCommand),
    /// Serve the HTTP API (runs `db up` first); stops gracefully on SIGTERM or Ctrl-C
    Serve {
        /// Address to listen on; another interface than this machine's only when asked
        #[arg(long, value_name = "ADDR", default_value = "127.0.0.1:8080")]
        bind: std::net::SocketAddr,
    },
    /// Print a shell completion script: soleflip completions bash > /etc/bash_completion.d/soleflip
    Completions {
        /// The shell to complete for
        #[arg(value_enum)]
        shell: clap_complete::Shell,
    },
}

/// Writes the completion script of `shell` to stdout.
pub fn completions(shell: clap_complete::Shell) {
    use clap::CommandFactory as _;
    let mut text = Vec::new();
    clap_complete::generate(shell, &mut Cli::command(), "soleflip", &mut text);
    crate::output::print(&String::from_utf8_lossy(&text));
}

#[derive(Debug, Subcommand)]
pub enum SizesCommand {
    /// Parse a size string and show its US M, US W, UK, EU and CM equivalents (exit 4 when refused)
    Parse {
        /// The size as written, e.g. "US 10", "44 2/3", "UK 6 (EU 39)", "8.5W"
        input: String,
        /// Brand slug or name (nike, jordan, adidas, yeezy, new-balance, "New Balance", ...)
        #[arg(long)]
        brand: Option<String>,
        /// Cohort hint: M, W, GS, PS, TD or unisex
        #[arg(long)]
        cohort: Option<String>,
        /// Where the string comes from (decides how a bare number is read)
        #[arg(long, value_enum)]
        source: Option<SizeSource>,
        /// Output: text for people, json for scripts
        #[arg(long, value_enum, default_value_t = Format::Text)]
        format: Format,
    },
    /// Fill the standardized EU value and parsed form of the size rows, per brand and cohort
    Normalize {
        /// Every row, not only those without a standardized value
        #[arg(long)]
        all: bool,
        /// Report what would change and change nothing
        #[arg(long)]
        dry_run: bool,
        /// Output: text for people, json for scripts
        #[arg(long, value_enum, default_value_t = Format::Text)]
        format: Format,
    },
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum SizeSource {
    /// StockX: a bare number up to 20 is US
    Stockx,
    /// A European retailer feed (AWIN): a bare number from 15 is EU
    EuRetailer,
}

#[derive(Debug, Subcommand)]
pub enum PgCommand {
    /// Create the embedded cluster if needed and start it
    Start {
        /// Output: text for people, json for scripts
        #[arg(long, value_enum, default_value_t = Format::Text)]
        format: Format,
    },
    /// Stop the embedded server (committed data is kept)
    Stop {
        /// Output: text for people, json for scripts
        #[arg(long, value_enum, default_value_t = Format::Text)]
        format: Format,
    },
    /// Show whether the embedded server runs, and where (exit 3 when stopped); creates nothing
    Status {
        /// Output: text for people, json for scripts
        #[arg(long, value_enum, default_value_t = Format::Text)]
        format: Format,
    },
    /// Print a connection URL of the SoleFlip database for psql (once `db up` created it)
    Url,
    /// WAL archiving for point-in-time recovery: on, off, or (no argument) its state
    Archive(crate::backup::ArchiveArgs),
}

#[derive(Debug, Subcommand)]
pub enum DbCommand {
    /// Create the database if needed, migrate it, verify it and print the report
    Up {
        /// Stop after this migration version
        #[arg(long, value_name = "VERSION")]
        to: Option<i64>,
        /// Output: text for people, json for scripts
        #[arg(long, value_enum, default_value_t = Format::Text)]
        format: Format,
    },
    /// Apply pending migrations
    Migrate {
        /// Stop after this migration version
        #[arg(long, value_name = "VERSION")]
        to: Option<i64>,
        /// Output: text for people, json for scripts
        #[arg(long, value_enum, default_value_t = Format::Text)]
        format: Format,
    },
    /// List applied and pending migrations
    Status {
        /// Output: text for people, json for scripts
        #[arg(long, value_enum, default_value_t = Format::Text)]
        format: Format,
    },
    /// Compare the database with what its migrations promise (exit 2 on drift)
    Verify {
        /// Output: text for people, json for scripts
        #[arg(long, value_enum, default_value_t = Format::Text)]
        format: Format,
    },
    /// Take over a database built by the old Python system (records migration 1 as applied)
    Adopt {
        /// Adopt even if its structure differs from what the old system built (still listed)
        #[arg(long)]
        force: bool,
        /// Output: text for people, json for scripts
        #[arg(long, value_enum, default_value_t = Format::Text)]
        format: Format,
    },
    /// Server facts, index and table health, activity and slow statements (exit 0 OK, 1 WARN,
    /// 2 CRIT)
    Health {
        /// Output: text for people, json for scripts
        #[arg(long, value_enum, default_value_t = Format::Text)]
        format: Format,
    },
    /// Write the data dictionary (Markdown) and ER diagrams (Mermaid) from the live catalog
    Docs {
        /// Directory to write README.md and one <schema>.md per schema into
        #[arg(long, value_name = "DIR", default_value = "docs/database")]
        out: std::path::PathBuf,
        /// Output: text for people, json for scripts
        #[arg(long, value_enum, default_value_t = Format::Text)]
        format: Format,
    },
    /// Drop and recreate the database, then migrate it
    Reset {
        /// Really drop the embedded database
        #[arg(long)]
        yes: bool,
        /// Really drop a database on another server: its name, typed to confirm
        #[arg(long, value_name = "NAME")]
        yes_really: Option<String>,
        /// Output: text for people, json for scripts
        #[arg(long, value_enum, default_value_t = Format::Text)]
        format: Format,
    },
    /// Back up the database (pg_dump + manifest); `verify FILE`, `prune`; `--base` for PITR
    Backup(crate::backup::BackupArgs),
    /// Restore a backup in one transaction, then verify it (exit 2 on any difference)
    Restore(crate::backup::RestoreArgs),
    /// Build a new embedded cluster as it was at a moment (base backup + WAL archive)
    Recover(crate::backup::RecoverArgs),
}

#[derive(Debug, Subcommand)]
pub enum UserCommand {
    /// Add a user with a role; without --stdin the user cannot sign in until set-password
    Add {
        /// User name (letters, digits, '.', '_', '-', '@')
        name: String,
        /// What the user may do: admin, user or readonly
        #[arg(long, value_name = "ROLE")]
        role: String,
        /// Read the password from standard input (one line)
        #[arg(long)]
        stdin: bool,
        /// Output: text for people, json for scripts
        #[arg(long, value_enum, default_value_t = Format::Text)]
        format: Format,
    },
    /// List the users, their roles and whether they are active
    List {
        /// Output: text for people, json for scripts
        #[arg(long, value_enum, default_value_t = Format::Text)]
        format: Format,
    },
    /// Disable a user: no more sign-ins; sessions revoked, tokens refused
    Disable {
        /// Username or email
        name: String,
        /// Output: text for people, json for scripts
        #[arg(long, value_enum, default_value_t = Format::Text)]
        format: Format,
    },
    /// Set a user's password (argon2id); prompts twice, or reads one line with --stdin
    SetPassword {
        /// Username or email
        name: String,
        /// Read the password from standard input instead of prompting
        #[arg(long)]
        stdin: bool,
    },
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Format {
    Text,
    Json,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_command_line_declaration_is_consistent() {
        use clap::CommandFactory as _;
        Cli::command().debug_assert();
    }

    #[test]
    fn a_catalog_sync_needs_exactly_one_source_and_the_output_format_is_not_one() {
        use clap::Parser as _;
        let parse = |args: &[&str]| {
            Cli::try_parse_from(["soleflip", "stockx", "sync", "catalog"].iter().chain(args))
        };
        assert!(parse(&["--format", "json"]).is_err());
        assert!(parse(&["--sku", "DD1391-100", "--from-offers"]).is_err());
        assert!(parse(&["--sku", "DD1391-100", "--format", "json"]).is_ok());
    }

    #[test]
    fn every_option_and_subcommand_has_a_description() {
        use clap::CommandFactory as _;
        fn walk(cmd: &clap::Command, path: &str, missing: &mut Vec<String>) {
            for arg in cmd.get_arguments() {
                if arg.get_help().is_none() && !["help", "version"].contains(&arg.get_id().as_str())
                {
                    missing.push(format!("{path} {}", arg.get_id()));
                }
            }
            for sub in cmd.get_subcommands() {
                let here = format!("{path} {}", sub.get_name());
                if sub.get_about().is_none() && sub.get_name() != "help" {
                    missing.push(here.clone());
                }
                walk(sub, &here, missing);
            }
        }
        let mut missing = Vec::new();
        walk(&Cli::command(), "soleflip", &mut missing);
        assert!(missing.is_empty(), "no description: {missing:?}");
    }

    #[test]
    fn the_readme_command_table_lists_every_command() {
        use clap::CommandFactory as _;
        let readme = std::fs::read_to_string(
            std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../README.md"),
        )
        .unwrap();
        let mut missing = Vec::new();
        for group in Cli::command().get_subcommands() {
            let subs: Vec<_> = group
                .get_subcommands()
                .filter(|s| s.get_name() != "help")
                .collect();
            let names: Vec<String> = if subs.is_empty() {
                vec![format!("soleflip {}", group.get_name())]
            } else {
                subs.iter()
                    .map(|s| format!("soleflip {} {}", group.get_name(), s.get_name()))
                    .collect()
            };
            for name in names {
                if group.get_name() != "help" && !readme.contains(&format!("`{name}")) {
                    missing.push(name);
                }
            }
        }
        assert!(missing.is_empty(), "not in the README's table: {missing:?}");
    }
}
