//! The routes under `/api/v1`: [`ACCESS`] declares who may call each one (the one place), and
//! [`handlers`] registers what each does. A route registered without a declaration is refused
//! to everybody at run time (and fails the role test).

use std::net::SocketAddr;

use axum::extract::{ConnectInfo, Extension, Path, State};
use axum::http::{header, HeaderMap, HeaderValue, Method, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post, MethodRouter};
use axum::Json;
use serde::Deserialize;
use soleflip_app::auth::{Actor, AuthError, Principal, Role};
use soleflip_app::ledger::{PnlBy, PurchaseLineRequest, PurchaseRequest, SaleRequest};
use soleflip_app::{Code, Coded};

use crate::error::ApiError;
use crate::{ApiJson, ApiQuery, AppState};

/// Who may call a route.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Access {
    /// Anybody, signed in or not (login, the first admin's setup, the API description).
    Public,
    /// A signed-in user whose role is at least this one.
    AtLeast(Role),
}

const READ: Access = Access::AtLeast(Role::Readonly);
const USER: Access = Access::AtLeast(Role::User);
const ADMIN: Access = Access::AtLeast(Role::Admin);

/// THE declaration of every route's access: method, path (as registered), access, summary.
#[rustfmt::skip]
pub const ACCESS: &[(&str, &str, Access, &str)] = &[
    ("POST", "/api/v1/auth/login", Access::Public, "Sign in with a user name and password; sets the session cookie"),
    ("POST", "/api/v1/setup", Access::Public, "Create the first admin with the one-time setup token"),
    ("GET", "/api/v1/openapi.json", Access::Public, "This API description (OpenAPI 3.1)"),
    ("GET", "/api/v1/auth/me", READ, "The signed-in user and role"),
    ("POST", "/api/v1/auth/logout", READ, "End the session"),
    ("GET", "/api/v1/sizes/parse", READ, "Read a size string and give its equivalents"),
    ("GET", "/api/v1/prices/latest", READ, "The latest in-stock price per size and source of a product"),
    ("GET", "/api/v1/inventory", READ, "Pairs filtered by state, SKU, brand, size and age, sorted (default oldest first); a page per cursor"),
    ("GET", "/api/v1/inventory/{id}", READ, "One pair with its history, listings and allowed next states"),
    ("GET", "/api/v1/reports/pnl", READ, "Profit and loss of the orders sold in a period, grouped"),
    ("GET", "/api/v1/reports/stock", READ, "Pairs in stock by state and age, capital tied up"),
    ("GET", "/api/v1/fees/quote", READ, "The fee lines and payout of one sale from the fee schedules"),
    ("POST", "/api/v1/purchases", USER, "Record an invoice; one inventory row per pair"),
    ("POST", "/api/v1/inventory/{id}/move", USER, "Move a pair along the lifecycle"),
    ("POST", "/api/v1/listings", USER, "List a pair on a platform"),
    ("POST", "/api/v1/listings/{id}/end", USER, "End a listing"),
    ("POST", "/api/v1/sales", USER, "Record a sale with its fee lines and payout"),
    ("GET", "/api/v1/matches", READ, "Offer-to-variant match decisions, newest first (status=review: the review queue); a page per cursor"),
    ("POST", "/api/v1/matches/run", USER, "Run the matching cascade over offers without a decision (GTIN, style code + size, else review)"),
    ("POST", "/api/v1/matches/{id}/accept", USER, "Accept a match or proposal (with the size when it was in question)"),
    ("POST", "/api/v1/matches/{id}/reject", USER, "Reject a match or proposal; never proposed again"),
    ("GET", "/api/v1/arbitrage", READ, "Matched in-stock offers against StockX after fees: buy cost, payout, profit and ROI, best first"),
    ("POST", "/api/v1/arbitrage/new", USER, "Only the opportunities new or changed materially since the last such call (remembered)"),
    ("POST", "/api/v1/imports/{kind}", USER, "Upload a file to import (kind: stockx-sales, alias-sales, purchases, awin, fx; multipart field `file`); 202 with the job"),
    ("GET", "/api/v1/imports/jobs/{id}", USER, "An import job's progress, and its report when done"),
    ("GET", "/api/v1/imports/jobs/{id}/events", USER, "An import job's progress as server-sent events"),
    ("POST", "/api/v1/stockx/sync/{kind}", USER, "Run a StockX sync (catalog, prices, orders, listings) as a job; 202 with the job (poll /api/v1/imports/jobs/{id})"),
    ("GET", "/api/v1/stockx/status", ADMIN, "Whether StockX is connected (never a secret), the request budget and the sync jobs"),
    ("GET", "/api/v1/users", ADMIN, "Users with role and state, by name; a page per cursor"),
    ("POST", "/api/v1/users", ADMIN, "Add a user with a role"),
    ("POST", "/api/v1/users/{name}/disable", ADMIN, "Disable a user; revokes their sessions"),
    ("POST", "/api/v1/users/{name}/password", ADMIN, "Set a user's password; revokes their sessions"),
    ("GET", "/api/v1/tokens", ADMIN, "API tokens, newest first (never the secrets); a page per cursor"),
    ("POST", "/api/v1/tokens", ADMIN, "Create an API token (shown once)"),
    ("POST", "/api/v1/tokens/{id}/revoke", ADMIN, "Revoke an API token"),
    ("GET", "/api/v1/audit", ADMIN, "The audit log, newest first (cursor: before)"),
    ("GET", "/api/v1/db/status", ADMIN, "Applied and pending migrations"),
    ("GET", "/api/v1/db/verify", ADMIN, "Compare the database with what its migrations promise"),
    ("GET", "/api/v1/db/health", ADMIN, "Server facts and graded health checks"),
    ("GET", "/api/v1/backups", ADMIN, "The backups in the server's backup directory, with their files"),
    ("POST", "/api/v1/backups", ADMIN, "Take a backup (pg_dump and manifest), verified right away if asked"),
    ("POST", "/api/v1/backups/{name}/verify", ADMIN, "Restore a backup into a scratch database and compare it"),
    // Admin, not user: it rewrites every row of the shared size table in one transaction (a
    // maintenance job, like db verify), which no reseller's daily work needs.
    ("POST", "/api/v1/sizes/normalize", ADMIN, "Fill the standardized values of the size rows"),
    // Admin: it drops whole months of every product's price history, for good.
    ("POST", "/api/v1/prices/prune", ADMIN, "Drop the price history older than an age, whole months at a time (dry_run: report only)"),
    // The web page (crate::web): anonymous callers of a page are sent to /login.
    ("GET", "/assets/app.css", Access::Public, "The page's stylesheet"),
    ("GET", "/assets/app.js", Access::Public, "The page's one script (sets the time-zone cookie)"),
    ("GET", "/login", Access::Public, "Page: log in"),
    ("POST", "/login", Access::Public, "Page: log in (sets the session cookie)"),
    ("GET", "/setup", Access::Public, "Page: create the first admin with the setup token"),
    ("POST", "/setup", Access::Public, "Page: create the first admin"),
    ("POST", "/logout", READ, "Page: log out"),
    ("GET", "/", READ, "Page: dashboard"),
    ("GET", "/inventory", READ, "Page: inventory list"),
    ("GET", "/inventory/{id}", READ, "Page: one pair with its timeline and listings"),
    ("POST", "/inventory/{id}/move", USER, "Page: move a pair"),
    ("POST", "/inventory/{id}/listings", USER, "Page: list a pair"),
    ("GET", "/inventory/{id}/sell", USER, "Page: a sale's fee quote"),
    ("POST", "/inventory/{id}/sell", USER, "Page: record a sale"),
    ("GET", "/purchases/new", USER, "Page: add a purchase"),
    ("POST", "/purchases/new", USER, "Page: record a purchase"),
    ("GET", "/sizes", READ, "Page: a size on every chart of a brand"),
    ("GET", "/imports", USER, "Page: upload a file to import"),
    ("POST", "/imports", USER, "Page: start an import (multipart)"),
    ("GET", "/imports/{id}", USER, "Page: an import's progress and report"),
    ("GET", "/opportunities", READ, "Page: the arbitrage table, filterable and sortable"),
    ("GET", "/matches", READ, "Page: the review queue of offer-to-variant matches"),
    ("POST", "/matches/run", USER, "Page: run the matching cascade"),
    ("POST", "/matches/{id}/accept", USER, "Page: accept a match (with its size)"),
    ("POST", "/matches/{id}/reject", USER, "Page: reject a match"),
    ("GET", "/admin/users", ADMIN, "Page: users"),
    ("POST", "/admin/users", ADMIN, "Page: add a user"),
    ("POST", "/admin/users/{name}/disable", ADMIN, "Page: disable a user"),
    ("GET", "/admin/tokens", ADMIN, "Page: API tokens"),
    ("POST", "/admin/tokens", ADMIN, "Page: create an API token (shown once)"),
    ("POST", "/admin/tokens/{id}/revoke", ADMIN, "Page: revoke an API token"),
    ("GET", "/admin/database", ADMIN, "Page: migrations, verification and health"),
    ("GET", "/admin/backups", ADMIN, "Page: backups with size, time and verification state"),
    ("POST", "/admin/backups", ADMIN, "Page: take a backup"),
    ("POST", "/admin/backups/{name}/verify", ADMIN, "Page: verify a backup"),
];

