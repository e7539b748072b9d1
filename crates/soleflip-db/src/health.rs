//! `db health`: what a DBA checks first, read from the statistics views and the catalog.
//!
//! Server facts (version, uptime, size, the largest tables and indexes) and a fixed list of
//! checks, each ending in findings that are OK, WARN or CRIT together with the threshold that
//! decided them, so that a monitor can run the command and read its exit code.
//!
//! - indexes: unused indexes, redundant indexes, foreign keys without an index, sequential
//!   scans on large tables;
//! - tables: dead rows, stale planner statistics, cache hit ratio, transaction ID age;
//! - activity: connections against `max_connections`, long queries and transactions, waiting
//!   locks (sessions of this database only; their query text is never read, it may hold
//!   literal secrets);
//! - statements: slow statements from `pg_stat_statements`. When the server preloads the
//!   library but this database lacks the extension, the check creates it (`create extension if
//!   not exists pg_stat_statements`; `db verify` and `db docs` ignore extensions); when that is
//!   not permitted or the library is not preloaded, the check is reported as skipped, with the
//!   reason.
//!
//! Redundant indexes and foreign keys without an index are defined as in the reference tool
//! that described the old database, so the numbers compare: on a database at migration 1
//! (which reproduces the old defects) they are 14 and 18.
//!
//! The checks never wait for a table lock: sizes of tables another session holds exclusively
//! are left out, and the session's `lock_timeout` is set as a last guard.

use std::fmt::Write as _;

use serde::Serialize;
use sqlx::postgres::PgConnection;
use sqlx::Row;

use crate::admin::quote_ident;
use crate::docs::{Dictionary, IndexDoc, IndexOrigin, TableDoc};

/// The verdict of one finding, ordered: the worst decides the exit code.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "UPPERCASE")]
pub enum Severity {
    Ok,
    Warn,
    Crit,
}

impl Severity {
    pub fn label(self) -> &'static str {
        match self {
            Severity::Ok => "OK",
            Severity::Warn => "WARN",
            Severity::Crit => "CRIT",
        }
    }

    /// The exit code of `db health`: 0 OK, 1 WARN, 2 CRIT.
    pub fn exit_code(self) -> u8 {
        match self {
            Severity::Ok => 0,
            Severity::Warn => 1,
            Severity::Crit => 2,
        }
    }
}

/// Which part of the database a check looks at.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Area {
    Indexes,
    Tables,
    Activity,
    Statements,
}

/// One thing a check found.
#[derive(Debug, Clone, Serialize)]
pub struct Finding {
    pub severity: Severity,
    /// What it is about: an index, a table, a foreign key, a session (`pid N`), the database.
    pub subject: String,
    pub detail: String,
    /// The rule that decided the severity.
    pub threshold: String,
}

/// One check and its findings (at least one: a check that finds nothing wrong says so as OK).
#[derive(Debug, Clone, Serialize)]
pub struct Check {
    /// Stable identifier, e.g. `fk_without_index`.
    pub name: &'static str,
    pub area: Area,
    pub title: &'static str,
    /// The worst severity of its findings (OK when skipped).
    pub severity: Severity,
    pub threshold: String,
    /// Why the check could not run.
    pub skipped: Option<String>,
    /// Anything else worth knowing about how it ran.
    pub note: Option<String>,
    pub findings: Vec<Finding>,
}

impl Check {
    fn new(
        name: &'static str,
        area: Area,
        title: &'static str,
        threshold: String,
        mut findings: Vec<Finding>,
        when_clean: String,
    ) -> Self {
        if findings.is_empty() {
            findings.push(Finding {
                severity: Severity::Ok,
                subject: "database".to_string(),
                detail: when_clean,
                threshold: threshold.clone(),
            });
        }
        let severity = findings
            .iter()
            .map(|f| f.severity)
            .max()
            .unwrap_or(Severity::Ok);
        Self {
            name,
            area,
            title,
            severity,
            threshold,
            skipped: None,
            note: None,
            findings,
        }
    }

    fn skipped(
        name: &'static str,
        area: Area,
        title: &'static str,
        threshold: String,
        reason: String,
    ) -> Self {
        Self {
            name,
            area,
            title,
            severity: Severity::Ok,
            threshold,
            skipped: Some(reason),
            note: None,
            findings: Vec::new(),
        }
    }
}

/// A user table with its size and statistics.
#[derive(Debug, Clone, Serialize)]
pub struct TableStats {
    pub name: String,
    /// Sizes are None for a table another session holds exclusively (reading them would wait).
    pub total_bytes: Option<i64>,
    pub table_bytes: Option<i64>,
    pub index_bytes: Option<i64>,
    pub live_rows: i64,
    pub dead_rows: i64,
    pub changed_since_analyze: i64,
    pub seq_scans: i64,
    pub index_scans: i64,
    pub row_writes: i64,
    /// The later of the last manual and automatic vacuum (UTC), and which it was.
    pub last_vacuum: Option<String>,
    pub last_vacuum_by: Option<String>,
    pub last_analyze: Option<String>,
    pub last_analyze_by: Option<String>,
}

/// An index of a user table with its size and usage.
#[derive(Debug, Clone, Serialize)]
pub struct IndexStats {
    pub name: String,
    pub table: String,
    pub bytes: Option<i64>,
    pub scans: i64,
    pub unique: bool,
    /// A primary key, unique or exclusion constraint needs it.
    pub backs_constraint: bool,
    pub table_scans: i64,
    pub table_writes: i64,
}

