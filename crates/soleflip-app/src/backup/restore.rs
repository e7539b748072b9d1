//! `db backup verify` and `db restore`: check the file against its manifest before anything
//! else, restore it in one transaction, then verify the result and compare its row counts.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

use anyhow::Context;
use chrono::{SecondsFormat, Utc};
use soleflip_db::server as sql;
use soleflip_db::{admin, verify, DbTarget};
use soleflip_pg::PgBinaries;

use super::child::ChildConnection;
use super::files::{sha256_file, write_replace};
use super::manifest::{
    manifest_path_for, read_manifest, verified_path_for, Manifest, MigrationRef, Verified,
};
use super::{program, BackupError};

/// A backup file that matches its manifest.
#[derive(Debug, Clone)]
pub struct Checked {
    pub dump: PathBuf,
    pub manifest_path: PathBuf,
    pub manifest: Manifest,
}

/// What `backup verify` found.
#[derive(Debug, Clone)]
pub struct VerifyOutcome {
    pub checked: Checked,
    /// Scratch databases of earlier verify runs that died before dropping them: dropped now.
    pub abandoned: Vec<String>,
    /// The scratch database it restored into (dropped again).
    pub scratch: String,
    /// Every way the restored database differs from the manifest; empty when verified.
    pub differences: Vec<String>,
    /// Where the verification record was written (only when there is no difference).
    pub verified_path: Option<PathBuf>,
}

/// What `db restore` did.
#[derive(Debug, Clone)]
pub struct RestoreOutcome {
    pub checked: Checked,
    pub database: String,
    /// Whether the database was created by this restore.
    pub created: bool,
    /// Whether the database held objects that the restore replaced (`--yes`).
    pub replaced: bool,
    pub differences: Vec<String>,
}

/// Reads the manifest beside `file` (a dump or its manifest) and checks the dump's size and
/// SHA-256 against it. Nothing is connected to, so a damaged file is found before anything is
/// restored.
pub async fn check_file(file: &Path) -> Result<Checked, BackupError> {
    let manifest_path = manifest_path_for(file);
    if !manifest_path.is_file() {
        if !file.exists() {
            return Err(anyhow::anyhow!("{}: no such file", file.display()).into());
        }
        return Err(BackupError::NoManifest {
            file: file.to_path_buf(),
            manifest: manifest_path,
        });
    }
    let manifest = read_manifest(&manifest_path)?;
    let dump = manifest_path.with_file_name(&manifest.file);
    let hashed = dump.clone();
    let (sha256, size) = tokio::task::spawn_blocking(move || sha256_file(&hashed))
        .await
        .context("hashing the backup")?
        .map_err(|e| BackupError::Corrupt {
            file: dump.clone(),
            reason: format!("cannot be read ({e})"),
        })?;
    let corrupt = |reason: String| BackupError::Corrupt {
        file: dump.clone(),
        reason,
    };
    if size != manifest.size {
        return Err(corrupt(format!(
            "{size} bytes, but its manifest says {} (truncated or appended to)",
            manifest.size
        )));
    }
    if sha256 != manifest.sha256 {
        return Err(corrupt(format!(
            "sha256 {sha256} differs from its manifest's {} (the file is damaged)",
            manifest.sha256
        )));
    }
    Ok(Checked {
        dump,
        manifest_path,
        manifest,
    })
}

/// Checks `file`, restores it into a scratch database on the target's server, verifies the
/// result and compares its row counts with the manifest, then drops the scratch database. When
/// nothing differs, records the verification beside the backup (`prune` keeps the newest
/// verified backup).
pub async fn verify(
    target: &DbTarget,
    bins: &PgBinaries,
    file: &Path,
) -> Result<VerifyOutcome, BackupError> {
    let checked = check_file(file).await?;
    let pg_restore = program(bins, "pg_restore")?;
    let abandoned = drop_abandoned_scratch(target).await?;
    let scratch_name = format!(
        "{SCRATCH_PREFIX}{}_{}",
        std::process::id(),
        Utc::now().format("%Y%m%d%H%M%S%3f")
    );
    let scratch = target.with_database(&scratch_name);
    create_database(target, &scratch_name).await?;
    let result = async {
        restore_into(&scratch, &pg_restore, &checked.dump, false).await?;
        compare(&scratch, &checked.manifest).await
    }
    .await;
    let dropped = admin::drop_database(&scratch).await;
    let differences = result?;
    dropped.with_context(|| format!("dropping the scratch database {scratch_name}"))?;

    let verified_path = if differences.is_empty() {
        let path = verified_path_for(&checked.manifest_path);
        let record = Verified {
            verified_at: Utc::now().to_rfc3339_opts(SecondsFormat::Millis, true),
            sha256: checked.manifest.sha256.clone(),
            tables: checked.manifest.tables.len(),
            total_rows: checked.manifest.total_rows,
        };
        let json = serde_json::to_vec_pretty(&record).context("encoding the record")?;
        write_replace(&path, &json)?;
        Some(path)
    } else {
        None
    };
    Ok(VerifyOutcome {
        checked,
        abandoned,
        scratch: scratch_name,
        differences,
        verified_path,
    })
}