/// The declared access of a route; None: undeclared.
pub fn access_of(method: &Method, path: &str) -> Option<Access> {
    ACCESS
        .iter()
        .find(|(m, p, _, _)| *m == method.as_str() && *p == path)
        .map(|(_, _, a, _)| *a)
}

/// Every route the router serves (under /api/v1, and the web page's): method, path, handler.
pub fn handlers() -> Vec<(Method, &'static str, MethodRouter<AppState>)> {
    vec![
        (Method::POST, "/api/v1/auth/login", post(login)),
        (Method::POST, "/api/v1/setup", post(setup)),
        (Method::GET, "/api/v1/openapi.json", get(openapi_json)),
        (Method::GET, "/api/v1/auth/me", get(me)),
        (Method::POST, "/api/v1/auth/logout", post(logout)),
        (Method::GET, "/api/v1/sizes/parse", get(sizes_parse)),
        (Method::GET, "/api/v1/prices/latest", get(prices_latest)),
        (Method::GET, "/api/v1/inventory", get(inventory_list)),
        (Method::GET, "/api/v1/inventory/{id}", get(inventory_show)),
        (Method::GET, "/api/v1/reports/pnl", get(report_pnl)),
        (Method::GET, "/api/v1/reports/stock", get(report_stock)),
        (Method::GET, "/api/v1/fees/quote", get(fees_quote)),
        (Method::POST, "/api/v1/purchases", post(purchase_add)),
        (
            Method::POST,
            "/api/v1/inventory/{id}/move",
            post(inventory_move),
        ),
        (Method::POST, "/api/v1/listings", post(listing_add)),
        (Method::POST, "/api/v1/listings/{id}/end", post(listing_end)),
        (Method::POST, "/api/v1/sales", post(sale_record)),
        (
            Method::POST,
            "/api/v1/imports/{kind}",
            post(crate::imports::upload),
        ),
        (
            Method::GET,
            "/api/v1/imports/jobs/{id}",
            get(crate::imports::status),
        ),
        (
            Method::GET,
            "/api/v1/imports/jobs/{id}/events",
            get(crate::imports::events),
        ),
        (Method::GET, "/api/v1/matches", get(crate::matches::list)),
        (
            Method::POST,
            "/api/v1/matches/run",
            post(crate::matches::run),
        ),
        (
            Method::POST,
            "/api/v1/matches/{id}/accept",
            post(crate::matches::accept),
        ),
        (
            Method::POST,
            "/api/v1/matches/{id}/reject",
            post(crate::matches::reject),
        ),
        (
            Method::GET,
            "/api/v1/arbitrage",
            get(crate::matches::arbitrage),
        ),
        (
            Method::POST,
            "/api/v1/arbitrage/new",
            post(crate::matches::arbitrage_new),
        ),
        (
            Method::POST,
            "/api/v1/stockx/sync/{kind}",
            post(crate::imports::stockx_sync),
        ),
        (
            Method::GET,
            "/api/v1/stockx/status",
            get(crate::imports::stockx_status),
        ),
        (Method::GET, "/api/v1/users", get(user_list)),
        (Method::POST, "/api/v1/users", post(user_add)),
        (
            Method::POST,
            "/api/v1/users/{name}/disable",
            post(user_disable),
        ),
        (
            Method::POST,
            "/api/v1/users/{name}/password",
            post(user_password),
        ),
        (Method::GET, "/api/v1/tokens", get(token_list)),
        (Method::POST, "/api/v1/tokens", post(token_create)),
        (
            Method::POST,
            "/api/v1/tokens/{id}/revoke",
            post(token_revoke),
        ),
        (Method::GET, "/api/v1/audit", get(audit_list)),
        (Method::GET, "/api/v1/db/status", get(db_status)),
        (Method::GET, "/api/v1/db/verify", get(db_verify)),
        (Method::GET, "/api/v1/db/health", get(db_health)),
        (Method::GET, "/api/v1/backups", get(backup_list)),
        (Method::POST, "/api/v1/backups", post(backup_create)),
        (
            Method::POST,
            "/api/v1/backups/{name}/verify",
            post(backup_verify),
        ),
        (
            Method::POST,
            "/api/v1/sizes/normalize",
            post(sizes_normalize),
        ),
        (Method::POST, "/api/v1/prices/prune", post(prices_prune)),
    ]
    .into_iter()
    .chain(crate::web::handlers())
    .collect()
}

