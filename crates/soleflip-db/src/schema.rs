//! Schema introspection: what the database is, read from pg_catalog, as a snapshot of
//! `kind name -> definition`; the manifests each migration promises; and drift between the two.

use std::collections::BTreeMap;
use std::fmt;

use sqlx::postgres::PgConnection;

/// The catalog as `"kind name" → definition`, e.g.
/// `"column products.products.sku" → "2: character varying(100) not null"`.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Snapshot(BTreeMap<String, String>);

/// The expected catalog after each migration, generated from the migrations themselves
/// (`SOLEFLIP_WRITE_MANIFESTS=1 cargo test -p soleflip-db manifests` rewrites them; a test fails
/// while a committed one is stale).
const MANIFESTS: &[(i64, &str)] = &[
    (1, include_str!("../../../migrations/manifest/0001.txt")),
    (2, include_str!("../../../migrations/manifest/0002.txt")),
    (3, include_str!("../../../migrations/manifest/0003.txt")),
    (4, include_str!("../../../migrations/manifest/0004.txt")),
    (5, include_str!("../../../migrations/manifest/0005.txt")),
    (6, include_str!("../../../migrations/manifest/0006.txt")),
    (7, include_str!("../../../migrations/manifest/0007.txt")),
    (8, include_str!("../../../migrations/manifest/0008.txt")),
    (9, include_str!("../../../migrations/manifest/0009.txt")),
    (10, include_str!("../../../migrations/manifest/0010.txt")),
    (11, include_str!("../../../migrations/manifest/0011.txt")),
    (12, include_str!("../../../migrations/manifest/0012.txt")),
];

/// The committed manifest for the database state after migration `version`.
pub fn manifest(version: i64) -> Option<Snapshot> {
    MANIFESTS
        .iter()
        .find(|(v, _)| *v == version)
        .map(|(_, text)| Snapshot::parse(text))
}

/// A row of `schema.sql`: one catalog object.
struct CatalogEntry {
    kind: String,
    key: String,
    value: Option<String>,
}

