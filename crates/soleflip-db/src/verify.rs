//! `db verify`: the live schema against the manifest of the applied migration, the promises
//! kept from migration 2 on, and applied migrations whose file has changed since.

use std::collections::BTreeMap;

use sqlx::postgres::PgConnection;

use crate::invariants;
use crate::migrate::{self, MIGRATIONS};
use crate::schema::{manifest, retired_tables, Drift, DriftKind, Snapshot, SEED_TABLES};

/// What `db verify` reports: the old system's promised summary plus drift against the manifest.
#[derive(Debug, Clone, serde::Serialize)]
pub struct VerifyReport {
    /// True when a migration is applied and nothing differs from what it promises.
    pub ok: bool,
    pub database: String,
    /// Applied migration version and name (None: nothing applied).
    pub migration: Option<(i64, String)>,
    pub latest_known_migration: i64,
    pub schemas: Vec<String>,
    pub tables_by_schema: BTreeMap<String, usize>,
    pub table_count: usize,
    pub enums: Vec<String>,
    pub views: Vec<String>,
    pub index_count: usize,
    pub triggers: Vec<String>,
    pub functions: Vec<String>,
    pub seed_rows: BTreeMap<String, i64>,
    pub drift: Vec<Drift>,
}

impl VerifyReport {
    /// The drift, one line per object, as printed and as backup manifests record it.
    pub fn drift_lines(&self) -> Vec<String> {
        self.drift.iter().map(ToString::to_string).collect()
    }
}

/// Builds the verification report of the database behind `conn`.
pub async fn verify(conn: &mut PgConnection, database: &str) -> Result<VerifyReport, sqlx::Error> {
    let migration = migrate::current_version(conn).await?;
    let found = Snapshot::read(conn).await?;
    let drift = match &migration {
        Some((v, _)) => match manifest(*v) {
            Some(expected) => {
                let retired = retired_tables(conn).await?;
                found.drift_from(&expected.without_retired(&retired, &found))
            }
            None => vec![Drift::new(
                &format!("migration {v}"),
                DriftKind::Unexpected,
                None,
                Some("no manifest for this version in this binary"),
            )],
        },
        None => Vec::new(),
    };
    let mut drift = drift;
    if migration
        .as_ref()
        .is_some_and(|(v, _)| *v >= invariants::FROM_VERSION)
    {
        drift.extend(invariants::broken(conn).await?);
    }
    for m in migrate::status(conn).await.map_err(|e| match e {
        migrate::MigrateError::Sql(e) => e,
        other => sqlx::Error::Protocol(other.to_string()),
    })? {
        if m.checksum_ok == Some(false) {
            drift.push(Drift::new(
                &format!("migration {} ({})", m.version, m.name),
                DriftKind::Changed,
                Some("the file as it was applied"),
                Some("a file with another checksum in this binary"),
            ));
        }
    }
    let tables = found.names("table");
    let mut tables_by_schema = BTreeMap::new();
    for schema in found.names("schema") {
        let n = tables
            .iter()
            .filter(|t| t.split('.').next() == Some(schema.as_str()))
            .count();
        tables_by_schema.insert(schema, n);
    }
    let mut seed_rows = BTreeMap::new();
    for table in SEED_TABLES
        .iter()
        .filter(|t| found.get("table", t).is_some())
    {
        // Names come from our own constant list, never from input.
        let n: i64 = sqlx::query_scalar(&format!("select count(*) from {table}"))
            .fetch_one(&mut *conn)
            .await?;
        seed_rows.insert((*table).to_string(), n);
    }
    Ok(VerifyReport {
        ok: migration.is_some() && drift.is_empty(),
        database: database.to_string(),
        migration,
        latest_known_migration: MIGRATIONS.last().map_or(0, |m| m.version),
        schemas: found.names("schema"),
        table_count: tables.len(),
        tables_by_schema,
        enums: found.names("enum"),
        views: found.names("view"),
        index_count: found.names("index").len(),
        triggers: found.names("trigger"),
        functions: found.names("function"),
        seed_rows,
        drift,
    })
}