/// The signed-in caller of a request (set by the authorization layer).
#[derive(Debug, Clone)]
pub struct Caller {
    pub principal: Principal,
    pub client: String,
    /// The session token when the caller came with the session cookie.
    pub session: Option<String>,
}

impl Caller {
    pub(crate) fn actor(&self) -> Actor {
        Actor::of(&self.principal, Some(self.client.clone()))
    }
}

pub(crate) type ApiResult = Result<Response, ApiError>;

pub(crate) fn ok<T: serde::Serialize>(value: T) -> ApiResult {
    Ok(Json(value).into_response())
}

pub(crate) fn app_err<E: std::error::Error + 'static>(e: E) -> ApiError {
    ApiError::from_app(e)
}

pub(crate) fn bad(field: &str, text: &str, what: &str) -> ApiError {
    ApiError::new(
        Code::InvalidInput,
        format!("{field}: {text:?} is not {what}"),
    )
}

/// Runs a mutation of another area and records it in the audit.
pub(crate) async fn audited<T, E>(
    state: &AppState,
    caller: &Caller,
    action: &str,
    target: Option<&str>,
    result: Result<T, E>,
) -> ApiResult
where
    T: serde::Serialize,
    E: std::error::Error + Coded + 'static,
{
    let outcome = soleflip_app::auth::Outcome::of(&result);
    let detail = result.as_ref().err().map(|e| e.code().as_str());
    let _ = state
        .app
        .audit(&caller.actor(), action, target, outcome, detail)
        .await;
    match result {
        Ok(v) => ok(v),
        Err(e) => Err(app_err(e)),
    }
}

// ----------------------------------------------------------------------------------- auth

/// The cookie of a browser session.
pub const SESSION_COOKIE: &str = "soleflip_session";

#[derive(Deserialize, utoipa::ToSchema)]
pub(crate) struct LoginBody {
    username: String,
    password: String,
}

