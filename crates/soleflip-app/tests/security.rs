//! Attacks on the backup use cases, each performed for real against the testkit's throwaway
//! PostgreSQL (whose tests run as its superuser): every test fails if its attack works.
#![expect(
    clippy::unwrap_used,
    clippy::expect_used,
    reason = "helpers outside #[test] functions stop the test loudly"
)]

use std::os::unix::fs::PermissionsExt;
use std::path::Path;

use soleflip_app::backup::{self, BackupError};
use soleflip_db::quote::quote_ident;
use soleflip_db::DbTarget;
use soleflip_pg::PgBinaries;
use soleflip_testkit::{admin_exec, empty_db, migrated_db, server, unique_name, TestDb};

fn bins() -> PgBinaries {
    PgBinaries::locate().expect("PostgreSQL binaries are installed")
}

async fn exec(target: &DbTarget, sql: &str) {
    let mut conn = target.connect().await.unwrap();
    sqlx::raw_sql(sql)
        .execute(&mut conn)
        .await
        .unwrap_or_else(|e| panic!("{sql}: {e}"));
}

async fn scalar<T>(target: &DbTarget, sql: &str) -> T
where
    T: Send + Unpin + for<'r> sqlx::Decode<'r, sqlx::Postgres> + sqlx::Type<sqlx::Postgres>,
{
    let mut conn = target.connect().await.unwrap();
    sqlx::query_scalar(sql).fetch_one(&mut conn).await.unwrap()
}

async fn is_superuser(role: &str) -> bool {
    scalar(
        &server().target("postgres"),
        &format!("select rolsuper from pg_roles where rolname = '{role}'"),
    )
    .await
}

/// A role that may log in and do nothing else.
async fn plain_role(prefix: &str) -> String {
    let role = unique_name(prefix);
    admin_exec(&format!(
        "create role {role} login nosuperuser nocreatedb nocreaterole"
    ))
    .await;
    role
}

async fn backed_up(db: &TestDb) -> (tempfile::TempDir, backup::BackupOutcome) {
    let dir = tempfile::tempdir().unwrap();
    let done = backup::backup(&db.target, &bins(), dir.path())
        .await
        .unwrap();
    (dir, done)
}

#[tokio::test]
async fn a_function_planted_in_public_does_not_run_in_our_superuser_sessions() {
    // Arrange: a role with CREATE on public (in the maintenance database, where verify looks
    // for the scratch databases of killed runs) shadows starts_with(name, text).
    let role = plain_role("sf_mallory").await;
    admin_exec(&format!(
        "grant create on schema public to {role};
         set role {role};
         create function public.starts_with(name, text) returns boolean language plpgsql as $$
         begin
             execute 'alter role {role} superuser';
             return false;
         end $$;
         reset role;"
    ))
    .await;
    let db = migrated_db().await;
    let (_dir, done) = backed_up(&db).await;

    // Act: a verify by the superuser.
    let outcome = backup::verify(&server().target("postgres"), &bins(), &done.dump).await;

    admin_exec(&format!(
        "drop function public.starts_with(name, text); revoke create on schema public from {role}"
    ))
    .await;
    assert!(outcome.is_ok(), "{outcome:?}");
    assert!(
        !is_superuser(&role).await,
        "the planted function ran as superuser"
    );
    // Every session we open pins its search_path.
    let path: String = scalar(&db.target, "show search_path").await;
    assert_eq!(path, "pg_catalog,pg_temp");
}

