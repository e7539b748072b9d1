//! The API over a real server (127.0.0.1:0) and real PostgreSQL: every route for every role,
//! login timing, rate limits, CSRF, token revocation, body limits, malformed bodies.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    reason = "test helpers stop the test loudly on a failed step"
)]

mod common;

use std::time::{Duration, Instant};

use reqwest::{Method, StatusCode};
use serde_json::{json, Value};
use soleflip_app::auth::Role;
use soleflip_server::routes::{access_of, handlers, Access};

const PW: &str = "correct horse battery";

/// An API token for a new user of this role.
async fn token_for(server: &common::Server, name: &str, role: Role) -> String {
    server.token_for(name, role).await
}

async fn envelope(res: reqwest::Response) -> (StatusCode, Value) {
    let status = res.status();
    (status, res.json().await.unwrap_or(Value::Null))
}

#[tokio::test]
async fn every_route_declares_its_access_and_answers_each_role_accordingly() {
    let server = common::spawn().await;
    let callers = [
        (
            "readonly",
            Some(token_for(&server, "r", Role::Readonly).await),
            Role::Readonly,
        ),
        (
            "user",
            Some(token_for(&server, "u", Role::User).await),
            Role::User,
        ),
        (
            "admin",
            Some(token_for(&server, "a", Role::Admin).await),
            Role::Admin,
        ),
    ];
    // Redirects are answers here (a page sends the anonymous to /login), not followed.
    let plain = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap();
    let mut undeclared = Vec::new();
    for (method, path, _) in handlers() {
        let Some(access) = access_of(&method, path) else {
            undeclared.push(format!("{method} {path}"));
            continue;
        };
        let url = server.url(
            &path
                .replace("{id}", "00000000-0000-4000-8000-000000000000")
                .replace("{name}", "nobody"),
        );
        let send = |token: Option<&str>| {
            let mut req = plain.request(method.clone(), &url);
            if !path.starts_with("/api/") {
                req = req.header("accept", "text/html");
            }
            if method == Method::POST {
                req = req.json(&json!({}));
            }
            if let Some(t) = token {
                req = req.bearer_auth(t);
            }
            req.send()
        };
        let anonymous = send(None).await.unwrap();
        let is_page = !path.starts_with("/api/");
        let location = anonymous
            .headers()
            .get("location")
            .map(|v| v.to_str().unwrap().to_string());
        let anonymous = anonymous.status();
        match access {
            Access::Public => assert_ne!(anonymous, StatusCode::FORBIDDEN, "{method} {path}"),
            Access::AtLeast(_) if is_page => {
                assert_eq!(
                    anonymous,
                    StatusCode::SEE_OTHER,
                    "anonymous {method} {path}"
                );
                assert!(
                    location.as_deref().is_some_and(|l| l.starts_with("/login")),
                    "anonymous {method} {path} sent to {location:?}"
                );
            }
            Access::AtLeast(_) => {
                assert_eq!(
                    anonymous,
                    StatusCode::UNAUTHORIZED,
                    "anonymous {method} {path}"
                )
            }
        }
        for (label, token, role) in &callers {
            let status = send(token.as_deref()).await.unwrap().status();
            let allowed = match access {
                Access::Public => true,
                Access::AtLeast(needed) => *role >= needed,
            };
            if allowed {
                assert!(
                    status != StatusCode::FORBIDDEN
                        && status != StatusCode::UNAUTHORIZED
                        && !status.is_server_error(),
                    "{label} {method} {path}: {status}"
                );
            } else {
                assert_eq!(status, StatusCode::FORBIDDEN, "{label} {method} {path}");
            }
        }
    }
    assert!(
        undeclared.is_empty(),
        "routes without an access declaration: {undeclared:?}"
    );
    let registered: Vec<(String, &str)> = handlers()
        .into_iter()
        .map(|(m, p, _)| (m.to_string(), p))
        .collect();
    for (method, path, _, _) in soleflip_server::routes::ACCESS {
        assert!(
            registered.contains(&(method.to_string(), path)),
            "declared but not served: {method} {path}"
        );
    }
}