async fn login(
    State(state): State<AppState>,
    ConnectInfo(addr): ConnectInfo<SocketAddr>,
    ApiJson(body): ApiJson<LoginBody>,
) -> ApiResult {
    match state
        .app
        .login(&body.username, &body.password, &addr.ip().to_string())
        .await
    {
        Ok(report) => {
            let cookie = format!(
                "{SESSION_COOKIE}={}; HttpOnly; SameSite=Strict; Path=/api/; Max-Age={}",
                report.token,
                soleflip_app::auth::SESSION_TTL_SECS
            );
            let mut response = Json(&report).into_response();
            if let Ok(v) = HeaderValue::from_str(&cookie) {
                response.headers_mut().insert(header::SET_COOKIE, v);
            }
            Ok(response)
        }
        Err(AuthError::RateLimited { retry_after_secs }) => Err(ApiError {
            code: Code::RateLimited,
            message: format!("too many failed logins: try again in {retry_after_secs} s"),
            retry_after: Some(retry_after_secs),
        }),
        Err(e) => Err(app_err(e)),
    }
}

#[derive(Deserialize, utoipa::ToSchema)]
pub(crate) struct SetupBody {
    token: String,
    username: String,
    password: String,
}

async fn setup(
    State(state): State<AppState>,
    ConnectInfo(addr): ConnectInfo<SocketAddr>,
    ApiJson(body): ApiJson<SetupBody>,
) -> ApiResult {
    let user = state
        .app
        .admin_setup(
            &addr.ip().to_string(),
            &body.token,
            &body.username,
            &body.password,
        )
        .await
        .map_err(app_err)?;
    Ok((StatusCode::CREATED, Json(user)).into_response())
}

async fn openapi_json() -> ApiResult {
    ok(crate::openapi::document())
}

async fn me(Extension(caller): Extension<Caller>) -> ApiResult {
    ok(&caller.principal)
}

async fn logout(State(state): State<AppState>, Extension(caller): Extension<Caller>) -> ApiResult {
    if let Some(token) = &caller.session {
        state
            .app
            .logout(&caller.actor(), token)
            .await
            .map_err(app_err)?;
    }
    let mut response = StatusCode::NO_CONTENT.into_response();
    response.headers_mut().insert(
        header::SET_COOKIE,
        HeaderValue::from_static(
            "soleflip_session=; HttpOnly; SameSite=Strict; Path=/api/; Max-Age=0",
        ),
    );
    Ok(response)
}

// --------------------------------------------------------------------------------- reads

#[derive(Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub(crate) struct SizeQuery {
    input: String,
    brand: Option<String>,
    cohort: Option<String>,
    source: Option<String>,
}

async fn sizes_parse(ApiQuery(q): ApiQuery<SizeQuery>) -> ApiResult {
    use soleflip_app::domain::sizes::Source;
    let source = match q.source.as_deref() {
        None => None,
        Some("stockx") => Some(Source::StockX),
        Some("eu-retailer") => Some(Source::EuRetailer),
        Some(other) => return Err(bad("source", other, "stockx or eu-retailer")),
    };
    let report = soleflip_app::sizes::parse_size(&soleflip_app::sizes::ParseRequest {
        input: q.input,
        brand: q.brand,
        cohort: q.cohort,
        source,
    })
    .map_err(app_err)?;
    ok(report)
}

#[derive(Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub(crate) struct PriceQuery {
    sku: String,
    size: Option<String>,
    source: Option<String>,
}

/// `prices latest`. Its use case's future is not `Send` (the size lookup's SQL holds a
/// connection across awaits in a way the compiler cannot prove thread-safe), so it runs on a
/// blocking thread, driven by this runtime's handle.
async fn prices_latest(
    State(state): State<AppState>,
    ApiQuery(q): ApiQuery<PriceQuery>,
) -> ApiResult {
    let app = state.app.clone();
    let handle = tokio::runtime::Handle::current();
    let report = tokio::task::spawn_blocking(move || {
        handle.block_on(async move {
            app.latest_prices(&q.sku, q.size.as_deref(), q.source.as_deref())
                .await
                .map_err(app_err)
        })
    })
    .await
    .map_err(|e| ApiError::from_app(std::io::Error::other(e.to_string())))??;
    ok(report)
}

#[derive(Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub(crate) struct InventoryQuery {
    /// A state (`incoming`, `available`, ...), `in_stock` or `unknown`.
    state: Option<String>,
    sku: Option<String>,
    /// A brand's name, any case.
    brand: Option<String>,
    /// `US 10` (that chart's size), or `10` (the value on any chart).
    size: Option<String>,
    older_than_days: Option<u32>,
    /// `0-30`, `31-60`, `61-90` or `90+` days in the books.
    age_band: Option<String>,
    /// `age`, `price` (cost basis), `sku` or `brand`; a leading `-` sorts descending. Default
    /// `-age` (oldest first). Pairs without the value (cost unknown, no brand) come last.
    sort: Option<String>,
    limit: Option<u32>,
    /// The `next_cursor` of the previous page (of the same sort).
    cursor: Option<String>,
    /// The `prev_cursor` of the next page: the page before it.
    before: Option<String>,
}

async fn inventory_list(
    State(state): State<AppState>,
    ApiQuery(q): ApiQuery<InventoryQuery>,
) -> ApiResult {
    let report = state
        .app
        .inventory_search(&soleflip_app::ledger::InventoryAsk {
            state: q.state,
            sku: q.sku,
            brand: q.brand,
            size: q.size,
            older_than_days: q.older_than_days,
            age_band: q.age_band,
            sort: q.sort,
            limit: q.limit.unwrap_or(50).clamp(1, 500),
            after: q.cursor,
            before: q.before,
        })
        .await
        .map_err(app_err)?;
    ok(report)
}

