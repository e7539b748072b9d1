//! The web page's HTTP contract over a real server and real PostgreSQL: its security headers,
//! its assets, and the CSRF defence of its forms (the browser walk is tests/browser.rs).
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    reason = "test helpers stop the test loudly on a failed step"
)]

mod common;

use reqwest::StatusCode;
use soleflip_app::auth::{Actor, Role};
use soleflip_app::ledger::{PurchaseLineRequest, PurchaseRequest};

const PW: &str = "correct horse battery";

fn browser() -> reqwest::Client {
    reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap()
}

/// Logs `name` in through the login form; the session cookie's value.
async fn login_form(server: &common::Server, client: &reqwest::Client, name: &str) -> String {
    let res = client
        .post(server.url("/login"))
        .header("origin", &server.base)
        .form(&[("username", name), ("password", PW), ("next", "/")])
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    let cookie = res.headers()["set-cookie"].to_str().unwrap().to_string();
    assert!(
        cookie.contains("HttpOnly")
            && cookie.contains("SameSite=Strict")
            && cookie.contains("Path=/;"),
        "{cookie}"
    );
    cookie.split(';').next().unwrap().to_string()
}

#[tokio::test]
async fn a_page_carries_the_strict_policy_and_loads_nothing_from_another_host() {
    let server = common::spawn().await;

    let res = browser().get(server.url("/login")).send().await.unwrap();

    assert_eq!(res.status(), StatusCode::OK);
    let h = res.headers();
    assert_eq!(h["content-security-policy"], soleflip_server::web::PAGE_CSP);
    assert!(!soleflip_server::web::PAGE_CSP.contains("unsafe"));
    assert_eq!(h["x-frame-options"], "DENY");
    assert_eq!(h["referrer-policy"], "same-origin");
    assert!(h["content-type"].to_str().unwrap().starts_with("text/html"));
    let html = res.text().await.unwrap();
    for attr in ["src", "href", "action"] {
        for outside in ["http:", "https:", "//"] {
            let bad = format!("{attr}=\"{outside}");
            assert!(!html.contains(&bad), "{bad} in {html}");
        }
    }
    for inline in ["style=", "<style", "onclick=", "onload=", "<script>"] {
        assert!(!html.contains(inline), "{inline} in {html}");
    }
    for (path, kind) in [
        ("/assets/app.css", "text/css"),
        ("/assets/app.js", "text/javascript"),
    ] {
        let res = browser().get(server.url(path)).send().await.unwrap();
        assert_eq!(res.status(), StatusCode::OK, "{path}");
        assert!(res.headers()["content-type"]
            .to_str()
            .unwrap()
            .starts_with(kind));
    }
}

#[tokio::test]
async fn an_api_client_keeps_the_json_envelope_and_a_browser_gets_a_page_or_the_login() {
    let server = common::spawn().await;

    let api = browser()
        .get(server.url("/inventory"))
        .send()
        .await
        .unwrap();
    let page = browser()
        .get(server.url("/inventory?state=available"))
        .header("accept", "text/html")
        .send()
        .await
        .unwrap();

    assert_eq!(api.status(), StatusCode::UNAUTHORIZED);
    assert_eq!(page.status(), StatusCode::SEE_OTHER);
    assert_eq!(
        page.headers()["location"],
        "/login?next=/inventory%3Fstate%3Davailable"
    );
}

#[tokio::test]
async fn a_form_post_from_a_cookie_session_needs_this_servers_origin() {
    let server = common::spawn().await;
    server
        .app
        .user_add(&Actor::cli(), "alice", Role::User, Some(PW))
        .await
        .unwrap();
    let bought = server
        .app
        .purchase_add(&PurchaseRequest {
            lines: vec![PurchaseLineRequest {
                sku: "DD1391-100".into(),
                size: "US 10".into(),
                price: "100".into(),
                vat_rate: None,
                quantity: 1,
            }],
            ..PurchaseRequest::default()
        })
        .await
        .unwrap();
    let pair = bought.lines[0].pairs[0].id;
    let client = browser();
    let cookie = login_form(&server, &client, "alice").await;
    let move_to = |origin: Option<&str>| {
        let mut req = client
            .post(server.url(&format!("/inventory/{pair}/move")))
            .header("cookie", &cookie)
            .header("accept", "text/html")
            .form(&[("to", "available")]);
        if let Some(o) = origin {
            req = req.header("origin", o);
        }
        req.send()
    };

    let forged = move_to(Some("http://evil.example")).await.unwrap();
    let bare = move_to(None).await.unwrap();
    let ours = move_to(Some(&server.base)).await.unwrap();

    assert_eq!(forged.status(), StatusCode::FORBIDDEN);
    assert_eq!(bare.status(), StatusCode::FORBIDDEN);
    assert_eq!(ours.status(), StatusCode::SEE_OTHER);
    assert_eq!(
        ours.headers()["location"].to_str().unwrap(),
        format!("/inventory/{pair}?done=moved")
    );
    let shown = server.app.inventory_show(pair).await.unwrap();
    assert_eq!(shown.pair.state.as_deref(), Some("available"), "moved once");
}

