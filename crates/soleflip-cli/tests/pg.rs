//! `soleflip pg` and connecting: the embedded server and the messages for servers we cannot use.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    reason = "test helpers stop the test loudly on a failed step"
)]

mod common;

use std::os::unix::fs::MetadataExt;
use std::time::{Duration, Instant};

use common::{soleflip, soleflip_on, stderr, stdout};
use sqlx::Connection;

#[test]
fn help_lists_the_command_groups() {
    let dir = tempfile::tempdir().unwrap();
    let out = soleflip(dir.path()).arg("--help").output().unwrap();
    assert!(out.status.success());
    let text = stdout(&out);
    for group in ["pg", "db", "user"] {
        assert!(
            text.lines().any(|l| l.trim_start().starts_with(group)),
            "{group} in\n{text}"
        );
    }
}

/// A fresh home directory that the server's user may enter (tempdirs are 0700).
fn new_home() -> tempfile::TempDir {
    use std::os::unix::fs::PermissionsExt;
    let home = tempfile::tempdir().unwrap();
    std::fs::set_permissions(home.path(), std::fs::Permissions::from_mode(0o755)).unwrap();
    home
}

fn home_cmd(home: &std::path::Path, args: &[&str]) -> std::process::Output {
    soleflip(home)
        .arg("--home")
        .arg(home)
        .args(args)
        .output()
        .unwrap()
}

fn postmaster_pid(home: &std::path::Path) -> u32 {
    let text = std::fs::read_to_string(home.join("pg/data/postmaster.pid")).unwrap();
    text.lines().next().unwrap().trim().parse().unwrap()
}

#[tokio::test]
async fn the_embedded_server_starts_serves_stops_and_survives_sigkill() {
    let home = new_home();
    let h = home.path();
    let out = home_cmd(h, &["pg", "start"]);
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(stdout(&out).contains("started"));

    let out = home_cmd(h, &["pg", "status"]);
    assert_eq!(out.status.code(), Some(0));
    assert!(stdout(&out).contains("server: running"));

    // `pg url` names no database that does not exist yet.
    let early = home_cmd(h, &["pg", "url"]);
    assert_eq!(early.status.code(), Some(1));
    assert!(
        stderr(&early).contains("soleflip db up"),
        "{}",
        stderr(&early)
    );
    // Once it exists, `pg url` is usable by a client; commit a row through it.
    let up = home_cmd(h, &["db", "up"]);
    assert!(up.status.success(), "{}", stderr(&up));
    let url = stdout(&home_cmd(h, &["pg", "url"])).trim().to_string();
    let mut conn = sqlx::PgConnection::connect(&url).await.unwrap();
    sqlx::query("insert into core.brands (name, slug) values ('Kept', 'kept')")
        .execute(&mut conn)
        .await
        .unwrap();
    drop(conn);

    // SIGKILL the server: the next command restarts it and the committed row is there.
    let pid = postmaster_pid(h);
    std::process::Command::new("kill")
        .args(["-KILL", &pid.to_string()])
        .status()
        .unwrap();
    let verify = home_cmd(h, &["db", "verify"]);
    assert!(verify.status.success(), "{}", stderr(&verify));
    let mut conn = sqlx::PgConnection::connect(&url).await.unwrap();
    let kept: i64 = sqlx::query_scalar("select count(*) from core.brands where slug = 'kept'")
        .fetch_one(&mut conn)
        .await
        .unwrap();
    assert_eq!(kept, 1);
    drop(conn);

    let out = home_cmd(h, &["pg", "stop"]);
    assert_eq!(stdout(&out).trim(), "stopped");
    let out = home_cmd(h, &["pg", "status"]);
    assert_eq!(
        out.status.code(),
        Some(3),
        "status of a stopped server exits 3"
    );
    assert!(stdout(&out).contains("server: stopped"));
}

#[test]
fn concurrent_starts_share_one_server() {
    let home = new_home();
    let h = home.path();
    let outputs: Vec<_> = std::thread::scope(|s| {
        let runs: Vec<_> = (0..4)
            .map(|_| s.spawn(|| home_cmd(h, &["pg", "start"])))
            .collect();
        runs.into_iter().map(|r| r.join().unwrap()).collect()
    });
    for o in &outputs {
        assert!(o.status.success(), "{}", stderr(o));
    }
    let started = outputs
        .iter()
        .filter(|o| stdout(o).contains(" started"))
        .count();
    let said: Vec<String> = outputs.iter().map(stdout).collect();
    assert_eq!(
        started, 1,
        "exactly one process started the server, the others used it: {said:#?}"
    );
    home_cmd(h, &["pg", "stop"]);
}

