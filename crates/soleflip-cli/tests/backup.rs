//! `soleflip db backup|restore|recover` and `soleflip pg archive` end to end: exit codes, the
//! password never left behind, an interrupted restore, and point-in-time recovery on an
//! embedded cluster of its own.
#![expect(
    clippy::unwrap_used,
    clippy::expect_used,
    reason = "helpers outside #[test] functions stop the test loudly"
)]

mod common;

use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::{Output, Stdio};
use std::time::{Duration, Instant};

use common::{soleflip, soleflip_on, stderr, stdout};
use soleflip_testkit::{admin_exec, migrated_db, server, tcp_url, unique_name, TestDb};
use sqlx::Connection;

async fn scalar(url: &str, sql: &str) -> i64 {
    let mut conn = sqlx::PgConnection::connect(url).await.unwrap();
    sqlx::query_scalar(sql).fetch_one(&mut conn).await.unwrap()
}

async fn exec(url: &str, sql: &str) {
    let mut conn = sqlx::PgConnection::connect(url).await.unwrap();
    sqlx::raw_sql(sql).execute(&mut conn).await.unwrap();
}

/// `db backup --dir DIR --format json` of `db`; returns the dump's path.
fn backup_of(db: &TestDb, dir: &Path) -> PathBuf {
    let out = soleflip_on(
        &db.url,
        &[
            "db",
            "backup",
            "--dir",
            &dir.to_string_lossy(),
            "--format",
            "json",
        ],
    );
    assert!(out.status.success(), "{}", stderr(&out));
    let json: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    PathBuf::from(json["dump"].as_str().unwrap())
}

#[tokio::test]
async fn verify_exits_0_for_a_good_backup_and_2_for_a_damaged_one() {
    let db = migrated_db().await;
    let dir = tempfile::tempdir().unwrap();
    let dump = backup_of(&db, dir.path());
    let file = dump.to_string_lossy().into_owned();

    let ok = soleflip_on(&db.url, &["db", "backup", "verify", &file]);
    assert_eq!(ok.status.code(), Some(0), "{}", stderr(&ok));
    assert!(
        stdout(&ok).trim_end().ends_with("result: OK"),
        "{}",
        stdout(&ok)
    );

    let mut bytes = std::fs::read(&dump).unwrap();
    let last = bytes.len() - 1;
    bytes[last] ^= 0x01;
    std::fs::write(&dump, &bytes).unwrap();
    let bad = soleflip_on(&db.url, &["db", "backup", "verify", &file]);
    assert_eq!(bad.status.code(), Some(2), "{}", stdout(&bad));
    let err = stderr(&bad);
    assert!(err.contains(&file) && err.contains("sha256"), "{err}");
    assert!(err.contains("nothing was restored"), "{err}");
    assert_eq!(err.lines().count(), 1, "{err}");

    let restore = soleflip_on(
        &db.url,
        &["db", "restore", &file, "--to", &unique_name("sf_never")],
    );
    assert_eq!(restore.status.code(), Some(2), "{}", stderr(&restore));
}

#[tokio::test]
async fn backup_with_verify_and_restore_into_a_new_database_exit_0() {
    let db = migrated_db().await;
    let dir = tempfile::tempdir().unwrap();
    let out = soleflip_on(
        &db.url,
        &[
            "db",
            "backup",
            "--verify",
            "--dir",
            &dir.path().to_string_lossy(),
        ],
    );
    assert!(out.status.success(), "{}", stderr(&out));
    let text = stdout(&out);
    assert!(text.starts_with("backup: "), "{text}");
    assert!(
        text.contains("rows: ") && text.trim_end().ends_with("result: OK"),
        "{text}"
    );
    let dump = text.lines().next().unwrap().trim_start_matches("backup: ");

    let copy = unique_name("sf_copy");
    let restored = soleflip_on(&db.url, &["db", "restore", dump, "--to", &copy]);
    assert!(restored.status.success(), "{}", stderr(&restored));
    assert!(
        stdout(&restored).contains("created for it"),
        "{}",
        stdout(&restored)
    );
    let brands = scalar(&server().url(&copy), "select count(*) from core.brands").await;
    assert_eq!(
        brands,
        scalar(&db.url, "select count(*) from core.brands").await
    );
}