/// Restores `file` into the target's database: checks the file first; creates the database if
/// it does not exist; refuses one that holds objects unless `replace` (then the dump's objects
/// are dropped and recreated, `pg_restore --clean`); restores in a single transaction, so an
/// interrupted restore leaves the database as it was; then verifies and compares row counts.
pub async fn restore(
    target: &DbTarget,
    bins: &PgBinaries,
    file: &Path,
    replace: bool,
) -> Result<RestoreOutcome, BackupError> {
    let checked = check_file(file).await?;
    let pg_restore = program(bins, "pg_restore")?;
    let database = target.database();
    let exists = {
        let mut maint = admin::connect_maintenance(target).await?;
        sql::database_exists(&mut maint, &database).await?
    };
    let objects = if exists {
        let mut conn = target.connect().await?;
        sql::user_object_count(&mut conn).await?
    } else {
        0
    };
    if objects > 0 && !replace {
        return Err(BackupError::NotEmpty { database, objects });
    }
    let created = !exists && create_database(target, &database).await?;
    if let Err(e) = restore_into(target, &pg_restore, &checked.dump, objects > 0).await {
        if created {
            admin::drop_database(target).await?;
        }
        let unchanged = if created {
            "it was created for this restore and dropped again"
        } else {
            "its transaction was rolled back, the database is unchanged"
        };
        return Err(anyhow::anyhow!("restoring {database}: {e:#}; {unchanged}").into());
    }
    let differences = compare(target, &checked.manifest).await?;
    Ok(RestoreOutcome {
        checked,
        database,
        created,
        replaced: objects > 0,
        differences,
    })
}

/// Creates an empty database (from `template0`, as `pg_restore` expects) on the target's
/// server; returns whether this call created it.
/// `backup verify` restores into `soleflip_verify_<pid>_<time>`.
const SCRATCH_PREFIX: &str = "soleflip_verify_";

/// Drops the scratch databases of `backup verify` runs that were killed before dropping theirs:
/// nobody connected, and the process named in it no longer running on this machine. Returns
/// their names.
async fn drop_abandoned_scratch(target: &DbTarget) -> Result<Vec<String>, BackupError> {
    let mut dropped = Vec::new();
    for name in admin::idle_databases_named(target, SCRATCH_PREFIX).await? {
        let pid = name
            .strip_prefix(SCRATCH_PREFIX)
            .and_then(|rest| rest.split('_').next())
            .and_then(|p| p.parse::<u32>().ok());
        let Some(pid) = pid else { continue };
        if Path::new(&format!("/proc/{pid}")).exists() {
            continue;
        }
        admin::drop_database(&target.with_database(&name)).await?;
        tracing::info!(database = %name, "dropped the scratch database of a verify that died");
        dropped.push(name);
    }
    Ok(dropped)
}

async fn create_database(target: &DbTarget, name: &str) -> Result<bool, BackupError> {
    let mut maint = admin::connect_maintenance(target).await?;
    let sql = format!(
        "create database {} template template0",
        admin::quote_ident(name)
    );
    match sqlx::raw_sql(&sql).execute(&mut maint).await {
        Ok(_) => Ok(true),
        Err(sqlx::Error::Database(db)) if db.code().as_deref() == Some("42P04") => Ok(false),
        Err(e) => Err(anyhow::anyhow!(
            "creating database {name}: {}",
            target.scrub(&e.to_string())
        )
        .into()),
    }
}

/// `pg_restore` of `dump` into the target's database, all or nothing.
async fn restore_into(
    target: &DbTarget,
    pg_restore: &Path,
    dump: &Path,
    clean: bool,
) -> anyhow::Result<()> {
    let child = ChildConnection::new(target, "soleflip-restore")?;
    let mut cmd = child.command(pg_restore);
    cmd.args([
        "--single-transaction",
        "--exit-on-error",
        "--no-owner",
        "--no-password",
    ]);
    if clean {
        cmd.args(["--clean", "--if-exists"]);
    }
    // --dbname makes pg_restore connect (rather than print SQL); the name is no secret, the
    // rest of the connection comes from the environment and the passfile.
    cmd.arg(format!("--dbname={}", target.database())).arg(dump);
    child.run(cmd, "pg_restore").await?;
    Ok(())
}

/// Every way the database behind `target` differs from what `manifest` promises: migration,
/// verification (drift), tables and their row counts.
async fn compare(target: &DbTarget, manifest: &Manifest) -> Result<Vec<String>, BackupError> {
    let mut conn = target.connect().await?;
    let report = verify::verify(&mut conn, &target.describe()).await?;
    let tables = sql::list_tables(&mut conn).await?;
    let counts = sql::count_rows(&mut conn, &tables).await?;
    let mut out = Vec::new();

    let restored = report
        .migration
        .clone()
        .map(|(version, name)| MigrationRef { version, name });
    if restored != manifest.migration {
        let show = |m: &Option<MigrationRef>| {
            m.as_ref().map_or("none".to_string(), |m| {
                format!("{} ({})", m.version, m.name)
            })
        };
        out.push(format!(
            "migration: {} in the manifest, {} restored",
            show(&manifest.migration),
            show(&restored)
        ));
    }
    let drift = report.drift_lines();
    if drift != manifest.drift {
        for line in drift.iter().filter(|d| !manifest.drift.contains(d)) {
            out.push(format!("drift: {line}"));
        }
        for line in manifest.drift.iter().filter(|d| !drift.contains(d)) {
            out.push(format!("drift in the manifest, not restored: {line}"));
        }
    }
    let names: BTreeSet<&String> = manifest.tables.keys().chain(counts.keys()).collect();
    for name in names {
        match (manifest.tables.get(name), counts.get(name)) {
            (Some(want), Some(got)) if want != got => out.push(format!(
                "table {name}: {want} rows in the manifest, {got} restored"
            )),
            (Some(want), None) => out.push(format!(
                "table {name}: {want} rows in the manifest, missing after the restore"
            )),
            (None, Some(got)) => out.push(format!(
                "table {name}: not in the manifest, {got} rows after the restore"
            )),
            _ => {}
        }
    }
    Ok(out)
}