async fn login(server: &common::Server, user: &str, password: &str) -> reqwest::Response {
    server
        .client
        .post(server.url("/api/v1/auth/login"))
        .json(&json!({ "username": user, "password": password }))
        .send()
        .await
        .unwrap()
}

fn median(mut v: Vec<Duration>) -> Duration {
    v.sort();
    v[v.len() / 2]
}

#[tokio::test]
async fn a_login_takes_about_as_long_for_an_unknown_user_as_for_a_wrong_password() {
    let server = common::spawn().await;
    token_for(&server, "known", Role::User).await;
    soleflip_app::auth::warm_up();
    let (mut unknown, mut wrong) = (Vec::new(), Vec::new());
    for i in 0..4 {
        let t = Instant::now();
        let (status, body) = envelope(login(&server, &format!("ghost{i}"), PW).await).await;
        unknown.push(t.elapsed());
        assert_eq!(
            (status, &body["error"]["code"]),
            (StatusCode::UNAUTHORIZED, &json!("unauthenticated"))
        );
        let t = Instant::now();
        let (status2, body2) = envelope(login(&server, "known", "wrong horse battery").await).await;
        wrong.push(t.elapsed());
        assert_eq!(status2, status);
        assert_eq!(body2, body, "the same answer for both");
    }
    let (u, w) = (median(unknown), median(wrong));
    let ratio = u.as_secs_f64() / w.as_secs_f64();
    eprintln!("login median: unknown user {u:?}, wrong password {w:?}, ratio {ratio:.2}");
    assert!(
        (0.5..2.0).contains(&ratio),
        "unknown {u:?} vs wrong password {w:?}"
    );
}

#[tokio::test]
async fn too_many_failed_logins_answer_429_with_retry_after() {
    let server = common::spawn().await;
    token_for(&server, "victim", Role::User).await;
    for _ in 0..soleflip_app::auth::MAX_FAILURES_PER_USER {
        assert_eq!(
            login(&server, "victim", "wrong horse battery")
                .await
                .status(),
            401
        );
    }
    let res = login(&server, "victim", PW).await;
    assert_eq!(res.status(), StatusCode::TOO_MANY_REQUESTS);
    let retry: u64 = res.headers()["retry-after"]
        .to_str()
        .unwrap()
        .parse()
        .unwrap();
    assert!(retry > 0);
    let (_, body) = envelope(res).await;
    assert_eq!(body["error"]["code"], "rate_limited");
}

#[tokio::test]
async fn a_cookie_session_mutation_without_our_origin_is_refused() {
    let server = common::spawn().await;
    token_for(&server, "web", Role::User).await;
    let res = login(&server, "web", PW).await;
    assert_eq!(res.status(), 200);
    let cookie = res.headers()["set-cookie"].to_str().unwrap().to_string();
    assert!(cookie.contains("HttpOnly") && cookie.contains("SameSite=Strict"));
    let pair = cookie.split(';').next().unwrap().to_string();
    let me = server
        .client
        .get(server.url("/api/v1/auth/me"))
        .header("cookie", &pair)
        .send()
        .await
        .unwrap();
    assert_eq!(me.status(), 200, "a read needs no Origin");
    let foreign = server
        .client
        .post(server.url("/api/v1/auth/logout"))
        .header("cookie", &pair)
        .header("origin", "http://evil.example")
        .send()
        .await
        .unwrap();
    let (status, body) = envelope(foreign).await;
    assert_eq!(
        (status, body["error"]["code"].clone()),
        (StatusCode::FORBIDDEN, json!("forbidden"))
    );
    let missing = server
        .client
        .post(server.url("/api/v1/auth/logout"))
        .header("cookie", &pair)
        .send()
        .await
        .unwrap();
    assert_eq!(missing.status(), StatusCode::FORBIDDEN);
    let own = server
        .client
        .post(server.url("/api/v1/auth/logout"))
        .header("cookie", &pair)
        .header("origin", server.base.clone())
        .send()
        .await
        .unwrap();
    assert_eq!(own.status(), StatusCode::NO_CONTENT);
    let after = server
        .client
        .get(server.url("/api/v1/auth/me"))
        .header("cookie", &pair)
        .send()
        .await
        .unwrap();
    assert_eq!(after.status(), StatusCode::UNAUTHORIZED, "logged out");
}