#[test]
fn a_stale_pid_file_from_a_killed_server_is_recovered_from() {
    let home = new_home();
    let h = home.path();
    assert!(home_cmd(h, &["pg", "start"]).status.success());
    assert!(home_cmd(h, &["pg", "stop"]).status.success());
    // A postmaster.pid naming a live process that is not postgres (pid 1), as after a crash
    // and pid reuse.
    let pid_file = h.join("pg/data/postmaster.pid");
    std::fs::write(&pid_file, "1\n").unwrap();
    let owner = std::fs::metadata(h.join("pg/data")).unwrap();
    std::os::unix::fs::chown(&pid_file, Some(owner.uid()), Some(owner.gid())).unwrap();
    let out = home_cmd(h, &["pg", "start"]);
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(stdout(&out).contains("started"));
    home_cmd(h, &["pg", "stop"]);
}

#[test]
fn as_root_the_cluster_belongs_to_and_runs_as_an_unprivileged_user() {
    if !std::fs::metadata("/proc/self").is_ok_and(|m| m.uid() == 0) {
        eprintln!("not root: nothing to check");
        return;
    }
    let home = new_home();
    let h = home.path();
    assert!(home_cmd(h, &["pg", "start"]).status.success());
    let data = std::fs::metadata(h.join("pg/data")).unwrap();
    assert_ne!(data.uid(), 0, "the data directory is not root's");
    let status = std::fs::read_to_string(format!("/proc/{}/status", postmaster_pid(h))).unwrap();
    let uid_line = status.lines().find(|l| l.starts_with("Uid:")).unwrap();
    assert!(
        uid_line.split_whitespace().skip(1).all(|u| u != "0"),
        "{uid_line}"
    );
    home_cmd(h, &["pg", "stop"]);
}

#[test]
fn as_root_a_home_the_server_user_cannot_enter_keeps_its_cluster_in_var_lib() {
    if !std::fs::metadata("/proc/self").is_ok_and(|m| m.uid() == 0) {
        eprintln!("not root: nothing to check");
        return;
    }
    use std::os::unix::fs::PermissionsExt;
    let home = tempfile::tempdir().unwrap();
    let h = home.path();
    std::fs::set_permissions(h, std::fs::Permissions::from_mode(0o700)).unwrap();
    let out = home_cmd(h, &["pg", "start"]);
    assert!(out.status.success(), "{}", stderr(&out));
    let note = std::fs::read_to_string(h.join("pg-location.txt")).unwrap();
    assert!(note.contains("/var/lib/soleflip/clusters/"), "{note}");
    let status = stdout(&home_cmd(h, &["pg", "status"]));
    let data = status
        .lines()
        .find_map(|l| l.strip_prefix("data: "))
        .unwrap()
        .to_string();
    assert!(data.starts_with("/var/lib/soleflip/clusters/"), "{status}");
    assert!(home_cmd(h, &["pg", "stop"]).status.success());
    std::fs::remove_dir_all(std::path::Path::new(&data).parent().unwrap()).unwrap();
}

