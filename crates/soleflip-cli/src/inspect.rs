//! `soleflip db health` and `soleflip db docs`: knowing the database.
//!
//! `db health` exits by its worst finding (0 OK, 1 WARN, 2 CRIT), so a monitor can run it; a
//! failure to connect also exits 1, with an `error:` line on stderr and nothing on stdout.

use std::fmt::Write as _;
use std::path::Path;

use soleflip_app::health::{human_bytes, human_seconds, HealthReport, Severity, Thresholds};
use soleflip_app::App;

use crate::cli::Format;
use crate::output::show;
use crate::Outcome;

pub async fn health(app: &App, format: Format) -> anyhow::Result<Outcome> {
    let report = app.health(&Thresholds::default()).await?;
    show(&report, format, render_health);
    Ok(match report.worst {
        Severity::Ok => Outcome::Ok,
        Severity::Warn => Outcome::Warn,
        Severity::Crit => Outcome::Crit,
    })
}

/// The health report as plain ASCII text: facts, then each check with its threshold and
/// findings, then the verdict.
pub fn render_health(r: &HealthReport) -> String {
    let mut s = String::new();
    let f = &r.server;
    let _ = writeln!(s, "database: {}", r.database);
    let _ = writeln!(
        s,
        "server: PostgreSQL {}, up {}, max_connections {}",
        f.version,
        human_seconds(f.uptime_seconds),
        f.max_connections
    );
    let _ = writeln!(
        s,
        "database size: {}; statistics since {}",
        human_bytes(f.database_size_bytes),
        f.stats_reset
            .as_deref()
            .unwrap_or("the database was created (never reset)")
    );
    let size = |b: Option<i64>| b.map_or_else(|| "locked".to_string(), human_bytes);
    let _ = writeln!(s, "largest tables:");
    for t in &f.largest_tables {
        let _ = writeln!(
            s,
            "  {:<44} {:>10} (indexes {}), {} rows, {} dead; vacuum {}, analyze {}",
            t.name,
            size(t.total_bytes),
            size(t.index_bytes),
            t.live_rows,
            t.dead_rows,
            stamp(&t.last_vacuum, &t.last_vacuum_by),
            stamp(&t.last_analyze, &t.last_analyze_by)
        );
    }
    let _ = writeln!(s, "largest indexes:");
    for i in &f.largest_indexes {
        let _ = writeln!(
            s,
            "  {:<44} {:>10}, {} scans",
            i.name,
            size(i.bytes),
            i.scans
        );
    }
    let mut area = None;
    for c in &r.checks {
        if area != Some(c.area) {
            area = Some(c.area);
            let name = serde_json::to_value(c.area)
                .ok()
                .and_then(|v| v.as_str().map(str::to_string))
                .unwrap_or_default();
            let _ = writeln!(s, "\n{name}");
        }
        let verdict = if c.skipped.is_some() {
            "SKIP"
        } else {
            c.severity.label()
        };
        let _ = writeln!(s, "  {verdict:<4}  {}", c.title);
        let _ = writeln!(s, "        threshold: {}", c.threshold);
        if let Some(reason) = &c.skipped {
            let _ = writeln!(s, "        skipped: {reason}");
        }
        if let Some(note) = &c.note {
            let _ = writeln!(s, "        note: {note}");
        }
        for finding in &c.findings {
            let _ = writeln!(
                s,
                "        {:<4}  {}: {}",
                finding.severity.label(),
                finding.subject,
                finding.detail
            );
        }
    }
    let _ = writeln!(
        s,
        "\nresult: {} ({} CRIT, {} WARN, {} OK finding(s); {} check(s) skipped)",
        r.worst.label(),
        r.counts.crit,
        r.counts.warn,
        r.counts.ok,
        r.counts.skipped
    );
    s
}

fn stamp(at: &Option<String>, by: &Option<String>) -> String {
    match (at, by) {
        (Some(at), Some(by)) => format!("{at} ({by})"),
        (Some(at), None) => at.clone(),
        (None, _) => "never".to_string(),
    }
}

/// Writes the data dictionary into `out` and lists what it wrote.
pub async fn docs(app: &App, out: &Path, format: Format) -> anyhow::Result<Outcome> {
    let report = app.write_docs(out).await?;
    show(&report, format, |r| {
        let mut text = String::new();
        for path in &r.written {
            let _ = writeln!(text, "wrote {}", path.display());
        }
        for path in &r.removed {
            let _ = writeln!(text, "removed {} (its schema is gone)", path.display());
        }
        let _ = writeln!(
            text,
            "data dictionary of {}: {} schemas, {} tables, {} views, {} indexes (every table, \
             soleflip's own public.soleflip_migrations included, which db verify does not count; \
             extension objects left out)",
            r.database, r.schemas, r.tables, r.views, r.indexes
        );
        text
    });
    Ok(Outcome::Ok)
}