#[tokio::test]
async fn restore_over_a_non_empty_database_without_yes_exits_1_and_changes_nothing() {
    let db = migrated_db().await;
    let dir = tempfile::tempdir().unwrap();
    let dump = backup_of(&db, dir.path());
    exec(
        &db.url,
        "insert into core.brands (name, slug) values ('Kept', 'kept')",
    )
    .await;
    let out = soleflip_on(&db.url, &["db", "restore", &dump.to_string_lossy()]);
    assert_eq!(out.status.code(), Some(1));
    let err = stderr(&out);
    assert!(err.contains("refusing to restore over database"), "{err}");
    assert!(err.contains(&db.name) && err.contains("--yes"), "{err}");
    let kept = "select count(*) from core.brands where slug = 'kept'";
    assert_eq!(scalar(&db.url, kept).await, 1);
}

/// Loads `rows` price rows (and 1,000 products) into a migrated database.
async fn load_prices(url: &str, rows: i64) {
    exec(
        url,
        &format!(
            "insert into products.products (sku, category_id, name)
             select 'SKU-' || g, (select id from core.categories order by slug limit 1),
                    'Runner ' || g
             from generate_series(1, 1000) g;
             insert into integration.price_sources
                 (product_id, source_type, source_product_id, price_type, price_cents, in_stock)
             select p.id, 'stockx', 'sp-' || g, 'resale', 5000 + g % 40000, g % 5 <> 0
             from generate_series(1, {rows}) g
             join (select id, row_number() over (order by sku) as n from products.products) p
               on p.n = 1 + g % 1000;"
        ),
    )
    .await;
}

#[tokio::test]
async fn a_restore_killed_midway_leaves_the_target_untouched() {
    let source = migrated_db().await;
    load_prices(&source.url, 200_000).await;
    let dir = tempfile::tempdir().unwrap();
    let dump = backup_of(&source, dir.path());
    let target = migrated_db().await;
    exec(
        &target.url,
        "insert into core.brands (name, slug) values ('Untouched', 'untouched')",
    )
    .await;

    // soleflip and its pg_restore in a process group of their own, killed together.
    let mut child = std::process::Command::new(assert_cmd::cargo::cargo_bin("soleflip"))
        .args(["db", "restore", &dump.to_string_lossy(), "--yes"])
        .env("DATABASE_URL", &target.url)
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .process_group(0)
        .spawn()
        .unwrap();
    let mut admin = sqlx::PgConnection::connect(&server().url("postgres"))
        .await
        .unwrap();
    // A restore with --yes runs in a new database that takes the target's name when complete.
    let busy = "select count(*) from pg_stat_activity \
                where (datname = $1 or datname like 'soleflip\\_verify\\_%') \
                and application_name = 'soleflip-restore' and state = 'active' \
                and (query ilike 'copy integration.price_sources%' or query ilike 'create index%')";
    let deadline = Instant::now() + Duration::from_secs(60);
    loop {
        let n: i64 = sqlx::query_scalar(busy)
            .bind(&target.name)
            .fetch_one(&mut admin)
            .await
            .unwrap();
        if n > 0 {
            break;
        }
        assert!(Instant::now() < deadline, "the restore never got going");
        assert!(
            child.try_wait().unwrap().is_none(),
            "the restore ended early"
        );
    }
    std::process::Command::new("kill")
        .args(["-KILL", "--", &format!("-{}", child.id())])
        .status()
        .unwrap();
    child.wait().unwrap();
    // The server rolls the transaction back once it notices the client is gone.
    let gone = "select count(*) from pg_stat_activity \
                where (datname = $1 or datname like 'soleflip\\_verify\\_%') \
                and application_name = 'soleflip-restore'";
    let deadline = Instant::now() + Duration::from_secs(60);
    loop {
        let n: i64 = sqlx::query_scalar(gone)
            .bind(&target.name)
            .fetch_one(&mut admin)
            .await
            .unwrap();
        if n == 0 {
            break;
        }
        assert!(
            Instant::now() < deadline,
            "the killed restore's session lingers"
        );
    }

    let untouched = "select count(*) from core.brands where slug = 'untouched'";
    assert_eq!(scalar(&target.url, untouched).await, 1);
    let prices = "select count(*) from integration.price_sources";
    assert_eq!(scalar(&target.url, prices).await, 0);
    let verify = soleflip_on(&target.url, &["db", "verify"]);
    assert_eq!(verify.status.code(), Some(0), "{}", stdout(&verify));
}

