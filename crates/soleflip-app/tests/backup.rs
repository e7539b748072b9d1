//! Backups, verification, restore and retention, against real PostgreSQL (the testkit's
//! throwaway cluster); retention and the archive command on files only.
#![expect(
    clippy::unwrap_used,
    clippy::expect_used,
    reason = "helpers outside #[test] functions stop the test loudly"
)]

use std::collections::BTreeMap;
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;

use soleflip_app::backup::{self, BackupError, Policy};
use soleflip_db::DbTarget;
use soleflip_pg::PgBinaries;
use soleflip_testkit::{fill_every_table, migrated_db, server, unique_name, TestDb};
use sqlx::Connection;

fn bins() -> PgBinaries {
    PgBinaries::locate().expect("PostgreSQL binaries are installed")
}

async fn count(db: &TestDb, sql: &str) -> i64 {
    let mut conn = db.connect().await;
    sqlx::query_scalar(sql).fetch_one(&mut conn).await.unwrap()
}

async fn exec(target: &DbTarget, sql: &str) {
    let mut conn = target.connect().await.unwrap();
    sqlx::raw_sql(sql).execute(&mut conn).await.unwrap();
}

async fn database_exists(name: &str) -> bool {
    let mut conn = soleflip_db::admin::connect_maintenance(&server().target("postgres"))
        .await
        .unwrap();
    sqlx::query_scalar("select exists (select 1 from pg_database where datname = $1)")
        .bind(name)
        .fetch_one(&mut conn)
        .await
        .unwrap()
}

/// A migrated database with a row in every table, backed up into a fresh directory.
async fn backed_up() -> (TestDb, tempfile::TempDir, backup::BackupOutcome) {
    let db = migrated_db().await;
    fill_every_table(&mut db.connect().await).await;
    let dir = tempfile::tempdir().unwrap();
    let done = backup::backup(&db.target, &bins(), dir.path())
        .await
        .unwrap();
    (db, dir, done)
}

#[tokio::test]
async fn a_backup_writes_a_dump_and_a_manifest_of_checksum_versions_and_row_counts() {
    let (db, dir, done) = backed_up().await;
    let m = &done.manifest;

    let name = done
        .dump
        .file_name()
        .unwrap()
        .to_string_lossy()
        .into_owned();
    let stamp = name
        .strip_prefix(&format!("{}-", db.name))
        .and_then(|s| s.strip_suffix(".dump"))
        .unwrap();
    assert_eq!(stamp.len(), "20250101T020000Z".len(), "{name}");
    assert!(
        stamp.ends_with('Z') && stamp.as_bytes()[8] == b'T',
        "{name}"
    );
    assert_eq!(
        done.manifest_path,
        dir.path().join(name.replace(".dump", ".manifest.json"))
    );
    let on_disk: backup::Manifest =
        serde_json::from_str(&std::fs::read_to_string(&done.manifest_path).unwrap()).unwrap();
    assert_eq!(&on_disk, m);

    let (sha256, size) = backup::sha256_file(&done.dump).unwrap();
    assert_eq!((m.sha256.as_str(), m.size), (sha256.as_str(), size));
    assert_eq!(m.format, backup::FORMAT);
    assert_eq!(m.database, db.name);
    assert!(chrono::DateTime::parse_from_rfc3339(&m.created_at).is_ok());
    let server_version: String = {
        let mut conn = db.connect().await;
        sqlx::query_scalar("show server_version")
            .fetch_one(&mut conn)
            .await
            .unwrap()
    };
    assert_eq!(m.server_version, server_version);
    assert_eq!(m.pg_dump_version, bins().version);
    assert_eq!(
        m.migration.as_ref().map(|r| r.version),
        Some(soleflip_db::migrate::latest_version())
    );
    assert!(m.drift.is_empty(), "{:?}", m.drift);

    // Every table of the database, each counted exactly.
    let tables: i64 = count(
        &db,
        "select count(*) from pg_class c join pg_namespace n on n.oid = c.relnamespace \
         where c.relkind = 'r' and n.nspname not in ('pg_catalog', 'information_schema')",
    )
    .await;
    assert_eq!(m.tables.len() as i64, tables);
    // (A partitioned table's rows are in its partitions; its default partition stays empty
    // while every row has its month's partition.)
    let empty: Vec<&String> = m
        .tables
        .iter()
        .filter(|(t, n)| **n == 0 && t.as_str() != "integration.price_history_default")
        .map(|(t, _)| t)
        .collect();
    assert!(empty.is_empty(), "every table was filled: {empty:?}");
    assert_eq!(
        m.tables["core.brands"],
        count(&db, "select count(*) from core.brands").await
    );
    assert_eq!(m.total_rows, m.tables.values().sum::<i64>());

    for f in [&done.dump, &done.manifest_path] {
        let mode = std::fs::metadata(f).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode, 0o600, "{}", f.display());
    }
    let leftovers: Vec<_> = std::fs::read_dir(dir.path())
        .unwrap()
        .map(|e| e.unwrap().file_name())
        .filter(|n| n.to_string_lossy().ends_with(".partial"))
        .collect();
    assert!(leftovers.is_empty(), "{leftovers:?}");
}

