//! `soleflip serve` as a process under SIGTERM: a request in flight when the signal arrives is
//! answered in full before the process exits; new connections are refused from then on.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    reason = "test helpers stop the test loudly on a failed step"
)]

use std::io::{BufRead, BufReader, Read, Write};
use std::process::{Command, Stdio};

#[tokio::test]
async fn a_request_in_flight_when_sigterm_arrives_is_answered_before_serve_exits() {
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
    let addr = loop {
        let line = lines.next().expect("serve printed its address").unwrap();
        if let Some(rest) = line.split("serving http://").nth(1) {
            break rest.split_whitespace().next().unwrap().to_string();
        }
    };

    // A login whose body is held back: the server answers "100 Continue" once its handler
    // starts reading the body, so the request is in flight when SIGTERM arrives.
    let body = r#"{"username":"nobody","password":"correct horse battery"}"#;
    let mut conn = std::net::TcpStream::connect(&addr).unwrap();
    write!(
        conn,
        "POST /api/v1/auth/login HTTP/1.1\r\nHost: {addr}\r\ncontent-type: application/json\r\n\
         expect: 100-continue\r\nconnection: close\r\ncontent-length: {}\r\n\r\n",
        body.len()
    )
    .unwrap();
    let mut interim = Vec::new();
    let mut byte = [0u8; 1];
    while !interim.ends_with(b"\r\n\r\n") {
        conn.read_exact(&mut byte).unwrap();
        interim.push(byte[0]);
    }
    let killed = Command::new("kill")
        .args(["-TERM", &child.id().to_string()])
        .status()
        .unwrap();
    // The signal is handled before the body goes out: the listener closes first.
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
    let mut refused = false;
    while !refused && std::time::Instant::now() < deadline {
        refused = std::net::TcpStream::connect(&addr).is_err();
        tokio::task::yield_now().await;
    }
    conn.write_all(body.as_bytes()).unwrap();
    let mut answer = String::new();
    conn.read_to_string(&mut answer).unwrap();
    let status = child.wait().unwrap();
    let rest: Vec<String> = lines.map_while(Result::ok).collect();

    assert!(killed.success());
    assert!(interim.starts_with(b"HTTP/1.1 100"), "{interim:?}");
    assert!(refused, "new connections are refused once SIGTERM arrived");
    assert!(answer.starts_with("HTTP/1.1 401"), "{answer}");
    assert!(answer.contains("unauthenticated"), "{answer}");
    assert!(status.success(), "{status:?}");
    assert_eq!(rest.last().map(String::as_str), Some("stopped"));
}