#[derive(Debug, Clone, Serialize)]
pub struct ServerFacts {
    /// `server_version`, e.g. `15.8 (Debian 15.8-0+deb12u1)`.
    pub version: String,
    pub uptime_seconds: f64,
    pub database_size_bytes: i64,
    pub max_connections: i64,
    /// When this database's statistics were last reset (UTC); None: never, they count from its
    /// creation or the server's last crash.
    pub stats_reset: Option<String>,
    pub largest_tables: Vec<TableStats>,
    pub largest_indexes: Vec<IndexStats>,
}

#[derive(Debug, Clone, Default, Serialize)]
pub struct Counts {
    pub ok: usize,
    pub warn: usize,
    pub crit: usize,
    pub skipped: usize,
}

/// What `db health` reports.
#[derive(Debug, Clone, Serialize)]
pub struct HealthReport {
    pub database: String,
    pub server: ServerFacts,
    pub checks: Vec<Check>,
    /// The worst severity of all findings: the exit code.
    pub worst: Severity,
    /// Findings by severity; skipped counts checks.
    pub counts: Counts,
}

impl HealthReport {
    pub fn check(&self, name: &str) -> Option<&Check> {
        self.checks.iter().find(|c| c.name == name)
    }
}

/// The limits the checks apply. `Default` holds the ones `db health` uses.
#[derive(Debug, Clone)]
pub struct Thresholds {
    /// How many of the largest tables and indexes the facts list.
    pub largest: usize,
    /// A table is large (dead rows, statistics, sequential scans) from this many live rows.
    pub large_table_rows: i64,
    /// An index with no scans counts as unused only once its table has seen this many scans...
    pub unused_index_min_table_scans: i64,
    /// ...or this many row writes since the statistics began.
    pub unused_index_min_table_writes: i64,
    pub seq_scan_min: i64,
    pub dead_rows_warn: f64,
    pub dead_rows_crit: f64,
    pub stale_statistics_warn: f64,
    pub cache_min_blocks: i64,
    pub cache_hit_warn: f64,
    pub cache_hit_crit: f64,
    pub xid_age_warn: i64,
    pub xid_age_crit: i64,
    pub connections_warn: f64,
    pub connections_crit: f64,
    pub long_query_warn_secs: f64,
    pub long_query_crit_secs: f64,
    pub long_transaction_warn_secs: f64,
    pub long_transaction_crit_secs: f64,
    pub lock_wait_warn_secs: f64,
    pub lock_wait_crit_secs: f64,
    pub slow_statement_min_calls: i64,
    pub slow_statement_warn_ms: f64,
    pub slow_statement_crit_ms: f64,
}

impl Default for Thresholds {
    fn default() -> Self {
        Self {
            largest: 10,
            large_table_rows: 10_000,
            unused_index_min_table_scans: 1_000,
            unused_index_min_table_writes: 10_000,
            seq_scan_min: 100,
            dead_rows_warn: 0.20,
            dead_rows_crit: 0.50,
            stale_statistics_warn: 0.20,
            cache_min_blocks: 100_000,
            cache_hit_warn: 0.95,
            cache_hit_crit: 0.80,
            xid_age_warn: 500_000_000,
            xid_age_crit: 1_000_000_000,
            connections_warn: 0.80,
            connections_crit: 0.95,
            long_query_warn_secs: 60.0,
            long_query_crit_secs: 600.0,
            long_transaction_warn_secs: 300.0,
            long_transaction_crit_secs: 3600.0,
            lock_wait_warn_secs: 60.0,
            lock_wait_crit_secs: 300.0,
            slow_statement_min_calls: 5,
            slow_statement_warn_ms: 100.0,
            slow_statement_crit_ms: 5_000.0,
        }
    }
}

/// An index that another index makes unnecessary.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct RedundantIndex {
    pub table: String,
    pub index: String,
    /// `duplicate` (same method, columns and predicate) or `prefix` (a non-unique btree whose
    /// columns lead another btree index).
    pub kind: &'static str,
    /// The index that makes it redundant.
    pub other: String,
    pub columns: Vec<String>,
}

/// A foreign key whose columns lead no (non-partial btree) index of its table.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct UnindexedForeignKey {
    pub table: String,
    pub name: String,
    pub columns: Vec<String>,
    pub ref_table: String,
}

impl UnindexedForeignKey {
    /// `table(col, ...) -> ref_table`, the reference tool's form.
    pub fn describe(&self) -> String {
        format!(
            "{}({}) -> {}",
            self.table,
            self.columns.join(", "),
            self.ref_table
        )
    }
}

/// Redundant indexes: for each pair of indexes of one table with the same access method, the
/// explicit one of two with equal columns and predicate (of two explicit ones the later name;
/// an index that backs a constraint cannot be dropped on its own), and every non-unique,
/// non-partial btree index whose columns are a strict left prefix of another non-partial one's.
/// One entry per index, sorted by table and index.
pub fn redundant_indexes<'a>(tables: impl Iterator<Item = &'a TableDoc>) -> Vec<RedundantIndex> {
    fn key(i: &IndexDoc) -> (bool, &str) {
        (i.origin == IndexOrigin::Explicit, i.name.as_str())
    }
    let mut found = Vec::new();
    for t in tables {
        let table = t.qualified();
        for (ai, a) in t.indexes.iter().enumerate() {
            for (bi, b) in t.indexes.iter().enumerate() {
                if ai == bi || a.method != b.method {
                    continue;
                }
                if a.columns == b.columns && a.predicate == b.predicate {
                    if key(a) < key(b) {
                        found.push(RedundantIndex {
                            table: table.clone(),
                            index: b.name.clone(),
                            kind: "duplicate",
                            other: a.name.clone(),
                            columns: a.columns.clone(),
                        });
                    }
                } else if a.method == "btree"
                    && !a.unique
                    && a.predicate.is_none()
                    && b.predicate.is_none()
                    && a.columns.len() < b.columns.len()
                    && b.columns[..a.columns.len()] == a.columns[..]
                {
                    found.push(RedundantIndex {
                        table: table.clone(),
                        index: a.name.clone(),
                        kind: "prefix",
                        other: b.name.clone(),
                        columns: a.columns.clone(),
                    });
                }
            }
        }
    }
    // Stable: the first reason found for an index is the one kept.
    found.sort_by(|x, y| (&x.table, &x.index, x.kind).cmp(&(&y.table, &y.index, y.kind)));
    found.dedup_by(|later, earlier| later.table == earlier.table && later.index == earlier.index);
    found
}

