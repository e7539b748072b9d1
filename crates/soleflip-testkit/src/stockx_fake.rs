//! A fake StockX (API v2 and its OAuth token endpoint) on a local port, serving the
//! hand-written fixtures of `fixtures/stockx/` in the documented shapes, for tests and the
//! benchmark (`cargo run -p soleflip-testkit --example fake_stockx`).
//!
//! It checks what StockX checks (the `x-api-key` header, a bearer token it issued and that has
//! not expired, the refresh token, client id and secret), pages lists by `pageNumber` and
//! `pageSize` (capped by [`FakeStockx::set_max_page_size`]) with `hasNextPage`, records every
//! API request with its arrival time, and can be told to misbehave: answer 401 (once or n
//! times), 429 with a `Retry-After`, 5xx, or fail one path, and to expire its tokens.
//!
//! Market data for a product it does not know is generated when asked
//! ([`FakeStockx::generate_market_data`]): variants `<productId>-<k>`, prices derived from
//! the variant id, so a benchmark can ask for thousands of products.

use std::collections::HashMap;
use std::sync::atomic::{AtomicU32, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant, SystemTime};

use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, Method, StatusCode, Uri};
use axum::response::{IntoResponse, Response};
use serde_json::{json, Value};

/// The credentials the fake accepts (tests look for them where they must not be).
pub const CLIENT_ID: &str = "fake-client-id-7Qx2";
pub const CLIENT_SECRET: &str = "fake-client-secret-Zr81mQ0vLk";
pub const API_KEY: &str = "fake-api-key-Hs93nB7pWd";
pub const REFRESH_TOKEN: &str = "fake-refresh-token-Yt45kP2sXa";

/// The credentials as `soleflip stockx connect` reads them (JSON).
pub fn credentials_json() -> String {
    json!({
        "client_id": CLIENT_ID,
        "client_secret": CLIENT_SECRET,
        "api_key": API_KEY,
        "refresh_token": REFRESH_TOKEN,
    })
    .to_string()
}

const PRODUCTS: &str = include_str!("../fixtures/stockx/products.json");
const VARIANTS: &str = include_str!("../fixtures/stockx/variants.json");
const MARKET: &str = include_str!("../fixtures/stockx/market-data.json");
const HISTORY: &str = include_str!("../fixtures/stockx/orders-history.json");
const ACTIVE: &str = include_str!("../fixtures/stockx/orders-active.json");
const LISTINGS: &str = include_str!("../fixtures/stockx/listings.json");
const OPERATION: &str = include_str!("../fixtures/stockx/listing-operation.json");
const TOKEN: &str = include_str!("../fixtures/stockx/token.json");
const SEARCH: &str = include_str!("../fixtures/stockx/search.json");

/// One API request as the fake received it.
#[derive(Debug, Clone)]
pub struct Logged {
    pub at: SystemTime,
    pub method: String,
    pub path: String,
    pub query: String,
    /// The status the fake answered.
    pub status: u16,
}

#[derive(Default)]
struct Faults {
    unauthorized: u32,
    too_many: u32,
    retry_after_secs: u64,
    server_error: u32,
    /// (path substring, status, remaining times; u32::MAX: always)
    path: Option<(String, u16, u32)>,
}

struct Inner {
    products: Vec<Value>,
    variants: HashMap<String, Vec<Value>>,
    market: Mutex<HashMap<String, Vec<Value>>>,
    history: Vec<Value>,
    active: Vec<Value>,
    listings: Mutex<Vec<Value>>,
    tokens: Mutex<HashMap<String, Instant>>,
    token_lifetime_secs: AtomicU64,
    token_seq: AtomicU64,
    token_requests: AtomicU64,
    generated_variants: AtomicU32,
    max_page_size: AtomicU32,
    faults: Mutex<Faults>,
    log: Mutex<Vec<Logged>>,
}

/// A running fake StockX. Dropping it stops the server.
pub struct FakeStockx {
    /// `http://127.0.0.1:PORT`: both the API and the token endpoint.
    pub url: String,
    inner: Arc<Inner>,
    task: tokio::task::JoinHandle<()>,
}

impl Drop for FakeStockx {
    fn drop(&mut self) {
        self.task.abort();
    }
}