#[tokio::test]
async fn a_token_revoked_mid_session_stops_working_on_the_next_request() {
    let server = common::spawn().await;
    let admin = token_for(&server, "boss", Role::Admin).await;
    let worker = token_for(&server, "worker", Role::User).await;
    let me = server
        .client
        .get(server.url("/api/v1/auth/me"))
        .bearer_auth(&worker)
        .send()
        .await
        .unwrap();
    assert_eq!(me.status(), 200);
    let list: Value = server
        .client
        .get(server.url("/api/v1/tokens?user=worker"))
        .bearer_auth(&admin)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let id = list["tokens"][0]["id"].as_str().unwrap().to_string();
    let revoked = server
        .client
        .post(server.url(&format!("/api/v1/tokens/{id}/revoke")))
        .bearer_auth(&admin)
        .send()
        .await
        .unwrap();
    assert_eq!(revoked.status(), 200);
    let again = server
        .client
        .get(server.url("/api/v1/auth/me"))
        .bearer_auth(&worker)
        .send()
        .await
        .unwrap();
    assert_eq!(again.status(), StatusCode::UNAUTHORIZED);
}

#[tokio::test]
async fn a_body_larger_than_the_limit_is_refused_with_413_in_the_envelope() {
    let server = common::spawn_with(soleflip_server::Limits {
        body_bytes: 1024,
        ..soleflip_server::Limits::default()
    })
    .await;
    let big = json!({ "username": "x".repeat(4096), "password": PW });
    let res = server
        .client
        .post(server.url("/api/v1/auth/login"))
        .json(&big)
        .send()
        .await
        .unwrap();
    let (status, body) = envelope(res).await;
    assert_eq!(status, StatusCode::PAYLOAD_TOO_LARGE);
    assert_eq!(body["error"]["code"], "too_large");
}

#[tokio::test]
async fn a_malformed_json_body_is_refused_with_400_in_the_envelope() {
    let server = common::spawn().await;
    let res = server
        .client
        .post(server.url("/api/v1/auth/login"))
        .header("content-type", "application/json")
        .body("{\"username\": \"a\", ")
        .send()
        .await
        .unwrap();
    let (status, body) = envelope(res).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert_eq!(body["error"]["code"], "invalid_input");
    assert!(body["error"]["message"].is_string());
}