#[tokio::test]
async fn a_good_backup_verifies_and_is_recorded_as_verified() {
    let (_db, _dir, done) = backed_up().await;
    let outcome = backup::verify(&server().target("postgres"), &bins(), &done.dump)
        .await
        .unwrap();
    assert_eq!(outcome.differences, Vec::<String>::new());
    let record = outcome.verified_path.expect("a verification record");
    let text = std::fs::read_to_string(record).unwrap();
    assert!(text.contains(&done.manifest.sha256), "{text}");
    assert!(
        !database_exists(&outcome.scratch).await,
        "the scratch database is dropped"
    );
    // The manifest path works as well as the dump's.
    let again = backup::verify(&server().target("postgres"), &bins(), &done.manifest_path)
        .await
        .unwrap();
    assert!(again.differences.is_empty());
}

#[tokio::test]
async fn verify_drops_the_scratch_database_a_killed_verify_left_but_not_a_live_ones() {
    let (_db, _dir, done) = backed_up().await;
    let admin = server().target("postgres");
    // No process has this pid (it is above any pid_max): its verify died.
    let dead = "soleflip_verify_4000000000_20261125000000000";
    // This test process is alive: a verify that is still running.
    let live = format!("soleflip_verify_{}_19990101000000000", std::process::id());
    exec(&admin, &format!("create database {dead}")).await;
    exec(&admin, &format!("create database {live}")).await;

    let outcome = backup::verify(&admin, &bins(), &done.dump).await.unwrap();

    // (A verify of a test running beside this one may have dropped it first.)
    assert!(
        outcome.abandoned.iter().all(|n| n == dead),
        "{:?}",
        outcome.abandoned
    );
    assert!(!database_exists(dead).await);
    assert!(database_exists(&live).await);
    exec(&admin, &format!("drop database {live}")).await;
}

/// Runs a restore of `file` into a new database and checks that it was refused as corrupt and
/// that the database was never created.
async fn assert_refused_before_restoring(file: &Path) {
    let verify = backup::verify(&server().target("postgres"), &bins(), file).await;
    assert!(
        matches!(verify, Err(BackupError::Corrupt { .. })),
        "{verify:?}"
    );
    let name = unique_name("sf_never");
    let restore = backup::restore(&server().target(&name), &bins(), file, false).await;
    let err = restore.unwrap_err();
    assert!(matches!(err, BackupError::Corrupt { .. }), "{err:?}");
    assert!(err.to_string().contains("nothing was restored"), "{err}");
    assert!(!database_exists(&name).await, "nothing was created");
}

#[tokio::test]
async fn a_truncated_backup_is_detected_before_anything_is_restored() {
    let (_db, _dir, done) = backed_up().await;
    let f = std::fs::OpenOptions::new()
        .write(true)
        .open(&done.dump)
        .unwrap();
    f.set_len(done.manifest.size / 2).unwrap();
    drop(f);
    assert_refused_before_restoring(&done.dump).await;
}