/// Foreign keys with no non-partial btree index whose leading columns are the key's columns
/// (in any order), sorted by their description.
pub fn fk_without_index<'a>(
    tables: impl Iterator<Item = &'a TableDoc>,
) -> Vec<UnindexedForeignKey> {
    let mut out = Vec::new();
    for t in tables {
        for f in &t.foreign_keys {
            let mut want = f.columns.clone();
            want.sort();
            let covered = t.indexes.iter().any(|i| {
                let mut lead: Vec<String> = i.columns.iter().take(want.len()).cloned().collect();
                lead.sort();
                i.method == "btree" && i.predicate.is_none() && lead == want
            });
            if !covered {
                out.push(UnindexedForeignKey {
                    table: t.qualified(),
                    name: f.name.clone(),
                    columns: f.columns.clone(),
                    ref_table: f.ref_table.clone(),
                });
            }
        }
    }
    out.sort_by_key(UnindexedForeignKey::describe);
    out
}

const FACTS_SQL: &str = "
    select current_setting('server_version') as version,
           extract(epoch from now() - pg_postmaster_start_time())::float8 as uptime,
           pg_database_size(current_database()) as size,
           current_setting('max_connections')::bigint as max_connections,
           (select to_char(stats_reset at time zone 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS\"Z\"')
            from pg_stat_database where datname = current_database()) as stats_reset,
           (select coalesce(blks_hit, 0) from pg_stat_database
            where datname = current_database()) as blocks_hit,
           (select coalesce(blks_read, 0) from pg_stat_database
            where datname = current_database()) as blocks_read,
           (select age(datfrozenxid)::bigint from pg_database
            where datname = current_database()) as xid_age,
           (select count(*) from pg_stat_activity where backend_type = 'client backend')
               as connections";

/// Runs every check on the database behind `conn`. `database` is how the report names it.
/// Sets the session's `lock_timeout` (a health check must not hang behind a lock).
pub async fn check(
    conn: &mut PgConnection,
    database: &str,
    t: &Thresholds,
) -> Result<HealthReport, sqlx::Error> {
    sqlx::query("select set_config('lock_timeout', '10s', false)")
        .execute(&mut *conn)
        .await?;
    let facts = sqlx::query(FACTS_SQL).fetch_one(&mut *conn).await?;
    let tables = read_tables(conn).await?;
    let indexes = read_indexes(conn).await?;
    let dict = Dictionary::read_structure(conn).await?;

    let max_connections: i64 = facts.try_get("max_connections")?;
    let mut checks = vec![
        unused_indexes(&indexes, t),
        redundant_check(&dict),
        fk_check(&dict),
        seq_scan_check(&tables, t),
        dead_rows_check(&tables, t),
        stale_statistics_check(&tables, t),
        cache_check(
            facts.try_get("blocks_hit")?,
            facts.try_get("blocks_read")?,
            t,
        ),
        xid_check(facts.try_get("xid_age")?, t),
        connections_check(facts.try_get("connections")?, max_connections, t),
    ];
    checks.extend(session_checks(conn, t).await?);
    checks.push(lock_check(conn, t).await?);
    checks.push(slow_statements(conn, t).await?);

    let mut largest_tables = tables;
    largest_tables.sort_by(|a, b| {
        b.total_bytes
            .cmp(&a.total_bytes)
            .then_with(|| a.name.cmp(&b.name))
    });
    largest_tables.truncate(t.largest);
    let mut largest_indexes = indexes;
    largest_indexes.sort_by(|a, b| b.bytes.cmp(&a.bytes).then_with(|| a.name.cmp(&b.name)));
    largest_indexes.truncate(t.largest);

    let mut counts = Counts::default();
    for c in &checks {
        if c.skipped.is_some() {
            counts.skipped += 1;
        }
        for f in &c.findings {
            match f.severity {
                Severity::Ok => counts.ok += 1,
                Severity::Warn => counts.warn += 1,
                Severity::Crit => counts.crit += 1,
            }
        }
    }
    let worst = checks
        .iter()
        .map(|c| c.severity)
        .max()
        .unwrap_or(Severity::Ok);
    Ok(HealthReport {
        database: database.to_string(),
        server: ServerFacts {
            version: facts.try_get("version")?,
            uptime_seconds: facts.try_get("uptime")?,
            database_size_bytes: facts.try_get("size")?,
            max_connections,
            stats_reset: facts.try_get("stats_reset")?,
            largest_tables,
            largest_indexes,
        },
        checks,
        worst,
        counts,
    })
}

async fn read_tables(conn: &mut PgConnection) -> Result<Vec<TableStats>, sqlx::Error> {
    let rows = sqlx::query(include_str!("health_tables.sql"))
        .fetch_all(&mut *conn)
        .await?;
    rows.iter()
        .map(|r| {
            Ok(TableStats {
                name: r.try_get("name")?,
                total_bytes: r.try_get("total_bytes")?,
                table_bytes: r.try_get("table_bytes")?,
                index_bytes: r.try_get("index_bytes")?,
                live_rows: r.try_get("live_rows")?,
                dead_rows: r.try_get("dead_rows")?,
                changed_since_analyze: r.try_get("changed_since_analyze")?,
                seq_scans: r.try_get("seq_scans")?,
                index_scans: r.try_get("index_scans")?,
                row_writes: r.try_get("row_writes")?,
                last_vacuum: r.try_get("last_vacuum")?,
                last_vacuum_by: r.try_get("last_vacuum_by")?,
                last_analyze: r.try_get("last_analyze")?,
                last_analyze_by: r.try_get("last_analyze_by")?,
            })
        })
        .collect()
}

async fn read_indexes(conn: &mut PgConnection) -> Result<Vec<IndexStats>, sqlx::Error> {
    let rows = sqlx::query(include_str!("health_indexes.sql"))
        .fetch_all(&mut *conn)
        .await?;
    let mut out: Vec<IndexStats> = rows
        .iter()
        .map(|r| {
            Ok(IndexStats {
                name: r.try_get("name")?,
                table: r.try_get("table_name")?,
                bytes: r.try_get("bytes")?,
                scans: r.try_get("scans")?,
                unique: r.try_get("is_unique")?,
                backs_constraint: r.try_get("backs_constraint")?,
                table_scans: r.try_get("table_scans")?,
                table_writes: r.try_get("table_writes")?,
            })
        })
        .collect::<Result<_, sqlx::Error>>()?;
    out.sort_by(|a, b| a.name.cmp(&b.name));
    Ok(out)
}

fn pct(x: f64) -> String {
    format!("{:.0}%", x * 100.0)
}

fn unused_indexes(indexes: &[IndexStats], t: &Thresholds) -> Check {
    let threshold = format!(
        "WARN for an index no constraint needs that has 0 scans while its table has had >= {} \
         scans or >= {} row writes since statistics began",
        t.unused_index_min_table_scans, t.unused_index_min_table_writes
    );
    let candidates: Vec<&IndexStats> = indexes
        .iter()
        .filter(|i| i.scans == 0 && !i.unique && !i.backs_constraint)
        .collect();
    let findings: Vec<Finding> = candidates
        .iter()
        .filter(|i| {
            i.table_scans >= t.unused_index_min_table_scans
                || i.table_writes >= t.unused_index_min_table_writes
        })
        .map(|i| Finding {
            severity: Severity::Warn,
            subject: i.name.clone(),
            detail: format!(
                "never scanned, on {} ({} scans, {} row writes); size {}",
                i.table,
                i.table_scans,
                i.table_writes,
                i.bytes.map_or_else(|| "unknown".to_string(), human_bytes)
            ),
            threshold: threshold.clone(),
        })
        .collect();
    let idle = candidates.len() - findings.len();
    Check::new(
        "unused_indexes",
        Area::Indexes,
        "Unused indexes",
        threshold,
        findings,
        format!(
            "none; {idle} index(es) not scanned yet, on tables too little used to judge \
             (statistics count from their last reset)"
        ),
    )
}

fn redundant_check(dict: &Dictionary) -> Check {
    let threshold = "WARN for an index that duplicates another (same method, columns and \
                     predicate) or is a non-unique btree whose columns lead another btree index"
        .to_string();
    let findings = redundant_indexes(dict.tables())
        .into_iter()
        .map(|r| {
            let schema = r.table.split('.').next().unwrap_or_default();
            Finding {
                severity: Severity::Warn,
                subject: format!("{schema}.{}", r.index),
                detail: format!(
                    "{} of {} on {} ({})",
                    r.kind,
                    r.other,
                    r.table,
                    r.columns.join(", ")
                ),
                threshold: threshold.clone(),
            }
        })
        .collect();
    Check::new(
        "redundant_indexes",
        Area::Indexes,
        "Redundant indexes",
        threshold,
        findings,
        "none".to_string(),
    )
}

fn fk_check(dict: &Dictionary) -> Check {
    let threshold = "WARN for a foreign key whose columns do not lead a non-partial btree index \
                     (deleting or updating a referenced row then scans the whole table)"
        .to_string();
    let findings = fk_without_index(dict.tables())
        .into_iter()
        .map(|f| Finding {
            severity: Severity::Warn,
            subject: format!("{}.{}", f.table, f.name),
            detail: format!("no index for {}", f.describe()),
            threshold: threshold.clone(),
        })
        .collect();
    Check::new(
        "fk_without_index",
        Area::Indexes,
        "Foreign keys without an index",
        threshold,
        findings,
        "every foreign key has an index".to_string(),
    )
}

fn seq_scan_check(tables: &[TableStats], t: &Thresholds) -> Check {
    let threshold = format!(
        "on tables with >= {} live rows: WARN when sequential scans are >= {} and outnumber \
         index scans",
        t.large_table_rows, t.seq_scan_min
    );
    let findings = tables
        .iter()
        .filter(|s| {
            s.live_rows >= t.large_table_rows
                && s.seq_scans >= t.seq_scan_min
                && s.seq_scans > s.index_scans
        })
        .map(|s| Finding {
            severity: Severity::Warn,
            subject: s.name.clone(),
            detail: format!(
                "{} rows; {} sequential scans against {} index scans",
                s.live_rows, s.seq_scans, s.index_scans
            ),
            threshold: threshold.clone(),
        })
        .collect();
    Check::new(
        "seq_scans",
        Area::Indexes,
        "Sequential scans on large tables",
        threshold,
        findings,
        "none".to_string(),
    )
}

fn dead_rows_check(tables: &[TableStats], t: &Thresholds) -> Check {
    let threshold = format!(
        "on tables with >= {} live rows: WARN when dead rows > {} of live rows, CRIT when > {}",
        t.large_table_rows,
        pct(t.dead_rows_warn),
        pct(t.dead_rows_crit)
    );
    let findings = tables
        .iter()
        .filter(|s| s.live_rows >= t.large_table_rows)
        .filter_map(|s| {
            let ratio = s.dead_rows as f64 / s.live_rows as f64;
            let severity = if ratio > t.dead_rows_crit {
                Severity::Crit
            } else if ratio > t.dead_rows_warn {
                Severity::Warn
            } else {
                return None;
            };
            Some(Finding {
                severity,
                subject: s.name.clone(),
                detail: format!(
                    "{} dead rows against {} live ({}); last vacuum {}",
                    s.dead_rows,
                    s.live_rows,
                    pct(ratio),
                    when(&s.last_vacuum, &s.last_vacuum_by)
                ),
                threshold: threshold.clone(),
            })
        })
        .collect();
    Check::new(
        "dead_rows",
        Area::Tables,
        "Dead rows",
        threshold,
        findings,
        "no large table has too many dead rows".to_string(),
    )
}

fn stale_statistics_check(tables: &[TableStats], t: &Thresholds) -> Check {
    let threshold = format!(
        "on tables with >= {} live rows: WARN when the rows changed since the last analyze are \
         > {} of live rows",
        t.large_table_rows,
        pct(t.stale_statistics_warn)
    );
    let findings = tables
        .iter()
        .filter(|s| {
            s.live_rows >= t.large_table_rows
                && s.changed_since_analyze as f64 > t.stale_statistics_warn * s.live_rows as f64
        })
        .map(|s| Finding {
            severity: Severity::Warn,
            subject: s.name.clone(),
            detail: format!(
                "{} of {} rows changed since the last analyze ({}); last vacuum {}",
                s.changed_since_analyze,
                s.live_rows,
                when(&s.last_analyze, &s.last_analyze_by),
                when(&s.last_vacuum, &s.last_vacuum_by)
            ),
            threshold: threshold.clone(),
        })
        .collect();
    Check::new(
        "stale_statistics",
        Area::Tables,
        "Vacuum and analyze",
        threshold,
        findings,
        "the planner statistics of every large table are current".to_string(),
    )
}

fn when(at: &Option<String>, by: &Option<String>) -> String {
    match (at, by) {
        (Some(at), Some(by)) => format!("{at} ({by})"),
        (Some(at), None) => at.clone(),
        (None, _) => "never".to_string(),
    }
}

fn cache_check(hit: i64, read: i64, t: &Thresholds) -> Check {
    let threshold = format!(
        "with >= {} block accesses: WARN when the share found in shared buffers is < {:.2}, \
         CRIT when < {:.2}",
        t.cache_min_blocks, t.cache_hit_warn, t.cache_hit_crit
    );
    let total = hit + read;
    let ratio = if total > 0 {
        hit as f64 / total as f64
    } else {
        1.0
    };
    let severity = if total < t.cache_min_blocks {
        Severity::Ok
    } else if ratio < t.cache_hit_crit {
        Severity::Crit
    } else if ratio < t.cache_hit_warn {
        Severity::Warn
    } else {
        Severity::Ok
    };
    let detail = if total < t.cache_min_blocks {
        format!("{ratio:.3} over only {total} block accesses: too few to judge")
    } else {
        format!("{ratio:.3} over {total} block accesses")
    };
    Check::new(
        "cache_hit_ratio",
        Area::Tables,
        "Cache hit ratio",
        threshold.clone(),
        vec![Finding {
            severity,
            subject: "database".to_string(),
            detail,
            threshold,
        }],
        String::new(),
    )
}

fn xid_check(age: i64, t: &Thresholds) -> Check {
    let threshold = format!(
        "WARN when the oldest unfrozen transaction ID is >= {} transactions old, CRIT when >= {} \
         (the server stops accepting writes near 2^31)",
        t.xid_age_warn, t.xid_age_crit
    );
    let severity = if age >= t.xid_age_crit {
        Severity::Crit
    } else if age >= t.xid_age_warn {
        Severity::Warn
    } else {
        Severity::Ok
    };
    Check::new(
        "transaction_id_age",
        Area::Tables,
        "Transaction ID age",
        threshold.clone(),
        vec![Finding {
            severity,
            subject: "database".to_string(),
            detail: format!("age(datfrozenxid) is {age}"),
            threshold,
        }],
        String::new(),
    )
}

fn connections_check(used: i64, max: i64, t: &Thresholds) -> Check {
    let threshold = format!(
        "WARN when client connections are > {} of max_connections, CRIT when > {}",
        pct(t.connections_warn),
        pct(t.connections_crit)
    );
    let ratio = used as f64 / max.max(1) as f64;
    let severity = if ratio > t.connections_crit {
        Severity::Crit
    } else if ratio > t.connections_warn {
        Severity::Warn
    } else {
        Severity::Ok
    };
    Check::new(
        "connections",
        Area::Activity,
        "Connections",
        threshold.clone(),
        vec![Finding {
            severity,
            subject: "server".to_string(),
            detail: format!("{used} of {max} ({})", pct(ratio)),
            threshold,
        }],
        String::new(),
    )
}

fn by_duration(secs: f64, warn: f64, crit: f64) -> Option<Severity> {
    if secs >= crit {
        Some(Severity::Crit)
    } else if secs >= warn {
        Some(Severity::Warn)
    } else {
        None
    }
}

async fn session_checks(
    conn: &mut PgConnection,
    t: &Thresholds,
) -> Result<[Check; 2], sqlx::Error> {
    let rows = sqlx::query(include_str!("health_sessions.sql"))
        .fetch_all(&mut *conn)
        .await?;
    let query_threshold = format!(
        "WARN when a query of this database has run >= {}, CRIT when >= {}",
        human_seconds(t.long_query_warn_secs),
        human_seconds(t.long_query_crit_secs)
    );
    let xact_threshold = format!(
        "WARN when a transaction on this database has been open >= {}, CRIT when >= {}",
        human_seconds(t.long_transaction_warn_secs),
        human_seconds(t.long_transaction_crit_secs)
    );
    let mut queries = Vec::new();
    let mut transactions = Vec::new();
    let mut sessions = Vec::new();
    for r in &rows {
        let pid: i32 = r.try_get("pid")?;
        let user: String = r.try_get("user_name")?;
        let app: String = r.try_get("application")?;
        let state: String = r.try_get("state")?;
        let wait: String = r.try_get("wait")?;
        let xact: Option<f64> = r.try_get("transaction_seconds")?;
        let query: Option<f64> = r.try_get("query_seconds")?;
        sessions.push(pid);
        let subject = format!("pid {pid} (user {user}, application {app:?})");
        let waiting = if wait.is_empty() {
            String::new()
        } else {
            format!(", waiting on {wait}")
        };
        if let Some(secs) = query {
            if let Some(severity) =
                by_duration(secs, t.long_query_warn_secs, t.long_query_crit_secs)
            {
                queries.push((
                    secs,
                    Finding {
                        severity,
                        subject: subject.clone(),
                        detail: format!(
                            "query running for {} ({state}{waiting})",
                            human_seconds(secs)
                        ),
                        threshold: query_threshold.clone(),
                    },
                ));
            }
        }
        if let Some(secs) = xact {
            if let Some(severity) = by_duration(
                secs,
                t.long_transaction_warn_secs,
                t.long_transaction_crit_secs,
            ) {
                transactions.push((
                    secs,
                    Finding {
                        severity,
                        subject,
                        detail: format!(
                            "transaction open for {} ({state}{waiting})",
                            human_seconds(secs)
                        ),
                        threshold: xact_threshold.clone(),
                    },
                ));
            }
        }
    }
    let longest_first = |mut v: Vec<(f64, Finding)>| {
        v.sort_by(|a, b| b.0.total_cmp(&a.0));
        v.into_iter().map(|(_, f)| f).collect::<Vec<_>>()
    };
    let others = format!("{} other session(s) on this database", sessions.len());
    Ok([
        Check::new(
            "long_queries",
            Area::Activity,
            "Long-running queries",
            query_threshold,
            longest_first(queries),
            format!("none; {others}"),
        ),
        Check::new(
            "long_transactions",
            Area::Activity,
            "Long-running transactions",
            xact_threshold,
            longest_first(transactions),
            format!("none; {others}"),
        ),
    ])
}

async fn lock_check(conn: &mut PgConnection, t: &Thresholds) -> Result<Check, sqlx::Error> {
    let threshold = format!(
        "WARN when a session of this database has waited for a lock >= {}, CRIT when >= {}",
        human_seconds(t.lock_wait_warn_secs),
        human_seconds(t.lock_wait_crit_secs)
    );
    let rows = sqlx::query(include_str!("health_locks.sql"))
        .fetch_all(&mut *conn)
        .await?;
    let mut waits = Vec::new();
    for r in &rows {
        let pid: i32 = r.try_get("pid")?;
        let secs: f64 = r.try_get("wait_seconds")?;
        let blocked_by: Vec<i32> = r.try_get("blocked_by")?;
        let Some(severity) = by_duration(secs, t.lock_wait_warn_secs, t.lock_wait_crit_secs) else {
            continue;
        };
        let blockers: Vec<String> = blocked_by.iter().map(|p| format!("pid {p}")).collect();
        waits.push((
            secs,
            Finding {
                severity,
                subject: format!("pid {pid} (user {})", r.try_get::<String, _>("user_name")?),
                detail: format!(
                    "waits {} for {} on {}, blocked by {}",
                    human_seconds(secs),
                    r.try_get::<String, _>("mode")?,
                    r.try_get::<String, _>("object")?,
                    if blockers.is_empty() {
                        "(unknown)".to_string()
                    } else {
                        blockers.join(", ")
                    }
                ),
                threshold: threshold.clone(),
            },
        ));
    }
    waits.sort_by(|a, b| b.0.total_cmp(&a.0));
    let shorter = rows.len() - waits.len();
    Ok(Check::new(
        "lock_waits",
        Area::Activity,
        "Waiting locks",
        threshold,
        waits.into_iter().map(|(_, f)| f).collect(),
        format!("none; {shorter} shorter lock wait(s)"),
    ))
}

/// Where `pg_stat_statements` can be read, or why it cannot, and whether this call created it.
async fn statements_source(
    conn: &mut PgConnection,
) -> Result<Result<(String, bool), String>, sqlx::Error> {
    const FIND: &str = "select n.nspname::text from pg_extension e \
                        join pg_namespace n on n.oid = e.extnamespace \
                        where e.extname = 'pg_stat_statements'";
    if let Some(schema) = sqlx::query_scalar::<_, String>(FIND)
        .fetch_optional(&mut *conn)
        .await?
    {
        return Ok(Ok((schema, false)));
    }
    // pg_settings hides this setting from roles without pg_read_all_settings (no row, where
    // current_setting would fail): then we cannot tell, and try.
    let preloaded: Option<bool> = sqlx::query_scalar(
        "select 'pg_stat_statements' = any(string_to_array(replace(setting, ' ', ''), ',')) \
         from pg_settings where name = 'shared_preload_libraries'",
    )
    .fetch_optional(&mut *conn)
    .await?;
    if preloaded == Some(false) {
        return Ok(Err(
            "the server does not preload pg_stat_statements (shared_preload_libraries)".to_string(),
        ));
    }
    match sqlx::query("create extension if not exists pg_stat_statements schema public")
        .execute(&mut *conn)
        .await
    {
        Ok(_) => tracing::info!("created extension pg_stat_statements"),
        // Another session created it at the same moment: fine, it exists now.
        Err(sqlx::Error::Database(e)) if matches!(e.code().as_deref(), Some("23505" | "42710")) => {
        }
        Err(sqlx::Error::Database(e)) => {
            return Ok(Err(format!(
                "the extension pg_stat_statements is not in this database, and creating it \
                 failed: {}",
                e.message()
            )))
        }
        Err(e) => return Err(e),
    }
    match sqlx::query_scalar::<_, String>(FIND)
        .fetch_optional(&mut *conn)
        .await?
    {
        Some(schema) => Ok(Ok((schema, true))),
        None => Ok(Err(
            "pg_stat_statements could not be found after creating it".to_string(),
        )),
    }
}

/// Statement text safe to print: whitespace collapsed, shortened, and never a statement that
/// mentions a password (utility statements are recorded with their literals).
pub fn statement_text(query: &str) -> String {
    if query.to_ascii_lowercase().contains("password") {
        return "(not shown: the statement mentions a password)".to_string();
    }
    let flat = query.split_whitespace().collect::<Vec<_>>().join(" ");
    const MAX: usize = 160;
    if flat.chars().count() > MAX {
        let cut: String = flat.chars().take(MAX).collect();
        format!("{cut}...")
    } else {
        flat
    }
}

async fn slow_statements(conn: &mut PgConnection, t: &Thresholds) -> Result<Check, sqlx::Error> {
    const NAME: &str = "slow_statements";
    const TITLE: &str = "Slow statements (pg_stat_statements)";
    let threshold = format!(
        "over >= {} calls: WARN when a statement's mean execution time is >= {} ms, CRIT when \
         >= {} ms",
        t.slow_statement_min_calls, t.slow_statement_warn_ms, t.slow_statement_crit_ms
    );
    let (schema, created) = match statements_source(conn).await? {
        Ok(found) => found,
        Err(reason) => {
            return Ok(Check::skipped(
                NAME,
                Area::Statements,
                TITLE,
                threshold,
                reason,
            ))
        }
    };
    let sql = format!(
        "select s.query, s.calls, s.mean_exec_time, s.total_exec_time, s.rows \
         from {}.pg_stat_statements s \
         where s.dbid = (select oid from pg_database where datname = current_database()) \
         order by s.mean_exec_time desc",
        quote_ident(&schema)
    );
    let rows = match sqlx::query(&sql).fetch_all(&mut *conn).await {
        Ok(rows) => rows,
        // E.g. the extension exists but the server no longer preloads the library.
        Err(sqlx::Error::Database(e)) => {
            return Ok(Check::skipped(
                NAME,
                Area::Statements,
                TITLE,
                threshold,
                format!("reading pg_stat_statements failed: {}", e.message()),
            ))
        }
        Err(e) => return Err(e),
    };
    let mut findings = Vec::new();
    let mut slowest: Option<(f64, i64)> = None;
    for r in &rows {
        let calls: i64 = r.try_get("calls")?;
        let mean: f64 = r.try_get("mean_exec_time")?;
        if calls < t.slow_statement_min_calls {
            continue;
        }
        if slowest.is_none() {
            slowest = Some((mean, calls));
        }
        let severity = if mean >= t.slow_statement_crit_ms {
            Severity::Crit
        } else if mean >= t.slow_statement_warn_ms {
            Severity::Warn
        } else {
            continue;
        };
        let total: f64 = r.try_get("total_exec_time")?;
        let returned: i64 = r.try_get("rows")?;
        findings.push(Finding {
            severity,
            subject: statement_text(&r.try_get::<String, _>("query")?),
            detail: format!(
                "mean {mean:.1} ms over {calls} calls ({:.1} s in total, {returned} rows)",
                total / 1000.0
            ),
            threshold: threshold.clone(),
        });
    }
    let clean = match slowest {
        Some((mean, calls)) => format!(
            "none; {} statement(s) tracked, the slowest with enough calls averages {mean:.1} ms \
             over {calls} calls",
            rows.len()
        ),
        None => format!(
            "none; {} statement(s) tracked, none with enough calls",
            rows.len()
        ),
    };
    let mut check = Check::new(NAME, Area::Statements, TITLE, threshold, findings, clean);
    if created {
        check.note = Some(format!(
            "created extension pg_stat_statements in schema {schema}, to read what the server \
             already gathers"
        ));
    }
    Ok(check)
}

/// `1536` → `1.5 kB`: powers of 1024, one decimal.
pub fn human_bytes(bytes: i64) -> String {
    const UNITS: [&str; 5] = ["bytes", "kB", "MB", "GB", "TB"];
    let mut value = bytes as f64;
    let mut unit = 0;
    while value >= 1024.0 && unit < UNITS.len() - 1 {
        value /= 1024.0;
        unit += 1;
    }
    if unit == 0 {
        format!("{bytes} bytes")
    } else {
        format!("{value:.1} {}", UNITS[unit])
    }
}

/// `4000.0` → `1 h 6 min`: the two largest units.
pub fn human_seconds(secs: f64) -> String {
    let total = secs.max(0.0).round() as i64;
    let (d, h, m, s) = (
        total / 86_400,
        total % 86_400 / 3600,
        total % 3600 / 60,
        total % 60,
    );
    let mut out = String::new();
    if d > 0 {
        let _ = write!(out, "{d} d {h} h");
    } else if h > 0 {
        let _ = write!(out, "{h} h");
        if m > 0 {
            let _ = write!(out, " {m} min");
        }
    } else if m > 0 {
        let _ = write!(out, "{m} min");
        if s > 0 {
            let _ = write!(out, " {s} s");
        }
    } else {
        let _ = write!(out, "{s} s");
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::docs::ForeignKeyDoc;

    fn index(name: &str, cols: &[&str], origin: IndexOrigin, unique: bool) -> IndexDoc {
        IndexDoc {
            name: name.to_string(),
            method: "btree".to_string(),
            unique,
            columns: cols.iter().map(|c| c.to_string()).collect(),
            predicate: None,
            origin,
            definition: String::new(),
        }
    }

    fn table(indexes: Vec<IndexDoc>, fks: &[(&str, &[&str])]) -> TableDoc {
        TableDoc {
            schema: "s".to_string(),
            name: "t".to_string(),
            indexes,
            foreign_keys: fks
                .iter()
                .map(|(name, cols)| ForeignKeyDoc {
                    name: name.to_string(),
                    columns: cols.iter().map(|c| c.to_string()).collect(),
                    ref_table: "s.parent".to_string(),
                    ref_columns: vec!["id".to_string()],
                    on_delete: "CASCADE".to_string(),
                    on_update: "NO ACTION".to_string(),
                })
                .collect(),
            ..TableDoc::default()
        }
    }

    #[test]
    fn the_explicit_twin_of_a_constraint_index_and_a_left_prefix_are_redundant() {
        let t = table(
            vec![
                index("t_code_key", &["code"], IndexOrigin::UniqueConstraint, true),
                index("idx_code", &["code"], IndexOrigin::Explicit, false),
                index("idx_a", &["a"], IndexOrigin::Explicit, false),
                index("idx_a_b", &["a", "b"], IndexOrigin::Explicit, false),
                IndexDoc {
                    predicate: Some("(active)".to_string()),
                    ..index("idx_a_active", &["a"], IndexOrigin::Explicit, false)
                },
            ],
            &[],
        );
        let found: Vec<(String, &str, String)> = redundant_indexes([&t].into_iter())
            .into_iter()
            .map(|r| (r.index, r.kind, r.other))
            .collect();
        assert_eq!(
            found,
            [
                ("idx_a".to_string(), "prefix", "idx_a_b".to_string()),
                (
                    "idx_code".to_string(),
                    "duplicate",
                    "t_code_key".to_string()
                ),
            ]
        );
    }

    #[test]
    fn a_foreign_key_is_indexed_only_by_an_index_it_leads() {
        let t = table(
            vec![
                index("idx_b_a", &["b", "a"], IndexOrigin::Explicit, false),
                index("idx_x_c", &["x", "c"], IndexOrigin::Explicit, false),
            ],
            &[("fk_a_b", &["a", "b"]), ("fk_c", &["c"])],
        );
        let names: Vec<String> = fk_without_index([&t].into_iter())
            .into_iter()
            .map(|f| f.name)
            .collect();
        assert_eq!(names, ["fk_c"]);
    }

    #[test]
    fn the_worst_finding_decides_the_exit_code() {
        assert_eq!(Severity::Ok.exit_code(), 0);
        assert_eq!(Severity::Warn.exit_code(), 1);
        assert_eq!(Severity::Crit.exit_code(), 2);
        assert!(Severity::Crit > Severity::Warn && Severity::Warn > Severity::Ok);
        let c = connections_check(96, 100, &Thresholds::default());
        assert_eq!(c.severity, Severity::Crit);
        let c = connections_check(81, 100, &Thresholds::default());
        assert_eq!(c.severity, Severity::Warn);
        let c = cache_check(10, 90, &Thresholds::default());
        assert_eq!(c.severity, Severity::Ok, "too few reads to judge");
    }

    #[test]
    fn durations_and_sizes_read_like_a_person_wrote_them() {
        assert_eq!(human_seconds(4.4), "4 s");
        assert_eq!(human_seconds(305.0), "5 min 5 s");
        assert_eq!(human_seconds(3600.0), "1 h");
        assert_eq!(human_seconds(4000.0), "1 h 6 min");
        assert_eq!(human_seconds(90_000.0), "1 d 1 h");
        assert_eq!(human_bytes(512), "512 bytes");
        assert_eq!(human_bytes(1536), "1.5 kB");
        assert_eq!(human_bytes(12 * 1024 * 1024), "12.0 MB");
    }

    #[test]
    fn statement_text_hides_passwords_and_is_one_short_line() {
        assert_eq!(
            statement_text("alter role x password 'hunter2'"),
            "(not shown: the statement mentions a password)"
        );
        assert_eq!(statement_text("select\n  $1"), "select $1");
        assert!(statement_text(&"x ".repeat(200)).ends_with("..."));
    }
}