#[tokio::test]
async fn a_user_buys_moves_and_lists_a_pair_through_the_api_and_each_mutation_is_audited() {
    let server = common::spawn().await;
    let user = token_for(&server, "seller", Role::User).await;
    let admin = token_for(&server, "owner", Role::Admin).await;
    let post = |path: &str, token: &str, body: Value| {
        server
            .client
            .post(server.url(path))
            .bearer_auth(token)
            .json(&body)
            .send()
    };
    let bought = post(
        "/api/v1/purchases",
        &user,
        json!({ "invoice": "INV-API-1", "date": "2025-03-01",
                "lines": [{ "sku": "DD1391-100", "size": "US 10", "price": "110.00" }] }),
    )
    .await
    .unwrap();
    let (status, body) = envelope(bought).await;
    assert_eq!(status, 200, "{body}");
    let pair = body["lines"][0]["pairs"][0]["id"]
        .as_str()
        .unwrap()
        .to_string();

    let moved = post(
        &format!("/api/v1/inventory/{pair}/move"),
        &user,
        json!({ "to": "available" }),
    )
    .await
    .unwrap();
    assert_eq!(moved.status(), 200);
    let refused = post(
        &format!("/api/v1/inventory/{pair}/move"),
        &user,
        json!({ "to": "sold_out_of_thin_air" }),
    )
    .await
    .unwrap();
    let (status, body) = envelope(refused).await;
    assert_eq!(
        (status, body["error"]["code"].clone()),
        (StatusCode::BAD_REQUEST, json!("invalid_input"))
    );

    let listed = server
        .client
        .get(server.url("/api/v1/inventory?limit=10"))
        .bearer_auth(&user)
        .send()
        .await
        .unwrap();
    let (status, list) = envelope(listed).await;
    assert_eq!(status, 200);
    assert_eq!(list["pairs"].as_array().unwrap().len(), 1);

    let audit: Value = server
        .client
        .get(server.url("/api/v1/audit?limit=10"))
        .bearer_auth(&admin)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let seen: Vec<(String, String, String)> = audit["entries"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|e| e["actor"] == "seller")
        .map(|e| {
            (
                e["action"].as_str().unwrap().to_string(),
                e["outcome"].as_str().unwrap().to_string(),
                e["client_addr"].as_str().unwrap_or("").to_string(),
            )
        })
        .collect();
    assert_eq!(
        seen,
        [
            (
                "inventory.move".into(),
                "refused".into(),
                "127.0.0.1".into()
            ),
            ("inventory.move".into(), "ok".into(), "127.0.0.1".into()),
            ("purchase.add".into(), "ok".into(), "127.0.0.1".into()),
        ]
    );
}

#[tokio::test]
async fn a_missing_query_parameter_and_an_unknown_product_answer_in_the_envelope() {
    let server = common::spawn().await;
    let reader = token_for(&server, "viewer", Role::Readonly).await;
    let get = |path: &str| {
        server
            .client
            .get(server.url(path))
            .bearer_auth(&reader)
            .send()
    };
    let (status, body) = envelope(get("/api/v1/prices/latest").await.unwrap()).await;
    assert_eq!(
        (status, body["error"]["code"].clone()),
        (StatusCode::BAD_REQUEST, json!("invalid_input"))
    );
    let (status, body) = envelope(get("/api/v1/prices/latest?sku=NOPE-000").await.unwrap()).await;
    assert!(status.is_client_error(), "{status} {body}");
    assert!(body["error"]["code"].is_string(), "{body}");
}

/// Every page of `path` (which has its own query) with `limit`, following `next_cursor`.
async fn all_pages(
    server: &common::Server,
    token: &str,
    path: &str,
    key: &str,
    limit: u32,
) -> Vec<Vec<Value>> {
    let mut pages = Vec::new();
    let mut cursor: Option<String> = None;
    loop {
        let mut url = server.url(&format!("{path}&limit={limit}"));
        if let Some(c) = &cursor {
            url.push_str(&format!("&cursor={c}"));
        }
        let res = server
            .client
            .get(url)
            .bearer_auth(token)
            .send()
            .await
            .unwrap();
        let (status, body) = envelope(res).await;
        assert_eq!(status, 200, "{body}");
        pages.push(body[key].as_array().unwrap().clone());
        match body["next_cursor"].as_str() {
            Some(c) => cursor = Some(c.to_string()),
            None => break,
        }
        assert!(pages.len() < 20, "the pages never end");
    }
    pages
}