#[tokio::test]
async fn a_bit_flipped_backup_is_detected_before_anything_is_restored() {
    let (_db, _dir, done) = backed_up().await;
    let mut bytes = std::fs::read(&done.dump).unwrap();
    let middle = bytes.len() / 2;
    bytes[middle] ^= 0x10;
    std::fs::write(&done.dump, &bytes).unwrap();
    assert_refused_before_restoring(&done.dump).await;
}

#[tokio::test]
async fn a_dump_without_its_manifest_cannot_be_verified() {
    let (_db, _dir, done) = backed_up().await;
    std::fs::remove_file(&done.manifest_path).unwrap();
    let err = backup::verify(&server().target("postgres"), &bins(), &done.dump)
        .await
        .unwrap_err();
    assert!(matches!(err, BackupError::NoManifest { .. }), "{err:?}");
}

#[tokio::test]
async fn restore_creates_a_missing_database_and_matches_the_manifest() {
    let (db, _dir, done) = backed_up().await;
    let name = unique_name("sf_restored");
    let to = server().target(&name);
    let outcome = backup::restore(&to, &bins(), &done.dump, false)
        .await
        .unwrap();
    assert!(outcome.created);
    assert_eq!(outcome.differences, Vec::<String>::new());
    let mut conn = to.connect().await.unwrap();
    let brands: i64 = sqlx::query_scalar("select count(*) from core.brands")
        .fetch_one(&mut conn)
        .await
        .unwrap();
    assert_eq!(brands, count(&db, "select count(*) from core.brands").await);
}

#[tokio::test]
async fn restore_refuses_a_non_empty_database_without_yes_and_replaces_it_with_yes() {
    let (db, _dir, done) = backed_up().await;
    exec(
        &db.target,
        "insert into core.brands (name, slug) values ('After', 'after-the-backup')",
    )
    .await;

    let refused = backup::restore(&db.target, &bins(), &done.dump, false)
        .await
        .unwrap_err();
    assert!(
        matches!(refused, BackupError::NotEmpty { .. }),
        "{refused:?}"
    );
    assert!(
        refused
            .to_string()
            .contains("needs an explicit confirmation"),
        "{refused}"
    );
    assert!(refused.to_string().contains(&db.name), "{refused}");
    let after = "select count(*) from core.brands where slug = 'after-the-backup'";
    assert_eq!(count(&db, after).await, 1, "untouched");

    let outcome = backup::restore(&db.target, &bins(), &done.dump, true)
        .await
        .unwrap();
    assert!(outcome.replaced && !outcome.created);
    assert_eq!(outcome.differences, Vec::<String>::new());
    assert_eq!(count(&db, after).await, 0, "back to the backup");
}

#[tokio::test]
async fn a_backup_taken_while_rows_are_inserted_is_one_snapshot() {
    let db = migrated_db().await;
    let brands0 = count(&db, "select count(*) from core.brands").await;
    let categories0 = count(&db, "select count(*) from core.categories").await;
    let stop = Arc::new(AtomicBool::new(false));
    let inserter = {
        let stop = stop.clone();
        let target = db.target.clone();
        tokio::spawn(async move {
            let mut conn = target.connect().await.unwrap();
            let mut n = 0i64;
            while !stop.load(Ordering::Relaxed) {
                // Two tables per transaction: a dump and counts from different moments would
                // disagree on either.
                let mut tx = conn.begin().await.unwrap();
                for table in ["core.brands", "core.categories"] {
                    sqlx::query(&format!("insert into {table} (name, slug) values ($1, $1)"))
                        .bind(format!("live-{n}"))
                        .execute(&mut *tx)
                        .await
                        .unwrap();
                }
                tx.commit().await.unwrap();
                n += 1;
            }
            n
        })
    };
    // Let the writer get going, then back up while it writes.
    while count(&db, "select count(*) from core.brands").await < brands0 + 50 {
        tokio::task::yield_now().await;
    }
    let dir = tempfile::tempdir().unwrap();
    let done = backup::backup(&db.target, &bins(), dir.path())
        .await
        .unwrap();
    stop.store(true, Ordering::Relaxed);
    let written = inserter.await.unwrap();

    let m = &done.manifest;
    let brands = m.tables["core.brands"] - brands0;
    let categories = m.tables["core.categories"] - categories0;
    assert!(brands >= 50 && brands <= written, "{brands} of {written}");
    assert_eq!(brands, categories, "both counts come from one moment");
    let outcome = backup::verify(&server().target("postgres"), &bins(), &done.dump)
        .await
        .unwrap();
    assert_eq!(
        outcome.differences,
        Vec::<String>::new(),
        "the dump holds exactly what the manifest counted"
    );
}