pub(crate) fn uuid(field: &str, text: &str) -> Result<uuid::Uuid, ApiError> {
    text.parse().map_err(|_| bad(field, text, "an id (a UUID)"))
}

async fn inventory_show(State(state): State<AppState>, Path(id): Path<String>) -> ApiResult {
    let id = uuid("id", &id)?;
    ok(state.app.inventory_show(id).await.map_err(app_err)?)
}

#[derive(Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub(crate) struct PnlQuery {
    from: Option<String>,
    to: Option<String>,
    by: Option<String>,
}

async fn report_pnl(State(state): State<AppState>, ApiQuery(q): ApiQuery<PnlQuery>) -> ApiResult {
    use soleflip_app::ledger::parse_date;
    let from = q
        .from
        .as_deref()
        .map(|t| parse_date("from", t))
        .transpose()
        .map_err(app_err)?;
    let to =
        q.to.as_deref()
            .map(|t| parse_date("to", t))
            .transpose()
            .map_err(app_err)?;
    let by = match q.by.as_deref() {
        None | Some("all") => PnlBy::All,
        Some("month") => PnlBy::Month,
        Some("platform") => PnlBy::Platform,
        Some("brand") => PnlBy::Brand,
        Some(other) => return Err(bad("by", other, "all, month, platform or brand")),
    };
    ok(state.app.report_pnl(from, to, by).await.map_err(app_err)?)
}

async fn report_stock(State(state): State<AppState>) -> ApiResult {
    ok(state.app.report_stock().await.map_err(app_err)?)
}

// ----------------------------------------------------------------------------- mutations

#[derive(Deserialize, utoipa::ToSchema)]
pub(crate) struct PurchaseBody {
    supplier: Option<String>,
    invoice: Option<String>,
    date: Option<String>,
    currency: Option<String>,
    shipping: Option<String>,
    discount: Option<String>,
    lines: Vec<PurchaseLineBody>,
}

#[derive(Deserialize, utoipa::ToSchema)]
pub(crate) struct PurchaseLineBody {
    sku: String,
    size: String,
    price: String,
    vat_rate: Option<String>,
    quantity: Option<u32>,
}

async fn purchase_add(
    State(state): State<AppState>,
    Extension(caller): Extension<Caller>,
    ApiJson(body): ApiJson<PurchaseBody>,
) -> ApiResult {
    let date = body
        .date
        .as_deref()
        .map(|t| soleflip_app::ledger::parse_date("date", t))
        .transpose()
        .map_err(app_err)?;
    let req = PurchaseRequest {
        supplier: body.supplier,
        invoice: body.invoice.clone(),
        date,
        currency: body.currency,
        shipping: body.shipping,
        discount: body.discount,
        lines: body
            .lines
            .into_iter()
            .map(|l| PurchaseLineRequest {
                sku: l.sku,
                size: l.size,
                price: l.price,
                vat_rate: l.vat_rate,
                quantity: l.quantity.unwrap_or(1),
            })
            .collect(),
    };
    let result = state.app.purchase_add(&req).await;
    audited(
        &state,
        &caller,
        "purchase.add",
        body.invoice.as_deref(),
        result,
    )
    .await
}

#[derive(Deserialize, utoipa::ToSchema)]
pub(crate) struct MoveBody {
    to: String,
    reason: Option<String>,
}

async fn inventory_move(
    State(state): State<AppState>,
    Extension(caller): Extension<Caller>,
    Path(id): Path<String>,
    ApiJson(body): ApiJson<MoveBody>,
) -> ApiResult {
    let pair = uuid("id", &id)?;
    let result = state
        .app
        .inventory_move(pair, &body.to, body.reason.as_deref())
        .await;
    audited(&state, &caller, "inventory.move", Some(&id), result).await
}

#[derive(Deserialize, utoipa::ToSchema)]
pub(crate) struct ListingBody {
    pair: String,
    platform: String,
    price: String,
    currency: Option<String>,
}

async fn listing_add(
    State(state): State<AppState>,
    Extension(caller): Extension<Caller>,
    ApiJson(body): ApiJson<ListingBody>,
) -> ApiResult {
    let pair = uuid("pair", &body.pair)?;
    let result = state
        .app
        .listing_add(pair, &body.platform, &body.price, body.currency.as_deref())
        .await;
    audited(&state, &caller, "listing.add", Some(&body.pair), result).await
}

async fn listing_end(
    State(state): State<AppState>,
    Extension(caller): Extension<Caller>,
    Path(id): Path<String>,
) -> ApiResult {
    let listing = uuid("id", &id)?;
    let result = state.app.listing_end(listing).await;
    audited(&state, &caller, "listing.end", Some(&id), result).await
}

#[derive(Deserialize, utoipa::ToSchema)]
pub(crate) struct SaleBody {
    pair: String,
    platform: String,
    price: String,
    currency: Option<String>,
    #[serde(default)]
    fees: Vec<FeeBody>,
    payout: Option<String>,
    date: Option<String>,
    level: Option<String>,
    region: Option<String>,
}

#[derive(Deserialize, utoipa::ToSchema)]
pub(crate) struct FeeBody {
    kind: String,
    amount: String,
}