#[tokio::test]
async fn a_login_form_posted_from_another_site_is_refused() {
    let server = common::spawn().await;
    server
        .app
        .user_add(&Actor::cli(), "alice", Role::User, Some(PW))
        .await
        .unwrap();

    let res = browser()
        .post(server.url("/login"))
        .header("origin", "http://evil.example")
        .form(&[("username", "alice"), ("password", PW)])
        .send()
        .await
        .unwrap();

    assert_eq!(res.status(), StatusCode::FORBIDDEN);
    assert!(res.headers().get("set-cookie").is_none());
}

#[tokio::test]
async fn the_inventory_list_pages_by_25_with_cursors_both_ways_and_filters_by_sku() {
    let server = common::spawn().await;
    server
        .app
        .user_add(&Actor::cli(), "rita", Role::Readonly, Some(PW))
        .await
        .unwrap();
    for (sku, quantity) in [("DD1391-100", 27), ("GW2871", 3)] {
        server
            .app
            .purchase_add(&PurchaseRequest {
                lines: vec![PurchaseLineRequest {
                    sku: sku.into(),
                    size: "US 10".into(),
                    price: "80".into(),
                    vat_rate: None,
                    quantity,
                }],
                ..PurchaseRequest::default()
            })
            .await
            .unwrap();
    }
    let client = browser();
    let cookie = login_form(&server, &client, "rita").await;
    let get = |path: String| {
        let req = client
            .get(server.url(&path))
            .header("cookie", &cookie)
            .header("accept", "text/html");
        async move { req.send().await.unwrap().text().await.unwrap() }
    };

    let first = get("/inventory".into()).await;
    let second = get(link(&first, "next")).await;
    let back = get(link(&second, "prev")).await;
    let by_sku = get("/inventory?q=GW2871&state=incoming".into()).await;

    assert_eq!(
        (rows(&first), rows(&second), rows(&back), rows(&by_sku)),
        (25, 5, 25, 3)
    );
    assert!(link(&first, "next").contains("after="), "{first}");
    assert!(!first.contains("rel=\"prev\""));
    assert!(!second.contains("rel=\"next\""));
    assert_eq!(
        pair_links(&back),
        pair_links(&first),
        "back to the same page"
    );
    assert!(
        !back.contains("rel=\"prev\""),
        "the first page has none before it"
    );
}

/// The pair links of a list page, in order.
fn pair_links(html: &str) -> Vec<&str> {
    html.split("<td><a href=\"/inventory/")
        .skip(1)
        .filter_map(|s| s.split('"').next())
        .collect()
}

fn rows(html: &str) -> usize {
    pair_links(html).len()
}

/// The pager's link with `rel`, unescaped.
fn link(html: &str, rel: &str) -> String {
    let tail = format!("\" rel=\"{rel}\"");
    let end = html
        .find(&tail)
        .unwrap_or_else(|| panic!("no {rel} link in {html}"));
    let start = html[..end].rfind("href=\"").unwrap() + 6;
    html[start..end].replace("&amp;", "&")
}