#[test]
fn the_command_that_runs_pg_dump_carries_no_password() {
    let secret = "hunter2-Secret:with\\odd";
    let url = format!(
        "postgresql://shop:{}@db.example:6543/soleflip",
        secret.replace(':', "%3A").replace('\\', "%5C")
    );
    let target = DbTarget::from_url(&url).unwrap();
    let conn = backup::ChildConnection::new(&target, "test").unwrap();
    let cmd = backup::pg_dump_command(
        &conn,
        Path::new("/usr/bin/pg_dump"),
        Path::new("/b/x.dump"),
        Some("00000003-00000002-1"),
    );
    let args: Vec<String> = cmd
        .get_args()
        .map(|a| a.to_string_lossy().into_owned())
        .collect();
    assert_eq!(
        args,
        [
            "--format=custom",
            "--no-password",
            "--file=/b/x.dump",
            "--snapshot=00000003-00000002-1"
        ]
    );
    let envs: BTreeMap<String, Option<String>> = cmd
        .get_envs()
        .map(|(k, v)| {
            (
                k.to_string_lossy().into_owned(),
                v.map(|v| v.to_string_lossy().into_owned()),
            )
        })
        .collect();
    assert!(
        envs.values().flatten().all(|v| !v.contains("hunter2")),
        "{envs:?}"
    );
    assert_eq!(envs["PGHOST"].as_deref(), Some("db.example"));
    assert_eq!(envs["PGPORT"].as_deref(), Some("6543"));
    assert_eq!(envs["PGUSER"].as_deref(), Some("shop"));
    assert_eq!(envs["PGDATABASE"].as_deref(), Some("soleflip"));

    let passfile = PathBuf::from(envs["PGPASSFILE"].clone().unwrap());
    assert_eq!(Some(passfile.as_path()), conn.passfile());
    let mode = std::fs::metadata(&passfile).unwrap().permissions().mode() & 0o777;
    assert_eq!(mode, 0o600);
    let text = std::fs::read_to_string(&passfile).unwrap();
    assert_eq!(
        text,
        "db.example:6543:*:shop:hunter2-Secret\\:with\\\\odd\n"
    );
    drop(conn);
    assert!(
        !passfile.exists(),
        "the passfile is removed with the connection"
    );
}

#[test]
fn a_pg_dump_older_than_the_server_is_refused() {
    let mut old = bins();
    old.major = 14;
    let err = backup::check_client_version(&old, 15).unwrap_err();
    assert!(matches!(err, BackupError::ClientTooOld { .. }));
    assert!(err.to_string().contains("pg_dump 14"), "{err}");
    assert!(backup::check_client_version(&old, 14).is_ok());
    assert!(backup::check_client_version(&old, 13).is_ok());
}

