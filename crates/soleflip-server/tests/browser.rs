//! The web page in a real browser: Debian's `chromium`, driven through `chromedriver` (one
//! headless session for the whole walk), against a real server on 127.0.0.1:0 over a fresh
//! PostgreSQL database. Every page visited is photographed at 390 and 1440 px wide under
//! `target/test-output/screenshots/`, and checked in the page for unlabelled controls, images
//! without text, low contrast and sideways scrolling.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    reason = "test helpers stop the test loudly on a failed step"
)]

mod common;

use std::path::PathBuf;
use std::process::Stdio;
use std::str::FromStr;

use fantoccini::key::Key;
use fantoccini::{Client, ClientBuilder, Locator};
use rust_decimal::Decimal;
use serde_json::{json, Value};
use tokio::io::{AsyncBufReadExt, BufReader};

const PW: &str = "correct horse battery";
const INSTALL: &str = "the browser tests need Debian's chromium and chromium-driver: \
                       apt-get install -y chromium chromium-driver (scripts/test.sh installs \
                       them when it runs as root)";

struct Browser {
    client: Client,
    _driver: tokio::process::Child,
    shots: PathBuf,
    taken: Vec<String>,
    axe: String,
    axe_runs: usize,
}

fn find_program(name: &str) -> Option<PathBuf> {
    std::env::var_os("PATH")?
        .to_str()?
        .split(':')
        .map(|d| PathBuf::from(d).join(name))
        .find(|p| p.is_file())
}

async fn browser() -> Browser {
    let driver_path = find_program("chromedriver").unwrap_or_else(|| panic!("{INSTALL}"));
    let chromium = find_program("chromium").unwrap_or_else(|| panic!("{INSTALL}"));
    // Berlin time and German first: the page must show the reader's zone and decimal comma.
    let mut driver = tokio::process::Command::new(driver_path)
        .arg("--port=0")
        .env("TZ", "Europe/Berlin")
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .kill_on_drop(true)
        .spawn()
        .unwrap_or_else(|e| panic!("starting chromedriver: {e}; {INSTALL}"));
    let mut lines = BufReader::new(driver.stdout.take().unwrap()).lines();
    let port = loop {
        let line = lines
            .next_line()
            .await
            .unwrap()
            .expect("chromedriver ended before it said its port");
        if let Some(rest) = line.split("started successfully on port ").nth(1) {
            break rest.trim_end_matches('.').parse::<u16>().unwrap();
        }
    };
    tokio::spawn(async move { while let Ok(Some(_)) = lines.next_line().await {} });
    let caps: serde_json::Map<String, Value> = serde_json::from_value(json!({
        "browserName": "chrome",
        "goog:chromeOptions": {
            "binary": chromium,
            "args": ["--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
                     "--hide-scrollbars", "--window-size=1440,1000", "--lang=de-DE"],
            "prefs": { "intl.accept_languages": "de-DE,de,en" }
        }
    }))
    .unwrap();
    let client = ClientBuilder::new(hyper_util::client::legacy::connect::HttpConnector::new())
        .capabilities(caps)
        .connect(&format!("http://127.0.0.1:{port}"))
        .await
        .unwrap();
    let shots = PathBuf::from(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../../target/test-output/screenshots"
    ));
    std::fs::create_dir_all(&shots).unwrap();
    Browser {
        client,
        _driver: driver,
        shots,
        taken: Vec::new(),
        axe: axe_source(),
        axe_runs: 0,
    }
}