fn files_under(dir: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            out.extend(files_under(&path));
        } else {
            out.push(path);
        }
    }
    out
}

fn contains(haystack: &[u8], needle: &[u8]) -> bool {
    haystack.windows(needle.len()).any(|w| w == needle)
}

#[tokio::test]
async fn a_password_reaches_pg_dump_and_pg_restore_but_stays_in_no_file_or_output() {
    let Some(_) = server().cluster() else {
        return; // a given server: no loopback listener of ours to log in through
    };
    let db = migrated_db().await;
    let role = unique_name("sf_backup_role");
    let password = "pw-hunter2-1f9c";
    admin_exec(&format!(
        "create role {role} login superuser password '{password}'"
    ))
    .await;
    let url = tcp_url(&role, password, &db.name).unwrap();
    let tmp = tempfile::tempdir().unwrap();
    let dir = tempfile::tempdir().unwrap();
    let run = |args: &[&str]| -> Output {
        soleflip(Path::new("/"))
            .env("DATABASE_URL", &url)
            .env("TMPDIR", tmp.path())
            // Everything the use cases and the child programs log, which must not hold it either.
            .env("SOLEFLIP_LOG", "debug")
            .args(args)
            .output()
            .unwrap()
    };

    let backup = run(&["db", "backup", "--dir", &dir.path().to_string_lossy()]);
    assert!(backup.status.success(), "{}", stderr(&backup));
    let dump = stdout(&backup)
        .lines()
        .next()
        .unwrap()
        .trim_start_matches("backup: ")
        .to_string();
    let verify = run(&["db", "backup", "verify", &dump]);
    assert!(verify.status.success(), "{}", stderr(&verify));
    let copy = unique_name("sf_pw_copy");
    let restore = run(&["db", "restore", &dump, "--to", &copy]);
    assert!(restore.status.success(), "{}", stderr(&restore));

    assert_eq!(
        std::fs::read_dir(tmp.path()).unwrap().count(),
        0,
        "no passfile is left behind"
    );
    for out in [&backup, &verify, &restore] {
        assert!(!contains(&out.stdout, password.as_bytes()));
        assert!(!contains(&out.stderr, password.as_bytes()));
    }
    for file in files_under(dir.path()) {
        let bytes = std::fs::read(&file).unwrap();
        assert!(
            !contains(&bytes, password.as_bytes()),
            "{} holds the password",
            file.display()
        );
    }
}

#[tokio::test]
async fn prune_on_the_command_line_lists_its_decisions_and_dry_run_deletes_nothing() {
    let dir = tempfile::tempdir().unwrap();
    for day in 1..=9 {
        let stem = format!("shop-202501{day:02}T020000Z");
        std::fs::write(dir.path().join(format!("{stem}.dump")), b"x").unwrap();
    }
    let d = dir.path().to_string_lossy().into_owned();
    let url = server().url("postgres");
    let dry = soleflip_on(
        &url,
        &[
            "db",
            "backup",
            "prune",
            "--dir",
            &d,
            "--keep-daily",
            "2",
            "--keep-weekly",
            "1",
            "--dry-run",
        ],
    );
    assert!(dry.status.success(), "{}", stderr(&dry));
    let text = stdout(&dry);
    assert!(
        text.contains("keep          shop-20250109T020000Z  (newest, daily, weekly)"),
        "{text}"
    );
    assert!(
        text.contains("would delete  shop-20250101T020000Z"),
        "{text}"
    );
    assert!(
        text.contains("keep          shop-20250108T020000Z  (daily)"),
        "{text}"
    );
    assert!(
        text.trim_end().ends_with("kept 2, would delete 7"),
        "{text}"
    );
    assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 9);

    let real = soleflip_on(
        &url,
        &[
            "db",
            "backup",
            "prune",
            "--dir",
            &d,
            "--keep-daily",
            "2",
            "--keep-weekly",
            "1",
        ],
    );
    assert!(real.status.success(), "{}", stderr(&real));
    // Days 9 and 8 January; ISO week 2 (6..12 January) is kept by 9 January already.
    let mut left: Vec<String> = std::fs::read_dir(dir.path())
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    left.sort();
    assert_eq!(
        left,
        ["shop-20250108T020000Z.dump", "shop-20250109T020000Z.dump"]
    );
}

