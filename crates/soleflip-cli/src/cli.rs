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
    after_help = "Exit codes: 0 ok, 1 failure, 2 drift (database differs from its migrations), \
                  3 server stopped (pg status), 4 input refused with a reason (sizes parse)."
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
    #[arg(long, global = true, value_name = "URL")]
    pub database_url: Option<String>,
    /// SoleFlip home directory, holding the embedded cluster [env: SOLEFLIP_HOME] [default: ./.soleflip]
    #[arg(long, global = true, value_name = "DIR")]
    pub home: Option<PathBuf>,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// The embedded PostgreSQL server: start, stop, status, url
    #[command(subcommand)]
    Pg(PgCommand),
    /// The database: up, migrate, status, verify, reset
    #[command(subcommand)]
    Db(DbCommand),
    /// Users and their passwords
    #[command(subcommand)]
    User(UserCommand),
    /// Shoe and apparel sizes: parse, convert, normalize the size table
    #[command(subcommand)]
    Sizes(SizesCommand),
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
    Start,
    /// Stop the embedded server (committed data is kept)
    Stop,
    /// Show whether the embedded server runs, and where (exit 3 when stopped)
    Status,
    /// Print a connection URL for psql
    Url,
}

#[derive(Debug, Subcommand)]
pub enum DbCommand {
    /// Create the database if needed, migrate it, verify it and print the report
    Up {
        #[arg(long, value_enum, default_value_t = Format::Text)]
        format: Format,
    },
    /// Apply pending migrations
    Migrate {
        /// Stop after this migration version
        #[arg(long, value_name = "VERSION")]
        to: Option<i64>,
    },
    /// List applied and pending migrations
    Status {
        #[arg(long, value_enum, default_value_t = Format::Text)]
        format: Format,
    },
    /// Compare the database with what its migrations promise (exit 2 on drift)
    Verify {
        #[arg(long, value_enum, default_value_t = Format::Text)]
        format: Format,
    },
    /// Take over a database built by the old Python system (records migration 1 as applied)
    Adopt {
        /// Adopt even if its structure differs from what the old system built (still listed)
        #[arg(long)]
        force: bool,
    },
    /// Drop and recreate the database, then migrate it
    Reset {
        /// Really drop the database
        #[arg(long)]
        yes: bool,
    },
}

#[derive(Debug, Subcommand)]
pub enum UserCommand {
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