/// A fake backup in `dir` taken at `stamp` (`YYYYMMDDTHHMMSSZ`), optionally verified.
fn fake_backup(dir: &Path, stamp: &str, verified: bool) {
    let stem = format!("shop-{stamp}");
    std::fs::write(dir.join(format!("{stem}.dump")), stamp).unwrap();
    let manifest = serde_json::json!({
        "format": backup::FORMAT, "file": format!("{stem}.dump"), "database": "shop",
        "created_at": "", "sha256": format!("sha-{stamp}"), "size": 16,
        "server_version": "15", "pg_dump_version": "15", "migration": null,
        "tables": {}, "total_rows": 0, "drift": [],
    });
    std::fs::write(
        dir.join(format!("{stem}.manifest.json")),
        manifest.to_string(),
    )
    .unwrap();
    if verified {
        let record = serde_json::json!({
            "verified_at": "", "sha256": format!("sha-{stamp}"), "tables": 0, "total_rows": 0,
        });
        std::fs::write(
            dir.join(format!("{stem}.verified.json")),
            record.to_string(),
        )
        .unwrap();
    }
}

fn stems(dir: &Path) -> Vec<String> {
    let mut out: Vec<String> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter_map(|n| n.strip_suffix(".dump").map(|s| s.replace("shop-", "")))
        .collect();
    out.sort();
    out
}

/// Two backups a day for 40 days (2025-01-01 .. 2025-02-09), at 02:00 and 14:00.
fn forty_days(dir: &Path) -> Vec<String> {
    let start = chrono::NaiveDate::from_ymd_opt(2025, 1, 1).unwrap();
    let mut all = Vec::new();
    for d in 0..40 {
        let day = start + chrono::Days::new(d);
        for hour in ["020000", "140000"] {
            let stamp = format!("{}T{hour}Z", day.format("%Y%m%d"));
            fake_backup(dir, &stamp, false);
            all.push(stamp);
        }
    }
    all
}

#[test]
fn prune_keeps_the_newest_backup_of_each_recent_day_and_week_and_deletes_the_rest() {
    let dir = tempfile::tempdir().unwrap();
    forty_days(dir.path());
    std::fs::write(dir.path().join("notes.txt"), "not a backup").unwrap();
    // A base backup (directory and manifest) of long ago is no dump, and prune leaves it alone.
    std::fs::create_dir(dir.path().join("base-20240101T020000Z")).unwrap();
    let base = serde_json::json!({
        "format": backup::FORMAT, "kind": "base", "directory": "base-20240101T020000Z",
        "started_at": "", "finished_at": "", "server_version": "15", "wal_archive": "/w", "size": 0,
    });
    std::fs::write(
        dir.path().join("base-20240101T020000Z.manifest.json"),
        base.to_string(),
    )
    .unwrap();

    let plan = backup::prune(
        dir.path(),
        Policy {
            keep_daily: 3,
            keep_weekly: 2,
        },
        false,
    )
    .unwrap();

    // 2025-02-09 is a Sunday: the newest of days 7, 8, 9 February; of ISO weeks 6 (ending
    // 9 February) and 5 (ending 2 February).
    assert_eq!(
        stems(dir.path()),
        [
            "20250202T140000Z",
            "20250207T140000Z",
            "20250208T140000Z",
            "20250209T140000Z"
        ]
    );
    assert_eq!(plan.deleted().count(), 80 - 4);
    let newest = &plan.decisions[0];
    assert_eq!(newest.backup.stem, "shop-20250209T140000Z");
    assert_eq!(newest.reasons, ["newest", "daily", "weekly"]);
    let leftover: Vec<_> = std::fs::read_dir(dir.path())
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|n| n.contains("20250101"))
        .collect();
    assert!(
        leftover.is_empty(),
        "manifests go with their dumps: {leftover:?}"
    );
    assert!(
        dir.path().join("notes.txt").exists(),
        "other files are left alone"
    );
    assert!(dir
        .path()
        .join("base-20240101T020000Z.manifest.json")
        .exists());
    assert!(plan.decisions.iter().all(|d| d.backup.database == "shop"));
}