#[tokio::test]
async fn the_inventory_pages_by_cursor_in_a_stable_order_without_repeats_or_gaps() {
    let server = common::spawn().await;
    let user = token_for(&server, "pager", Role::User).await;
    for (invoice, sku, quantity) in [("INV-P-1", "DD1391-100", 3), ("INV-P-2", "CW2288-111", 2)] {
        let res = server
            .client
            .post(server.url("/api/v1/purchases"))
            .bearer_auth(&user)
            .json(&json!({ "invoice": invoice, "date": "2025-03-01",
                           "lines": [{ "sku": sku, "size": "US 10", "price": "100.00",
                                       "quantity": quantity }] }))
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), 200);
    }
    let ids = |page: &Vec<Value>| -> Vec<String> {
        page.iter()
            .map(|p| p["id"].as_str().unwrap().to_string())
            .collect()
    };

    let whole = all_pages(
        &server,
        &user,
        "/api/v1/inventory?state=incoming",
        "pairs",
        100,
    )
    .await;
    let pages = all_pages(
        &server,
        &user,
        "/api/v1/inventory?state=incoming",
        "pairs",
        2,
    )
    .await;
    let shoes = all_pages(
        &server,
        &user,
        "/api/v1/inventory?sku=CW2288-111",
        "pairs",
        1,
    )
    .await;
    let in_stock = all_pages(
        &server,
        &user,
        "/api/v1/inventory?state=in_stock",
        "pairs",
        4,
    )
    .await;
    let aged = all_pages(
        &server,
        &user,
        "/api/v1/inventory?older_than_days=1",
        "pairs",
        4,
    )
    .await;
    let ancient = all_pages(
        &server,
        &user,
        "/api/v1/inventory?older_than_days=36500",
        "pairs",
        4,
    )
    .await;

    assert_eq!(whole.len(), 1);
    assert_eq!(ids(&whole[0]).len(), 5);
    assert_eq!(pages.iter().map(Vec::len).collect::<Vec<_>>(), [2, 2, 1]);
    assert_eq!(
        pages.iter().flat_map(ids).collect::<Vec<_>>(),
        ids(&whole[0])
    );
    assert_eq!(shoes.len(), 2, "the filter holds on every page");
    assert!(shoes.iter().flatten().all(|p| p["sku"] == "CW2288-111"));
    assert_eq!(in_stock.iter().map(Vec::len).collect::<Vec<_>>(), [4, 1]);
    assert_eq!(
        aged.iter().map(Vec::len).collect::<Vec<_>>(),
        [4, 1],
        "bought 2025-03-01"
    );
    assert_eq!(ancient, [Vec::<Value>::new()]);
}

#[tokio::test]
async fn a_cursor_that_this_server_did_not_give_is_refused_with_400() {
    let server = common::spawn().await;
    let admin = token_for(&server, "root", Role::Admin).await;
    for path in [
        "/api/v1/inventory?cursor=bm90IGEgY3Vyc29y",
        "/api/v1/users?cursor=%25%25",
        "/api/v1/tokens?cursor=dXNlcnMfYQ",
    ] {
        let res = server
            .client
            .get(server.url(path))
            .bearer_auth(&admin)
            .send()
            .await
            .unwrap();
        let (status, body) = envelope(res).await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{path}: {body}");
        assert_eq!(body["error"]["code"], "invalid_input");
        assert!(body["error"]["message"]
            .as_str()
            .unwrap()
            .starts_with("cursor:"));
    }
}

#[tokio::test]
async fn users_and_tokens_page_by_cursor() {
    let server = common::spawn().await;
    let admin = token_for(&server, "admin0", Role::Admin).await;
    for name in ["bea", "carl", "dora"] {
        token_for(&server, name, Role::Readonly).await;
    }
    let users = all_pages(&server, &admin, "/api/v1/users?", "users", 3).await;
    let tokens = all_pages(&server, &admin, "/api/v1/tokens?", "tokens", 3).await;

    let names: Vec<&str> = users
        .iter()
        .flatten()
        .map(|u| u["username"].as_str().unwrap())
        .collect();
    assert_eq!(
        names,
        ["admin", "admin0", "bea", "carl", "dora"],
        "the seeded admin too"
    );
    assert_eq!(users.len(), 2);
    let owners: Vec<&str> = tokens
        .iter()
        .flatten()
        .map(|t| t["user"].as_str().unwrap())
        .collect();
    assert_eq!(owners, ["dora", "carl", "bea", "admin0"], "newest first");
    assert_eq!(tokens.len(), 2);
}