fn parse<T: serde::de::DeserializeOwned>(name: &str, text: &str) -> T {
    serde_json::from_str(text).unwrap_or_else(|e| panic!("fixture {name}: {e}"))
}

impl FakeStockx {
    /// Starts the fake on a free loopback port (or `port`).
    pub async fn start_on(port: u16) -> FakeStockx {
        let inner = Arc::new(Inner {
            products: parse("products.json", PRODUCTS),
            variants: parse("variants.json", VARIANTS),
            market: Mutex::new(parse("market-data.json", MARKET)),
            history: parse("orders-history.json", HISTORY),
            active: parse("orders-active.json", ACTIVE),
            listings: Mutex::new(parse("listings.json", LISTINGS)),
            tokens: Mutex::new(HashMap::new()),
            token_lifetime_secs: AtomicU64::new(43_200),
            token_seq: AtomicU64::new(0),
            token_requests: AtomicU64::new(0),
            generated_variants: AtomicU32::new(0),
            max_page_size: AtomicU32::new(100),
            faults: Mutex::new(Faults::default()),
            log: Mutex::new(Vec::new()),
        });
        let listener = tokio::net::TcpListener::bind(("127.0.0.1", port))
            .await
            .expect("binding the fake StockX");
        let addr = listener.local_addr().expect("its address");
        let app = axum::Router::new()
            .fallback(handle)
            .with_state(inner.clone());
        let task = tokio::spawn(async move {
            let _ = axum::serve(listener, app).await;
        });
        FakeStockx {
            url: format!("http://{addr}"),
            inner,
            task,
        }
    }

    /// Starts the fake on a free loopback port.
    pub async fn start() -> FakeStockx {
        Self::start_on(0).await
    }

    /// Access tokens issued from now on live `secs` seconds.
    pub fn set_token_lifetime(&self, secs: u64) {
        self.inner.token_lifetime_secs.store(secs, Ordering::SeqCst);
    }

    /// Every token issued so far expires now.
    pub fn expire_tokens(&self) {
        let now = Instant::now();
        for t in self.inner.lock_tokens().values_mut() {
            *t = now;
        }
    }

    /// The next `n` API requests are answered 401.
    pub fn fail_401(&self, n: u32) {
        self.inner.lock_faults().unauthorized = n;
    }

    /// The next `n` API requests are answered 429 with `Retry-After: secs`.
    pub fn fail_429(&self, n: u32, retry_after_secs: u64) {
        let mut f = self.inner.lock_faults();
        f.too_many = n;
        f.retry_after_secs = retry_after_secs;
    }

    /// The next `n` API requests are answered 503.
    pub fn fail_503(&self, n: u32) {
        self.inner.lock_faults().server_error = n;
    }

    /// Requests whose path and query (`/v2/...?pageNumber=2&...`) contain `part` are answered
    /// `status` (`times`: how often; None for always, until [`FakeStockx::heal`]).
    pub fn fail_path(&self, part: &str, status: u16, times: Option<u32>) {
        self.inner.lock_faults().path = Some((part.to_owned(), status, times.unwrap_or(u32::MAX)));
    }

    /// No more injected faults.
    pub fn heal(&self) {
        *self.inner.lock_faults() = Faults::default();
    }

    /// Lists are paged by at most `n` items, whatever `pageSize` asks.
    pub fn set_max_page_size(&self, n: u32) {
        self.inner.max_page_size.store(n.max(1), Ordering::SeqCst);
    }

    /// Unknown products get market data for `n` generated variants each.
    pub fn generate_market_data(&self, n: u32) {
        self.inner.generated_variants.store(n, Ordering::SeqCst);
    }

    /// Sets the lowest ask and highest bid (None: no quote) of a variant of a fixture product.
    pub fn set_market(&self, product: &str, variant: &str, ask: Option<&str>, bid: Option<&str>) {
        if let Ok(mut m) = self.inner.market.lock() {
            for v in m.get_mut(product).into_iter().flatten() {
                if v["variantId"].as_str() == Some(variant) {
                    v["lowestAskAmount"] = ask.map_or(Value::Null, |a| json!(a));
                    v["highestBidAmount"] = bid.map_or(Value::Null, |b| json!(b));
                }
            }
        }
    }

