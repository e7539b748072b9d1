//! `soleflip db`: build, migrate, inspect and reset the database.

use std::fmt::Write as _;

use anyhow::Context;
use soleflip_db::catalog::{self, VerifyReport};
use soleflip_db::{admin, migrate, DbTarget};

use crate::cli::{DbCommand, Format};
use crate::config::Config;
use crate::output::{print, print_json};
use crate::Outcome;

pub async fn run(cmd: DbCommand, config: &Config) -> anyhow::Result<Outcome> {
    let target = config.target()?;
    match cmd {
        DbCommand::Up { to, format } => {
            admin::ensure_database(&target).await?;
            migrate_and_report(&target, to, format).await
        }
        DbCommand::Migrate { to } => {
            let mut conn = target.connect().await?;
            let outcome = migrate::migrate(&mut conn, to).await?;
            let text = if outcome.applied.is_empty() {
                format!(
                    "nothing to do: the database is at migration {}\n",
                    outcome.version
                )
            } else {
                let list: Vec<String> = outcome.applied.iter().map(i64::to_string).collect();
                format!(
                    "applied migration(s) {}; the database is at migration {}\n",
                    list.join(", "),
                    outcome.version
                )
            };
            print(&text);
            Ok(Outcome::Ok)
        }
        DbCommand::Status { format } => {
            let mut conn = target.connect().await?;
            let states = migrate::status(&mut conn).await?;
            if format == Format::Json {
                print_json(&states)?;
            } else {
                let mut text =
                    String::from("version  name                 applied at            checksum\n");
                for s in &states {
                    let checksum = match s.checksum_ok {
                        Some(true) => "ok",
                        Some(false) => "CHANGED",
                        None => "-",
                    };
                    let at = s.applied_at.as_deref().unwrap_or("pending");
                    let _ = writeln!(
                        text,
                        "{:<8} {:<20} {:<21} {checksum}",
                        s.version, s.name, at
                    );
                }
                print(&text);
            }
            let changed = states.iter().any(|s| s.checksum_ok == Some(false));
            Ok(if changed { Outcome::Drift } else { Outcome::Ok })
        }
        DbCommand::Verify { format } => {
            let mut conn = target.connect().await?;
            let report = catalog::verify(&mut conn, &target.describe()).await?;
            show_report(&report, format)
        }
        DbCommand::Adopt { force } => adopt(&target, force).await,
        DbCommand::Health { format } => crate::inspect::health(&target, format).await,
        DbCommand::Docs { out } => crate::inspect::docs(&target, &out).await,
        DbCommand::Backup(args) => crate::backup::backup(args, config, &target).await,
        DbCommand::Restore(args) => crate::backup::restore(args, &target).await,
        DbCommand::Recover(args) => crate::backup::recover(args, config).await,
        DbCommand::Reset { yes } => {
            if !yes {
                anyhow::bail!(
                    "refusing to drop and recreate {} without --yes",
                    target.describe()
                );
            }
            admin::drop_database(&target).await?;
            admin::ensure_database(&target).await?;
            migrate_and_report(&target, None, Format::Text).await
        }
    }
}

/// Takes over an old-system database; lists any drift from what the old system built.
async fn adopt(target: &DbTarget, force: bool) -> anyhow::Result<Outcome> {
    let mut conn = target.connect().await?;
    match soleflip_db::adopt::adopt(&mut conn, force).await {
        Ok(adopted) => {
            let mut text = String::new();
            for d in &adopted.drift {
                let _ = writeln!(text, "  {d}");
            }
            let _ = writeln!(
                text,
                "adopted {}: migration 1 (consolidated_v1) recorded as applied{}; run `soleflip db migrate` next",
                target.describe(),
                if adopted.drift.is_empty() { "" } else { " despite the drift above (--force)" }
            );
            print(&text);
            Ok(Outcome::Ok)
        }
        Err(soleflip_db::adopt::AdoptError::Drift(drift)) => {
            let mut text = String::new();
            for d in &drift {
                let _ = writeln!(text, "  {d}");
            }
            let _ = writeln!(
                text,
                "not adopted: {} object(s) differ from what the old system built; --force adopts it anyway",
                drift.len()
            );
            print(&text);
            Ok(Outcome::Drift)
        }
        Err(e) => Err(e.into()),
    }
}

/// Migrates, then verifies and prints the report: everything printed comes after the commit.
async fn migrate_and_report(
    target: &DbTarget,
    to: Option<i64>,
    format: Format,
) -> anyhow::Result<Outcome> {
    let mut conn = target.connect().await?;
    migrate::migrate(&mut conn, to).await?;
    let report = catalog::verify(&mut conn, &target.describe())
        .await
        .context("verifying the database")?;
    show_report(&report, format)
}

fn show_report(report: &VerifyReport, format: Format) -> anyhow::Result<Outcome> {
    match format {
        Format::Json => print_json(&serde_json::json!({
            "ok": report.ok(),
            "report": report,
        }))?,
        Format::Text => print(&render(report)),
    }
    Ok(if report.ok() {
        Outcome::Ok
    } else {
        Outcome::Drift
    })
}

/// The verification report as text (plain ASCII, so any terminal can show it).
pub fn render(r: &VerifyReport) -> String {
    let mut s = String::new();
    let _ = writeln!(s, "database: {}", r.database);
    let migration = match &r.migration {
        Some((v, name)) => format!("{v} ({name})"),
        None => "none applied".to_string(),
    };
    let _ = writeln!(
        s,
        "migration: {migration}; this binary knows up to {}",
        r.latest_known_migration
    );
    let _ = writeln!(s, "schemas: {} ({})", r.schemas.len(), r.schemas.join(", "));
    let by_schema: Vec<String> = r
        .tables_by_schema
        .iter()
        .map(|(k, v)| format!("{k} {v}"))
        .collect();
    let _ = writeln!(s, "tables: {} ({})", r.table_count, by_schema.join(", "));
    let seeds: Vec<String> = r
        .seed_rows
        .iter()
        .map(|(k, v)| format!("{k} {v}"))
        .collect();
    let _ = writeln!(s, "seed data: {}", seeds.join(", "));
    let _ = writeln!(s, "enums: {}", r.enums.len());
    let _ = writeln!(s, "views: {} ({})", r.views.len(), r.views.join(", "));
    let _ = writeln!(s, "indexes: {}", r.index_count);
    let _ = writeln!(
        s,
        "triggers: {} ({})",
        r.triggers.len(),
        r.triggers.join(", ")
    );
    if r.drift.is_empty() {
        let _ = writeln!(s, "drift: none");
    } else {
        let _ = writeln!(
            s,
            "drift: {} object(s) differ from the migrations",
            r.drift.len()
        );
        for d in &r.drift {
            let _ = writeln!(s, "  {d}");
        }
    }
    let verdict = match (&r.migration, r.drift.is_empty()) {
        (None, _) => "NOT MIGRATED",
        (Some(_), true) => "OK",
        (Some(_), false) => "DRIFT",
    };
    let _ = writeln!(s, "result: {verdict}");
    s
}