#[test]
fn missing_server_binaries_are_reported_in_one_line_naming_the_setting() {
    let dir = tempfile::tempdir().unwrap();
    let out = soleflip(dir.path())
        .env("SOLEFLIP_PG_BINDIR", dir.path())
        .args(["--home", dir.path().to_str().unwrap(), "pg", "start"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    let err = stderr(&out);
    assert_eq!(err.trim().lines().count(), 1, "{err}");
    assert!(err.contains("SOLEFLIP_PG_BINDIR"), "{err}");
}

#[test]
fn a_refusing_server_is_named_by_host_and_port_without_the_password() {
    let out = soleflip_on("postgresql://bob:hunter2@127.0.0.1:1/x", &["db", "verify"]);
    assert_eq!(out.status.code(), Some(1));
    let err = stderr(&out);
    assert!(err.contains("127.0.0.1:1"), "{err}");
    assert!(!err.contains("hunter2") && !stdout(&out).contains("hunter2"));
    assert_eq!(err.trim().lines().count(), 1, "{err}");
}

#[test]
fn a_silent_server_fails_within_five_seconds() {
    // Accepts TCP connections but never answers the PostgreSQL handshake.
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    let started = Instant::now();
    let out = soleflip_on(
        &format!("postgresql://bob:hunter2@127.0.0.1:{port}/x"),
        &["db", "up"],
    );
    let took = started.elapsed();
    assert_eq!(out.status.code(), Some(1));
    assert!(took < Duration::from_secs(7), "took {took:?}");
    let err = stderr(&out);
    assert!(
        err.contains(&format!("127.0.0.1:{port}")) && err.contains("5 s"),
        "{err}"
    );
    assert!(!err.contains("hunter2"));
    drop(listener);
}

#[test]
fn a_malformed_url_is_refused_without_echoing_the_password() {
    let out = soleflip_on("postgresql://bob:hunter2@[::1/x", &["db", "status"]);
    assert_eq!(
        out.status.code(),
        Some(4),
        "a malformed URL is refused input"
    );
    let err = stderr(&out);
    assert!(err.contains("invalid database URL"), "{err}");
    assert!(!err.contains("hunter2"), "{err}");
}

#[tokio::test]
async fn a_wrong_password_is_a_clear_refusal_without_the_password() {
    let Some(url) = soleflip_testkit::tcp_url("sf_pw_user", "not-the-password", "postgres") else {
        eprintln!("tests run on a given server: no loopback listener to probe");
        return;
    };
    soleflip_testkit::admin_exec(
        "do $$ begin \
           if not exists (select 1 from pg_roles where rolname = 'sf_pw_user') then \
             create role sf_pw_user login password 'right-one'; \
           end if; \
         end $$",
    )
    .await;
    let out = soleflip_on(&url, &["db", "status"]);
    assert_eq!(
        out.status.code(),
        Some(1),
        "{url} {} {}",
        stdout(&out),
        stderr(&out)
    );
    let err = stderr(&out);
    assert!(
        err.contains("refused the login of user sf_pw_user"),
        "{err}"
    );
    assert!(!err.contains("not-the-password"), "{err}");
}

#[test]
fn the_password_of_a_sqlalchemy_url_in_dot_env_is_used_but_never_shown() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join(".env"),
        "# existing install\nexport DATABASE_URL=\"postgresql+asyncpg://bob:s3cret@127.0.0.1:1/soleflip\"\n",
    )
    .unwrap();
    let out = soleflip(dir.path())
        .args(["db", "verify"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    let err = stderr(&out);
    assert!(err.contains("127.0.0.1:1"), "the .env URL was used: {err}");
    assert!(!err.contains("s3cret"), "{err}");
}

#[test]
fn a_server_whose_socket_was_removed_is_restarted_by_the_next_command() {
    let home = new_home();
    let h = home.path();
    assert!(home_cmd(h, &["pg", "start"]).status.success());
    let before = postmaster_pid(h);
    // As a /tmp cleaner would: the server keeps running but nobody can reach it.
    std::fs::remove_file(h.join("pg/run/.s.PGSQL.5432")).unwrap();
    let out = home_cmd(h, &["db", "up"]);
    assert!(out.status.success(), "{}", stderr(&out));
    assert_ne!(postmaster_pid(h), before, "restarted");
    home_cmd(h, &["pg", "stop"]);
}

#[test]
fn read_only_commands_in_a_home_without_a_cluster_create_nothing_and_say_how_to_make_one() {
    let home = tempfile::tempdir().unwrap();
    let h = home.path().join("nothing-here");
    std::fs::create_dir(&h).unwrap();
    for args in [
        &["db", "status"][..],
        &["db", "verify"],
        &["pg", "url"],
        &["db", "health"],
    ] {
        let out = home_cmd(&h, args);
        assert_eq!(out.status.code(), Some(1), "{args:?}");
        let err = stderr(&out);
        assert!(
            err.contains("no embedded PostgreSQL cluster in") && err.contains("soleflip db up"),
            "{args:?}: {err}"
        );
        assert_eq!(err.trim().lines().count(), 1, "{err}");
    }
    let status = home_cmd(&h, &["pg", "status"]);
    assert_eq!(status.status.code(), Some(3));
    assert!(stdout(&status).contains("not created yet"));
    assert!(!h.join("pg").exists(), "no cluster was created");
}

#[test]
fn pg_url_and_status_say_when_another_server_is_configured() {
    let home = tempfile::tempdir().unwrap();
    let url = "postgresql://shop:hunter2@127.0.0.1:9/soleflip";
    let out = soleflip(home.path())
        .args(["--home", ".", "pg", "url"])
        .env("DATABASE_URL", url)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    let err = stderr(&out);
    assert!(err.contains("another server is configured"), "{err}");
    assert!(!err.contains("hunter2"), "{err}");
    let status = soleflip(home.path())
        .args(["--home", ".", "pg", "status"])
        .env("DATABASE_URL", url)
        .output()
        .unwrap();
    assert!(stdout(&status).contains("note: another server is configured"));
}

#[test]
fn a_wrong_command_line_exits_64_and_version_and_completions_work() {
    let dir = tempfile::tempdir().unwrap();
    let out = soleflip(dir.path())
        .args(["db", "frobnicate"])
        .output()
        .unwrap();
    assert_eq!(
        out.status.code(),
        Some(64),
        "usage errors are not drift (2)"
    );
    let out = soleflip(dir.path()).arg("--version").output().unwrap();
    assert!(out.status.success());
    assert!(stdout(&out).starts_with("soleflip "), "{}", stdout(&out));
    let out = soleflip(dir.path())
        .args(["completions", "bash"])
        .output()
        .unwrap();
    assert!(out.status.success());
    assert!(
        stdout(&out).contains("_soleflip"),
        "a bash completion function"
    );
}