#[tokio::test]
async fn the_code_of_a_dump_never_runs_as_the_superuser_who_verifies_or_restores_it() {
    // Arrange: an unprivileged role owns a table whose index and check constraint call its own
    // function, which tries to make the role superuser whenever it runs.
    let role = plain_role("sf_eve").await;
    let db = empty_db().await;
    exec(
        &db.target,
        &format!(
            "create schema evil authorization {role};
             set role {role};
             create function evil.g(x int) returns int language plpgsql volatile as $$
             begin
                 begin
                     execute 'alter role {role} superuser';
                 exception when others then null;
                 end;
                 return x;
             end $$;
             -- An index expression must be immutable; it calls the volatile one.
             create function evil.f(x int) returns int language plpgsql immutable as $$
             begin
                 return evil.g(x);
             end $$;
             create table evil.t (x int check (evil.g(x) > 0));
             insert into evil.t values (1), (2);
             create index on evil.t (evil.f(x));
             reset role;"
        ),
    )
    .await;
    assert!(!is_superuser(&role).await);
    let (_dir, done) = backed_up(&db).await;

    // Act: verify (restore into a scratch database) and restore into a new database, as the
    // superuser.
    let verified = backup::verify(&server().target("postgres"), &bins(), &done.dump)
        .await
        .unwrap();
    let to = server().target(&unique_name("sf_restored_evil"));
    let restored = backup::restore(&to, &bins(), &done.dump, false)
        .await
        .unwrap();

    // Assert
    assert!(
        !is_superuser(&role).await,
        "the dump's function ran with superuser rights"
    );
    assert_eq!(verified.differences, Vec::<String>::new());
    assert_eq!(restored.differences, Vec::<String>::new());
    let rows: i64 = scalar(&to, "select count(*) from evil.t").await;
    assert_eq!(rows, 2);
    // The restored objects belong to the restoring user, and the restore roles are gone.
    let owner: String = scalar(
        &to,
        "select tableowner::text from pg_tables where schemaname = 'evil'",
    )
    .await;
    assert_eq!(owner, to.user());
    let leftover: i64 = scalar(
        &to,
        &format!(
            "select count(*) from pg_roles where rolname like 'soleflip\\_restore\\_{}\\_%'",
            std::process::id()
        ),
    )
    .await;
    assert_eq!(leftover, 0, "restore roles are dropped");
}

#[tokio::test]
async fn a_database_name_that_looks_like_a_connection_string_is_only_a_name() {
    // Arrange: a victim database holding data, and a backup of another one.
    let victim = migrated_db().await;
    exec(
        &victim.target,
        "insert into core.brands (name, slug) values ('Victim', 'victim-row')",
    )
    .await;
    let source = migrated_db().await;
    let (_dir, done) = backed_up(&source).await;
    let name = format!("dbname={}", victim.name);

    // Act: restore --to 'dbname=<victim>' without --yes.
    let outcome = backup::restore(&server().target(&name), &bins(), &done.dump, false).await;

    // Assert: a database literally named so was created; the victim is untouched.
    let outcome = outcome.unwrap();
    assert!(outcome.created, "{outcome:?}");
    let kept: i64 = scalar(
        &victim.target,
        "select count(*) from core.brands where slug = 'victim-row'",
    )
    .await;
    assert_eq!(kept, 1, "the victim database was restored over");
    admin_exec(&format!(
        "drop database {} with (force)",
        quote_ident(&name)
    ))
    .await;
}

#[test]
fn the_passfile_names_only_the_targets_host_port_and_user() {
    let target = DbTarget::from_url("postgresql://shop:s3cret@db.example:6543/soleflip").unwrap();
    let conn = backup::ChildConnection::new(&target, "test").unwrap();
    let text = std::fs::read_to_string(conn.passfile().unwrap()).unwrap();
    assert_eq!(text, "db.example:6543:*:shop:s3cret\n");
    // A host given inside a database name goes nowhere: the name is a name.
    let other = target.with_database("host=127.0.0.1 port=1 dbname=x");
    assert_eq!(other.endpoint(), "db.example:6543");
}

