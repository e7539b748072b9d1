//! `soleflip db`: build, migrate, inspect and reset the database.

use std::fmt::Write as _;

use soleflip_app::db::{Confirm, DbError, MigrateReport, StatusReport, VerifyReport};
use soleflip_app::App;

use crate::cli::DbCommand;
use crate::output::{print, show};
use crate::Outcome;

pub async fn run(cmd: DbCommand, app: &App) -> anyhow::Result<Outcome> {
    match cmd {
        DbCommand::Up { to, format } => {
            let report = app.db_up(to).await?;
            show(&report, format, |r| {
                let mut s = String::new();
                if r.created_database {
                    let _ = writeln!(s, "created database {}", r.verify.database);
                }
                s.push_str(&migrate_text(&r.migrate));
                s.push_str(&render(&r.verify));
                s
            });
            Ok(verdict(&report.verify))
        }
        DbCommand::Migrate { to, format } => {
            let report = app.db_migrate(to).await?;
            show(&report, format, migrate_text);
            Ok(Outcome::Ok)
        }
        DbCommand::Status { format } => {
            let report = app.db_status().await?;
            show(&report, format, status_text);
            Ok(if report.changed().next().is_some() {
                Outcome::Drift
            } else {
                Outcome::Ok
            })
        }
        DbCommand::Verify { format } => {
            let report = app.db_verify().await?;
            show(&report, format, render);
            Ok(verdict(&report))
        }
        DbCommand::Adopt { force, format } => match app.db_adopt(force).await {
            Ok(report) => {
                show(&report, format, |r| {
                    let mut s = String::new();
                    for d in &r.accepted_drift {
                        let _ = writeln!(s, "  {d}");
                    }
                    let _ = writeln!(
                        s,
                        "adopted {}: migration {} ({}) recorded as applied{}; run `soleflip db \
                         migrate` next",
                        r.database,
                        r.recorded.version,
                        r.recorded.name,
                        if r.accepted_drift.is_empty() {
                            ""
                        } else {
                            " despite the differences above (--force)"
                        }
                    );
                    s
                });
                Ok(Outcome::Ok)
            }
            Err(DbError::AdoptDrift(drift)) => {
                let mut s = String::new();
                for d in &drift {
                    let _ = writeln!(s, "  {d}");
                }
                let _ = writeln!(
                    s,
                    "not adopted: {} object(s) differ from what the old system built; --force \
                     adopts it anyway",
                    drift.len()
                );
                print(&s);
                Ok(Outcome::Drift)
            }
            Err(e) => Err(e.into()),
        },
        DbCommand::Health { format } => crate::inspect::health(app, format).await,
        DbCommand::Docs { out, format } => crate::inspect::docs(app, &out, format).await,
        DbCommand::Backup(args) => crate::backup::backup(args, app).await,
        DbCommand::Restore(args) => crate::backup::restore(args, app).await,
        DbCommand::Recover(args) => crate::backup::recover(args, app).await,
        DbCommand::Reset {
            yes,
            yes_really,
            format,
        } => {
            let confirm = match (yes_really, yes) {
                (Some(name), _) => Confirm::Named(name),
                (None, true) => Confirm::Yes,
                (None, false) => anyhow::bail!(
                    "refusing to drop and recreate {} without --yes (embedded) or --yes-really \
                     NAME (any other server)",
                    app.config()
                        .database
                        .as_ref()
                        .map_or_else(|| "the embedded database".to_string(), |t| t.describe())
                ),
            };
            let report = match app.db_reset(confirm).await {
                Err(DbError::ConfirmationRequired { database }) => anyhow::bail!(
                    "refusing to drop {database} with --yes: it is not the embedded database; \
                     confirm with --yes-really <its name>"
                ),
                other => other?,
            };
            show(&report, format, |r| {
                let mut s = format!("dropped and recreated {}\n", r.database);
                s.push_str(&migrate_text(&r.migrate));
                s.push_str(&render(&r.verify));
                s
            });
            Ok(verdict(&report.verify))
        }
    }
}

fn verdict(report: &VerifyReport) -> Outcome {
    if report.ok {
        Outcome::Ok
    } else {
        Outcome::Drift
    }
}

fn migrate_text(r: &MigrateReport) -> String {
    if r.applied.is_empty() {
        format!(
            "nothing to do: no migration was pending; the database is at migration {}\n",
            r.version
        )
    } else {
        let list: Vec<String> = r
            .applied
            .iter()
            .map(|m| format!("{} ({})", m.version, m.name))
            .collect();
        format!(
            "applied migration(s) {}; the database is at migration {}\n",
            list.join(", "),
            r.version
        )
    }
}

fn status_text(r: &StatusReport) -> String {
    let mut text = format!(
        "database: {}\nversion  name                 applied at            checksum\n",
        r.database
    );
    for s in &r.migrations {
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
    text
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
    let _ = writeln!(
        s,
        "tables: {} ({}; not counted: soleflip's own public.soleflip_migrations and tables \
         retired to the archive schema)",
        r.table_count,
        by_schema.join(", ")
    );
    let seeds: Vec<String> = r
        .seed_rows
        .iter()
        .map(|(k, v)| format!("{k} {v}"))
        .collect();
    let _ = writeln!(s, "seed data: {}", seeds.join(", "));
    let _ = writeln!(s, "enums: {}", r.enums.len());
    let _ = writeln!(s, "views: {} ({})", r.views.len(), r.views.join(", "));
    let _ = writeln!(
        s,
        "indexes: {} (of the tables counted above)",
        r.index_count
    );
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
            "drift: {} object(s) differ from what the migrations promise",
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