#[tokio::test]
async fn a_reader_gets_a_fee_quote_and_a_bad_price_is_named() {
    let server = common::spawn().await;
    let reader = token_for(&server, "quoter", Role::Readonly).await;
    let get = |path: &str| {
        server
            .client
            .get(server.url(path))
            .bearer_auth(&reader)
            .send()
    };

    let (status, quote) = envelope(
        get("/api/v1/fees/quote?platform=stockx&level=1&price=200.00&currency=EUR&date=2025-03-01")
            .await
            .unwrap(),
    )
    .await;
    let (bad_status, bad) = envelope(
        get("/api/v1/fees/quote?platform=stockx&price=lots&currency=EUR")
            .await
            .unwrap(),
    )
    .await;

    assert_eq!(status, 200, "{quote}");
    assert_eq!(quote["platform"], "stockx");
    assert!(!quote["lines"].as_array().unwrap().is_empty(), "{quote}");
    // StockX level 1: 9 % transaction fee and 3 % payment processing of 200.00
    assert_eq!(quote["total_fees"]["amount"], "24.00", "{quote}");
    assert_eq!(quote["payout"]["amount"], "176.00", "{quote}");
    assert_eq!(bad_status, StatusCode::BAD_REQUEST);
    assert!(bad["error"]["message"]
        .as_str()
        .unwrap()
        .starts_with("price"));
}

#[tokio::test]
async fn an_admin_sets_a_password_and_the_users_sessions_end() {
    let server = common::spawn().await;
    let admin = token_for(&server, "keeper", Role::Admin).await;
    token_for(&server, "forgetful", Role::User).await;
    let cookie = login(&server, "forgetful", PW).await.headers()["set-cookie"]
        .to_str()
        .unwrap()
        .split(';')
        .next()
        .unwrap()
        .to_string();

    let res = server
        .client
        .post(server.url("/api/v1/users/forgetful/password"))
        .bearer_auth(&admin)
        .json(&json!({ "password": "a brand new passphrase" }))
        .send()
        .await
        .unwrap();
    let (status, body) = envelope(res).await;
    let old_session = server
        .client
        .get(server.url("/api/v1/auth/me"))
        .header("cookie", &cookie)
        .send()
        .await
        .unwrap()
        .status();

    assert_eq!(status, 200, "{body}");
    assert_eq!(body, json!({ "user": "forgetful", "sessions_revoked": 1 }));
    assert_eq!(old_session, StatusCode::UNAUTHORIZED);
    assert_eq!(login(&server, "forgetful", PW).await.status(), 401);
    assert_eq!(
        login(&server, "forgetful", "a brand new passphrase")
            .await
            .status(),
        200
    );
}

#[tokio::test]
async fn an_admin_takes_lists_and_verifies_a_backup_through_the_api() {
    let server = common::spawn().await;
    let admin = token_for(&server, "ops", Role::Admin).await;
    let send = |method: Method, path: &str| {
        server
            .client
            .request(method, server.url(path))
            .bearer_auth(&admin)
            .json(&json!({}))
            .send()
    };

    let (empty_status, empty) = envelope(send(Method::GET, "/api/v1/backups").await.unwrap()).await;
    let (made_status, made) = envelope(send(Method::POST, "/api/v1/backups").await.unwrap()).await;
    let (_, listed) = envelope(send(Method::GET, "/api/v1/backups").await.unwrap()).await;
    let stem = listed["backups"][0]["stem"].as_str().unwrap().to_string();
    let (verified_status, verified) = envelope(
        send(Method::POST, &format!("/api/v1/backups/{stem}/verify"))
            .await
            .unwrap(),
    )
    .await;
    let (escape_status, _) = envelope(
        send(
            Method::POST,
            "/api/v1/backups/..%2F..%2Fetc%2Fpasswd/verify",
        )
        .await
        .unwrap(),
    )
    .await;

    assert_eq!(empty_status, 200, "{empty}");
    assert_eq!(empty["backups"], json!([]));
    assert_eq!(made_status, StatusCode::CREATED, "{made}");
    assert!(made["dump"].as_str().unwrap().ends_with(".dump"));
    assert_eq!(listed["backups"].as_array().unwrap().len(), 1);
    assert_eq!(verified_status, 200, "{verified}");
    assert_eq!(verified["ok"], true, "{verified}");
    assert_eq!(escape_status, StatusCode::BAD_REQUEST);
}

