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
