//! `soleflip db backup|restore|recover` and `soleflip pg archive`: arguments and printing. The
//! work is done by `soleflip_app::backup`.
//!
//! Exit codes: 0 ok; 1 failure; 2 a backup does not match its manifest, or a restored database
//! differs from it.

use std::path::{Path, PathBuf};

use clap::{Args, Subcommand, ValueEnum};
use soleflip_app::backup::{
    self as app, BackupError, BackupReport, BackupVerifyReport, BaseReport, Policy, RestoreReport,
};
use soleflip_app::App;

use crate::cli::Format;
use crate::output::{print, show};
use crate::Outcome;

#[derive(Debug, Args)]
pub struct BackupArgs {
    #[command(subcommand)]
    pub action: Option<BackupAction>,
    /// Backup directory [default: <home>/backups for the embedded cluster, else ./backups]
    #[arg(long, value_name = "DIR", global = true)]
    pub dir: Option<PathBuf>,
    /// A base backup of the embedded cluster (pg_basebackup) for point-in-time recovery,
    /// instead of a pg_dump of the database
    #[arg(long)]
    pub base: bool,
    /// Verify the new backup right away (as `db backup verify` does)
    #[arg(long, conflicts_with = "base")]
    pub verify: bool,
    /// Output: text for people, json for scripts
    #[arg(long, value_enum, default_value_t = Format::Text, global = true)]
    pub format: Format,
}

#[derive(Debug, Subcommand)]
pub enum BackupAction {
    /// Check a backup against its manifest, restore it into a scratch database, verify and
    /// compare row counts, drop the scratch database (exit 2 on any difference)
    Verify {
        /// The .dump file (or its .manifest.json)
        file: PathBuf,
    },
    /// Delete old backups by the retention policy; the newest backup and the newest verified
    /// backup are always kept
    Prune {
        /// Keep the newest backup of each of the N most recent days that have one
        #[arg(long, value_name = "N", default_value_t = Policy::default().keep_daily)]
        keep_daily: usize,
        /// Keep the newest backup of each of the M most recent ISO weeks that have one
        #[arg(long, value_name = "M", default_value_t = Policy::default().keep_weekly)]
        keep_weekly: usize,
        /// Show what would be deleted; delete nothing
        #[arg(long)]
        dry_run: bool,
    },
}

#[derive(Debug, Args)]
pub struct RestoreArgs {
    /// The .dump file (or its .manifest.json)
    pub file: PathBuf,
    /// Restore into this database on the same server (created if missing) instead of the
    /// configured one
    #[arg(long, value_name = "DBNAME")]
    pub to: Option<String>,
    /// Replace the contents of a database that is not empty
    #[arg(long)]
    pub yes: bool,
    /// Output: text for people, json for scripts
    #[arg(long, value_enum, default_value_t = Format::Text)]
    pub format: Format,
}

#[derive(Debug, Args)]
pub struct RecoverArgs {
    /// The moment to recover to, with a UTC offset (2025-01-31T14:05:00Z)
    #[arg(long, value_name = "TIME")]
    pub to_time: String,
    /// A new SoleFlip home for the recovered cluster (start it with `soleflip --home DIR pg start`)
    #[arg(long, value_name = "DIR")]
    pub into: PathBuf,
    /// Where the base backups are [default: <home>/backups]
    #[arg(long, value_name = "DIR")]
    pub dir: Option<PathBuf>,
    /// The WAL archive [default: the one the base backup names]
    #[arg(long, value_name = "DIR")]
    pub archive: Option<PathBuf>,
}