    /// Token requests answered so far.
    pub fn token_requests(&self) -> u64 {
        self.inner.token_requests.load(Ordering::SeqCst)
    }

    /// The API requests received so far, in order of arrival.
    pub fn requests(&self) -> Vec<Logged> {
        self.inner.log.lock().map(|l| l.clone()).unwrap_or_default()
    }
}

impl Inner {
    fn lock_tokens(&self) -> std::sync::MutexGuard<'_, HashMap<String, Instant>> {
        self.tokens.lock().unwrap_or_else(|e| e.into_inner())
    }

    fn lock_faults(&self) -> std::sync::MutexGuard<'_, Faults> {
        self.faults.lock().unwrap_or_else(|e| e.into_inner())
    }

    fn log(&self, method: &Method, uri: &Uri, status: StatusCode) {
        if let Ok(mut l) = self.log.lock() {
            l.push(Logged {
                at: SystemTime::now(),
                method: method.to_string(),
                path: uri.path().to_owned(),
                query: uri.query().unwrap_or_default().to_owned(),
                status: status.as_u16(),
            });
        }
    }
}

fn error(status: StatusCode, message: &str) -> Response {
    (
        status,
        axum::Json(json!({"statusCode": status.as_u16(), "message": message})),
    )
        .into_response()
}

fn query_map(uri: &Uri) -> HashMap<String, String> {
    url::form_urlencoded::parse(uri.query().unwrap_or_default().as_bytes())
        .into_owned()
        .collect()
}

async fn handle(
    State(inner): State<Arc<Inner>>,
    method: Method,
    uri: Uri,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    if uri.path() == "/oauth/token" && method == Method::POST {
        return token(&inner, &body);
    }
    let response = api(&inner, &method, &uri, &headers, &body);
    inner.log(&method, &uri, response.status());
    response
}

fn token(inner: &Inner, body: &[u8]) -> Response {
    inner.token_requests.fetch_add(1, Ordering::SeqCst);
    let form: HashMap<String, String> = url::form_urlencoded::parse(body).into_owned().collect();
    let ok = form.get("grant_type").map(String::as_str) == Some("refresh_token")
        && form.get("client_id").map(String::as_str) == Some(CLIENT_ID)
        && form.get("client_secret").map(String::as_str) == Some(CLIENT_SECRET)
        && form.get("refresh_token").map(String::as_str) == Some(REFRESH_TOKEN);
    if !ok {
        return (
            StatusCode::UNAUTHORIZED,
            axum::Json(json!({"error": "invalid_grant", "error_description": "Unknown or invalid refresh token."})),
        )
            .into_response();
    }
    let n = inner.token_seq.fetch_add(1, Ordering::SeqCst) + 1;
    let lifetime = inner.token_lifetime_secs.load(Ordering::SeqCst);
    let value = format!("fake-access-token-{n}");
    inner.lock_tokens().insert(
        value.clone(),
        Instant::now() + Duration::from_secs(lifetime),
    );
    let mut t: Value = parse("token.json", TOKEN);
    t["access_token"] = json!(value);
    t["expires_in"] = json!(lifetime);
    axum::Json(t).into_response()
}

