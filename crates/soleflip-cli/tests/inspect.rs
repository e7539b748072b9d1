//! `soleflip db health` and `soleflip db docs` end to end, against real PostgreSQL.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    reason = "test helpers stop the test loudly on a failed step"
)]

mod common;

use common::{soleflip_on, stderr, stdout};
use soleflip_testkit::{migrated_db, server, unique_name};

#[tokio::test]
async fn db_health_on_a_fresh_database_exits_by_its_worst_finding_and_never_crit() {
    let db = migrated_db().await;

    let text = soleflip_on(&db.url, &["db", "health"]);
    let json = soleflip_on(&db.url, &["db", "health", "--format", "json"]);

    let report: serde_json::Value = serde_json::from_slice(&json.stdout)
        .unwrap_or_else(|e| panic!("{e}: {}{}", stdout(&json), stderr(&json)));
    let worst = report["worst"].as_str().unwrap();
    let want = match worst {
        "OK" => 0,
        "WARN" => 1,
        other => panic!("a fresh database is {other}: {}", stdout(&json)),
    };
    assert_eq!(json.status.code(), Some(want), "{}", stderr(&json));
    assert_eq!(text.status.code(), Some(want), "{}", stderr(&text));
    assert!(stderr(&text).is_empty(), "{}", stderr(&text));
    let out = stdout(&text);
    assert!(out.starts_with("database: "), "{out}");
    assert!(out.contains("threshold: "), "{out}");
    assert!(
        out.trim_end()
            .lines()
            .last()
            .unwrap()
            .starts_with(&format!("result: {worst} (0 CRIT")),
        "{out}"
    );
}

#[test]
fn db_health_that_cannot_connect_exits_1_with_an_error_line_and_no_report() {
    let url = server().url(&unique_name("sf_missing"));

    let out = soleflip_on(&url, &["db", "health"]);

    assert_eq!(out.status.code(), Some(1));
    assert!(stdout(&out).is_empty(), "{}", stdout(&out));
    let err = stderr(&out);
    assert!(
        err.starts_with("soleflip: error: ") && err.contains("does not exist"),
        "{err}"
    );
}

#[tokio::test]
async fn db_docs_writes_the_dictionary_and_a_second_run_writes_the_same_bytes() {
    let db = migrated_db().await;
    let out_dir = tempfile::tempdir().unwrap();
    let dir = out_dir.path().join("database");
    let dir_arg = dir.to_str().unwrap();

    let first = soleflip_on(&db.url, &["db", "docs", "--out", dir_arg]);
    assert!(first.status.success(), "{}", stderr(&first));
    let read = || {
        let mut files: Vec<(String, String)> = std::fs::read_dir(&dir)
            .unwrap()
            .map(|e| {
                let p = e.unwrap().path();
                (
                    p.file_name().unwrap().to_string_lossy().into_owned(),
                    std::fs::read_to_string(&p).unwrap(),
                )
            })
            .collect();
        files.sort();
        files
    };
    let before = read();
    let second = soleflip_on(&db.url, &["db", "docs", "--out", dir_arg]);
    assert!(second.status.success(), "{}", stderr(&second));

    assert_eq!(read(), before);
    let names: Vec<&str> = before.iter().map(|(n, _)| n.as_str()).collect();
    for expected in ["README.md", "core.md", "products.md", "public.md"] {
        assert!(names.contains(&expected), "{names:?}");
    }
    let readme = &before.iter().find(|(n, _)| n == "README.md").unwrap().1;
    assert!(readme.contains("```mermaid\nerDiagram\n"));
    assert!(stdout(&first).contains(&format!("wrote {}", dir.join("README.md").display())));
}