#[tokio::test]
async fn an_admin_dry_runs_the_size_normalization_and_a_user_may_not() {
    let server = common::spawn().await;
    let admin = token_for(&server, "sizer", Role::Admin).await;
    let user = token_for(&server, "seller2", Role::User).await;
    let send = |token: &str| {
        server
            .client
            .post(server.url("/api/v1/sizes/normalize"))
            .bearer_auth(token)
            .json(&json!({ "dry_run": true }))
            .send()
    };

    let (status, report) = envelope(send(&admin).await.unwrap()).await;
    let refused = send(&user).await.unwrap().status();

    assert_eq!(status, 200, "{report}");
    assert_eq!(report["dry_run"], true);
    assert!(report["considered"].is_u64());
    assert_eq!(refused, StatusCode::FORBIDDEN);
}

#[tokio::test]
async fn a_token_used_is_marked_used() {
    let server = common::spawn().await;
    let admin = token_for(&server, "marker", Role::Admin).await;
    let before = server.app.token_list(Some("marker")).await.unwrap();

    for _ in 0..3 {
        let res = server
            .client
            .get(server.url("/api/v1/auth/me"))
            .bearer_auth(&admin)
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), 200);
    }
    let after = server.app.token_list(Some("marker")).await.unwrap();

    assert_eq!(before[0].last_used_at, None);
    assert!(after[0].last_used_at.is_some());
}

#[tokio::test]
async fn an_admin_prunes_the_price_history_a_bad_duration_is_named_and_each_call_is_audited() {
    let server = common::spawn().await;
    let admin = token_for(&server, "pruner", Role::Admin).await;
    let send = |body: Value| {
        server
            .client
            .post(server.url("/api/v1/prices/prune"))
            .bearer_auth(&admin)
            .json(&body)
            .send()
    };

    let (dry_status, dry) = envelope(
        send(json!({ "older_than": "18months", "dry_run": true }))
            .await
            .unwrap(),
    )
    .await;
    let (bad_status, bad) = envelope(send(json!({ "older_than": "18" })).await.unwrap()).await;
    let audit: Value = server
        .client
        .get(server.url("/api/v1/audit?limit=10"))
        .bearer_auth(&admin)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();

    assert_eq!(dry_status, 200, "{dry}");
    assert_eq!(dry["dry_run"], true);
    assert_eq!(dry["older_than"], "18 months");
    assert_eq!(dry["rows_removed"], 0);
    assert_eq!(bad_status, StatusCode::BAD_REQUEST, "{bad}");
    assert!(
        bad.to_string()
            .contains("--older-than \\\"18\\\": not a duration (a unit is missing)"),
        "{bad}"
    );
    let seen: Vec<(&str, &str)> = audit["entries"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|e| e["action"].as_str().unwrap().starts_with("prices.prune"))
        .map(|e| {
            (
                e["action"].as_str().unwrap(),
                e["outcome"].as_str().unwrap(),
            )
        })
        .collect();
    assert_eq!(
        seen.len(),
        2,
        "both calls audited, the refused one too: {audit}"
    );
    assert_eq!(seen[1], ("prices.prune.dry_run", "ok"));
}