#[derive(Debug, Args)]
pub struct ArchiveArgs {
    /// Turn archiving on or off; without it, show the state
    #[arg(value_enum)]
    pub state: Option<OnOff>,
    /// Archive directory [default: <home>/wal-archive]
    #[arg(long, value_name = "DIR")]
    pub dir: Option<PathBuf>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum OnOff {
    On,
    Off,
}

pub async fn backup(args: BackupArgs, app: &App) -> anyhow::Result<Outcome> {
    if args.action.is_some() && (args.base || args.verify) {
        anyhow::bail!("--base and --verify apply to taking a backup, not to `verify` or `prune`");
    }
    let dir = app.backup_dir(args.dir.as_deref())?;
    match args.action {
        Some(BackupAction::Verify { file }) => {
            let verified = app.verify_backup(&file).await?;
            show_verify(&verified, args.format)
        }
        Some(BackupAction::Prune {
            keep_daily,
            keep_weekly,
            dry_run,
        }) => {
            let policy = Policy {
                keep_daily,
                keep_weekly,
            };
            let plan = app.prune_backups(&dir, policy, dry_run)?;
            show_prune(&plan, &dir, args.format)?;
            Ok(Outcome::Ok)
        }
        None if args.base => {
            let base = app.base_backup(&dir).await?;
            show(&BaseReport::from(&base), args.format, |_| {
                format!(
                    "base backup: {}\nmanifest: {}\nfinished at: {}; PostgreSQL {}; {} bytes\n\
                     WAL archive: {}\n",
                    base.dir.display(),
                    base.manifest_path.display(),
                    base.manifest.finished_at,
                    base.manifest.server_version,
                    base.manifest.size,
                    base.manifest.wal_archive.display()
                )
            });
            Ok(Outcome::Ok)
        }
        None => {
            let (done, verified) = app.take_backup(&dir, args.verify).await?;
            let m = &done.manifest;
            if args.format == Format::Json {
                show(
                    &BackupReport::new(&done, verified.as_ref()),
                    args.format,
                    |_| String::new(),
                );
            } else {
                let migration = m
                    .migration
                    .as_ref()
                    .map_or("no migrations".to_string(), |m| {
                        format!("migration {} ({})", m.version, m.name)
                    });
                print(&format!(
                    "backup: {}\nmanifest: {}\ndatabase: {} at {}, {migration}; PostgreSQL {}, \
                     pg_dump {}\nsize: {} bytes, sha256 {}\nrows: {} in {} tables (every table, \
                     public.soleflip_migrations included)\n",
                    done.dump.display(),
                    done.manifest_path.display(),
                    m.database,
                    m.created_at,
                    m.server_version,
                    m.pg_dump_version,
                    m.size,
                    m.sha256,
                    m.total_rows,
                    m.tables.len()
                ));
                if let Some(v) = &verified {
                    print(&verify_text(v));
                }
            }
            Ok(match &verified {
                Some(v) if !v.differences.is_empty() => Outcome::Drift,
                _ => Outcome::Ok,
            })
        }
    }
}

fn verify_text(v: &app::VerifyOutcome) -> String {
    let m = &v.checked.manifest;
    let mut s = String::new();
    for name in &v.abandoned {
        s.push_str(&format!(
            "dropped {name}, left behind by a verify that did not finish\n"
        ));
    }
    s.push_str(&format!(
        "checked: {} matches its manifest ({} bytes, sha256 ok)\nrestored into the scratch \
         database {} (dropped again)\n",
        v.checked.dump.display(),
        m.size,
        v.scratch
    ));
    s.push_str(&differences_text(&v.differences, m));
    s
}

fn differences_text(differences: &[String], m: &app::Manifest) -> String {
    if differences.is_empty() {
        format!(
            "rows: {} in {} tables, as in the manifest\nresult: OK\n",
            m.total_rows,
            m.tables.len()
        )
    } else {
        let mut s = format!("differences: {} (from the manifest)\n", differences.len());
        for d in differences {
            s.push_str(&format!("  {d}\n"));
        }
        s.push_str("result: DIFFERENT\n");
        s
    }
}

fn show_verify(v: &app::VerifyOutcome, format: Format) -> anyhow::Result<Outcome> {
    show(&BackupVerifyReport::from(v), format, |_| verify_text(v));
    Ok(if v.differences.is_empty() {
        Outcome::Ok
    } else {
        Outcome::Drift
    })
}

fn show_prune(plan: &app::PrunePlan, dir: &Path, format: Format) -> anyhow::Result<()> {
    if format == Format::Json {
        show(plan, format, |_| String::new());
        return Ok(());
    }
    let delete = if plan.dry_run {
        "would delete"
    } else {
        "deleted"
    };
    let mut s = format!(
        "backups in {} (policy: {} daily, {} weekly)\n",
        dir.display(),
        plan.policy.keep_daily,
        plan.policy.keep_weekly
    );
    for d in &plan.decisions {
        if d.keep {
            s.push_str(&format!(
                "  keep          {}  ({})\n",
                d.backup.stem,
                d.reasons.join(", ")
            ));
        } else {
            s.push_str(&format!("  {delete:<12}  {}\n", d.backup.stem));
        }
    }
    let kept = plan.decisions.iter().filter(|d| d.keep).count();
    s.push_str(&format!(
        "kept {kept}, {delete} {}\n",
        plan.deleted().count()
    ));
    print(&s);
    Ok(())
}

pub async fn restore(args: RestoreArgs, app: &App) -> anyhow::Result<Outcome> {
    let done = match app
        .restore_backup(&args.file, args.to.as_deref(), args.yes)
        .await
    {
        Err(e @ BackupError::NotEmpty { .. }) => anyhow::bail!("{e} (--yes)"),
        other => other?,
    };
    if args.format == Format::Json {
        show(&RestoreReport::from(&done), args.format, |_| String::new());
    } else {
        let how = if done.created {
            "created for it"
        } else if done.replaced {
            "its previous contents replaced"
        } else {
            "was empty"
        };
        let mut s = format!(
            "restored {} into database {} ({how}), in one transaction\n",
            done.checked.dump.display(),
            done.database
        );
        s.push_str(&differences_text(&done.differences, &done.checked.manifest));
        print(&s);
    }
    Ok(if done.differences.is_empty() {
        Outcome::Ok
    } else {
        Outcome::Drift
    })
}

pub async fn recover(args: RecoverArgs, app: &App) -> anyhow::Result<Outcome> {
    let (req, done) = app
        .recover(&app::RecoverAsk {
            to_time: args.to_time,
            into: args.into,
            backups: args.dir,
            archive: args.archive,
        })
        .await?;
    let (target_time, into) = (req.target_time, req.into);
    let mut s = format!(
        "recovered to {} into {}\nbase backup: {}\nWAL archive: {}\n",
        target_time.to_rfc3339(),
        into.display(),
        done.base.display(),
        done.archive.display()
    );
    if let Some(stopped) = &done.stopped {
        s.push_str(&format!("server: {stopped}\n"));
    }
    s.push_str(&format!(
        "the recovered cluster is stopped; start it with: soleflip --home {} pg start\n",
        into.display()
    ));
    print(&s);
    Ok(Outcome::Ok)
}

/// `pg archive on|off`, or its state.
pub async fn archive(args: ArchiveArgs, app: &App) -> anyhow::Result<Outcome> {
    let on = args.state.map(|s| s == OnOff::On);
    let status = app.archive(on, args.dir.as_deref()).await?;
    let state = if status.on() {
        format!(
            "on, into {}",
            status
                .dir
                .as_deref()
                .map_or_else(String::new, |d| d.display().to_string())
        )
    } else {
        "off".to_string()
    };
    let mut s = format!("WAL archiving: {state}\n");
    if let Some(a) = &status.last_archived {
        s.push_str(&format!("last archived: {a}\n"));
    }
    if let Some(f) = &status.last_failed {
        s.push_str(&format!("last failed: {f}\n"));
    }
    print(&s);
    Ok(Outcome::Ok)
}