#[tokio::test]
async fn the_inventory_filters_by_brand_size_and_age_band_sorts_by_price_and_keeps_the_choices() {
    let server = common::spawn().await;
    server
        .app
        .user_add(&Actor::cli(), "rita", Role::Readonly, Some(PW))
        .await
        .unwrap();
    let today = chrono::Utc::now().date_naive();
    let mut ids = Vec::new();
    for (sku, size, price, days_ago) in [
        ("DD1391-100", "US 10", "100", 10),
        ("GW2871", "US 9", "50", 45),
        ("DD1391-100", "US 9", "150", 100),
    ] {
        let bought = server
            .app
            .purchase_add(&PurchaseRequest {
                date: Some(today - chrono::Days::new(days_ago)),
                lines: vec![PurchaseLineRequest {
                    sku: sku.into(),
                    size: size.into(),
                    price: price.into(),
                    vat_rate: None,
                    quantity: 1,
                }],
                ..PurchaseRequest::default()
            })
            .await
            .unwrap();
        ids.push(bought.lines[0].pairs[0].id.to_string());
    }
    let client = browser();
    let cookie = login_form(&server, &client, "rita").await;
    let get = |path: &str| {
        let req = client
            .get(server.url(path))
            .header("cookie", &cookie)
            .header("accept", "text/html");
        async move { req.send().await.unwrap().text().await.unwrap() }
    };

    let adidas = get("/inventory?brand=adidas").await;
    let nines = get("/inventory?size=US+9.0").await;
    let old = get("/inventory?age=90%2B").await;
    let dearest = get("/inventory?sort=-price").await;
    let oldest = get("/inventory").await;
    let none = get("/inventory?brand=adidas&size=US+10").await;

    assert_eq!(pair_links(&adidas), [ids[1].as_str()]);
    assert_eq!(
        pair_links(&nines),
        [ids[2].as_str(), ids[1].as_str()],
        "oldest first"
    );
    assert_eq!(pair_links(&old), [ids[2].as_str()]);
    assert_eq!(pair_links(&dearest), [&ids[2], &ids[0], &ids[1]]);
    assert_eq!(pair_links(&oldest), [&ids[2], &ids[1], &ids[0]]);
    assert_eq!(rows(&none), 0);
    // A GET form with a label per control; the chosen values stay chosen.
    assert!(adidas.contains(r#"<form class="filters" method="get" action="/inventory""#));
    for control in ["q", "state", "brand", "size", "age", "sort"] {
        assert!(
            adidas.contains(&format!("<label for=\"f-{control}\">")),
            "{control}"
        );
    }
    assert!(
        adidas.contains(r#"<option value="Adidas" selected>"#),
        "{adidas}"
    );
    assert!(
        nines.contains(r#"<option value="US 9.0" selected>"#),
        "{nines}"
    );
    assert!(old.contains(r#"<option value="90+" selected>"#), "{old}");
    assert!(dearest.contains(r#"<option value="-price" selected>"#));
    assert!(oldest.contains(r#"<option value="-age" selected>"#));
}

#[tokio::test]
async fn an_import_uploaded_on_its_page_shows_its_report_with_the_rejected_lines() {
    let server = common::spawn().await;
    server
        .app
        .user_add(&Actor::cli(), "seller", Role::User, Some(PW))
        .await
        .unwrap();
    let client = browser();
    let cookie = login_form(&server, &client, "seller").await;
    let report = std::fs::read(
        std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("../soleflip-app/tests/fixtures/imports/stockx_sales.csv"),
    )
    .unwrap();
    let form = reqwest::multipart::Form::new()
        .text("kind", "stockx-sales")
        .part(
            "file",
            reqwest::multipart::Part::bytes(report).file_name("stockx.csv"),
        );

    let res = client
        .post(server.url("/imports"))
        .header("cookie", &cookie)
        .header("origin", &server.base)
        .header("accept", "text/html")
        .multipart(form)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    let job = res.headers()["location"].to_str().unwrap().to_owned();
    assert!(job.starts_with("/imports/"), "{job}");
    let mut html = String::new();
    for _ in 0..200 {
        html = client
            .get(server.url(&job))
            .header("cookie", &cookie)
            .send()
            .await
            .unwrap()
            .text()
            .await
            .unwrap();
        if !html.contains("data-refresh") {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }

    assert!(html.contains("Done."), "{html}");
    assert!(html.contains("Rejected lines"), "{html}");
    assert!(html.contains("<td>19</td>"), "{html}");
    assert!(html.contains("is not a sale price"), "{html}");
}

#[tokio::test]
async fn a_sold_pairs_page_shows_the_sale_with_its_fee_lines_payout_and_profit_and_a_reader_no_control(
) {
    let server = common::spawn().await;
    server
        .app
        .user_add(&Actor::cli(), "rita", Role::Readonly, Some(PW))
        .await
        .unwrap();
    let bought = server
        .app
        .purchase_add(&PurchaseRequest {
            lines: vec![PurchaseLineRequest {
                sku: "DD1391-100".into(),
                size: "US 10".into(),
                price: "100".into(),
                vat_rate: None,
                quantity: 1,
            }],
            ..PurchaseRequest::default()
        })
        .await
        .unwrap();
    let pair = bought.lines[0].pairs[0].id;
    let sold = server
        .app
        .sale_record(&soleflip_app::ledger::SaleRequest {
            pair,
            platform: "stockx".into(),
            price: "180".into(),
            level: Some("1".into()),
            ..soleflip_app::ledger::SaleRequest::default()
        })
        .await
        .unwrap();
    // A pair an import created without a purchase: its cost is unknown.
    let report = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../soleflip-app/tests/fixtures/imports/stockx_sales.csv");
    server
        .app
        .import_stockx_sales(&report, false, &|_| {})
        .await
        .unwrap();
    let unknown = server
        .app
        .inventory_list(None, Some("GW2871"), None, 10)
        .await
        .unwrap()
        .pairs
        .into_iter()
        .find(|p| p.cost.is_none())
        .expect("an imported pair without cost");
    let client = browser();
    let cookie = login_form(&server, &client, "rita").await;
    let get = |path: String| {
        let req = client
            .get(server.url(&path))
            .header("cookie", &cookie)
            .header("accept", "text/html");
        async move { req.send().await.unwrap().text().await.unwrap() }
    };

    let html = get(format!("/inventory/{pair}")).await;
    let imported = get(format!("/inventory/{}", unknown.id)).await;

    let profit = sold.payout - bought.lines[0].pairs[0].cost_basis;
    assert!(html.contains(r#"<h2 id="h-sale">Sale</h2>"#), "{html}");
    assert!(html.contains("Sold on StockX"), "{html}");
    assert!(
        html.contains(&format!(r#"id="sale-payout" value="{}""#, sold.payout)),
        "{html}"
    );
    assert!(
        html.contains(&format!(r#"id="sale-profit" value="{profit}""#)),
        "{html}"
    );
    for line in &sold.lines {
        let kind = line.kind.replace('_', " ");
        assert!(html.contains(&format!("<td>{kind}")), "{kind} in {html}");
    }
    assert!(!html.contains("cost unknown"));
    assert!(
        imported.contains(r#"<h2 id="h-sale">Sale</h2>"#),
        "{imported}"
    );
    assert!(
        imported.contains(r#"<td class="num" id="sale-profit">cost unknown</td>"#),
        "{imported}"
    );
    for page in [&html, &imported] {
        let posts = page.matches(r#"method="post""#).count();
        let logout = page.matches(r#"action="/logout""#).count();
        assert_eq!(
            (posts, logout),
            (1, 1),
            "a reader sees only the log-out form"
        );
        assert!(!page.contains("/sell\""), "no sale link for a reader");
    }
}

#[tokio::test]
async fn an_admin_takes_and_verifies_a_backup_on_its_page_and_others_are_refused() {
    let server = common::spawn().await;
    for (name, role) in [
        ("root", Role::Admin),
        ("alice", Role::User),
        ("rita", Role::Readonly),
    ] {
        server
            .app
            .user_add(&Actor::cli(), name, role, Some(PW))
            .await
            .unwrap();
    }
    let client = browser();
    let admin = login_form(&server, &client, "root").await;
    let user = login_form(&server, &client, "alice").await;
    let reader = login_form(&server, &client, "rita").await;
    let get = |cookie: &str, path: &str| {
        client
            .get(server.url(path))
            .header("cookie", cookie)
            .header("accept", "text/html")
            .send()
    };
    let post = |cookie: &str, path: &str, origin: &str, form: &[(&str, &str)]| {
        client
            .post(server.url(path))
            .header("cookie", cookie)
            .header("origin", origin)
            .header("accept", "text/html")
            .form(form)
            .send()
    };
    let verify_forms = |html: &str| {
        html.matches("/verify\" method").count()
            + html
                .matches("method=\"post\" action=\"/admin/backups/")
                .count()
    };

    let empty = get(&admin, "/admin/backups")
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    let forged = post(&admin, "/admin/backups", "http://evil.example", &[])
        .await
        .unwrap();
    let taken = post(&admin, "/admin/backups", &server.base, &[("verify", "1")])
        .await
        .unwrap();
    let taken_status = taken.status();
    let taken = taken.text().await.unwrap();
    let listed = get(&admin, "/admin/backups")
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    let verify_path = {
        let start = listed.find("action=\"/admin/backups/").unwrap() + 8;
        let end = start + listed[start..].find('"').unwrap();
        listed[start..end].to_owned()
    };
    let verified = post(&admin, &verify_path, &server.base, &[]).await.unwrap();
    let verified_status = verified.status();
    let verified = verified.text().await.unwrap();
    let not_a_backup = post(&admin, "/admin/backups/nobody/verify", &server.base, &[])
        .await
        .unwrap();
    let as_user = get(&user, "/admin/backups").await.unwrap();
    let as_reader = get(&reader, "/admin/backups").await.unwrap();
    let reader_post = post(&reader, "/admin/backups", &server.base, &[])
        .await
        .unwrap();
    let user_home = get(&user, "/").await.unwrap().text().await.unwrap();

    assert!(empty.contains("No backups yet."), "{empty}");
    assert!(empty.contains(r#"<a href="/admin/backups" aria-current="page">Backups</a>"#));
    assert!(empty.contains(r#"<label for="f-verify">"#));
    assert_eq!(
        forged.status(),
        StatusCode::FORBIDDEN,
        "forged POST refused"
    );
    assert_eq!(taken_status, StatusCode::CREATED, "{taken}");
    assert!(taken.contains(r#"id="backup-result""#), "{taken}");
    assert!(taken.contains("Verified: restored"), "{taken}");
    assert_eq!(
        verify_forms(&listed),
        1,
        "one backup: the forged POST took none"
    );
    assert!(
        listed.contains(r#"<span class="state verified">verified</span>"#),
        "{listed}"
    );
    assert!(
        listed.contains("\u{a0}kB</td>") || listed.contains("\u{a0}MB</td>"),
        "{listed}"
    );
    assert!(verify_path.ends_with("/verify"), "{verify_path}");
    assert_eq!(verified_status, StatusCode::OK, "{verified}");
    assert!(verified.contains("Verified: restored"), "{verified}");
    assert_eq!(not_a_backup.status(), StatusCode::NOT_FOUND);
    assert_eq!(as_user.status(), StatusCode::FORBIDDEN);
    assert_eq!(as_reader.status(), StatusCode::FORBIDDEN);
    assert_eq!(reader_post.status(), StatusCode::FORBIDDEN);
    assert!(
        !user_home.contains("/admin/backups"),
        "no admin nav for a user"
    );
}

#[tokio::test]
async fn a_decision_on_a_match_that_does_not_exist_is_a_page_that_says_so_and_is_audited() {
    let server = common::spawn().await;
    server
        .app
        .user_add(&Actor::cli(), "matcher", Role::User, Some(PW))
        .await
        .unwrap();
    let client = browser();
    let cookie = login_form(&server, &client, "matcher").await;
    let post = |path: String| {
        client
            .post(server.url(&path))
            .header("cookie", &cookie)
            .header("origin", &server.base)
            .form(&[("size", "US 9")])
            .send()
    };

    let unknown = post("/matches/00000000-0000-4000-8000-000000000000/accept".into())
        .await
        .unwrap();
    let (unknown_status, unknown_page) = (unknown.status(), unknown.text().await.unwrap());
    let garbled = post("/matches/not-an-id/reject".into()).await.unwrap();
    let run = post("/matches/run".into()).await.unwrap();

    assert_eq!(unknown_status, StatusCode::NOT_FOUND);
    assert!(unknown_page.contains("no such match"), "{unknown_page}");
    assert_eq!(garbled.status(), StatusCode::NOT_FOUND);
    assert!(garbled.text().await.unwrap().contains("No such match."));
    assert_eq!(run.status(), StatusCode::SEE_OTHER);
    let audited: Vec<(String, String)> = sqlx::query_as(
        "select action, outcome from auth.audit_log where action like 'match.%' order by id",
    )
    .fetch_all(&mut server.db.connect().await)
    .await
    .unwrap();
    assert_eq!(
        audited,
        [
            ("match.accept".to_string(), "refused".to_string()),
            ("match.run".to_string(), "ok".to_string())
        ]
    );
}