/// The in-page check: labels, text alternatives, contrast (WCAG AA), no sideways scroll.
const CHECK: &str = r#"
const bad = [];
const lum = (c) => {
  const m = c.match(/[\d.]+/g); if (!m) return null;
  const [r, g, b, a] = m.map(Number);
  if (a === 0) return null;
  const f = (v) => { v /= 255; return v <= 0.03928 ? v / 12.92 : Math.pow((v + 0.055) / 1.055, 2.4); };
  return 0.2126 * f(r) + 0.7152 * f(g) + 0.0722 * f(b);
};
const bg = (el) => {
  for (let e = el; e; e = e.parentElement) {
    const l = lum(getComputedStyle(e).backgroundColor);
    if (l !== null) return l;
  }
  return 1;
};
for (const el of document.querySelectorAll('input:not([type=hidden]), select, textarea')) {
  if (!(el.labels && el.labels.length) && !el.getAttribute('aria-label')) bad.push('unlabelled control ' + el.outerHTML.slice(0, 80));
}
for (const el of document.querySelectorAll('button, a')) {
  if (!el.textContent.trim() && !el.getAttribute('aria-label')) bad.push('control without text ' + el.outerHTML.slice(0, 80));
}
for (const el of document.querySelectorAll('img')) if (!el.hasAttribute('alt')) bad.push('image without alt');
for (const el of document.querySelectorAll('svg')) if (!el.getAttribute('aria-label')) bad.push('chart without text');
if (!document.documentElement.lang) bad.push('no lang');
if (!document.title) bad.push('no title');
for (const el of document.querySelectorAll('body *')) {
  const own = [...el.childNodes].some((n) => n.nodeType === 3 && n.textContent.trim());
  if (!own || el.closest('svg') || el.offsetParent === null) continue;
  const s = getComputedStyle(el);
  const fg = lum(s.color), back = bg(el);
  if (fg === null) continue;
  const ratio = (Math.max(fg, back) + 0.05) / (Math.min(fg, back) + 0.05);
  const large = parseFloat(s.fontSize) >= 24 || (parseFloat(s.fontSize) >= 18.66 && Number(s.fontWeight) >= 700);
  if (ratio < (large ? 3 : 4.5)) bad.push('contrast ' + ratio.toFixed(2) + ' on ' + el.tagName + ': ' + el.textContent.trim().slice(0, 30));
}
if (document.documentElement.scrollWidth > window.innerWidth + 1) bad.push('scrolls sideways at ' + window.innerWidth + ' px');
for (const r of performance.getEntriesByType('resource')) {
  if (new URL(r.name).origin !== location.origin) bad.push('request to another host: ' + r.name);
}
return bad;
"#;

/// axe-core, installed from the lockfile by scripts/test.sh.
fn axe_source() -> String {
    let path = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/tests/axe/node_modules/axe-core/axe.min.js"
    );
    std::fs::read_to_string(path).unwrap_or_else(|e| {
        panic!(
            "{path}: {e}; the accessibility check needs axe-core: npm ci --prefix \
             crates/soleflip-server/tests/axe (scripts/test.sh does it)"
        )
    })
}

/// Runs axe-core on the page; the serious and critical violations, one line each.
const AXE_RUN: &str = r#"
return axe.run(document, { resultTypes: ['violations'] }).then((r) =>
  r.violations
    .filter((v) => v.impact === 'serious' || v.impact === 'critical')
    .map((v) => v.id + ' (' + v.impact + '): ' + v.nodes.map((n) => n.target.join(' ')).join(', ')));
"#;

impl Browser {
    async fn go(&self, url: &str) {
        self.client.goto(url).await.unwrap();
    }

    /// Photographs the page at 390 and 1440 px wide and checks it at both widths: the
    /// in-page check, and axe-core (no serious or critical violation).
    async fn shoot(&mut self, name: &str) {
        self.client
            .execute(&format!("{}\nreturn true;", self.axe), vec![])
            .await
            .unwrap();
        for width in [390u32, 1440] {
            self.client.set_window_size(width, 1000).await.unwrap();
            let bad = self.client.execute(CHECK, vec![]).await.unwrap();
            assert_eq!(bad, json!([]), "{name} at {width} px");
            let violations = self.client.execute(AXE_RUN, vec![]).await.unwrap();
            assert_eq!(violations, json!([]), "axe-core on {name} at {width} px");
            self.axe_runs += 1;
            let png = self.client.screenshot().await.unwrap();
            let file = self.shots.join(format!("{name}-{width}.png"));
            std::fs::write(&file, png).unwrap();
            self.taken.push(file.display().to_string());
        }
    }

    async fn fill(&self, id: &str, text: &str) {
        let el = self.client.find(Locator::Id(id)).await.unwrap();
        el.clear().await.unwrap();
        el.send_keys(text).await.unwrap();
    }

    /// Clicks a control that loads another page, and waits for that page.
    async fn submit(&self, css: &str) {
        self.mark().await;
        self.click(css).await;
        self.loaded().await;
    }

    /// Marks the page shown, so that [`Browser::loaded`] can tell the next one.
    async fn mark(&self) {
        self.client
            .execute(
                "document.documentElement.setAttribute('data-old', '')",
                vec![],
            )
            .await
            .unwrap();
    }

    /// Waits until a page other than the marked one is shown.
    async fn loaded(&self) {
        self.client
            .wait()
            .for_element(Locator::Css("html:not([data-old]) body"))
            .await
            .unwrap();
    }