async fn sale_record(
    State(state): State<AppState>,
    Extension(caller): Extension<Caller>,
    ApiJson(body): ApiJson<SaleBody>,
) -> ApiResult {
    let pair = uuid("pair", &body.pair)?;
    let date = body
        .date
        .as_deref()
        .map(|t| soleflip_app::ledger::parse_date("date", t))
        .transpose()
        .map_err(app_err)?;
    let req = SaleRequest {
        pair,
        platform: body.platform,
        price: body.price,
        currency: body.currency,
        fees: body.fees.into_iter().map(|f| (f.kind, f.amount)).collect(),
        payout: body.payout,
        date,
        level: body.level,
        region: body.region,
    };
    let result = state.app.sale_record(&req).await;
    audited(&state, &caller, "sale.record", Some(&body.pair), result).await
}

// ----------------------------------------------------------------------------- fees, sizes

#[derive(Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub(crate) struct FeeQuery {
    platform: String,
    price: String,
    currency: String,
    level: Option<String>,
    date: Option<String>,
    region: Option<String>,
}

async fn fees_quote(ApiQuery(q): ApiQuery<FeeQuery>) -> ApiResult {
    let date = q
        .date
        .as_deref()
        .map(|t| soleflip_app::ledger::parse_date("date", t))
        .transpose()
        .map_err(app_err)?;
    ok(soleflip_app::ledger::fees_quote(
        &q.platform,
        q.level.as_deref(),
        &q.price,
        &q.currency,
        date,
        q.region.as_deref(),
    )
    .map_err(app_err)?)
}

#[derive(Deserialize, Default, utoipa::ToSchema)]
pub(crate) struct NormalizeBody {
    /// Every size row, not only those without a standardized value.
    #[serde(default)]
    all: bool,
    /// Compute and report, change nothing.
    #[serde(default)]
    dry_run: bool,
}

async fn sizes_normalize(
    State(state): State<AppState>,
    Extension(caller): Extension<Caller>,
    ApiJson(body): ApiJson<NormalizeBody>,
) -> ApiResult {
    let (all, dry_run) = (body.all, body.dry_run);
    let result = off_thread(&state, move |app| async move {
        app.normalize_sizes(all, dry_run).await
    })
    .await?;
    let action = if body.dry_run {
        "sizes.normalize.dry_run"
    } else {
        "sizes.normalize"
    };
    audited(&state, &caller, action, None, result).await
}

#[derive(Deserialize, utoipa::ToSchema)]
pub(crate) struct PruneBody {
    /// The age: a whole number and a unit, e.g. `90d`, `6w`, `18months`, `2y`. Every month that
    /// ends on or before now minus the age (UTC) is dropped.
    older_than: String,
    /// Report what would be dropped, change nothing.
    #[serde(default)]
    dry_run: bool,
}

async fn prices_prune(
    State(state): State<AppState>,
    Extension(caller): Extension<Caller>,
    ApiJson(body): ApiJson<PruneBody>,
) -> ApiResult {
    let action = if body.dry_run {
        "prices.prune.dry_run"
    } else {
        "prices.prune"
    };
    let target = body.older_than.clone();
    let result = match soleflip_app::prices::prune::Age::parse(&body.older_than) {
        Ok(older_than) => {
            let options = soleflip_app::prices::prune::PruneOptions {
                older_than,
                dry_run: body.dry_run,
            };
            off_thread(&state, move |app| async move {
                app.prune_prices(&options).await
            })
            .await?
        }
        Err(e) => Err(e),
    };
    audited(&state, &caller, action, Some(&target), result).await
}

// ------------------------------------------------------------------------------- backups

/// The backups of the server: always `<home>/backups`, whatever the process's directory.
pub(crate) fn backup_dir(state: &AppState) -> Result<std::path::PathBuf, ApiError> {
    state
        .app
        .backup_dir(Some(&state.app.home().join("backups")))
        .map_err(app_err)
}

#[derive(serde::Serialize)]
struct BackupList {
    dir: std::path::PathBuf,
    backups: Vec<soleflip_app::backup::BackupEntry>,
}

/// The server's backup directory and the backups in it, oldest first (the API's and the
/// page's list).
pub(crate) fn backups(
    state: &AppState,
) -> Result<(std::path::PathBuf, Vec<soleflip_app::backup::BackupEntry>), ApiError> {
    let dir = backup_dir(state)?;
    let backups = if dir.is_dir() {
        soleflip_app::backup::list_backups(&dir).map_err(|e| app_err(AnyError(e)))?
    } else {
        Vec::new()
    };
    Ok((dir, backups))
}

async fn backup_list(State(state): State<AppState>) -> ApiResult {
    let (dir, backups) = backups(&state)?;
    ok(BackupList { dir, backups })
}

#[derive(Deserialize, Default, utoipa::ToSchema)]
pub(crate) struct BackupBody {
    /// Verify the new backup right away.
    #[serde(default)]
    verify: bool,
}

/// Takes a backup into the server's backup directory (verified right away if asked).
pub(crate) async fn take_backup(
    state: &AppState,
    verify: bool,
) -> Result<Result<soleflip_app::backup::BackupReport, soleflip_app::backup::BackupError>, ApiError>
{
    let dir = backup_dir(state)?;
    Ok(off_thread(state, move |app| async move {
        app.take_backup(&dir, verify).await
    })
    .await?
    .map(|(done, verified)| soleflip_app::backup::BackupReport::new(&done, verified.as_ref())))
}

