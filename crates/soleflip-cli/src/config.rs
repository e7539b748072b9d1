//! One `Config`, resolved once from flags, the environment and `./.env`, in that order.

use std::path::PathBuf;

use anyhow::Context;
use soleflip_db::DbTarget;
use soleflip_pg::{Cluster, ClusterOptions, PgBinaries, SUPERUSER};

use crate::cli::GlobalArgs;

/// The database the embedded cluster serves.
pub const EMBEDDED_DATABASE: &str = "soleflip";

#[derive(Debug)]
pub struct Config {
    pub home: PathBuf,
    /// A given server (flag, DATABASE_URL or .env), parsed; None means the embedded cluster.
    given: Option<DbTarget>,
}

impl Config {
    pub fn resolve(args: &GlobalArgs) -> anyhow::Result<Self> {
        let dotenv = read_dotenv();
        let from_env = |key: &str| {
            std::env::var(key)
                .ok()
                .or_else(|| {
                    dotenv
                        .iter()
                        .find(|(k, _)| k == key)
                        .map(|(_, v)| v.clone())
                })
                .filter(|v| !v.is_empty())
        };
        let home = args
            .home
            .clone()
            .or_else(|| from_env("SOLEFLIP_HOME").map(PathBuf::from))
            .unwrap_or_else(|| PathBuf::from(".soleflip"));
        let given = match args
            .database_url
            .clone()
            .or_else(|| from_env("DATABASE_URL"))
        {
            Some(url) => Some(DbTarget::from_url(&url)?),
            None => None,
        };
        Ok(Self { home, given })
    }

    /// Removes the given server's password from `text`.
    pub fn scrub(&self, text: &str) -> String {
        self.given
            .as_ref()
            .map_or_else(|| text.to_string(), |t| t.scrub(text))
    }

    /// Whether commands work on the embedded cluster (no server was given).
    pub fn embedded(&self) -> bool {
        self.given.is_none()
    }

    /// The embedded cluster of the home directory (not started).
    pub fn cluster(&self) -> anyhow::Result<Cluster> {
        let bins = PgBinaries::locate()?;
        Ok(Cluster::open(&self.home, bins, ClusterOptions::default())?)
    }

    /// The database to work on: the given server's, or the embedded one (started on demand).
    pub fn target(&self) -> anyhow::Result<DbTarget> {
        if let Some(t) = &self.given {
            return Ok(t.clone());
        }
        let cluster = self.cluster()?;
        cluster
            .start()
            .context("starting the embedded PostgreSQL")?;
        Ok(DbTarget::from_socket(
            cluster.socket_dir(),
            cluster.port(),
            SUPERUSER,
            EMBEDDED_DATABASE,
        ))
    }
}

/// `KEY=value` lines of `./.env` (comments, blank lines and `export ` prefixes allowed; values
/// may be quoted). Existing installations keep DATABASE_URL there.
fn read_dotenv() -> Vec<(String, String)> {
    let Ok(text) = std::fs::read_to_string(".env") else {
        return Vec::new();
    };
    text.lines()
        .map(str::trim)
        .filter(|l| !l.is_empty() && !l.starts_with('#'))
        .filter_map(|l| {
            let l = l.strip_prefix("export ").unwrap_or(l);
            let (k, v) = l.split_once('=')?;
            let v = v.trim();
            let v = [('"', '"'), ('\'', '\'')]
                .iter()
                .find_map(|(a, b)| v.strip_prefix(*a).and_then(|x| x.strip_suffix(*b)))
                .unwrap_or(v);
            Some((k.trim().to_string(), v.to_string()))
        })
        .collect()
}
