//! Imports over HTTP on a real server and real PostgreSQL: an upload answers 202 with a job,
//! the job is polled and followed as server-sent events to the importer's report, a bad file
//! fails with the error envelope's code, an upload over the limit is refused, and a readonly
//! user may not import.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    reason = "test helpers stop the test loudly on a failed step"
)]

mod common;

use std::time::Duration;

use reqwest::multipart::{Form, Part};
use reqwest::StatusCode;
use serde_json::Value;
use soleflip_app::auth::{Actor, Role};

async fn token_for(server: &common::Server, name: &str, role: Role) -> String {
    server.token_for(name, role).await
}

fn stockx_fixture() -> Vec<u8> {
    std::fs::read(
        std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("../soleflip-app/tests/fixtures/imports/stockx_sales.csv"),
    )
    .unwrap()
}

async fn upload(
    server: &common::Server,
    token: &str,
    kind: &str,
    bytes: Vec<u8>,
) -> reqwest::Response {
    let form = Form::new().part("file", Part::bytes(bytes).file_name("report.csv"));
    server
        .client
        .post(server.url(&format!("/api/v1/imports/{kind}")))
        .bearer_auth(token)
        .multipart(form)
        .send()
        .await
        .unwrap()
}

async fn wait_for(server: &common::Server, token: &str, id: &str) -> Value {
    for _ in 0..200 {
        let state: Value = server
            .client
            .get(server.url(&format!("/api/v1/imports/jobs/{id}")))
            .bearer_auth(token)
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        if state["status"] != "running" {
            return state;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    panic!("job {id} still running");
}

#[tokio::test]
async fn an_uploaded_stockx_report_is_imported_by_a_job_that_can_be_polled() {
    let server = common::spawn().await;
    let token = token_for(&server, "seller", Role::User).await;

    let res = upload(&server, &token, "stockx-sales", stockx_fixture()).await;
    assert_eq!(res.status(), StatusCode::ACCEPTED);
    let job: Value = res.json().await.unwrap();
    assert_eq!(job["status"], "running");
    let done = wait_for(&server, &token, job["id"].as_str().unwrap()).await;

    assert_eq!(done["status"], "done", "{done}");
    assert_eq!(done["report"]["imported"], 7);
    assert_eq!(done["report"]["rejected"], 4);
    assert_eq!(done["report"]["file"], "report.csv");
    assert_eq!(done["report"]["imported_sums"][0]["payout"], "723.78");
}

#[tokio::test]
async fn a_job_can_be_followed_as_server_sent_events_to_its_last_event() {
    let server = common::spawn().await;
    let token = token_for(&server, "seller", Role::User).await;
    let job: Value = upload(&server, &token, "stockx-sales", stockx_fixture())
        .await
        .json()
        .await
        .unwrap();

    let res = server
        .client
        .get(server.url(&format!(
            "/api/v1/imports/jobs/{}/events",
            job["id"].as_str().unwrap()
        )))
        .bearer_auth(&token)
        .send()
        .await
        .unwrap();
    assert_eq!(
        res.headers()["content-type"].to_str().unwrap(),
        "text/event-stream"
    );
    let body = tokio::time::timeout(Duration::from_secs(30), res.text())
        .await
        .unwrap()
        .unwrap();

    let last = body
        .split("\n\n")
        .filter(|e| !e.trim().is_empty())
        .last()
        .unwrap();
    assert!(last.starts_with("event: done"), "{body}");
    let data: Value =
        serde_json::from_str(last.lines().find_map(|l| l.strip_prefix("data: ")).unwrap()).unwrap();
    assert_eq!(data["report"]["imported"], 7);
}

#[tokio::test]
async fn a_file_the_importer_refuses_fails_its_job_with_the_envelope_code() {
    let server = common::spawn().await;
    let token = token_for(&server, "seller", Role::User).await;
    let job: Value = upload(&server, &token, "stockx-sales", b"a,b\n1,2\n".to_vec())
        .await
        .json()
        .await
        .unwrap();

    let done = wait_for(&server, &token, job["id"].as_str().unwrap()).await;

    assert_eq!(done["status"], "failed");
    assert_eq!(done["error"]["code"], "invalid_input");
    assert!(done["error"]["message"]
        .as_str()
        .unwrap()
        .contains("the column `Order Number` is missing"));
}

#[tokio::test]
async fn an_upload_without_a_file_or_of_an_unknown_kind_is_refused() {
    let server = common::spawn().await;
    let token = token_for(&server, "seller", Role::User).await;
    let no_file = server
        .client
        .post(server.url("/api/v1/imports/purchases"))
        .bearer_auth(&token)
        .multipart(Form::new().text("dry_run", "true"))
        .send()
        .await
        .unwrap();
    let unknown = upload(&server, &token, "ebay-orders", b"x".to_vec()).await;

    assert_eq!(no_file.status(), StatusCode::BAD_REQUEST);
    let body: Value = no_file.json().await.unwrap();
    assert_eq!(body["error"]["code"], "invalid_input");
    assert_eq!(unknown.status(), StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn a_readonly_user_may_not_import() {
    let server = common::spawn().await;
    let token = token_for(&server, "viewer", Role::Readonly).await;

    let res = upload(&server, &token, "stockx-sales", stockx_fixture()).await;

    assert_eq!(res.status(), StatusCode::FORBIDDEN);
}

#[tokio::test]
async fn an_upload_larger_than_the_limit_is_refused_with_413_in_the_envelope() {
    let server = common::spawn_with(soleflip_server::Limits {
        upload_bytes: 4096,
        ..soleflip_server::Limits::default()
    })
    .await;
    let token = token_for(&server, "seller", Role::User).await;

    let res = upload(&server, &token, "stockx-sales", vec![b'x'; 64 * 1024]).await;

    assert_eq!(res.status(), StatusCode::PAYLOAD_TOO_LARGE);
    let body: Value = res.json().await.unwrap();
    assert_eq!(body["error"]["code"], "too_large");
}

#[tokio::test]
async fn a_server_told_to_stop_during_an_import_lets_the_job_commit_whole() {
    let db = soleflip_testkit::migrated_db().await;
    let home = tempfile::tempdir().unwrap();
    let app = std::sync::Arc::new(soleflip_app::App::new(soleflip_app::AppConfig {
        home: home.path().to_path_buf(),
        database: Some(db.target.clone()),
    }));
    app.user_add(&Actor::cli(), "seller", Role::User, Some(common::PW))
        .await
        .unwrap();
    let token = app
        .token_create(&Actor::cli(), "seller", "test", None)
        .await
        .unwrap()
        .token;
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let router = soleflip_server::router(app.clone(), soleflip_server::Limits::default());
    let server = tokio::spawn(soleflip_server::serve(listener, router, async {
        let _ = stopped.await;
    }));

    let form = Form::new().part("file", Part::bytes(stockx_fixture()).file_name("r.csv"));
    let res = reqwest::Client::new()
        .post(format!("{base}/api/v1/imports/stockx-sales"))
        .bearer_auth(&token)
        .multipart(form)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::ACCEPTED);
    stop.send(()).unwrap();
    server.await.unwrap().unwrap();

    let mut conn = db.connect().await;
    let orders: i64 = sqlx::query_scalar("select count(*) from transactions.orders")
        .fetch_one(&mut conn)
        .await
        .unwrap();
    assert_eq!(orders, 7, "the job finished before the server stopped");
}

#[tokio::test]
async fn an_awin_feed_and_an_fx_file_are_imported_through_the_same_upload() {
    let server = common::spawn().await;
    let token = token_for(&server, "seller", Role::User).await;
    let feed = std::fs::read(
        std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("../soleflip-app/tests/fixtures/awin/feed.csv"),
    )
    .unwrap();
    let fx = b"Date, USD, GBP, \n24 November 2026, 1.0512, 0.8401, \n".to_vec();

    let awin: Value = upload(&server, &token, "awin", feed)
        .await
        .json()
        .await
        .unwrap();
    let rates: Value = upload(&server, &token, "fx", fx)
        .await
        .json()
        .await
        .unwrap();
    let awin = wait_for(&server, &token, awin["id"].as_str().unwrap()).await;
    let rates = wait_for(&server, &token, rates["id"].as_str().unwrap()).await;

    assert_eq!(awin["status"], "done", "{awin}");
    assert!(awin["report"]["rows_read"].as_u64().unwrap() > 0, "{awin}");
    assert_eq!(rates["status"], "done", "{rates}");
}

#[tokio::test]
async fn a_stockx_sync_runs_as_a_job_and_without_credentials_fails_saying_how_to_connect() {
    // arrange
    let server = common::spawn().await;
    let user = server
        .token_for("syncer", soleflip_app::auth::Role::User)
        .await;
    let admin = server
        .token_for("boss", soleflip_app::auth::Role::Admin)
        .await;

    // act
    let status: serde_json::Value = server
        .client
        .get(server.url("/api/v1/stockx/status"))
        .bearer_auth(&admin)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let bad = server
        .client
        .post(server.url("/api/v1/stockx/sync/everything"))
        .bearer_auth(&user)
        .json(&serde_json::json!({}))
        .send()
        .await
        .unwrap();
    let started = server
        .client
        .post(server.url("/api/v1/stockx/sync/prices"))
        .bearer_auth(&user)
        .json(&serde_json::json!({}))
        .send()
        .await
        .unwrap();
    let code = started.status();
    let job: serde_json::Value = started.json().await.unwrap();
    let url = server.url(&format!(
        "/api/v1/imports/jobs/{}",
        job["id"].as_str().unwrap()
    ));
    let mut done = job.clone();
    for _ in 0..200 {
        done = server
            .client
            .get(&url)
            .bearer_auth(&user)
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        if done["status"] != "running" {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }

    // assert
    assert_eq!(status["connected"], false, "{status}");
    assert_eq!(bad.status(), 400);
    assert_eq!(code, 202);
    assert_eq!(job["kind"], "stockx-prices");
    assert_eq!(done["status"], "failed", "{done}");
    let message = done["error"]["message"].as_str().unwrap();
    assert!(message.contains("stockx connect"), "{message}");
}