#[tokio::test]
async fn a_password_given_as_a_query_parameter_is_redacted_and_logs_the_backup_in() {
    let Some(cluster) = server().cluster() else {
        return; // a given server: its TCP set-up is unknown
    };
    let role = unique_name("sf_qp");
    let secret = "Qp-s3cret-value";
    admin_exec(&format!(
        "create role {role} login password '{secret}' superuser"
    ))
    .await;
    let db = migrated_db().await;
    let url = format!(
        "postgresql://{role}@127.0.0.1:{}/{}?password={secret}&sslmode=disable",
        cluster.cluster().port(),
        db.name
    );
    let target = DbTarget::from_url(&url).unwrap();
    assert!(!target.describe().contains(secret), "{}", target.describe());
    assert!(
        target.describe().contains("password=***"),
        "{}",
        target.describe()
    );

    let dir = tempfile::tempdir().unwrap();
    let done = backup::backup(&target, &bins(), dir.path()).await;
    admin_exec(&format!("alter role {role} nosuperuser")).await;
    let done = done.unwrap();
    assert!(done.manifest.total_rows >= 0);
    assert!(!format!("{done:?}").contains(secret));
}

#[tokio::test]
async fn a_backup_directory_others_may_write_or_that_is_not_ours_is_refused() {
    let db = empty_db().await;
    let dir = tempfile::tempdir().unwrap();
    std::fs::set_permissions(dir.path(), std::fs::Permissions::from_mode(0o777)).unwrap();
    let err = backup::backup(&db.target, &bins(), dir.path())
        .await
        .unwrap_err()
        .to_string();
    assert!(err.contains("refusing the backup directory"), "{err}");
    assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 0);

    // Owned by another user (the tests run as root: give it to postgres).
    if rustix::process::geteuid().is_root() {
        let other = soleflip_pg::OsUser::lookup("postgres").unwrap();
        std::fs::set_permissions(dir.path(), std::fs::Permissions::from_mode(0o700)).unwrap();
        other.chown(dir.path()).unwrap();
        let err = backup::backup(&db.target, &bins(), dir.path())
            .await
            .unwrap_err()
            .to_string();
        assert!(err.contains("belongs to user id"), "{err}");
    }
    // A symbolic link to a directory is refused too.
    let root = tempfile::tempdir().unwrap();
    let link = root.path().join("link");
    std::os::unix::fs::symlink(root.path(), &link).unwrap();
    let err = backup::backup(&db.target, &bins(), &link)
        .await
        .unwrap_err()
        .to_string();
    assert!(err.contains("symbolic link"), "{err}");
}

#[tokio::test]
async fn partial_files_planted_as_symlinks_are_never_followed() {
    let db = empty_db().await;
    let dir = tempfile::tempdir().unwrap();
    let victim = tempfile::NamedTempFile::new().unwrap();
    std::fs::write(victim.path(), b"precious").unwrap();
    // Every name a backup of the next seconds could use for its partial files.
    let now = chrono::Utc::now();
    for s in 0..5 {
        let stem = format!(
            "{}-{}",
            db.name,
            (now + chrono::Duration::seconds(s)).format("%Y%m%dT%H%M%SZ")
        );
        for ext in [".dump.partial", ".manifest.json.partial"] {
            std::os::unix::fs::symlink(victim.path(), dir.path().join(format!("{stem}{ext}")))
                .unwrap();
        }
    }
    let done = backup::backup(&db.target, &bins(), dir.path())
        .await
        .unwrap();
    assert_eq!(std::fs::read(victim.path()).unwrap(), b"precious");
    assert!(done.dump.is_file() && done.manifest_path.is_file());
}

/// Writes a manifest naming `file` beside a copy of a real backup.
fn manifest_naming(done: &backup::BackupOutcome, dir: &Path, file: &str) -> std::path::PathBuf {
    let mut m = done.manifest.clone();
    m.file = file.to_string();
    let path = dir.join("forged-20250101T000000Z.manifest.json");
    std::fs::write(&path, serde_json::to_vec(&m).unwrap()).unwrap();
    path
}