#[test]
fn prune_never_deletes_the_newest_verified_backup() {
    let dir = tempfile::tempdir().unwrap();
    forty_days(dir.path());
    // Verified long ago, and an older verified one.
    fake_backup(dir.path(), "20241201T020000Z", true);
    fake_backup(dir.path(), "20241215T020000Z", true);

    let plan = backup::prune(dir.path(), Policy::default(), false).unwrap();

    let kept = stems(dir.path());
    assert!(kept.contains(&"20241215T020000Z".to_string()), "{kept:?}");
    assert!(!kept.contains(&"20241201T020000Z".to_string()), "{kept:?}");
    let reason = plan
        .decisions
        .iter()
        .find(|d| d.backup.stem == "shop-20241215T020000Z")
        .map(|d| d.reasons.clone());
    assert_eq!(reason, Some(vec!["newest verified"]));
    // Defaults: 7 daily (3..9 February) and 4 weekly: ISO weeks 6 (9 February, also daily),
    // 5 (2 February), 4 (26 January) and 3 (19 January).
    assert_eq!(kept.len(), 1 + 7 + 3, "{kept:?}");
    assert!(kept.contains(&"20250119T140000Z".to_string()), "{kept:?}");
}

#[test]
fn a_verification_record_of_a_replaced_dump_does_not_count() {
    let dir = tempfile::tempdir().unwrap();
    fake_backup(dir.path(), "20250101T020000Z", true);
    fake_backup(dir.path(), "20250301T020000Z", false);
    // The record names another checksum than the manifest now does.
    let record = serde_json::json!({
        "verified_at": "", "sha256": "something-else", "tables": 0, "total_rows": 0,
    });
    std::fs::write(
        dir.path().join("shop-20250101T020000Z.verified.json"),
        record.to_string(),
    )
    .unwrap();
    let listed = backup::list_backups(dir.path()).unwrap();
    assert!(listed.iter().all(|b| !b.verified));
}

#[test]
fn prune_dry_run_deletes_nothing() {
    let dir = tempfile::tempdir().unwrap();
    forty_days(dir.path());
    let before = std::fs::read_dir(dir.path()).unwrap().count();
    let plan = backup::prune(
        dir.path(),
        Policy {
            keep_daily: 1,
            keep_weekly: 0,
        },
        true,
    )
    .unwrap();
    assert!(plan.dry_run);
    assert_eq!(plan.deleted().count(), 79);
    assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), before);
}

/// Runs the archive command as PostgreSQL would (`%p` and `%f` substituted, from the data
/// directory).
fn archive(dir: &Path, data: &Path, segment: &str) -> bool {
    let cmd = backup::archive_command(dir)
        .replace("%p", &format!("pg_wal/{segment}"))
        .replace("%f", segment)
        .replace("%%", "%");
    std::process::Command::new("sh")
        .arg("-c")
        .arg(cmd)
        .current_dir(data)
        .stderr(std::process::Stdio::null())
        .status()
        .unwrap()
        .success()
}

#[test]
fn the_archive_command_never_overwrites_a_segment_and_leaves_no_partial_file() {
    let root = tempfile::tempdir().unwrap();
    let data = root.path().join("data");
    let archive_dir = root.path().join("it's 100% archive");
    std::fs::create_dir_all(data.join("pg_wal")).unwrap();
    std::fs::create_dir_all(&archive_dir).unwrap();
    let segment = "000000010000000000000007";
    std::fs::write(data.join("pg_wal").join(segment), b"first contents").unwrap();

    assert!(archive(&archive_dir, &data, segment));
    let archived = archive_dir.join(segment);
    assert_eq!(std::fs::read(&archived).unwrap(), b"first contents");
    // A retry of the same segment (archived before a crash) succeeds...
    assert!(archive(&archive_dir, &data, segment));
    // ...but different contents under the same name are refused and change nothing.
    std::fs::write(data.join("pg_wal").join(segment), b"other contents").unwrap();
    assert!(!archive(&archive_dir, &data, segment));
    assert_eq!(std::fs::read(&archived).unwrap(), b"first contents");
    let names: Vec<String> = std::fs::read_dir(&archive_dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    assert_eq!(names, [segment], "no partial file under any name");
    // A segment that cannot be read is not archived at all.
    assert!(!archive(&archive_dir, &data, "000000010000000000000008"));
    assert!(!archive_dir.join("000000010000000000000008").exists());
}
