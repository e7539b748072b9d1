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
                  3 server stopped (pg status), 4 input refused with a reason (sizes parse); \
                  db health: 0 OK, 1 WARN, 2 CRIT."
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
    /// Prices: move the legacy price tables into price_sources, show the latest prices
    #[command(subcommand)]
    Prices(crate::prices::PricesCommand),
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
    /// Fill the standardized EU value and parsed form of the size rows, per brand and cohort
    Normalize {
        /// Every row, not only those without a standardized value
        #[arg(long)]
        all: bool,
        /// Report what would change and change nothing
        #[arg(long)]
        dry_run: bool,
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
    /// Server facts, index and table health, activity and slow statements (exit 0 OK, 1 WARN,
    /// 2 CRIT)
    Health {
        #[arg(long, value_enum, default_value_t = Format::Text)]
        format: Format,
    },
    /// Write the data dictionary (Markdown) and ER diagrams (Mermaid) from the live catalog
    Docs {
        /// Directory to write README.md and one <schema>.md per schema into
        #[arg(long, value_name = "DIR", default_value = "docs/database")]
        out: std::path::PathBuf,
    },
    /// Drop and recreate the database, then migrate it
    Reset {
        /// Really drop the database
        #[arg(long)]
        yes: bool,
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