#[tokio::test]
async fn a_manifest_may_only_name_a_regular_file_beside_it() {
    let db = empty_db().await;
    let (dir, done) = backed_up(&db).await;
    for file in [
        "../x.dump",
        "/dev/zero",
        "/etc/passwd",
        "..",
        "",
        "sub/x.dump",
    ] {
        let path = manifest_naming(&done, dir.path(), file);
        let err = backup::check_file(&path).await.unwrap_err();
        assert!(
            matches!(err, BackupError::BadManifest { .. }),
            "{file}: {err:?}"
        );
        assert!(err.to_string().contains("field \"file\""), "{err}");
    }
    // A plain name that is a link to a device is not read either.
    std::os::unix::fs::symlink("/dev/zero", dir.path().join("zero.dump")).unwrap();
    let path = manifest_naming(&done, dir.path(), "zero.dump");
    let err = backup::check_file(&path).await.unwrap_err();
    assert!(matches!(err, BackupError::Corrupt { .. }), "{err:?}");
}

#[tokio::test]
async fn row_counts_of_tables_whose_names_hold_dots_do_not_collide() {
    let db = empty_db().await;
    exec(
        &db.target,
        r#"create schema x; create table x."y.z" (i int); insert into x."y.z" values (1);
           create schema "x.y"; create table "x.y".z (i int); insert into "x.y".z values (1), (2);"#,
    )
    .await;
    let (_dir, done) = backed_up(&db).await;
    let tables = &done.manifest.tables;
    assert_eq!(tables.get(r#"x."y.z""#), Some(&1), "{tables:?}");
    assert_eq!(tables.get(r#""x.y".z"#), Some(&2), "{tables:?}");
    let outcome = backup::verify(&server().target("postgres"), &bins(), &done.dump)
        .await
        .unwrap();
    assert_eq!(outcome.differences, Vec::<String>::new());
}

#[tokio::test]
async fn archiving_into_an_existing_directory_that_holds_files_or_is_a_link_is_refused() {
    let home = tempfile::tempdir().unwrap();
    let cluster =
        soleflip_pg::Cluster::open(home.path(), bins(), soleflip_pg::ClusterOptions::default())
            .unwrap();
    let taken = tempfile::tempdir().unwrap();
    std::fs::write(taken.path().join("notes.txt"), b"mine").unwrap();
    std::fs::set_permissions(taken.path(), std::fs::Permissions::from_mode(0o755)).unwrap();
    let link = home.path().join("link");
    std::os::unix::fs::symlink(taken.path(), &link).unwrap();
    let before = std::fs::metadata(taken.path()).unwrap();

    let into_files = backup::archive_on(&cluster, taken.path()).await;
    let into_link = backup::archive_on(&cluster, &link).await;

    let err = into_files.unwrap_err().to_string();
    assert!(err.contains("not empty"), "{err}");
    let err = into_link.unwrap_err().to_string();
    assert!(err.contains("following a link"), "{err}");
    let after = std::fs::metadata(taken.path()).unwrap();
    use std::os::unix::fs::MetadataExt;
    assert_eq!(
        (after.uid(), after.mode()),
        (before.uid(), before.mode()),
        "the directory was given away"
    );
    assert!(
        !cluster.status().initialized,
        "nothing was started or created"
    );
}

#[tokio::test]
async fn a_database_named_like_a_connection_string_is_backed_up_as_itself() {
    let other = migrated_db().await;
    let name = format!("dbname={}", other.name);
    admin_exec(&format!("create database {}", quote_ident(&name))).await;
    let target = server().target(&name);
    exec(
        &target,
        "create table public.t (i int); insert into public.t values (1)",
    )
    .await;
    let dir = tempfile::tempdir().unwrap();

    let done = backup::backup(&target, &bins(), dir.path()).await;

    admin_exec(&format!(
        "drop database {} with (force)",
        quote_ident(&name)
    ))
    .await;
    let done = done.unwrap();
    assert_eq!(done.manifest.database, name);
    assert_eq!(
        done.manifest.tables.keys().collect::<Vec<_>>(),
        ["public.t"],
        "the dump is of another database"
    );
}
