//! `db backup`: one snapshot, one dump, one manifest.

use std::path::{Path, PathBuf};

use anyhow::Context;
use chrono::{SecondsFormat, Utc};
use soleflip_db::server as sql;
use soleflip_db::{migrate, verify, DbTarget};
use soleflip_pg::PgBinaries;
use sqlx::Connection;

use super::child::{pg_dump_command, ChildConnection};
use super::files::{
    create_private, ensure_private_dir, file_safe, free_stem, partial_of, publish, sha256_file,
    write_new, Cleanup, DUMP_EXT, MANIFEST_EXT,
};
use super::manifest::{Manifest, MigrationRef, FORMAT};
use super::{check_client_version, program, BackupError};

/// A backup that is complete on disk.
#[derive(Debug, Clone)]
pub struct BackupOutcome {
    pub dump: PathBuf,
    pub manifest_path: PathBuf,
    pub manifest: Manifest,
}

/// Backs up the target's database into `dir`.
///
/// One REPEATABLE READ transaction exports its snapshot; `pg_dump --snapshot` dumps exactly that
/// snapshot while the same transaction counts every table's rows and reads the verification
/// report, so the manifest describes the dump even while other sessions keep writing. The
/// counting runs alongside the dump, so it adds little to its time.
pub async fn backup(
    target: &DbTarget,
    bins: &PgBinaries,
    dir: &Path,
) -> Result<BackupOutcome, BackupError> {
    let pg_dump = program(bins, "pg_dump")?;
    ensure_private_dir(dir)?;
    let mut conn = target.connect().await?;
    let server = sql::server_version(&mut conn).await?;
    check_client_version(bins, server.major())?;

    let mut tx = conn
        .begin_with("begin isolation level repeatable read, read only")
        .await?;
    let snapshot = sql::export_snapshot(&mut tx).await?;
    let created_at = Utc::now();
    let migration = migrate::current_version(&mut tx).await?;
    let tables = sql::list_tables(&mut tx).await?;

    let stem = free_stem(
        dir,
        &file_safe(&target.database()),
        created_at,
        &[DUMP_EXT, MANIFEST_EXT],
    );
    let dump_path = dir.join(format!("{stem}{DUMP_EXT}"));
    let manifest_path = dir.join(format!("{stem}{MANIFEST_EXT}"));
    let partial = partial_of(&dump_path);
    let cleanup = Cleanup::new(partial.clone());
    create_private(&partial).with_context(|| format!("creating {}", partial.display()))?;

    let child = ChildConnection::new(target, "soleflip-backup")?;
    let cmd = pg_dump_command(&child, &pg_dump, &partial, Some(&snapshot));
    let describe = target.describe();
    let read_in_snapshot = async {
        let counts = sql::count_rows(&mut tx, &tables).await?;
        let report = verify::verify(&mut tx, &describe).await?;
        Ok::<_, anyhow::Error>((counts, report))
    };
    // If either side fails, the other is dropped (pg_dump is killed) and the partial file goes.
    let (_, (counts, report)) = tokio::try_join!(child.run(cmd, "pg_dump"), read_in_snapshot)?;
    tx.rollback().await?;
    drop(child);

    let hashed = partial.clone();
    let (sha256, size) = tokio::task::spawn_blocking(move || sha256_file(&hashed))
        .await
        .context("hashing the dump")?
        .with_context(|| format!("reading {}", partial.display()))?;
    let manifest = Manifest {
        format: FORMAT.to_string(),
        file: format!("{stem}{DUMP_EXT}"),
        database: target.database(),
        created_at: created_at.to_rfc3339_opts(SecondsFormat::Millis, true),
        sha256,
        size,
        server_version: server.version,
        pg_dump_version: bins.version.clone(),
        migration: migration.map(|(version, name)| MigrationRef { version, name }),
        total_rows: counts.values().sum(),
        tables: counts,
        drift: report.drift_lines(),
    };
    let json = serde_json::to_vec_pretty(&manifest).context("encoding the manifest")?;

    // The dump goes into place first, then its manifest: a dump without a manifest is not a
    // backup, and is removed if the manifest cannot be written.
    publish(&partial, &dump_path)?;
    cleanup.keep();
    if let Err(e) = write_new(&manifest_path, &json) {
        let _ = std::fs::remove_file(&dump_path);
        return Err(e.into());
    }
    Ok(BackupOutcome {
        dump: dump_path,
        manifest_path,
        manifest,
    })
}
