//! What the database is, read from pg_catalog, and how it differs from what the migrations
//! promise: the snapshot behind `db verify`, the committed manifests, and drift.

use std::collections::BTreeMap;
use std::fmt;

use sqlx::postgres::PgConnection;
use sqlx::Row;

use crate::migrate::{self, MIGRATIONS};

/// The catalog as `"kind name" → definition`, e.g.
/// `"column products.products.sku" → "2: character varying(100) not null"`.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Snapshot(BTreeMap<String, String>);

/// The expected catalog after each migration, generated from the migrations themselves
/// (`SOLEFLIP_WRITE_MANIFESTS=1 cargo test -p soleflip-db manifests` rewrites them; a test fails
/// while a committed one is stale).
const MANIFESTS: &[(i64, &str)] = &[(1, include_str!("../../../migrations/manifest/0001.txt"))];

/// The committed manifest for the database state after migration `version`.
pub fn manifest(version: i64) -> Option<Snapshot> {
    MANIFESTS
        .iter()
        .find(|(v, _)| *v == version)
        .map(|(_, text)| Snapshot::parse(text))
}

impl Snapshot {
    pub async fn read(conn: &mut PgConnection) -> Result<Self, sqlx::Error> {
        let rows = sqlx::query(include_str!("catalog.sql"))
            .fetch_all(conn)
            .await?;
        let mut map = BTreeMap::new();
        for row in rows {
            let kind: String = row.try_get(0)?;
            let key: String = row.try_get(1)?;
            let value: Option<String> = row.try_get(2)?;
            map.insert(format!("{kind} {key}"), value.unwrap_or_default());
        }
        Ok(Self(map))
    }

    /// Reads the manifest text format: one `kind name = definition` per line.
    pub fn parse(text: &str) -> Self {
        Self(
            text.lines()
                .filter(|l| !l.is_empty() && !l.starts_with('#'))
                .map(|l| match l.split_once(" = ") {
                    Some((k, v)) => (k.to_string(), v.replace("\\n", "\n")),
                    None => (l.to_string(), String::new()),
                })
                .collect(),
        )
    }

    pub fn to_manifest(&self) -> String {
        let mut out = String::from(
            "# Expected catalog, generated from the migrations by the soleflip-db tests.\n",
        );
        for (k, v) in &self.0 {
            out.push_str(k);
            out.push_str(" = ");
            out.push_str(&v.replace('\n', "\\n"));
            out.push('\n');
        }
        out
    }

    /// The snapshot without the entries whose key matches `skip`.
    pub fn without(mut self, skip: impl Fn(&str) -> bool) -> Self {
        self.0.retain(|k, _| !skip(k));
        self
    }

    /// Names of the objects of one kind (`table`, `view`, `index`, ...), sorted.
    pub fn names(&self, kind: &str) -> Vec<String> {
        let prefix = format!("{kind} ");
        self.0
            .keys()
            .filter_map(|k| k.strip_prefix(&prefix))
            .map(str::to_string)
            .collect()
    }

    pub fn get(&self, kind: &str, name: &str) -> Option<&str> {
        self.0.get(&format!("{kind} {name}")).map(String::as_str)
    }

    pub fn entries(&self) -> impl Iterator<Item = (&str, &str)> {
        self.0.iter().map(|(k, v)| (k.as_str(), v.as_str()))
    }

    /// Every difference between `expected` and `self`, one object each.
    pub fn drift_from(&self, expected: &Snapshot) -> Vec<Drift> {
        let mut out = Vec::new();
        for (k, want) in &expected.0 {
            match self.0.get(k) {
                None => out.push(Drift::new(k, DriftKind::Missing, Some(want), None)),
                Some(got) if got != want => {
                    out.push(Drift::new(k, DriftKind::Changed, Some(want), Some(got)))
                }
                Some(_) => {}
            }
        }
        for (k, got) in &self.0 {
            if !expected.0.contains_key(k) {
                out.push(Drift::new(k, DriftKind::Unexpected, None, Some(got)));
            }
        }
        out
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum DriftKind {
    Missing,
    Unexpected,
    Changed,
}

/// One object that is not as the manifest of the applied version says.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Drift {
    pub drift: DriftKind,
    /// `kind name`, e.g. `index products.idx_products_sku_lookup`.
    pub object: String,
    pub expected: Option<String>,
    pub found: Option<String>,
}

impl Drift {
    pub fn new(
        object: &str,
        drift: DriftKind,
        expected: Option<&str>,
        found: Option<&str>,
    ) -> Self {
        Self {
            drift,
            object: object.to_string(),
            expected: expected.map(str::to_string),
            found: found.map(str::to_string),
        }
    }
}

impl fmt::Display for Drift {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let show = |v: &Option<String>| v.clone().unwrap_or_default().replace('\n', "\\n");
        match self.drift {
            DriftKind::Missing => write!(f, "missing {}: {}", self.object, show(&self.expected)),
            DriftKind::Unexpected => write!(f, "unexpected {}: {}", self.object, show(&self.found)),
            DriftKind::Changed => write!(
                f,
                "changed {}: expected {}, found {}",
                self.object,
                show(&self.expected),
                show(&self.found)
            ),
        }
    }
}

/// The seed tables the report counts rows of.
pub const SEED_TABLES: &[&str] = &[
    "auth.users",
    "core.platforms",
    "core.brands",
    "core.categories",
];

/// What `db verify` reports: the old system's promised summary plus drift against the manifest.
#[derive(Debug, Clone, serde::Serialize)]
pub struct VerifyReport {
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
    /// True when the database is exactly what its applied migrations promise.
    pub fn ok(&self) -> bool {
        self.migration.is_some() && self.drift.is_empty()
    }
}

/// Builds the verification report of the database behind `conn`.
pub async fn verify(conn: &mut PgConnection, database: &str) -> Result<VerifyReport, sqlx::Error> {
    let migration = migrate::current_version(conn).await?;
    let found = Snapshot::read(conn).await?;
    let drift = match &migration {
        Some((v, _)) => match manifest(*v) {
            Some(expected) => found.drift_from(&expected),
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
        .is_some_and(|(v, _)| *v >= crate::promises::FROM_VERSION)
    {
        drift.extend(crate::promises::broken(conn).await?);
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

#[cfg(test)]
mod tests {
    use super::*;

    fn snap(lines: &str) -> Snapshot {
        Snapshot::parse(lines)
    }

    #[test]
    fn drift_lists_missing_unexpected_and_changed_objects_one_per_line() {
        let expected = snap("table a.t = \ncolumn a.t.x = 1: integer not null\nindex a.i = X\n");
        let found = snap("table a.t = \ncolumn a.t.x = 1: bigint not null\nindex a.j = Y\n");
        let lines: Vec<String> = found
            .drift_from(&expected)
            .iter()
            .map(ToString::to_string)
            .collect();
        assert_eq!(
            lines,
            [
                "changed column a.t.x: expected 1: integer not null, found 1: bigint not null",
                "missing index a.i: X",
                "unexpected index a.j: Y",
            ]
        );
    }

    #[test]
    fn manifests_round_trip_through_their_text_form() {
        let s = snap("comment x = line one\\nline two\ntable a.b = \n");
        assert_eq!(Snapshot::parse(&s.to_manifest()), s);
        assert_eq!(s.get("comment", "x"), Some("line one\nline two"));
    }

    #[test]
    fn every_migration_has_a_committed_manifest() {
        for m in MIGRATIONS {
            assert!(
                manifest(m.version).is_some(),
                "no manifest for migration {}",
                m.version
            );
        }
    }
}