impl Snapshot {
    pub async fn read(conn: &mut PgConnection) -> Result<Self, sqlx::Error> {
        let rows = sqlx::query_file_as!(CatalogEntry, "src/schema.sql")
            .fetch_all(conn)
            .await?;
        let mut map = BTreeMap::new();
        for CatalogEntry { kind, key, value } in rows {
            let value = value.map(|v| {
                if kind == "constraint" {
                    canonical_check(&v)
                } else {
                    v
                }
            });
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

/// One spelling for a CHECK that PostgreSQL prints two ways with the same meaning: as created,
/// `ARRAY['a'::character varying, ...]::text[]`; after a dump is restored (or when another tool
/// created it), `ARRAY['a'::character varying::text, ...]`. Other definitions pass unchanged.
pub fn canonical_check(definition: &str) -> String {
    if !definition.starts_with("CHECK") {
        return definition.to_string();
    }
    definition
        .replace("::character varying::text", "::character varying")
        .replace("::bpchar::text", "::bpchar")
        .replace("]::text[]", "]")
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
    /// One sentence per object: what it is, what the migrations expect, what the database has.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let show = |v: &Option<String>| v.clone().unwrap_or_default().replace('\n', "\\n");
        match self.drift {
            DriftKind::Missing => write!(
                f,
                "{} is missing (expected: {})",
                self.object,
                show(&self.expected)
            ),
            DriftKind::Unexpected => write!(
                f,
                "{} is not made by any migration (found: {})",
                self.object,
                show(&self.found)
            ),
            DriftKind::Changed => write!(
                f,
                "{} differs: expected {}, found {}",
                self.object,
                show(&self.expected),
                show(&self.found)
            ),
        }
    }
}

/// Where `prices migrate-legacy --archive` retires tables: `<schema>.<table>` becomes
/// `archive.<schema>_<table>`, kept with its rows. Its relations are not in the snapshot
/// (catalog.sql).
pub const ARCHIVE_SCHEMA: &str = "archive";

/// The names of the tables in [`ARCHIVE_SCHEMA`] (`pricing_market_prices`, ...).
pub async fn retired_tables(conn: &mut PgConnection) -> Result<Vec<String>, sqlx::Error> {
    sqlx::query_scalar!(
        r#"select c.relname::text as "relname!"
           from pg_class c join pg_namespace n on n.oid = c.relnamespace
           where n.nspname = $1 and c.relkind in ('r', 'p') order by 1"#,
        ARCHIVE_SCHEMA
    )
    .fetch_all(conn)
    .await
}

impl Snapshot {
    /// This expected snapshot without the tables retired to the archive schema: a table `s.t`
    /// is expected absent, with its columns, constraints, indexes and triggers, when `archived`
    /// holds `s_t` and the live snapshot `found` has no `s.t`. (A table recreated under its old
    /// name is compared as usual.)
    pub fn without_retired(self, archived: &[String], found: &Snapshot) -> Self {
        let retired: Vec<String> = self
            .names("table")
            .into_iter()
            .filter(|t| found.get("table", t).is_none())
            .filter(|t| archived.iter().any(|a| *a == t.replacen('.', "_", 1)))
            .collect();
        if retired.is_empty() {
            return self;
        }
        let index_on = |t: &str| format!(" ON {t} USING ");
        let belongs = |key: &str, value: &str| {
            retired.iter().any(|t| {
                key == format!("table {t}")
                    || ["column", "constraint", "trigger"]
                        .iter()
                        .any(|kind| key.starts_with(&format!("{kind} {t}.")))
                    || (key.starts_with("index ") && value.contains(&index_on(t)))
            })
        };
        Self(self.0.into_iter().filter(|(k, v)| !belongs(k, v)).collect())
    }
}

/// The seed tables the report counts rows of.
pub const SEED_TABLES: &[&str] = &[
    "auth.users",
    "core.platforms",
    "core.brands",
    "core.categories",
];

#[cfg(test)]
mod tests {
    use super::*;
    use crate::migrate::MIGRATIONS;

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
                "column a.t.x differs: expected 1: integer not null, found 1: bigint not null",
                "index a.i is missing (expected: X)",
                "index a.j is not made by any migration (found: Y)",
            ]
        );
    }

    #[test]
    fn a_table_retired_to_the_archive_schema_is_expected_absent_with_what_belongs_to_it() {
        let expected = snap(
            "table pricing.market_prices = \n\
             column pricing.market_prices.id = 1: uuid not null\n\
             constraint pricing.market_prices.market_prices_pkey = PRIMARY KEY (id)\n\
             index pricing.market_prices_pkey = CREATE UNIQUE INDEX market_prices_pkey ON pricing.market_prices USING btree (id)\n\
             table pricing.market_prices_daily = \n\
             column pricing.market_prices_daily.id = 1: uuid not null\n\
             index pricing.idx_daily = CREATE INDEX idx_daily ON pricing.market_prices_daily USING btree (id)\n\
             table pricing.price_rules = \n",
        );
        let found = snap(
            "table pricing.market_prices_daily = \n\
             column pricing.market_prices_daily.id = 1: uuid not null\n\
             index pricing.idx_daily = CREATE INDEX idx_daily ON pricing.market_prices_daily USING btree (id)\n\
             table pricing.price_rules = \n",
        );
        let archived = ["pricing_market_prices".to_string()];
        let drift = found.drift_from(&expected.clone().without_retired(&archived, &found));
        assert!(drift.is_empty(), "{drift:?}");
        // Without the archived copy, the table is simply missing.
        let drift = found.drift_from(&expected.clone().without_retired(&[], &found));
        assert_eq!(drift.len(), 4, "{drift:?}");
        // A table recreated under its old name is compared as usual.
        let recreated = snap("table pricing.market_prices = \n");
        let kept = expected.without_retired(&archived, &recreated);
        assert!(kept.get("column", "pricing.market_prices.id").is_some());
    }

    #[test]
    fn a_check_reprinted_after_a_restore_is_the_same_check() {
        let created = "CHECK (status::text = ANY (ARRAY['a'::character varying, \
                       'b'::character varying]::text[]))";
        let restored = "CHECK (status::text = ANY (ARRAY['a'::character varying::text, \
                        'b'::character varying::text]))";
        assert_eq!(canonical_check(created), canonical_check(restored));
        assert_ne!(
            canonical_check(created),
            canonical_check("CHECK (status::text = ANY (ARRAY['a'::character varying]::text[]))")
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