fn injected(inner: &Inner, path: &str) -> Option<Response> {
    let mut f = inner.lock_faults();
    if f.unauthorized > 0 {
        f.unauthorized -= 1;
        return Some(error(StatusCode::UNAUTHORIZED, "Unauthorized"));
    }
    if f.too_many > 0 {
        f.too_many -= 1;
        let mut r = error(StatusCode::TOO_MANY_REQUESTS, "Too Many Requests");
        if let Ok(v) = f.retry_after_secs.to_string().parse() {
            r.headers_mut().insert("retry-after", v);
        }
        return Some(r);
    }
    if f.server_error > 0 {
        f.server_error -= 1;
        return Some(error(
            StatusCode::SERVICE_UNAVAILABLE,
            "Service Unavailable",
        ));
    }
    if let Some((part, status, times)) = &mut f.path {
        if path.contains(part.as_str()) && *times > 0 {
            if *times != u32::MAX {
                *times -= 1;
            }
            let status = StatusCode::from_u16(*status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
            return Some(error(status, "injected failure"));
        }
    }
    None
}

fn page(inner: &Inner, items: &[Value], q: &HashMap<String, String>, key: &str) -> Value {
    let number: usize = q
        .get("pageNumber")
        .and_then(|p| p.parse().ok())
        .unwrap_or(1)
        .max(1);
    let asked: usize = q
        .get("pageSize")
        .and_then(|p| p.parse().ok())
        .unwrap_or(1)
        .max(1);
    let size = asked.min(inner.max_page_size.load(Ordering::SeqCst) as usize);
    let start = (number - 1) * size;
    let slice: Vec<Value> = items.iter().skip(start).take(size).cloned().collect();
    let mut out = json!({
        "count": items.len(),
        "pageSize": size,
        "pageNumber": number,
        "hasNextPage": start + size < items.len(),
    });
    out[key] = Value::Array(slice);
    out
}

/// A price in 50..250 derived from `id` (the same id, the same price).
fn generated_price(id: &str, salt: u64) -> u64 {
    let h = id.bytes().fold(1469598103934665603u64 ^ salt, |h, b| {
        (h ^ u64::from(b)).wrapping_mul(1099511628211)
    });
    50 + h % 200
}

fn generated_market(product: &str, n: u32) -> Vec<Value> {
    (0..n)
        .map(|k| {
            let variant = format!("{product}-{k}");
            let ask = generated_price(&variant, 1);
            let bid = ask.saturating_sub(5 + generated_price(&variant, 2) % 20);
            json!({
                "productId": product,
                "variantId": variant,
                "currencyCode": "EUR",
                "lowestAskAmount": ask.to_string(),
                "highestBidAmount": if k % 7 == 6 { Value::Null } else { json!(bid.to_string()) },
                "sellFasterAmount": ask.saturating_sub(1).to_string(),
                "earnMoreAmount": (ask + 4).to_string(),
                "flexLowestAskAmount": null,
            })
        })
        .collect()
}

fn api(inner: &Inner, method: &Method, uri: &Uri, headers: &HeaderMap, body: &[u8]) -> Response {
    let path = uri.path();
    if headers.get("x-api-key").and_then(|v| v.to_str().ok()) != Some(API_KEY) {
        return error(StatusCode::FORBIDDEN, "Forbidden");
    }
    let target = format!("{path}?{}", uri.query().unwrap_or_default());
    if let Some(r) = injected(inner, &target) {
        return r;
    }
    let bearer = headers
        .get("authorization")
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer "));
    let valid = bearer
        .and_then(|t| inner.lock_tokens().get(t).copied())
        .is_some_and(|until| until > Instant::now());
    if !valid {
        return error(StatusCode::UNAUTHORIZED, "Unauthorized");
    }
    let q = query_map(uri);
    let parts: Vec<&str> = path.trim_matches('/').split('/').collect();
    match (method.clone(), parts.as_slice()) {
        (Method::GET, ["v2", "catalog", "search"]) => {
            let term = q.get("query").cloned().unwrap_or_default().to_uppercase();
            let found: Vec<Value> = inner
                .products
                .iter()
                .filter(|p| {
                    let id = p["productId"].as_str().unwrap_or_default();
                    let style = p["styleId"].as_str().unwrap_or_default().to_uppercase();
                    let gtin_hit = inner.variants.get(id).is_some_and(|vs| {
                        vs.iter().any(|v| {
                            v["gtins"].as_array().is_some_and(|g| {
                                g.iter()
                                    .any(|g| g["identifier"].as_str() == Some(term.as_str()))
                            })
                        })
                    });
                    (!term.is_empty() && style.split('/').any(|s| s == term)) || gtin_hit
                })
                .cloned()
                .collect();
            let mut out: Value = parse("search.json", SEARCH);
            let paged = page(inner, &found, &q, "products");
            for k in ["count", "pageSize", "pageNumber", "hasNextPage", "products"] {
                out[k] = paged[k].clone();
            }
            axum::Json(out).into_response()
        }
        (Method::GET, ["v2", "catalog", "products", "variants", "gtins", gtin]) => inner
            .variants
            .values()
            .flatten()
            .find(|v| {
                v["gtins"]
                    .as_array()
                    .is_some_and(|g| g.iter().any(|g| g["identifier"].as_str() == Some(gtin)))
            })
            .map(|v| axum::Json(v.clone()).into_response())
            .unwrap_or_else(|| error(StatusCode::NOT_FOUND, "Not found")),
        (Method::GET, ["v2", "catalog", "products", id]) => inner
            .products
            .iter()
            .find(|p| p["productId"].as_str() == Some(id))
            .map(|p| axum::Json(p.clone()).into_response())
            .unwrap_or_else(|| error(StatusCode::NOT_FOUND, "Not found")),
        (Method::GET, ["v2", "catalog", "products", id, "variants"]) => inner
            .variants
            .get(*id)
            .map(|v| axum::Json(v.clone()).into_response())
            .unwrap_or_else(|| error(StatusCode::NOT_FOUND, "Not found")),
        (Method::GET, ["v2", "catalog", "products", id, "market-data"]) => {
            let known = inner.market.lock().ok().and_then(|m| m.get(*id).cloned());
            match known {
                Some(m) => axum::Json(m).into_response(),
                None => {
                    let n = inner.generated_variants.load(Ordering::SeqCst);
                    axum::Json(generated_market(id, n)).into_response()
                }
            }
        }
        (Method::GET, ["v2", "catalog", "products", id, "variants", vid, "market-data"]) => {
            let known = inner.market.lock().ok().and_then(|m| m.get(*id).cloned());
            let all = known.unwrap_or_else(|| {
                generated_market(id, inner.generated_variants.load(Ordering::SeqCst))
            });
            all.into_iter()
                .find(|m| m["variantId"].as_str() == Some(vid))
                .map(|m| axum::Json(m).into_response())
                .unwrap_or_else(|| {
                    error(
                        StatusCode::BAD_REQUEST,
                        "Variant does not belong to the product.",
                    )
                })
        }
        (Method::GET, ["v2", "selling", "orders", which @ ("history" | "active")]) => {
            let all = if *which == "history" {
                &inner.history
            } else {
                &inner.active
            };
            let from = q.get("fromDate").cloned().unwrap_or_default();
            let kept: Vec<Value> = all
                .iter()
                .filter(|o| {
                    from.is_empty() || o["createdAt"].as_str().unwrap_or_default() >= from.as_str()
                })
                .cloned()
                .collect();
            axum::Json(page(inner, &kept, &q, "orders")).into_response()
        }
        (Method::GET, ["v2", "selling", "listings"]) => {
            let all = inner.listings.lock().map(|l| l.clone()).unwrap_or_default();
            axum::Json(page(inner, &all, &q, "listings")).into_response()
        }
        (Method::POST, ["v2", "selling", "listings"]) => {
            let input: Value = serde_json::from_slice(body).unwrap_or(Value::Null);
            let (Some(variant), Some(amount)) =
                (input["variantId"].as_str(), input["amount"].as_str())
            else {
                return error(StatusCode::BAD_REQUEST, "amount and variantId are required");
            };
            let n = inner.token_seq.fetch_add(1, Ordering::SeqCst);
            let listing_id = format!("98e2e748-8000-45bf-a624-{n:012}");
            if let Ok(mut l) = inner.listings.lock() {
                l.push(json!({
                    "listingId": listing_id, "status": "ACTIVE", "amount": amount,
                    "currencyCode": input["currencyCode"].as_str().unwrap_or("USD"),
                    "inventoryType": "STANDARD",
                    "variant": {"variantId": variant, "variantName": "", "variantValue": null},
                }));
            }
            let mut op: Value = parse("listing-operation.json", OPERATION);
            op["listingId"] = json!(listing_id);
            (StatusCode::CREATED, axum::Json(op)).into_response()
        }
        (Method::GET, ["v2", "selling", "listings", id, "operations", op]) => {
            let mut o: Value = parse("listing-operation.json", OPERATION);
            o["listingId"] = json!(id);
            o["operationId"] = json!(op);
            o["operationStatus"] = json!("SUCCEEDED");
            axum::Json(o).into_response()
        }
        _ => error(StatusCode::NOT_FOUND, "Not found"),
    }
}