async fn backup_create(
    State(state): State<AppState>,
    Extension(caller): Extension<Caller>,
    ApiJson(body): ApiJson<BackupBody>,
) -> ApiResult {
    let result = take_backup(&state, body.verify).await?;
    let target = result.as_ref().ok().map(|r| r.dump.display().to_string());
    let response = audited(&state, &caller, "backup.create", target.as_deref(), result).await?;
    Ok((StatusCode::CREATED, response).into_response())
}

/// Verifies the backup `name` (its stem, or the dump's file name) of the server's backup
/// directory: its stem and the report, or why not (a name that is no backup there).
pub(crate) async fn verify_backup(
    state: &AppState,
    name: &str,
) -> Result<
    (
        String,
        Result<soleflip_app::backup::BackupVerifyReport, soleflip_app::backup::BackupError>,
    ),
    ApiError,
> {
    let dir = backup_dir(state)?;
    let stem = name.strip_suffix(".dump").unwrap_or(name);
    let plain = !stem.is_empty()
        && stem
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.'))
        && !stem.starts_with('.');
    if !plain {
        return Err(bad(
            "name",
            name,
            "the name of a backup in the backup directory",
        ));
    }
    let file = dir.join(format!("{stem}.dump"));
    if !file.is_file() {
        return Err(ApiError::new(
            Code::NotFound,
            format!("name: no backup {stem:?} in the backup directory"),
        ));
    }
    let result = off_thread(
        state,
        move |app| async move { app.verify_backup(&file).await },
    )
    .await?
    .map(|v| soleflip_app::backup::BackupVerifyReport::from(&v));
    Ok((stem.to_owned(), result))
}

async fn backup_verify(
    State(state): State<AppState>,
    Extension(caller): Extension<Caller>,
    Path(name): Path<String>,
) -> ApiResult {
    let (stem, result) = verify_backup(&state, &name).await?;
    audited(&state, &caller, "backup.verify", Some(&stem), result).await
}

/// Runs a use case whose future is not `Send` (the size and backup use cases hold values
/// across awaits that the compiler cannot prove thread-safe) on a blocking thread, driven by
/// this runtime's handle.
async fn off_thread<T, F, Fut>(state: &AppState, work: F) -> Result<T, ApiError>
where
    F: FnOnce(std::sync::Arc<soleflip_app::App>) -> Fut + Send + 'static,
    Fut: std::future::Future<Output = T>,
    T: Send + 'static,
{
    let app = state.app.clone();
    let handle = tokio::runtime::Handle::current();
    tokio::task::spawn_blocking(move || handle.block_on(work(app)))
        .await
        .map_err(|e| ApiError::from_app(std::io::Error::other(e.to_string())))
}

/// An `anyhow` error of a use case, as an error the envelope can code (unexpected).
#[derive(Debug)]
struct AnyError(anyhow::Error);

impl std::fmt::Display for AnyError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{:#}", self.0)
    }
}

impl std::error::Error for AnyError {}

// --------------------------------------------------------------------------------- admin

#[derive(Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub(crate) struct PageQuery {
    limit: Option<u32>,
    cursor: Option<String>,
}

async fn user_list(State(state): State<AppState>, ApiQuery(q): ApiQuery<PageQuery>) -> ApiResult {
    ok(state
        .app
        .user_page(q.cursor.as_deref(), q.limit.unwrap_or(100))
        .await
        .map_err(app_err)?)
}

#[derive(Deserialize, utoipa::ToSchema)]
pub(crate) struct UserBody {
    username: String,
    role: String,
    password: Option<String>,
}

async fn user_add(
    State(state): State<AppState>,
    Extension(caller): Extension<Caller>,
    ApiJson(body): ApiJson<UserBody>,
) -> ApiResult {
    let role = Role::parse(&body.role).map_err(app_err)?;
    let user = state
        .app
        .user_add(
            &caller.actor(),
            &body.username,
            role,
            body.password.as_deref(),
        )
        .await
        .map_err(app_err)?;
    Ok((StatusCode::CREATED, Json(user)).into_response())
}

async fn user_disable(
    State(state): State<AppState>,
    Extension(caller): Extension<Caller>,
    Path(name): Path<String>,
) -> ApiResult {
    ok(state
        .app
        .user_disable(&caller.actor(), &name)
        .await
        .map_err(app_err)?)
}

#[derive(Deserialize, utoipa::ToSchema)]
pub(crate) struct PasswordBody {
    password: String,
}

/// `user set-password`: the user and how many of their sessions were revoked.
#[derive(serde::Serialize, utoipa::ToSchema)]
pub(crate) struct PasswordChanged {
    user: String,
    sessions_revoked: u64,
}

async fn user_password(
    State(state): State<AppState>,
    Extension(caller): Extension<Caller>,
    Path(name): Path<String>,
    ApiJson(body): ApiJson<PasswordBody>,
) -> ApiResult {
    let sessions_revoked = state
        .app
        .user_set_password(&caller.actor(), &name, &body.password)
        .await
        .map_err(app_err)?;
    ok(PasswordChanged {
        user: name,
        sessions_revoked,
    })
}

#[derive(Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub(crate) struct TokenQuery {
    user: Option<String>,
    limit: Option<u32>,
    cursor: Option<String>,
}