/// A fresh home directory that the server's user may enter (tempdirs are 0700).
fn new_home() -> tempfile::TempDir {
    use std::os::unix::fs::PermissionsExt;
    let home = tempfile::tempdir().unwrap();
    std::fs::set_permissions(home.path(), std::fs::Permissions::from_mode(0o755)).unwrap();
    home
}

fn home_cmd(home: &Path, args: &[&str]) -> Output {
    soleflip(home)
        .arg("--home")
        .arg(home)
        .args(args)
        .output()
        .unwrap()
}

/// Stops the embedded servers of the homes it holds, however the test ends.
struct StopOnDrop(Vec<PathBuf>);

impl Drop for StopOnDrop {
    fn drop(&mut self) {
        for home in &self.0 {
            let _ = home_cmd(home, &["pg", "stop"]);
        }
    }
}

async fn now_utc(url: &str) -> String {
    let mut conn = sqlx::PgConnection::connect(url).await.unwrap();
    sqlx::query_scalar(
        "select to_char(clock_timestamp() at time zone 'UTC', \
         'YYYY-MM-DD\"T\"HH24:MI:SS.US\"Z\"')",
    )
    .fetch_one(&mut conn)
    .await
    .unwrap()
}

#[tokio::test]
async fn point_in_time_recovery_brings_back_a_and_not_b() {
    let home = new_home();
    let recovered = new_home();
    let (h, r) = (home.path(), recovered.path());
    let _stop = StopOnDrop(vec![h.to_path_buf(), r.to_path_buf()]);
    let up = home_cmd(h, &["db", "up"]);
    assert!(up.status.success(), "{}", stderr(&up));
    let url = stdout(&home_cmd(h, &["pg", "url"])).trim().to_string();
    let before_any_base = now_utc(&url).await;

    let on = home_cmd(h, &["pg", "archive", "on"]);
    assert!(on.status.success(), "{}", stderr(&on));
    let archive = h.join("wal-archive");
    assert!(
        stdout(&on).contains(&format!("WAL archiving: on, into {}", archive.display())),
        "{}",
        stdout(&on)
    );
    let shown = home_cmd(h, &["pg", "archive"]);
    assert!(
        stdout(&shown).starts_with("WAL archiving: on"),
        "{}",
        stdout(&shown)
    );
    let base = home_cmd(h, &["db", "backup", "--base"]);
    assert!(base.status.success(), "{}", stderr(&base));

    exec(
        &url,
        "insert into core.brands (name, slug) values ('A', 'pitr-a')",
    )
    .await;
    let moment = now_utc(&url).await;
    exec(
        &url,
        "insert into core.brands (name, slug) values ('B', 'pitr-b')",
    )
    .await;

    let too_early = home_cmd(
        h,
        &[
            "db",
            "recover",
            "--to-time",
            &before_any_base,
            "--into",
            &r.to_string_lossy(),
        ],
    );
    assert_eq!(too_early.status.code(), Some(1));
    assert!(
        stderr(&too_early).contains("no base backup"),
        "{}",
        stderr(&too_early)
    );

    let out = home_cmd(
        h,
        &[
            "db",
            "recover",
            "--to-time",
            &moment,
            "--into",
            &r.to_string_lossy(),
        ],
    );
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(
        stdout(&out).contains("recovery stopping before commit"),
        "{}",
        stdout(&out)
    );

    let start = home_cmd(r, &["pg", "start"]);
    assert!(start.status.success(), "{}", stderr(&start));
    let recovered_url = stdout(&home_cmd(r, &["pg", "url"])).trim().to_string();
    let slugs = "select count(*) from core.brands where slug = ";
    assert_eq!(scalar(&recovered_url, &format!("{slugs}'pitr-a'")).await, 1);
    assert_eq!(scalar(&recovered_url, &format!("{slugs}'pitr-b'")).await, 0);
    // The source is unharmed and keeps both.
    assert_eq!(scalar(&url, &format!("{slugs}'pitr-b'")).await, 1);
    // The recovered cluster writes nothing into the source's archive.
    let archiving = home_cmd(r, &["pg", "archive"]);
    assert!(
        stdout(&archiving).starts_with("WAL archiving: off"),
        "{}",
        stdout(&archiving)
    );
}
