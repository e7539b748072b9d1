//! The server's process-level behaviour against real PostgreSQL: health, readiness, headers.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    reason = "test helpers stop the test loudly on a failed step"
)]

mod common;

use common::spawn;

#[tokio::test]
async fn healthz_answers_and_every_response_carries_the_security_headers_and_a_request_id() {
    let server = spawn().await;
    let res = server
        .client
        .get(server.url("/healthz"))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
    let h = res.headers();
    assert_eq!(h["x-content-type-options"], "nosniff");
    assert_eq!(h["x-frame-options"], "DENY");
    assert_eq!(h["referrer-policy"], "no-referrer");
    assert!(h["content-security-policy"]
        .to_str()
        .unwrap()
        .contains("default-src 'none'"));
    assert!(!h["x-request-id"].is_empty());
}

#[tokio::test]
async fn readyz_is_ready_on_a_migrated_database() {
    let server = spawn().await;
    let res = server
        .client
        .get(server.url("/readyz"))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
    let body: serde_json::Value = res.json().await.unwrap();
    assert_eq!(body["ready"], true);
}

#[tokio::test]
async fn readyz_is_503_on_a_database_behind_the_expected_migration() {
    let server = common::spawn_on(soleflip_testkit::empty_db().await).await;
    let res = server
        .client
        .get(server.url("/readyz"))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 503);
    let body: serde_json::Value = res.json().await.unwrap();
    assert_eq!(body["error"]["code"], "unavailable");
}

#[tokio::test]
async fn an_unknown_route_answers_in_the_error_envelope() {
    let server = spawn().await;
    let res = server
        .client
        .get(server.url("/nowhere"))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 404);
    let body: serde_json::Value = res.json().await.unwrap();
    assert_eq!(body["error"]["code"], "not_found");
}

#[tokio::test]
async fn on_shutdown_a_request_in_flight_finishes_and_new_connections_are_refused() {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let db = soleflip_testkit::migrated_db().await;
    let home = tempfile::tempdir().unwrap();
    let app = std::sync::Arc::new(soleflip_app::App::new(soleflip_app::AppConfig {
        home: home.path().to_path_buf(),
        database: Some(db.target.clone()),
    }));
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let router = soleflip_server::router(app, soleflip_server::Limits::default());
    let server = tokio::spawn(soleflip_server::serve(listener, router, async {
        let _ = stopped.await;
    }));

    // A login whose body has not arrived yet: the server answers "100 Continue" once the
    // handler starts reading it, so the request is in flight when the shutdown begins.
    let body = r#"{"username":"nobody","password":"correct horse battery"}"#;
    let mut conn = tokio::net::TcpStream::connect(addr).await.unwrap();
    conn.write_all(
        format!(
            "POST /api/v1/auth/login HTTP/1.1\r\nHost: {addr}\r\ncontent-type: application/json\r\nexpect: 100-continue\r\ncontent-length: {}\r\n\r\n",
            body.len()
        )
        .as_bytes(),
    )
    .await
    .unwrap();
    let mut interim = Vec::new();
    while !interim.ends_with(b"\r\n\r\n") {
        interim.push(conn.read_u8().await.unwrap());
    }
    assert!(interim.starts_with(b"HTTP/1.1 100"));
    stop.send(()).unwrap();
    conn.write_all(body.as_bytes()).await.unwrap();
    let mut answer = String::new();
    conn.read_to_string(&mut answer).await.unwrap();
    assert!(answer.starts_with("HTTP/1.1 401"), "{answer}");

    server.await.unwrap().unwrap();
    assert!(tokio::net::TcpStream::connect(addr).await.is_err());
}