#[tokio::test]
async fn the_inventory_filters_by_brand_and_size_and_pages_both_ways_in_any_sort() {
    let server = common::spawn().await;
    let user = token_for(&server, "sorter", Role::User).await;
    for (sku, size, price) in [
        ("DD1391-100", "US 10", "120.00"),
        ("GW2871", "US 9", "80.00"),
        ("DD1391-100", "US 9", "95.00"),
    ] {
        let res = server
            .client
            .post(server.url("/api/v1/purchases"))
            .bearer_auth(&user)
            .json(&json!({ "lines": [{ "sku": sku, "size": size, "price": price }] }))
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), 200);
    }
    // Pairs of unknown cost (sold through an import without a purchase) come last.
    let report = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../soleflip-app/tests/fixtures/imports/stockx_sales.csv");
    server
        .app
        .import_stockx_sales(&report, false, &|_| {})
        .await
        .unwrap();
    let costs = |pages: &[Vec<Value>]| -> Vec<Option<String>> {
        pages
            .iter()
            .flatten()
            .map(|p| p["cost"].as_str().map(str::to_owned))
            .collect()
    };

    let whole = all_pages(
        &server,
        &user,
        "/api/v1/inventory?sort=-price",
        "pairs",
        500,
    )
    .await;
    let paged = all_pages(&server, &user, "/api/v1/inventory?sort=-price", "pairs", 2).await;
    let nikes = all_pages(
        &server,
        &user,
        "/api/v1/inventory?brand=NIKE&sort=sku",
        "pairs",
        1,
    )
    .await;
    let nines = all_pages(
        &server,
        &user,
        "/api/v1/inventory?size=US%209&sort=price",
        "pairs",
        500,
    )
    .await;
    let bad = server
        .client
        .get(server.url("/api/v1/inventory?sort=colour"))
        .bearer_auth(&user)
        .send()
        .await
        .unwrap();
    // Backward from the last page to the first, by prev_cursor.
    let mut back = Vec::new();
    let last: Value = server
        .client
        .get(server.url("/api/v1/inventory?sort=-price&limit=2"))
        .bearer_auth(&user)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let mut cursor = last["next_cursor"].as_str().map(str::to_owned);
    let mut forward_last = last;
    while let Some(c) = cursor {
        forward_last = server
            .client
            .get(server.url(&format!("/api/v1/inventory?sort=-price&limit=2&cursor={c}")))
            .bearer_auth(&user)
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        cursor = forward_last["next_cursor"].as_str().map(str::to_owned);
    }
    back.push(forward_last["pairs"].as_array().unwrap().clone());
    let mut before = forward_last["prev_cursor"].as_str().map(str::to_owned);
    while let Some(c) = before {
        let page: Value = server
            .client
            .get(server.url(&format!("/api/v1/inventory?sort=-price&limit=2&before={c}")))
            .bearer_auth(&user)
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        assert!(page["next_cursor"].is_string(), "{page}");
        back.push(page["pairs"].as_array().unwrap().clone());
        before = page["prev_cursor"].as_str().map(str::to_owned);
        assert!(back.len() < 20, "the pages never end");
    }
    back.reverse();

    let known = costs(&whole);
    let priced: Vec<&str> = known.iter().flatten().map(String::as_str).collect();
    assert_eq!(priced, ["120.00", "95.00", "80.00"], "dearest first");
    assert!(
        known.len() > 3 && known[3..].iter().all(Option::is_none),
        "{known:?}"
    );
    assert_eq!(costs(&paged), known, "pages of 2 give the whole list");
    assert_eq!(costs(&back), known, "and so do the pages read backward");
    let skus: Vec<&str> = nikes
        .iter()
        .flatten()
        .map(|p| p["sku"].as_str().unwrap())
        .collect();
    assert!(
        skus.len() > 2 && skus.windows(2).all(|w| w[0] <= w[1]),
        "{skus:?}"
    );
    assert!(
        nikes.iter().flatten().all(|p| p["brand"] == "Nike"),
        "{nikes:?}"
    );
    assert_eq!(
        nines[0]
            .iter()
            .map(|p| p["cost"].as_str())
            .collect::<Vec<_>>()[..2],
        [Some("80.00"), Some("95.00")]
    );
    assert!(nines[0].iter().all(|p| p["size"] == "US 9.0"));
    let (status, body) = envelope(bad).await;
    assert_eq!(status, 400, "{body}");
    assert!(
        body["error"]["message"]
            .as_str()
            .unwrap()
            .starts_with("sort:"),
        "{body}"
    );
}
