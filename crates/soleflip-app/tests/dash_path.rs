//! A backup whose path starts with `-` is a path, never an option of `pg_dump` or
//! `pg_restore`. (Its own test binary: it changes the working directory.)

use std::path::Path;

use soleflip_app::backup;
use soleflip_pg::PgBinaries;
use soleflip_testkit::{migrated_db, server, unique_name};

#[tokio::test]
async fn a_backup_path_starting_with_a_dash_is_passed_as_a_path() {
    let db = migrated_db().await;
    let bins = PgBinaries::locate().unwrap();
    let cwd = tempfile::tempdir().unwrap();
    std::env::set_current_dir(cwd.path()).unwrap();
    let dir = Path::new("-d");

    let done = backup::backup(&db.target, &bins, dir).await.unwrap();
    let relative = dir.join(done.dump.file_name().unwrap());
    assert!(relative.to_string_lossy().starts_with("-d/"));
    let verified = backup::verify(&server().target("postgres"), &bins, &relative)
        .await
        .unwrap();
    let to = server().target(&unique_name("sf_dash"));
    let restored = backup::restore(&to, &bins, &relative, false).await.unwrap();

    assert_eq!(verified.differences, Vec::<String>::new());
    assert!(restored.created);
    assert_eq!(restored.differences, Vec::<String>::new());
}
