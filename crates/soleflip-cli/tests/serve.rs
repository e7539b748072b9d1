//! `soleflip serve` as a process: migrates, prints the first admin's setup token, answers, and
//! stops cleanly on SIGTERM.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    reason = "test helpers stop the test loudly on a failed step"
)]

use std::io::{BufRead, BufReader, Read, Write};
use std::process::{Command, Stdio};

fn get(addr: &str, path: &str) -> String {
    let mut stream = std::net::TcpStream::connect(addr).unwrap();
    write!(stream, "GET {path} HTTP/1.0\r\nHost: {addr}\r\n\r\n").unwrap();
    let mut text = String::new();
    stream.read_to_string(&mut text).unwrap();
    text
}

#[tokio::test]
async fn serve_migrates_prints_a_setup_token_answers_and_stops_on_sigterm() {
    let db = soleflip_testkit::empty_db().await;
    let cwd = tempfile::tempdir().unwrap();
    let mut child = Command::new(env!("CARGO_BIN_EXE_soleflip"))
        .env_remove("DATABASE_URL")
        .env_remove("SOLEFLIP_HOME")
        .current_dir(cwd.path())
        .args(["--database-url", &db.url, "serve", "--bind", "127.0.0.1:0"])
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let mut lines = BufReader::new(child.stdout.take().unwrap()).lines();
    let mut printed = Vec::new();
    let addr = loop {
        let line = lines.next().expect("serve printed its address").unwrap();
        printed.push(line.clone());
        if let Some(rest) = line.split("serving http://").nth(1) {
            break rest.split_whitespace().next().unwrap().to_string();
        }
    };
    assert!(
        printed.iter().any(|l| l.contains("one-time setup token")),
        "{printed:?}"
    );
    assert!(
        printed
            .iter()
            .any(|l| l.contains(&format!("http://{addr}/setup?token="))),
        "the setup link names the bound address: {printed:?}"
    );
    assert!(
        get(&addr, "/readyz").starts_with("HTTP/1.0 200"),
        "migrated by serve"
    );
    assert!(
        get(&addr, "/login").starts_with("HTTP/1.0 200"),
        "the web page is served"
    );

    let killed = Command::new("kill")
        .args(["-TERM", &child.id().to_string()])
        .status()
        .unwrap();
    assert!(killed.success());
    let status = child.wait().unwrap();
    assert!(status.success(), "{status:?}");
    let rest: Vec<String> = lines.map_while(Result::ok).collect();
    assert_eq!(rest.last().map(String::as_str), Some("stopped"));
}