async fn token_list(State(state): State<AppState>, ApiQuery(q): ApiQuery<TokenQuery>) -> ApiResult {
    ok(state
        .app
        .token_page(
            q.user.as_deref(),
            q.cursor.as_deref(),
            q.limit.unwrap_or(100),
        )
        .await
        .map_err(app_err)?)
}

#[derive(Deserialize, utoipa::ToSchema)]
pub(crate) struct TokenBody {
    user: String,
    name: String,
    expires_days: Option<u32>,
}

async fn token_create(
    State(state): State<AppState>,
    Extension(caller): Extension<Caller>,
    ApiJson(body): ApiJson<TokenBody>,
) -> ApiResult {
    let made = state
        .app
        .token_create(&caller.actor(), &body.user, &body.name, body.expires_days)
        .await
        .map_err(app_err)?;
    Ok((StatusCode::CREATED, Json(made)).into_response())
}

async fn token_revoke(
    State(state): State<AppState>,
    Extension(caller): Extension<Caller>,
    Path(id): Path<String>,
) -> ApiResult {
    let id = uuid("id", &id)?;
    ok(state
        .app
        .token_revoke(&caller.actor(), id)
        .await
        .map_err(app_err)?)
}

#[derive(Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub(crate) struct AuditQuery {
    /// Cursor: the id of the last entry of the previous page.
    before: Option<i64>,
    limit: Option<u32>,
}

async fn audit_list(State(state): State<AppState>, ApiQuery(q): ApiQuery<AuditQuery>) -> ApiResult {
    let limit = q.limit.unwrap_or(100);
    let rows = state
        .app
        .audit_list(q.before, limit)
        .await
        .map_err(app_err)?;
    let next = if rows.len() == limit.clamp(1, 500) as usize {
        rows.last().map(|r| r.id)
    } else {
        None
    };
    ok(AuditPage {
        entries: rows,
        next_before: next,
    })
}

/// One page of the audit log, newest first.
#[derive(serde::Serialize, utoipa::ToSchema)]
pub(crate) struct AuditPage {
    entries: Vec<soleflip_app::auth::AuditRow>,
    /// The `before` of the next page; None on the last.
    next_before: Option<i64>,
}

async fn db_status(State(state): State<AppState>) -> ApiResult {
    ok(state.app.db_status().await.map_err(app_err)?)
}

async fn db_verify(State(state): State<AppState>) -> ApiResult {
    ok(state.app.db_verify().await.map_err(app_err)?)
}

async fn db_health(State(state): State<AppState>) -> ApiResult {
    let thresholds = soleflip_app::health::Thresholds::default();
    ok(state.app.health(&thresholds).await.map_err(app_err)?)
}

// ------------------------------------------------------------------------- authorization

/// The session token of the request's cookie, if any.
fn session_cookie(headers: &HeaderMap) -> Option<String> {
    crate::web::cookie(headers, SESSION_COOKIE)
}

/// Whether a cookie-authenticated mutation comes from our own origin: the Origin header must be
/// present and name the host the request was sent to.
fn same_origin(headers: &HeaderMap) -> bool {
    let (Some(origin), Some(host)) = (
        headers.get(header::ORIGIN).and_then(|v| v.to_str().ok()),
        headers.get(header::HOST).and_then(|v| v.to_str().ok()),
    ) else {
        return false;
    };
    origin == format!("http://{host}") || origin == format!("https://{host}")
}

/// Checks the route's declared access against the caller's credentials; puts the [`Caller`]
/// into the request for the handler.
pub async fn authorize(
    State(state): State<AppState>,
    matched: Option<axum::extract::MatchedPath>,
    ConnectInfo(addr): ConnectInfo<SocketAddr>,
    mut request: axum::extract::Request,
    next: axum::middleware::Next,
) -> Response {
    let path = matched.as_ref().map_or("", |m| m.as_str());
    let Some(access) = access_of(request.method(), path) else {
        tracing::error!(path, method = %request.method(), "route without an access declaration refused");
        return ApiError::forbidden().into_response();
    };
    let Access::AtLeast(needed) = access else {
        return next.run(request).await;
    };
    let headers = request.headers();
    let bearer = headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer "))
        .map(|t| t.trim().to_string());
    let client = addr.ip().to_string();
    let caller = if let Some(token) = bearer {
        state.app.token_principal(&token).await.map(|p| Caller {
            principal: p,
            client,
            session: None,
        })
    } else if let Some(token) = session_cookie(headers) {
        let safe = matches!(*request.method(), Method::GET | Method::HEAD);
        if !safe && !same_origin(headers) {
            return ApiError::new(
                Code::Forbidden,
                "cross-site request refused: a cookie session's mutation needs this server's Origin",
            )
            .into_response();
        }
        state.app.session_principal(&token).await.map(|p| Caller {
            principal: p,
            client,
            session: Some(token),
        })
    } else {
        Err(AuthError::Unauthenticated)
    };
    let caller = match caller {
        Ok(c) => c,
        Err(e) if e.code() == Code::Unauthenticated => {
            return ApiError::unauthenticated().into_response()
        }
        Err(e) => return app_err(e).into_response(),
    };
    if caller.principal.role < needed {
        return ApiError::forbidden().into_response();
    }
    request.extensions_mut().insert(caller);
    next.run(request).await
}