    async fn click(&self, css: &str) {
        self.client
            .find(Locator::Css(css))
            .await
            .unwrap_or_else(|e| panic!("{css}: {e}"))
            .click()
            .await
            .unwrap();
    }

    async fn text(&self, css: &str) -> String {
        match self.client.find(Locator::Css(css)).await {
            Ok(el) => el.text().await.unwrap(),
            Err(e) => {
                let page = self.client.find(Locator::Css("main")).await;
                let shown = match page {
                    Ok(m) => m.text().await.unwrap_or_default(),
                    Err(_) => self.client.source().await.unwrap_or_default(),
                };
                panic!("{css}: {e}; the page shows: {shown}")
            }
        }
    }

    async fn value(&self, css: &str) -> Decimal {
        let v = self
            .client
            .find(Locator::Css(css))
            .await
            .unwrap_or_else(|e| panic!("{css}: {e}"))
            .attr("value")
            .await
            .unwrap()
            .unwrap();
        Decimal::from_str(&v).unwrap()
    }

    async fn count(&self, css: &str) -> usize {
        self.client.find_all(Locator::Css(css)).await.unwrap().len()
    }

    async fn path(&self) -> String {
        self.client.current_url().await.unwrap().path().to_owned()
    }

    /// Asserts the page's path, showing the page's text when it is another.
    async fn at(&self, path: &str) {
        let here = self.path().await;
        if here != path {
            let source = self.client.source().await.unwrap();
            panic!("at {here}, not {path}: {source}");
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_reseller_buys_lists_and_sells_in_the_browser_and_a_reader_can_only_look() {
    let server = common::spawn().await;
    let mut b = browser().await;
    let url = |p: &str| server.url(p);

    // First start: the admin is made on the setup page with the one-time token.
    let token = server.app.admin_setup_token().await.unwrap().unwrap();
    b.go(&url(&format!("/setup?token={token}"))).await;
    b.shoot("setup").await;
    b.fill("f-username", "admin").await;
    b.fill("f-password", PW).await;
    b.fill("f-password2", PW).await;
    b.submit("form[action='/setup'] button[type=submit]").await;
    b.at("/").await;

    // The admin adds a user and a reader, and makes and revokes an API token.
    b.go(&url("/admin/users")).await;
    for (name, role) in [("alice", "user"), ("rita", "readonly")] {
        b.fill("f-username", name).await;
        b.client
            .find(Locator::Css(&format!("#f-role option[value='{role}']")))
            .await
            .unwrap()
            .click()
            .await
            .unwrap();
        b.fill("f-password", PW).await;
        b.submit("form[action='/admin/users'] button").await;
        assert!(b.text("#users").await.contains(name));
    }
    b.fill("f-username", "bob").await;
    b.fill("f-password", "short").await;
    b.submit("form[action='/admin/users'] button").await;
    let err = b.text("#f-password-err").await;
    assert!(err.contains("12"), "{err}");
    b.shoot("admin-users").await;
    b.go(&url("/admin/tokens")).await;
    b.fill("f-name", "spreadsheet").await;
    b.submit("form[action='/admin/tokens'] button").await;
    assert!(b.text("#new-token").await.starts_with("sfp_"));
    b.shoot("admin-token-created").await;
    b.submit("#tokens form button").await;
    assert!(b.text("#tokens").await.contains("revoked"));
    b.shoot("admin-tokens").await;
    b.go(&url("/admin/database?run=verify")).await;
    assert!(b.text("#verify-result").await.starts_with("OK"));
    b.shoot("admin-database").await;
    b.go(&url("/admin/backups")).await;
    b.shoot("admin-backups-empty").await;
    b.submit("form[action='/admin/backups'] button").await;
    assert!(b.text("#backup-result").await.starts_with("Backup taken"));
    assert!(b.text("#backups").await.contains("not verified"));
    b.submit("#backups form button").await;
    assert!(b.text("#verify-result").await.starts_with("Verified"));
    assert!(!b.text("#backups").await.contains("not verified"));
    b.shoot("admin-backups").await;
    b.submit("form[action='/logout'] button").await;
    b.at("/login").await;

    // Anonymous: sent to the login page; logging in with the keyboard only.
    b.go(&url("/inventory")).await;
    b.at("/login").await;
    b.shoot("login").await;
    b.client
        .find(Locator::Id("f-username"))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    let active = b.client.active_element().await.unwrap();
    active.send_keys("alice").await.unwrap();
    active.send_keys(&Key::Tab.to_string()).await.unwrap();
    let active = b.client.active_element().await.unwrap();
    assert_eq!(
        active.attr("id").await.unwrap().as_deref(),
        Some("f-password")
    );
    b.mark().await;
    active
        .send_keys(&format!("{PW}{}", Key::Enter))
        .await
        .unwrap();
    b.loaded().await;
    b.at("/inventory").await;

    b.go(&url("/")).await;
    let profit_before = b.value("#profit-total").await;
    b.shoot("dashboard-empty").await;

    // A purchase of two pairs; first with a size no chart knows, which is named beside it.
    b.go(&url("/purchases/new")).await;
    b.shoot("purchase-form").await;
    b.fill("f-supplier", "Solebox").await;
    b.fill("f-invoice", "INV-7").await;
    b.fill("f-shipping", "10").await;
    b.fill("f-sku_0", "DD1391-100").await;
    // The size is read as it is typed: a bare "10" is ambiguous and offers its readings.
    b.fill("f-size_0", "10").await;
    b.client
        .find(Locator::Id("f-size_0"))
        .await
        .unwrap()
        .send_keys(&Key::Tab.to_string())
        .await
        .unwrap();
    let choice = b
        .client
        .wait()
        .for_element(Locator::Css("#f-size_0-check button.size-choice"))
        .await
        .unwrap();
    assert!(b.text("#f-size_0-check").await.contains("ambiguous"));
    b.shoot("purchase-size-check").await;
    choice.click().await.unwrap();
    let size = b
        .client
        .find(Locator::Id("f-size_0"))
        .await
        .unwrap()
        .prop("value")
        .await
        .unwrap();
    assert_eq!(size.as_deref(), Some("US 10"));
    b.fill("f-price_0", "100").await;
    b.fill("f-sku_1", "DD1391-100").await;
    b.fill("f-size_1", "XL").await;
    b.fill("f-price_1", "110").await;
    b.submit("form[action='/purchases/new'] > div > button[type=submit]")
        .await;
    let err = b.text("#f-size_1-err").await;
    assert!(err.contains("XL"), "{err}");
    b.shoot("purchase-error").await;
    b.fill("f-size_1", "US 11").await;
    b.submit("form[action='/purchases/new'] > div > button[type=submit]")
        .await;
    let recorded = b.count("#purchased a.pair-link").await;
    assert_eq!(recorded, 2, "{}", b.text("main").await);
    b.shoot("purchase-recorded").await;
    let pair_url = b
        .client
        .find(Locator::Css("#purchased a.pair-link"))
        .await
        .unwrap()
        .attr("href")
        .await
        .unwrap()
        .unwrap();
    let pair_id = pair_url.rsplit('/').next().unwrap().to_owned();

    // Move it to available (only allowed states are offered), list it, sell it.
    b.go(&url(&pair_url)).await;
    let offered: Vec<String> = {
        let mut v = Vec::new();
        for o in b
            .client
            .find_all(Locator::Css("#f-to option"))
            .await
            .unwrap()
        {
            v.push(o.attr("value").await.unwrap().unwrap());
        }
        v
    };
    assert_eq!(offered, ["available", "need_shipping", "cancelled"]);
    b.shoot("pair").await;
    b.client
        .find(Locator::Css("#f-to option[value='available']"))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    b.submit("form[action$='/move'] button").await;
    assert_eq!(b.text("#pair-state").await, "available");
    b.fill("f-price", "180").await;
    b.submit("form[action$='/listings'] button").await;
    assert!(b.text("#h-listings + div").await.contains("active"));
    b.shoot("pair-listed").await;
    let cost = b.value("#pair-cost").await;

    b.go(&url(&format!("/inventory/{pair_id}/sell"))).await;
    b.fill("f-price", "180").await;
    b.fill("f-level", "1").await;
    b.submit("form[method=get] button").await;
    let payout = b.value("#quote-payout").await;
    assert!(payout < Decimal::from(180) && payout > Decimal::ZERO);
    assert!(
        b.text("#quote").await.contains(','),
        "German readers get a decimal comma"
    );
    b.shoot("sell-quote").await;
    b.submit("form[action$='/sell'][method=post] button").await;
    assert_eq!(b.text("#pair-state").await, "need shipping");
    assert_eq!(
        b.value("#sale-profit").await,
        payout - cost,
        "the pair's page shows its sale's profit"
    );
    b.shoot("pair-sold").await;

    b.go(&url("/")).await;
    let profit_after = b.value("#profit-total").await;
    assert_eq!(
        profit_after - profit_before,
        payout - cost,
        "the dashboard's profit grows by the payout less the pair's cost"
    );
    let shown = b.text("#profit-total").await;
    assert!(shown.ends_with('€') && shown.contains(','), "{shown}");
    b.shoot("dashboard").await;
    b.go(&url("/inventory?state=in_stock")).await;
    assert_eq!(b.count("tbody a[href^='/inventory/']").await, 1);
    b.shoot("inventory").await;
    b.go(&url("/sizes?input=US+10&brand=nike")).await;
    assert!(b.text("#equivalents").await.contains("EU"));
    b.shoot("sizes").await;
    // An import: the upload, the page that follows it, and the rejected lines it reports.
    b.go(&url("/imports")).await;
    b.shoot("imports").await;
    let report = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../soleflip-app/tests/fixtures/imports/stockx_sales.csv")
        .canonicalize()
        .unwrap();
    b.client
        .find(Locator::Id("file"))
        .await
        .unwrap()
        .send_keys(&report.display().to_string())
        .await
        .unwrap();
    b.submit("form[action='/imports'] button").await;
    b.client
        .wait()
        .for_element(Locator::Css("main section.panel:not([data-refresh])"))
        .await
        .unwrap();
    let shown = b.text("main").await;
    assert!(
        shown.contains("Done.")
            && shown.contains("Rejected lines")
            && shown.contains("is not a sale price"),
        "{shown}"
    );
    b.shoot("import-done").await;
    // Matching and opportunities: a retail feed whose offers the cascade matches, one of them
    // sent to review (its size labels disagree), accepted here with its size.
    server.seed_arbitrage().await;
    b.go(&url("/matches")).await;
    b.submit("form[action='/matches/run'] button").await;
    b.at("/matches").await;
    assert!(b.text("main").await.contains("disagree"));
    b.shoot("matches").await;
    let accept = b
        .client
        .find(Locator::Css("form[action$='/accept'] input[name=size]"))
        .await
        .unwrap();
    accept.send_keys("US 10").await.unwrap();
    b.submit("form[action$='/accept'] button").await;
    b.at("/matches").await;
    assert_eq!(
        b.count("form[action$='/accept']").await,
        0,
        "the queue is empty"
    );
    b.go(&url("/opportunities?min_profit=30&sort=roi")).await;
    let table = b.text("main table").await;
    assert!(
        table.contains("DD1391-100") && table.contains("EU 44.0"),
        "{table}"
    );
    b.shoot("opportunities").await;
    b.go(&url("/admin/users")).await;
    assert!(
        b.text("main").await.contains("does not allow"),
        "a user is no admin"
    );
    b.go(&url("/")).await;
    b.submit("form[action='/logout'] button").await;

    // The reader: sees everything, finds no control that changes anything, is refused anyway.
    b.go(&url("/login")).await;
    b.fill("f-username", "rita").await;
    b.fill("f-password", PW).await;
    b.submit("form[action='/login'] button").await;
    b.at("/").await;
    b.shoot("readonly-dashboard").await;
    for page in [
        "/",
        "/inventory",
        &pair_url,
        "/matches?status=matched",
        "/opportunities",
    ] {
        b.go(&url(page)).await;
        let mutating = b.count("form[method=post]:not([action='/logout'])").await;
        let links = b.count("a[href*='/sell'], a[href^='/purchases']").await;
        assert_eq!((mutating, links), (0, 0), "a reader's {page}");
    }
    b.shoot("readonly-pair").await;
    let status = b
        .client
        .execute(
            "return fetch(arguments[0], {method: 'POST', headers: {'content-type': \
             'application/x-www-form-urlencoded'}, body: 'to=cancelled'}).then(r => r.status);",
            vec![json!(format!("/inventory/{pair_id}/move"))],
        )
        .await
        .unwrap();
    assert_eq!(status, json!(403), "a reader's forged POST is refused");
    b.go(&url("/purchases/new")).await;
    assert!(b.text("main").await.contains("does not allow"));
    b.shoot("readonly-refused").await;
    b.go(&url(&pair_url)).await;
    assert_eq!(b.text("#pair-state").await, "need shipping");

    b.submit("form[action='/logout'] button").await;
    b.at("/login").await;
    b.shoot("logged-out").await;
    b.go(&url("/")).await;
    b.at("/login").await;

    eprintln!(
        "axe-core ran {} times without a serious violation; screenshots:\n  {}",
        b.axe_runs,
        b.taken.join("\n  ")
    );
    b.client.close().await.unwrap();
}
