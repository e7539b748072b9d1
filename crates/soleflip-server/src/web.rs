//! The web page of `soleflip serve`: server-rendered HTML (maud), one stylesheet and one small
//! script served by the binary, nothing from another host, and a strict content security
//! policy (no inline script or style). Every page route is declared with its role in
//! [`crate::routes::ACCESS`], like the API's, and checked by the same authorization layer;
//! [`html_errors`] turns that layer's answers into pages (anonymous: to the login page).
//!
//! The pages call the application layer's use cases, exactly as the API does; no SQL here.
//! Forms post with the session cookie; the authorization layer refuses a cookie mutation whose
//! `Origin` is not this server (the CSRF defence), so the pages send no token of their own.

mod charts;
mod imports;
mod locale;
mod opportunities;

use std::collections::HashMap;
use std::net::SocketAddr;

use axum::extract::{ConnectInfo, Extension, FromRequestParts, Path, Query, Request, State};
use axum::http::request::Parts;
use axum::http::{header, HeaderMap, HeaderValue, Method, StatusCode};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post, MethodRouter};
use axum::Form;
use maud::{html, Markup, DOCTYPE};
use rust_decimal::Decimal;
use serde::Deserialize;
use soleflip_app::auth::{Actor, AuthError, Outcome, Role};
use soleflip_app::ledger::{PnlBy, PurchaseLineRequest, PurchaseRequest, SaleRequest};
use soleflip_app::Coded;

use crate::routes::{Caller, SESSION_COOKIE};
use crate::AppState;
use charts::Bar;
pub(crate) use locale::cookie;
pub use locale::Locale;

/// The policy of every page: only this server's stylesheet, script and forms; no framing.
pub const PAGE_CSP: &str = "default-src 'none'; style-src 'self'; script-src 'self'; \
                            img-src 'self'; connect-src 'self'; form-action 'self'; \
                            frame-ancestors 'none'; base-uri 'none'";

const CSS: &str = include_str!("web/app.css");
const JS: &str = include_str!("web/app.js");

/// Pairs per page of the inventory list.
pub const PAGE_SIZE: u32 = 25;

/// The platforms a pair can be listed or sold on (the ledger's platform slugs).
const PLATFORMS: &[(&str, &str)] = &[
    ("stockx", "StockX"),
    ("alias", "Alias"),
    ("goat", "GOAT"),
    ("ebay", "eBay"),
    ("restocks", "Restocks"),
    ("laced", "Laced"),
    ("wethenew", "Wethenew"),
    ("kleinanzeigen", "Kleinanzeigen"),
];

/// Every page route: method, path, handler. Registered by [`crate::routes::handlers`].
pub fn handlers() -> Vec<(Method, &'static str, MethodRouter<AppState>)> {
    vec![
        (Method::GET, "/assets/app.css", get(css)),
        (Method::GET, "/assets/app.js", get(js)),
        (Method::GET, "/login", get(login_page)),
        (Method::POST, "/login", post(login_submit)),
        (Method::GET, "/setup", get(setup_page)),
        (Method::POST, "/setup", post(setup_submit)),
        (Method::POST, "/logout", post(logout)),
        (Method::GET, "/", get(dashboard)),
        (Method::GET, "/inventory", get(inventory)),
        (Method::GET, "/inventory/{id}", get(pair_page)),
        (Method::POST, "/inventory/{id}/move", post(pair_move)),
        (Method::POST, "/inventory/{id}/listings", post(pair_list)),
        (Method::GET, "/inventory/{id}/sell", get(sell_page)),
        (Method::POST, "/inventory/{id}/sell", post(sell_submit)),
        (Method::GET, "/purchases/new", get(purchase_page)),
        (Method::POST, "/purchases/new", post(purchase_submit)),
        (Method::GET, "/sizes", get(sizes_page)),
        (Method::GET, "/imports", get(imports::imports_page)),
        (Method::POST, "/imports", post(imports::imports_submit)),
        (Method::GET, "/imports/{id}", get(imports::job_page)),
        (
            Method::GET,
            "/opportunities",
            get(opportunities::opportunities_page),
        ),
        (Method::GET, "/matches", get(opportunities::matches_page)),
        (
            Method::POST,
            "/matches/run",
            post(opportunities::matches_run),
        ),
        (
            Method::POST,
            "/matches/{id}/accept",
            post(opportunities::match_accept),
        ),
        (
            Method::POST,
            "/matches/{id}/reject",
            post(opportunities::match_reject),
        ),
        (Method::GET, "/admin/users", get(users_page)),
        (Method::POST, "/admin/users", post(user_add)),
        (
            Method::POST,
            "/admin/users/{name}/disable",
            post(user_disable),
        ),
        (Method::GET, "/admin/tokens", get(tokens_page)),
        (Method::POST, "/admin/tokens", post(token_create)),
        (
            Method::POST,
            "/admin/tokens/{id}/revoke",
            post(token_revoke),
        ),
        (Method::GET, "/admin/database", get(database_page)),
        (Method::GET, "/admin/backups", get(backups_page)),
        (Method::POST, "/admin/backups", post(backup_take)),
        (
            Method::POST,
            "/admin/backups/{name}/verify",
            post(backup_verify),
        ),
    ]
}

// ------------------------------------------------------------------------------- plumbing

/// An HTML response with the page headers.
fn page(status: StatusCode, markup: Markup) -> Response {
    let mut response = (
        status,
        [(header::CONTENT_TYPE, "text/html; charset=utf-8")],
        markup.into_string(),
    )
        .into_response();
    page_headers(response.headers_mut());
    response
}

fn page_headers(h: &mut HeaderMap) {
    h.insert(
        header::CONTENT_SECURITY_POLICY,
        HeaderValue::from_static(PAGE_CSP),
    );
    // Same-origin, so that a form's POST carries this server's Origin (with `no-referrer` a
    // browser sends `Origin: null`, which the CSRF check refuses).
    h.insert(
        header::REFERRER_POLICY,
        HeaderValue::from_static("same-origin"),
    );
}

/// 303 See Other to `to` (after a form's POST, and for the anonymous).
fn redirect(to: &str) -> Response {
    let mut response = StatusCode::SEE_OTHER.into_response();
    if let Ok(v) = HeaderValue::from_str(to) {
        response.headers_mut().insert(header::LOCATION, v);
    }
    page_headers(response.headers_mut());
    response
}

fn asset(kind: &'static str, body: &'static str) -> Response {
    (
        [
            (header::CONTENT_TYPE, kind),
            (header::CACHE_CONTROL, "public, max-age=3600"),
        ],
        body,
    )
        .into_response()
}

async fn css() -> Response {
    asset("text/css; charset=utf-8", CSS)
}

async fn js() -> Response {
    asset("text/javascript; charset=utf-8", JS)
}

/// Turns the authorization layer's and the extractors' plain answers to a browser (a request
/// that accepts `text/html`) outside the API into pages: 401 becomes a redirect to the login page (back here afterwards), other errors a page
/// with the message. The API's routes are left as they are.
pub async fn html_errors(request: Request, next: Next) -> Response {
    let path = request.uri().path().to_owned();
    let wanted = request
        .uri()
        .path_and_query()
        .map_or_else(|| path.clone(), |p| p.as_str().to_owned());
    let is_get = request.method() == Method::GET;
    // A browser asks for HTML; an API client keeps the JSON envelope on any path.
    let browser = request
        .headers()
        .get(header::ACCEPT)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|a| a.contains("text/html"));
    let locale = Locale::from_headers(request.headers());
    let response = next.run(request).await;
    let status = response.status();
    if !browser
        || path.starts_with("/api/")
        || path == "/healthz"
        || path == "/readyz"
        || !(status.is_client_error() || status.is_server_error())
    {
        return response;
    }
    let is_html = response
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|c| c.starts_with("text/html"));
    if is_html {
        return response;
    }
    if status == StatusCode::UNAUTHORIZED {
        return if is_get {
            redirect(&format!("/login?next={}", encode(&wanted)))
        } else {
            redirect("/login")
        };
    }
    let bytes = axum::body::to_bytes(response.into_body(), 64 * 1024)
        .await
        .unwrap_or_default();
    let message = serde_json::from_slice::<serde_json::Value>(&bytes)
        .ok()
        .and_then(|v| v["error"]["message"].as_str().map(str::to_owned))
        .or_else(|| {
            let text = String::from_utf8_lossy(&bytes).trim().to_owned();
            (!text.is_empty() && text.len() < 300).then_some(text)
        })
        .unwrap_or_else(|| status.canonical_reason().unwrap_or("error").to_owned());
    let title = match status {
        StatusCode::FORBIDDEN => "Not allowed",
        StatusCode::NOT_FOUND => "Not found",
        _ => "Something went wrong",
    };
    let ctx = Ctx {
        loc: locale,
        who: None,
        here: "",
    };
    page(
        status,
        layout(
            title,
            &ctx,
            html! {
                section.panel {
                    p.alert role="alert" { (message) }
                    p { a href="/" { "Back to the dashboard" } }
                }
            },
        ),
    )
}

/// Percent-encodes a path and query for a `next=` parameter.
fn encode(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for b in text.bytes() {
        if b.is_ascii_alphanumeric() || matches!(b, b'/' | b'-' | b'_' | b'.' | b'~') {
            out.push(char::from(b));
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

/// A `next=` target that stays on this server.
fn local_target(next: Option<&str>) -> String {
    match next {
        Some(n) if n.starts_with('/') && !n.starts_with("//") && !n.contains('\\') => n.to_owned(),
        _ => "/".to_owned(),
    }
}

/// A form posted from another site to a public form (login CSRF) is refused; a browser always
/// sends `Origin` with a POST.
fn foreign_origin(headers: &HeaderMap) -> bool {
    let (Some(origin), Some(host)) = (
        headers.get(header::ORIGIN).and_then(|v| v.to_str().ok()),
        headers.get(header::HOST).and_then(|v| v.to_str().ok()),
    ) else {
        return false;
    };
    origin != format!("http://{host}") && origin != format!("https://{host}")
}

/// What every page's frame needs.
struct Ctx {
    loc: Locale,
    /// The signed-in user and role.
    who: Option<(String, Role)>,
    /// The nav entry of this page.
    here: &'static str,
}

/// What a signed-in page's handler starts from: the caller (whom the authorization layer let
/// in) and the request's headers (the reader's language and zone).
struct Reader {
    caller: Caller,
    headers: HeaderMap,
}

impl<S: Send + Sync> FromRequestParts<S> for Reader {
    type Rejection = Response;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, Self::Rejection> {
        let caller = parts
            .extensions
            .get::<Caller>()
            .cloned()
            // Only on a route the authorization layer does not cover: a bug, not the reader's.
            .ok_or_else(|| StatusCode::INTERNAL_SERVER_ERROR.into_response())?;
        Ok(Self {
            caller,
            headers: parts.headers.clone(),
        })
    }
}

impl Reader {
    /// The frame of a page whose nav entry is `here`.
    fn ctx(&self, here: &'static str) -> Ctx {
        Ctx {
            loc: Locale::from_headers(&self.headers),
            who: Some((
                self.caller.principal.username.clone(),
                self.caller.principal.role,
            )),
            here,
        }
    }
}

impl Ctx {
    fn anonymous(headers: &HeaderMap) -> Self {
        Self {
            loc: Locale::from_headers(headers),
            who: None,
            here: "",
        }
    }

    /// Whether the reader may change things (the server checks again on every POST).
    fn can_write(&self) -> bool {
        self.who.as_ref().is_some_and(|(_, r)| *r >= Role::User)
    }
}

fn layout(title: &str, ctx: &Ctx, body: Markup) -> Markup {
    let nav_item = |href: &str, label: &str, key: &str| {
        html! {
            li { a href=(href) aria-current=[(ctx.here == key).then_some("page")] { (label) } }
        }
    };
    html! {
        (DOCTYPE)
        html lang="en" {
            head {
                meta charset="utf-8";
                meta name="viewport" content="width=device-width, initial-scale=1";
                title { (title) " · SoleFlip" }
                link rel="stylesheet" href="/assets/app.css";
                script src="/assets/app.js" defer {}
            }
            body {
                a.skip href="#main" { "Skip to content" }
                header.top {
                    a.brand href="/" { "SoleFlip" }
                    @if let Some((name, role)) = &ctx.who {
                        nav aria-label="Main" {
                            ul {
                                (nav_item("/", "Dashboard", "dashboard"))
                                (nav_item("/inventory", "Inventory", "inventory"))
                                @if *role >= Role::User {
                                    (nav_item("/purchases/new", "Add purchase", "purchase"))
                                    (nav_item("/imports", "Imports", "imports"))
                                }
                                (nav_item("/opportunities", "Opportunities", "opportunities"))
                                (nav_item("/matches", "Matches", "matches"))
                                (nav_item("/sizes", "Sizes", "sizes"))
                                @if *role >= Role::Admin {
                                    (nav_item("/admin/users", "Users", "users"))
                                    (nav_item("/admin/tokens", "API tokens", "tokens"))
                                    (nav_item("/admin/database", "Database", "database"))
                                    (nav_item("/admin/backups", "Backups", "backups"))
                                }
                            }
                        }
                        div.who {
                            span { (name) " (" (role.as_str()) ")" }
                            form method="post" action="/logout" {
                                button.secondary type="submit" { "Log out" }
                            }
                        }
                    }
                }
                main id="main" {
                    h1 { (title) }
                    (body)
                }
            }
        }
    }
}

/// The roles a user can be given, as the users page offers them.
const ROLES: &[(&str, &str)] = &[
    ("readonly", "readonly: sees everything, changes nothing"),
    ("user", "user: buys, lists, sells, imports"),
    ("admin", "admin: also users, tokens, backups, database"),
];

/// Field errors by field name, and one for the whole form under "form".
type Errors = HashMap<String, String>;

/// A labelled input with its error beside it.
fn field(
    name: &str,
    label: &str,
    kind: &str,
    value: &str,
    errors: &Errors,
    attrs: FieldAttrs,
) -> Markup {
    let id = format!("f-{name}");
    let err = errors.get(name);
    let err_id = format!("{id}-err");
    html! {
        div.field {
            label for=(id) { (label) }
            input id=(id) name=(name) type=(kind) value=(value)
                data-size-check[attrs.size_check]
                required[attrs.required]
                inputmode=[attrs.inputmode]
                autocomplete=[attrs.autocomplete]
                aria-invalid=[err.map(|_| "true")]
                aria-describedby=[err.map(|_| err_id.as_str())];
            @if let Some(e) = err {
                p.error id=(err_id) { (e) }
            }
            @if attrs.size_check {
                // Filled by the page's script as the size is typed (the server checks anyway).
                p.hint.size-check id=(format!("{id}-check")) aria-live="polite" {}
            }
        }
    }
}

#[derive(Default, Clone, Copy)]
struct FieldAttrs {
    required: bool,
    inputmode: Option<&'static str>,
    autocomplete: Option<&'static str>,
    /// A size, read by the size service as it is typed (the page's script).
    size_check: bool,
}

impl FieldAttrs {
    /// A required input that the browser fills as `autocomplete` says.
    const fn required(autocomplete: &'static str) -> Self {
        Self {
            required: true,
            inputmode: None,
            autocomplete: Some(autocomplete),
            size_check: false,
        }
    }
}

/// A whole number.
const WHOLE: FieldAttrs = FieldAttrs {
    required: false,
    inputmode: Some("numeric"),
    autocomplete: Some("off"),
    size_check: false,
};
const DECIMAL: FieldAttrs = FieldAttrs {
    required: false,
    inputmode: Some("decimal"),
    autocomplete: Some("off"),
    size_check: false,
};
const DECIMAL_REQUIRED: FieldAttrs = FieldAttrs {
    required: true,
    ..DECIMAL
};

/// The form's error, or a summary of its field errors linking to each field, at the top of
/// the page (the field's own error stands beside it).
fn form_error(errors: &Errors) -> Markup {
    let mut fields: Vec<(&String, &String)> = errors.iter().filter(|(k, _)| *k != "form").collect();
    fields.sort();
    html! {
        @if let Some(e) = errors.get("form") {
            p.alert role="alert" { (e) }
        } @else if !fields.is_empty() {
            div.alert role="alert" {
                p { "Please correct the marked field" @if fields.len() > 1 { "s" } ":" }
                ul {
                    @for (k, e) in &fields {
                        li { a href=(format!("#f-{k}")) { (e) } }
                    }
                }
            }
        }
    }
}

/// How a table's column is headed: text, numbers (right-aligned), or a title only a screen
/// reader reads (a column of buttons).
#[derive(Clone, Copy)]
enum Head {
    Text(&'static str),
    Num(&'static str),
    Hidden(&'static str),
}

const fn col(title: &'static str) -> Head {
    Head::Text(title)
}

const fn num(title: &'static str) -> Head {
    Head::Num(title)
}

const fn hidden(title: &'static str) -> Head {
    Head::Hidden(title)
}

/// A table that scrolls sideways on its own (never the page), with its head and rows.
fn table(id: Option<&str>, heads: &[Head], rows: Markup) -> Markup {
    html! {
        div.table-wrap tabindex="0" {
            table id=[id] {
                thead {
                    tr {
                        @for h in heads {
                            @match h {
                                Head::Text(t) => th scope="col" { (t) },
                                Head::Num(t) => th.num scope="col" { (t) },
                                Head::Hidden(t) => th scope="col" { span.skip { (t) } },
                            }
                        }
                    }
                }
                tbody { (rows) }
            }
        }
    }
}

/// A labelled select of `(value, shown)` choices, `selected` chosen (any case; else the
/// first), with its error beside it.
fn select_field<'a>(
    name: &str,
    label: &str,
    choices: impl IntoIterator<Item = (&'a str, &'a str)>,
    selected: &str,
    errors: &Errors,
) -> Markup {
    let id = format!("f-{name}");
    let err = errors.get(name);
    let err_id = format!("{id}-err");
    html! {
        div.field {
            label for=(id) { (label) }
            select id=(id) name=(name) aria-invalid=[err.map(|_| "true")] aria-describedby=[err.map(|_| err_id.as_str())] {
                @for (v, shown) in choices {
                    option value=(v) selected[v.eq_ignore_ascii_case(selected)] { (shown) }
                }
            }
            @if let Some(e) = err { p.error id=(err_id) { (e) } }
        }
    }
}

/// The errors of a form with one message, at `key` (a field, or "form").
fn one_error(key: &str, message: String) -> Errors {
    Errors::from([(key.to_owned(), message)])
}

/// A page that says only `message` (an error, a refusal).
fn message_page(status: StatusCode, title: &str, ctx: &Ctx, message: &str) -> Response {
    page(
        status,
        layout(
            title,
            ctx,
            html! { section.panel { p.alert role="alert" { (message) } } },
        ),
    )
}

/// The field an app-layer message names (`size: ...` → `size`), if it names one.
fn field_of(message: &str) -> Option<&str> {
    let (head, _) = message.split_once(':')?;
    (head.len() <= 20
        && head
            .chars()
            .all(|c| c.is_ascii_lowercase() || c == '_' || c == ' '))
    .then_some(head)
}

/// The quoted value of a message (`size: `XX`: ...` → `XX`).
fn quoted(message: &str) -> Option<&str> {
    let start = message.find('`')? + 1;
    let len = message[start..].find('`')?;
    Some(&message[start..start + len])
}

/// The message of an app error as a page shows it: an internal one is logged, not shown.
fn user_message<E: std::error::Error + Coded + 'static>(e: E) -> (StatusCode, String) {
    let api = crate::ApiError::from_app(e);
    (crate::status_of(api.code), api.message)
}

/// Records a page's mutation in the audit, as the API's do.
async fn audit<T, E: Coded>(
    state: &AppState,
    caller: &Caller,
    action: &str,
    target: Option<&str>,
    result: &Result<T, E>,
) {
    let actor = Actor::of(&caller.principal, Some(caller.client.clone()));
    let detail = result.as_ref().err().map(|e| e.code().as_str());
    let _ = state
        .app
        .audit(&actor, action, target, Outcome::of(result), detail)
        .await;
}

fn money_opt(loc: &Locale, amount: Option<Decimal>, currency: &str) -> String {
    amount.map_or_else(|| "—".to_owned(), |a| loc.money(a, currency))
}

fn state_label(state: &str) -> String {
    state.replace('_', " ")
}

// ----------------------------------------------------------------------- login and setup

#[derive(Deserialize)]
struct LoginQuery {
    next: Option<String>,
    created: Option<String>,
    out: Option<String>,
}

async fn login_page(headers: HeaderMap, Query(q): Query<LoginQuery>) -> Response {
    let ctx = Ctx::anonymous(&headers);
    let notice = if q.out.is_some() {
        Some("You are logged out.".to_owned())
    } else {
        q.created.map(|n| format!("Admin {n} created: log in."))
    };
    page(
        StatusCode::OK,
        login_form(
            &ctx,
            q.next.as_deref(),
            "",
            &Errors::new(),
            notice.as_deref(),
        ),
    )
}

fn login_form(
    ctx: &Ctx,
    next: Option<&str>,
    username: &str,
    errors: &Errors,
    notice: Option<&str>,
) -> Markup {
    layout(
        "Log in",
        ctx,
        html! {
            section.panel.login {
                @if let Some(n) = notice { p.notice role="status" { (n) } }
                (form_error(errors))
                form.stack method="post" action="/login" {
                    input type="hidden" name="next" value=(local_target(next));
                    (field("username", "User name", "text", username, errors, FieldAttrs::required("username")))
                    (field("password", "Password", "password", "", errors, FieldAttrs::required("current-password")))
                    div { button type="submit" { "Log in" } }
                }
                p.hint { "First start? Open the one-time setup link that " code { "soleflip serve" } " printed." }
            }
        },
    )
}

#[derive(Deserialize)]
struct LoginForm {
    username: String,
    password: String,
    next: Option<String>,
}

async fn login_submit(
    State(state): State<AppState>,
    ConnectInfo(addr): ConnectInfo<SocketAddr>,
    headers: HeaderMap,
    Form(form): Form<LoginForm>,
) -> Response {
    let ctx = Ctx::anonymous(&headers);
    let mut errors = Errors::new();
    if foreign_origin(&headers) {
        errors.insert("form".into(), "a login from another site is refused".into());
        return page(
            StatusCode::FORBIDDEN,
            login_form(&ctx, form.next.as_deref(), "", &errors, None),
        );
    }
    match state
        .app
        .login(&form.username, &form.password, &addr.ip().to_string())
        .await
    {
        Ok(report) => {
            let mut response = redirect(&local_target(form.next.as_deref()));
            set_session(&mut response, &report.token);
            response
        }
        Err(e) => {
            let status = match &e {
                AuthError::RateLimited { .. } => StatusCode::TOO_MANY_REQUESTS,
                _ => StatusCode::UNAUTHORIZED,
            };
            let (_, message) = user_message(e);
            errors.insert("form".into(), message);
            page(
                status,
                login_form(&ctx, form.next.as_deref(), &form.username, &errors, None),
            )
        }
    }
}

fn set_session(response: &mut Response, token: &str) {
    let cookie = format!(
        "{SESSION_COOKIE}={token}; HttpOnly; SameSite=Strict; Path=/; Max-Age={}",
        soleflip_app::auth::SESSION_TTL_SECS
    );
    if let Ok(v) = HeaderValue::from_str(&cookie) {
        response.headers_mut().append(header::SET_COOKIE, v);
    }
}

async fn logout(State(state): State<AppState>, Extension(caller): Extension<Caller>) -> Response {
    if let Some(token) = &caller.session {
        let actor = Actor::of(&caller.principal, Some(caller.client.clone()));
        if let Err(e) = state.app.logout(&actor, token).await {
            tracing::warn!(error = %e, "logout");
        }
    }
    let mut response = redirect("/login?out=1");
    response.headers_mut().append(
        header::SET_COOKIE,
        HeaderValue::from_static("soleflip_session=; HttpOnly; SameSite=Strict; Path=/; Max-Age=0"),
    );
    response
}

#[derive(Deserialize)]
struct SetupQuery {
    token: Option<String>,
}

async fn setup_page(headers: HeaderMap, Query(q): Query<SetupQuery>) -> Response {
    let ctx = Ctx::anonymous(&headers);
    page(
        StatusCode::OK,
        setup_form(&ctx, q.token.as_deref().unwrap_or(""), "", &Errors::new()),
    )
}

fn setup_form(ctx: &Ctx, token: &str, username: &str, errors: &Errors) -> Markup {
    layout(
        "First admin",
        ctx,
        html! {
            section.panel.login {
                p { "There is no default password: the first admin is made here with the one-time setup token that " code { "soleflip serve" } " printed (valid 30 minutes)." }
                (form_error(errors))
                form.stack method="post" action="/setup" {
                    (field("token", "Setup token", "text", token, errors, FieldAttrs::required("off")))
                    (field("username", "Admin user name", "text", username, errors, FieldAttrs::required("username")))
                    (field("password", "Password", "password", "", errors, FieldAttrs::required("new-password")))
                    (field("password2", "Password again", "password", "", errors, FieldAttrs::required("new-password")))
                    div { button type="submit" { "Create the admin" } }
                }
            }
        },
    )
}

#[derive(Deserialize)]
struct SetupForm {
    token: String,
    username: String,
    password: String,
    password2: String,
}

async fn setup_submit(
    State(state): State<AppState>,
    ConnectInfo(addr): ConnectInfo<SocketAddr>,
    headers: HeaderMap,
    Form(form): Form<SetupForm>,
) -> Response {
    let ctx = Ctx::anonymous(&headers);
    let mut errors = Errors::new();
    if foreign_origin(&headers) {
        errors.insert("form".into(), "a setup from another site is refused".into());
    } else if form.password != form.password2 {
        errors.insert("password2".into(), "the two passwords differ".into());
    } else {
        let client = addr.ip().to_string();
        match state
            .app
            .admin_setup(&client, form.token.trim(), &form.username, &form.password)
            .await
        {
            Ok(user) => {
                return match state
                    .app
                    .login(&user.username, &form.password, &client)
                    .await
                {
                    Ok(report) => {
                        let mut response = redirect("/");
                        set_session(&mut response, &report.token);
                        response
                    }
                    Err(_) => redirect(&format!("/login?created={}", encode(&user.username))),
                };
            }
            Err(e) => {
                let bad_token = matches!(e, AuthError::BadSetupToken);
                let (_, message) = user_message(e);
                let key = if bad_token {
                    "token"
                } else {
                    match field_of(&message) {
                        _ if message.contains("password") => "password",
                        Some("name") => "username",
                        _ => "form",
                    }
                };
                errors.insert(key.into(), message);
            }
        }
    }
    page(
        StatusCode::BAD_REQUEST,
        setup_form(&ctx, &form.token, &form.username, &errors),
    )
}

// ------------------------------------------------------------------------------ dashboard

async fn dashboard(State(state): State<AppState>, reader: Reader) -> Result<Response, Response> {
    let ctx = reader.ctx("dashboard");
    let loc = &ctx.loc;
    let fail = |e| fail_page(&ctx, e);
    let stock = state.app.report_stock().await.map_err(fail)?;
    let total = state
        .app
        .report_pnl(None, None, PnlBy::All)
        .await
        .map_err(fail)?;
    let today = chrono::Utc::now().date_naive();
    let since = chrono::NaiveDate::from_ymd_opt(
        chrono::Datelike::year(&today) - 1,
        chrono::Datelike::month(&today),
        1,
    )
    .and_then(|d| d.checked_add_months(chrono::Months::new(1)));
    let monthly = state
        .app
        .report_pnl(since, None, PnlBy::Month)
        .await
        .map_err(fail)?;

    // The business's main currency: the one with the most capital or sales.
    let main = stock
        .totals
        .first()
        .map(|t| t.currency.clone())
        .or_else(|| total.rows.first().map(|r| r.currency.clone()))
        .unwrap_or_else(|| "EUR".to_owned());
    let pairs_in_stock: i64 = stock.totals.iter().map(|t| t.pairs).sum();
    let capital = stock
        .totals
        .iter()
        .find(|t| t.currency == main)
        .map(|t| t.capital)
        .unwrap_or_default();
    let all = total.rows.iter().find(|r| r.currency == main);
    let orders: i64 = total.rows.iter().map(|r| r.orders).sum();
    let profit = all.map(|r| r.gross_profit).unwrap_or_default();
    let roi = all.and_then(|r| r.roi_pct);

    let mut by_state: Vec<(String, i64, Decimal)> = Vec::new();
    let mut by_band: Vec<(String, i64, Decimal)> = ["0-30", "31-60", "61-90", "90+"]
        .iter()
        .map(|b| ((*b).to_owned(), 0, Decimal::ZERO))
        .collect();
    for r in stock.rows.iter().filter(|r| r.currency == main) {
        match by_state.iter_mut().find(|(s, _, _)| *s == r.state) {
            Some(e) => {
                e.1 += r.pairs;
                e.2 += r.capital;
            }
            None => by_state.push((r.state.clone(), r.pairs, r.capital)),
        }
        if let Some(e) = by_band.iter_mut().find(|(b, _, _)| *b == r.age_band) {
            e.1 += r.pairs;
            e.2 += r.capital;
        }
    }
    let fee_kinds: Vec<(&str, Decimal)> = match all {
        Some(r) => vec![
            ("transaction fee", r.fee_transaction),
            ("payment processing", r.fee_payment_processing),
            ("shipping", r.fee_shipping),
            ("minimum fee top-up", r.fee_minimum_topup),
            ("cash-out", r.fee_cash_out),
            ("other", r.fee_other),
        ],
        None => Vec::new(),
    };
    let month_rows: Vec<_> = monthly.rows.iter().filter(|r| r.currency == main).collect();
    let other_currencies: Vec<String> = stock
        .totals
        .iter()
        .filter(|t| t.currency != main)
        .map(|t| {
            format!(
                "{} pairs, {}",
                loc.int(t.pairs),
                loc.money(t.capital, &t.currency)
            )
        })
        .collect();

    let body = html! {
        p.hint { "As of " (loc.time(&chrono::Utc::now().format("%Y-%m-%dT%H:%M:%SZ").to_string())) ". Amounts in " (main) "." }
        div.cards {
            div.card { span.k { "Pairs in stock" } span.v id="pairs-in-stock" { (loc.int(pairs_in_stock)) } }
            div.card { span.k { "Capital tied up" } span.v { data id="capital-total" value=(capital) { (loc.money(capital, &main)) } } }
            div.card { span.k { "Sales" } span.v id="sales-count" { (loc.int(orders)) } }
            div.card {
                span.k { "Gross profit" }
                span.v class=(if profit.is_sign_negative() { "loss" } else { "gain" }) {
                    data id="profit-total" value=(profit) { (loc.money(profit, &main)) }
                }
                span.k { "ROI " (roi.map_or_else(|| "—".to_owned(), |r| loc.pct(r))) }
            }
        }
        @if !other_currencies.is_empty() {
            p.hint { "Also in stock: " (other_currencies.join("; ")) }
        }
        div.grid {
            section.panel aria-labelledby="h-state" {
                h2 id="h-state" { "Stock by lifecycle state" }
                (charts::bars("Pairs by state", &by_state.iter().map(|(s, n, _)| Bar { label: state_label(s), value: Decimal::from(*n), shown: loc.int(*n) }).collect::<Vec<_>>()))
                (table(None, &[col("State"), num("Pairs"), num("Capital")], html! {
                    @for (s, n, c) in &by_state {
                        tr { td { a href=(format!("/inventory?state={s}")) { (state_label(s)) } } td.num { (loc.int(*n)) } td.num { (loc.money(*c, &main)) } }
                    }
                }))
            }
            section.panel aria-labelledby="h-age" {
                h2 id="h-age" { "Age of stock (days)" }
                (charts::bars("Pairs by age in days", &by_band.iter().map(|(b, n, _)| Bar { label: format!("{b} days"), value: Decimal::from(*n), shown: loc.int(*n) }).collect::<Vec<_>>()))
                (table(None, &[col("Days"), num("Pairs"), num("Capital")], html! {
                    @for (b, n, c) in &by_band {
                        tr { td { (b) } td.num { (loc.int(*n)) } td.num { (loc.money(*c, &main)) } }
                    }
                }))
            }
            section.panel aria-labelledby="h-month" {
                h2 id="h-month" { "Profit and ROI per month" }
                (charts::columns("Gross profit per month", &month_rows.iter().map(|r| Bar { label: r.group.clone(), value: r.gross_profit, shown: loc.money(r.gross_profit, &main) }).collect::<Vec<_>>()))
                (table(None, &[col("Month"), num("Sales"), num("Revenue"), num("Profit"), num("ROI")], html! {
                    @for r in &month_rows {
                        tr {
                            td { (r.group) }
                            td.num { (loc.int(r.orders)) }
                            td.num { (loc.money(r.revenue, &main)) }
                            td.num class=(if r.gross_profit.is_sign_negative() { "num loss" } else { "num gain" }) { (loc.money(r.gross_profit, &main)) }
                            td.num { (r.roi_pct.map_or_else(|| "—".to_owned(), |p| loc.pct(p))) }
                        }
                    }
                    @if month_rows.is_empty() { tr { td colspan="5" { "No sales in the last twelve months." } } }
                }))
            }
            section.panel aria-labelledby="h-fees" {
                h2 id="h-fees" { "Fees by kind (all sales)" }
                (charts::bars("Fees by kind", &fee_kinds.iter().map(|(k, a)| Bar { label: (*k).to_owned(), value: *a, shown: loc.money(*a, &main) }).collect::<Vec<_>>()))
                @if let Some(r) = all {
                    p.hint { "Revenue " (loc.money(r.revenue, &main)) ", payouts " (loc.money(r.payouts, &main)) ", cost of goods " (loc.money(r.cogs, &main)) "." }
                }
            }
        }
        section.panel aria-labelledby="h-oldest" {
            h2 id="h-oldest" { "Longest in stock" }
            (pair_table(loc, &stock.oldest))
        }
    };
    Ok(page(StatusCode::OK, layout("Dashboard", &ctx, body)))
}

fn fail_page<E: std::error::Error + Coded + 'static>(ctx: &Ctx, e: E) -> Response {
    let (status, message) = user_message(e);
    message_page(status, "Something went wrong", ctx, &message)
}

fn pair_table(loc: &Locale, pairs: &[soleflip_db::ledger::PairRow]) -> Markup {
    const HEADS: &[Head] = &[
        col("SKU"),
        col("Product"),
        col("Brand"),
        col("Size"),
        col("State"),
        num("Cost"),
        num("Days"),
        col("Entered"),
    ];
    table(
        None,
        HEADS,
        html! {
            @for p in pairs {
                tr {
                    td { a href=(format!("/inventory/{}", p.id)) { (p.sku) } }
                    td { (p.product_name) }
                    td { (p.brand.as_deref().unwrap_or("—")) }
                    td { (p.size) }
                    td { span.state { (p.state.as_deref().map_or_else(|| "unknown".to_owned(), state_label)) } }
                    td.num { (money_opt(loc, p.cost, &p.currency)) }
                    td.num { (p.age_days.map_or_else(|| "—".to_owned(), |d| loc.int(i64::from(d)))) }
                    td { (p.entered_at.as_deref().map_or_else(|| "—".to_owned(), |t| loc.time(t))) }
                }
            }
            @if pairs.is_empty() { tr { td colspan=(HEADS.len()) { "No pairs." } } }
        },
    )
}

// ------------------------------------------------------------------------------ inventory

#[derive(Deserialize, Default)]
struct InventoryQuery {
    /// SKU.
    q: Option<String>,
    state: Option<String>,
    brand: Option<String>,
    size: Option<String>,
    /// An age band (`0-30`, `31-60`, `61-90`, `90+`).
    age: Option<String>,
    sort: Option<String>,
    /// The page's cursors (keyset: after the last pair of the page before, or before the first
    /// of the page after).
    after: Option<String>,
    before: Option<String>,
    /// The page's number, only to show it.
    page: Option<u32>,
}

const AGE_FILTERS: &[(&str, &str)] = &[
    ("", "Any age"),
    ("0-30", "0–30 days"),
    ("31-60", "31–60 days"),
    ("61-90", "61–90 days"),
    ("90+", "more than 90 days"),
];

const STATE_FILTERS: &[(&str, &str)] = &[
    ("", "Any state"),
    ("in_stock", "In stock (incoming, available, consigned)"),
    ("incoming", "incoming"),
    ("available", "available"),
    ("consigned", "consigned"),
    ("need_shipping", "need shipping"),
    ("packed", "packed"),
    ("outgoing", "outgoing"),
    ("sale_completed", "sale completed"),
    ("cancelled", "cancelled"),
    ("unknown", "unknown"),
];

/// The inventory's sorts as the list's select offers them (the app layer's labels).
const SORTS: &[(&str, &str)] = &[
    ("-age", "Oldest first"),
    ("age", "Newest first"),
    ("price", "Purchase price, lowest first"),
    ("-price", "Purchase price, highest first"),
    ("sku", "SKU, A to Z"),
    ("-sku", "SKU, Z to A"),
    ("brand", "Brand, A to Z"),
    ("-brand", "Brand, Z to A"),
];

async fn inventory(
    State(state): State<AppState>,
    reader: Reader,
    Query(q): Query<InventoryQuery>,
) -> Result<Response, Response> {
    use soleflip_app::ledger::InventoryAsk;
    let ctx = reader.ctx("inventory");
    let fail = |e| fail_page(&ctx, e);
    // The filters, as given (blank: none); each stays chosen in the form and in the pager.
    let filters: Vec<(&str, &str)> = [
        ("q", &q.q),
        ("state", &q.state),
        ("brand", &q.brand),
        ("size", &q.size),
        ("age", &q.age),
        ("sort", &q.sort),
    ]
    .into_iter()
    .filter_map(|(k, v)| blank(v).map(|v| (k, v)))
    .collect();
    let chosen = |k: &str| {
        filters
            .iter()
            .find(|(f, _)| *f == k)
            .map_or("", |(_, v)| *v)
    };
    let ask = InventoryAsk {
        state: q.state.clone(),
        sku: q.q.clone(),
        brand: q.brand.clone(),
        size: q.size.clone(),
        age_band: q.age.clone(),
        sort: q.sort.clone(),
        limit: PAGE_SIZE,
        after: q.after.clone(),
        before: q.before.clone(),
        ..InventoryAsk::default()
    };
    // The page and the filters' choices, read at the same time (two connections).
    let (list, facets) = tokio::join!(
        state.app.inventory_search(&ask),
        state.app.inventory_facets()
    );
    let (list, facets) = (list.map_err(fail)?, facets.map_err(fail)?);
    let page_no = q.page.unwrap_or(1).max(1);
    let link = |cursor: (&str, &str), p: u32| {
        let mut s = format!("/inventory?page={p}");
        for (k, v) in &filters {
            s.push_str(&format!("&{k}={}", encode(v)));
        }
        s.push_str(&format!("&{}={}", cursor.0, encode(cursor.1)));
        s
    };
    let any = |what: &'static str| std::iter::once(("", what));
    let brands = any("Any brand").chain(facets.brands.iter().map(|b| (b.as_str(), b.as_str())));
    let sizes = any("Any size").chain(facets.sizes.iter().map(|b| (b.as_str(), b.as_str())));
    let no_errors = Errors::new();
    let sort = if chosen("sort").is_empty() {
        "-age"
    } else {
        chosen("sort")
    };
    let body = html! {
        form.filters method="get" action="/inventory" role="search" aria-label="Filter and sort the pairs" {
            div.field {
                label for="f-q" { "SKU" }
                input id="f-q" name="q" type="search" value=(chosen("q")) placeholder="e.g. DD1391-100";
            }
            (select_field("state", "State", STATE_FILTERS.iter().copied(), chosen("state"), &no_errors))
            (select_field("brand", "Brand", brands, chosen("brand"), &no_errors))
            (select_field("size", "Size", sizes, chosen("size"), &no_errors))
            (select_field("age", "Age", AGE_FILTERS.iter().copied(), chosen("age"), &no_errors))
            (select_field("sort", "Sort", SORTS.iter().copied(), sort, &no_errors))
            div { button type="submit" { "Search" } }
        }
        section.panel aria-label="Pairs" {
            (pair_table(&ctx.loc, &list.pairs))
            nav.pager aria-label="Pages" {
                @if let Some(c) = &list.prev_cursor {
                    a.button.secondary href=(link(("before", c), page_no.saturating_sub(1).max(1))) rel="prev" { "Previous" }
                }
                span { "Page " (page_no) }
                @if let Some(c) = &list.next_cursor {
                    a.button.secondary href=(link(("after", c), page_no + 1)) rel="next" { "Next" }
                }
            }
        }
    };
    Ok(page(StatusCode::OK, layout("Inventory", &ctx, body)))
}

#[derive(Deserialize)]
struct DoneQuery {
    done: Option<String>,
}

#[expect(
    clippy::result_large_err,
    reason = "the error is the error page itself, made once per request"
)]
fn pair_id(ctx: &Ctx, id: &str) -> Result<uuid::Uuid, Response> {
    id.parse().map_err(|_| {
        message_page(
            StatusCode::NOT_FOUND,
            "Not found",
            ctx,
            &format!("no pair with id {id}"),
        )
    })
}

async fn pair_page(
    State(state): State<AppState>,
    reader: Reader,
    Path(id): Path<String>,
    Query(q): Query<DoneQuery>,
) -> Result<Response, Response> {
    let ctx = reader.ctx("inventory");
    let id = pair_id(&ctx, &id)?;
    let notice = match q.done.as_deref() {
        Some("moved") => Some("Moved."),
        Some("listed") => Some("Listed."),
        Some("sold") => Some("Sale recorded."),
        _ => None,
    };
    render_pair(&state, &ctx, id, notice, &Errors::new(), StatusCode::OK).await
}

async fn render_pair(
    state: &AppState,
    ctx: &Ctx,
    id: uuid::Uuid,
    notice: Option<&str>,
    errors: &Errors,
    status: StatusCode,
) -> Result<Response, Response> {
    let report = state
        .app
        .inventory_show(id)
        .await
        .map_err(|e| fail_page(ctx, e))?;
    let loc = &ctx.loc;
    let p = &report.pair;
    let current = p.state.as_deref().unwrap_or("unknown");
    let listable = matches!(current, "incoming" | "available" | "consigned");
    let title = format!("{} · {}", p.sku, p.size);
    let body = html! {
        @if let Some(n) = notice { p.notice role="status" { (n) } }
        (form_error(errors))
        div.grid {
            section.panel aria-labelledby="h-pair" {
                h2 id="h-pair" { (p.product_name) }
                dl.facts {
                    dt { "SKU" } dd { (p.sku) }
                    dt { "Brand" } dd { (p.brand.as_deref().unwrap_or("—")) }
                    dt { "Size" } dd { (p.size) }
                    dt { "State" } dd { span.state id="pair-state" { (state_label(current)) } }
                    dt { "Cost" } dd { data id="pair-cost" value=(p.cost.map(|c| c.to_string()).unwrap_or_default()) { (money_opt(loc, p.cost, &p.currency)) } }
                    dt { "In the books since" } dd { (p.entered_at.as_deref().map_or_else(|| "—".to_owned(), |t| loc.time(t))) }
                    dt { "Days" } dd { (p.age_days.map_or_else(|| "—".to_owned(), |d| loc.int(i64::from(d)))) }
                }
            }
            section.panel aria-labelledby="h-timeline" {
                h2 id="h-timeline" { "Timeline" }
                ol.timeline {
                    @for e in &report.events {
                        li {
                            time datetime=(e.at) { (loc.time(&e.at)) }
                            @match (&e.from_state, &e.to_state) {
                                (None, Some(to)) => { "Entered as " strong { (state_label(to)) } }
                                (Some(from), Some(to)) => { (state_label(from)) " → " strong { (state_label(to)) } }
                                _ => { "State unknown" }
                            }
                            @if let Some(r) = &e.reason { " — " (r) }
                            @if let Some(l) = &e.legacy_status { " (was “" (l) "”)" }
                            @if e.order_id.is_some() { " · sale recorded" }
                        }
                    }
                }
            }
            section.panel aria-labelledby="h-listings" {
                h2 id="h-listings" { "Listings" }
                (table(None, &[col("Platform"), num("Price"), col("Status")], html! {
                    @for l in &report.listings {
                        tr { td { (platform_name(&l.platform)) } td.num { (money_opt(loc, l.price, &l.currency)) } td { (l.status) } }
                    }
                    @if report.listings.is_empty() { tr { td colspan="3" { "No listings." } } }
                }))
                @if ctx.can_write() && listable {
                    form.stack method="post" action=(format!("/inventory/{id}/listings")) aria-label="List this pair" {
                        (select_field("platform", "Platform", PLATFORMS.iter().copied(), "", errors))
                        (field("price", "Asking price", "text", "", errors, DECIMAL_REQUIRED))
                        div { button type="submit" { "List it" } }
                    }
                    p { a.button.secondary href=(format!("/inventory/{id}/sell")) { "Record a sale…" } }
                }
            }
            @if let Some(sale) = &report.sale {
                (sale_panel(loc, sale, p.cost.is_some()))
            }
            @if ctx.can_write() && !report.allowed_next.is_empty() {
                section.panel aria-labelledby="h-move" {
                    h2 id="h-move" { "Move" }
                    form.stack method="post" action=(format!("/inventory/{id}/move")) {
                        @let next: Vec<(&str, String)> = report.allowed_next.iter().map(|s| (s.label(), state_label(s.label()))).collect();
                        (select_field("to", "Next state", next.iter().map(|(v, l)| (*v, l.as_str())), "", errors))
                        (field("reason", "Reason (optional)", "text", "", errors, FieldAttrs::default()))
                        div { button type="submit" { "Move" } }
                    }
                }
            }
        }
    };
    Ok(page(status, layout(&title, ctx, body)))
}

/// A sold pair's sale: price, fee lines, payout, and the profit against its cost.
fn sale_panel(loc: &Locale, sale: &soleflip_app::ledger::PairSale, cost_known: bool) -> Markup {
    let o = &sale.order;
    let money = |a: Decimal| loc.money(a, &o.currency);
    html! {
        section.panel aria-labelledby="h-sale" {
            h2 id="h-sale" { "Sale" }
            p {
                "Sold on " (platform_name(&o.platform)) " " time datetime=(o.sold_at) { (loc.time(&o.sold_at)) }
                @if let Some(s) = &o.status { " · " (s) }
            }
            (table(Some("sale"), &[col("Line"), num("Amount")], html! {
                tr { th scope="row" { "Sale price" } td.num { (money(o.sale_price)) } }
                @if !sale.fees.is_empty() { tr { th scope="row" colspan="2" { "Fees" } } }
                @for f in &sale.fees {
                    tr { td { (state_label(&f.kind)) @if f.source == "derived" { " (derived)" } } td.num { (money(f.amount)) } }
                }
                tr { th scope="row" { "Payout" } td.num { data id="sale-payout" value=(o.payout.map(|p| p.to_string()).unwrap_or_default()) { (money_opt(loc, o.payout, &o.currency)) } } }
                tr {
                    th scope="row" { "Profit" }
                    @match sale.profit {
                        Some(profit) => td class=(if profit.is_sign_negative() { "num loss" } else { "num gain" }) { data id="sale-profit" value=(profit) { (money(profit)) } },
                        None if !cost_known => td.num id="sale-profit" { "cost unknown" },
                        None => td.num id="sale-profit" { "—" },
                    }
                }
            }))
            @if o.flagged {
                p.hint { "The reported payout did not balance: a derived line makes up the difference." }
            }
        }
    }
}

/// A platform's name as people write it (its slug when it is not one of ours).
fn platform_name(slug: &str) -> &str {
    PLATFORMS
        .iter()
        .find(|(s, _)| *s == slug)
        .map_or(slug, |(_, shown)| shown)
}

#[derive(Deserialize)]
struct MoveForm {
    to: String,
    reason: Option<String>,
}

async fn pair_move(
    State(state): State<AppState>,
    reader: Reader,
    Path(id): Path<String>,
    Form(form): Form<MoveForm>,
) -> Result<Response, Response> {
    let ctx = reader.ctx("inventory");
    let pair = pair_id(&ctx, &id)?;
    let result = state
        .app
        .inventory_move(pair, &form.to, blank(&form.reason))
        .await;
    audit(&state, &reader.caller, "inventory.move", Some(&id), &result).await;
    match result {
        Ok(_) => Ok(redirect(&format!("/inventory/{pair}?done=moved"))),
        Err(e) => {
            let (status, message) = user_message(e);
            let errors = one_error("to", message);
            render_pair(&state, &ctx, pair, None, &errors, status).await
        }
    }
}

#[derive(Deserialize)]
struct ListForm {
    platform: String,
    price: String,
}

async fn pair_list(
    State(state): State<AppState>,
    reader: Reader,
    Path(id): Path<String>,
    Form(form): Form<ListForm>,
) -> Result<Response, Response> {
    let ctx = reader.ctx("inventory");
    let pair = pair_id(&ctx, &id)?;
    let result = state
        .app
        .listing_add(pair, &form.platform, form.price.trim(), None)
        .await;
    audit(&state, &reader.caller, "listing.add", Some(&id), &result).await;
    match result {
        Ok(_) => Ok(redirect(&format!("/inventory/{pair}?done=listed"))),
        Err(e) => {
            let (status, message) = user_message(e);
            let key = match field_of(&message) {
                Some("platform") => "platform",
                Some("price" | "currency") => "price",
                _ => "form",
            };
            let errors = one_error(key, message);
            render_pair(&state, &ctx, pair, None, &errors, status).await
        }
    }
}

// ----------------------------------------------------------------------------------- sale

#[derive(Deserialize, Default)]
struct SaleForm {
    platform: Option<String>,
    price: Option<String>,
    level: Option<String>,
    payout: Option<String>,
}

async fn sell_page(
    State(state): State<AppState>,
    reader: Reader,
    Path(id): Path<String>,
    Query(form): Query<SaleForm>,
) -> Result<Response, Response> {
    let ctx = reader.ctx("inventory");
    let pair = pair_id(&ctx, &id)?;
    render_sell(&state, &ctx, pair, &form, Errors::new(), StatusCode::OK).await
}

fn blank(v: &Option<String>) -> Option<&str> {
    v.as_deref().map(str::trim).filter(|s| !s.is_empty())
}

async fn render_sell(
    state: &AppState,
    ctx: &Ctx,
    pair: uuid::Uuid,
    form: &SaleForm,
    mut errors: Errors,
    status: StatusCode,
) -> Result<Response, Response> {
    let report = state
        .app
        .inventory_show(pair)
        .await
        .map_err(|e| fail_page(ctx, e))?;
    let p = &report.pair;
    let loc = &ctx.loc;
    let platform = blank(&form.platform);
    let price = blank(&form.price);
    let level = blank(&form.level);
    let quote = match (platform, price) {
        (Some(pl), Some(pr)) if errors.is_empty() => {
            match soleflip_app::ledger::fees_quote(pl, level, pr, &p.currency, None, None) {
                Ok(q) => Some(q),
                Err(e) => {
                    let message = e.to_string();
                    let key = match field_of(&message) {
                        Some("price" | "currency") => "price",
                        Some(f) if f.contains("level") => "level",
                        _ => "platform",
                    };
                    errors.insert(key.to_owned(), message);
                    None
                }
            }
        }
        _ => None,
    };
    let title = format!("Sell {} · {}", p.sku, p.size);
    let body = html! {
        p { a href=(format!("/inventory/{pair}")) { "← " (p.sku) " " (p.size) } " · cost " (money_opt(loc, p.cost, &p.currency)) }
        (form_error(&errors))
        div.grid {
            section.panel aria-labelledby="h-quote-form" {
                h2 id="h-quote-form" { "1. The sale" }
                form.stack method="get" action=(format!("/inventory/{pair}/sell")) {
                    (select_field("platform", "Platform", PLATFORMS.iter().copied(), platform.unwrap_or(""), &errors))
                    (field("price", &format!("Sale price ({})", p.currency), "text", price.unwrap_or(""), &errors, DECIMAL_REQUIRED))
                    (field("level", "Seller level (StockX 1–5, GOAT/Alias rating band; optional)", "text", level.unwrap_or(""), &errors, FieldAttrs::default()))
                    div { button type="submit" { "Show the fee quote" } }
                }
            }
            @if let Some(q) = &quote {
                section.panel aria-labelledby="h-quote" {
                    h2 id="h-quote" { "2. Fees and payout" }
                    (table(Some("quote"), &[col("Fee"), num("Rate"), num("Amount")], html! {
                        @for l in &q.lines {
                            tr { td { (state_label(l.kind.label())) } td.num { (l.rate_pct.map_or_else(String::new, |r| loc.pct(r))) } td.num { (loc.money(l.amount.amount(), &p.currency)) } }
                        }
                        tr { th scope="row" { "Fees" } td {} td.num { (loc.money(q.total_fees.amount(), &p.currency)) } }
                        tr { th scope="row" { "Payout" } td {} td.num { data id="quote-payout" value=(q.payout.amount()) { (loc.money(q.payout.amount(), &p.currency)) } } }
                        @if let Some(cost) = p.cost {
                            @let profit = q.payout.amount() - cost;
                            tr { th scope="row" { "Profit" } td {} td.num class=(if profit.is_sign_negative() { "num loss" } else { "num gain" }) { (loc.money(profit, &p.currency)) } }
                        }
                    }))
                    form.stack method="post" action=(format!("/inventory/{pair}/sell")) {
                        input type="hidden" name="platform" value=(platform.unwrap_or(""));
                        input type="hidden" name="price" value=(price.unwrap_or(""));
                        input type="hidden" name="level" value=(level.unwrap_or(""));
                        (field("payout", "Payout as the platform reported it (optional; a difference is booked as “other”)", "text", blank(&form.payout).unwrap_or(""), &errors, DECIMAL))
                        div { button type="submit" { "Record the sale" } }
                    }
                }
            }
        }
    };
    Ok(page(status, layout(&title, ctx, body)))
}

async fn sell_submit(
    State(state): State<AppState>,
    reader: Reader,
    Path(id): Path<String>,
    Form(form): Form<SaleForm>,
) -> Result<Response, Response> {
    let ctx = reader.ctx("inventory");
    let pair = pair_id(&ctx, &id)?;
    let req = SaleRequest {
        pair,
        platform: blank(&form.platform).unwrap_or("").to_owned(),
        price: blank(&form.price).unwrap_or("").to_owned(),
        payout: blank(&form.payout).map(str::to_owned),
        level: blank(&form.level).map(str::to_owned),
        ..SaleRequest::default()
    };
    let result = state.app.sale_record(&req).await;
    audit(&state, &reader.caller, "sale.record", Some(&id), &result).await;
    match result {
        Ok(_) => Ok(redirect(&format!("/inventory/{pair}?done=sold"))),
        Err(e) => {
            let (status, message) = user_message(e);
            let key = match field_of(&message) {
                Some("price" | "currency") => "price",
                Some("payout") => "payout",
                Some("platform") => "platform",
                _ => "form",
            };
            let errors = one_error(key, message);
            // The quote is not drawn again over an error: the reader fixes the field first.
            render_sell(&state, &ctx, pair, &form, errors, status).await
        }
    }
}

// ------------------------------------------------------------------------------ purchases

/// Lines of an empty purchase form.
const PURCHASE_LINES: usize = 3;
/// The most lines one form takes.
const MAX_LINES: usize = 50;

#[derive(Deserialize)]
struct PurchaseQuery {
    lines: Option<usize>,
}

async fn purchase_page(reader: Reader, Query(q): Query<PurchaseQuery>) -> Response {
    let ctx = reader.ctx("purchase");
    let n = q.lines.unwrap_or(PURCHASE_LINES).clamp(1, MAX_LINES);
    page(
        StatusCode::OK,
        purchase_form(&ctx, &HashMap::new(), &Errors::new(), n),
    )
}

fn purchase_form(
    ctx: &Ctx,
    values: &HashMap<String, String>,
    errors: &Errors,
    lines: usize,
) -> Markup {
    let v = |k: &str| values.get(k).map_or("", String::as_str);
    layout(
        "Add a purchase",
        ctx,
        html! {
            (form_error(errors))
            form method="post" action="/purchases/new" {
                input type="hidden" name="lines" value=(lines);
                section.panel aria-labelledby="h-invoice" {
                    h2 id="h-invoice" { "Invoice" }
                    div.line-fields {
                        (field("supplier", "Supplier", "text", v("supplier"), errors, FieldAttrs::default()))
                        (field("invoice", "Invoice number", "text", v("invoice"), errors, FieldAttrs::default()))
                        (field("date", "Date", "date", v("date"), errors, FieldAttrs::default()))
                        (field("currency", "Currency", "text", if v("currency").is_empty() { "EUR" } else { v("currency") }, errors, FieldAttrs::default()))
                        (field("shipping", "Shipping", "text", v("shipping"), errors, DECIMAL))
                        (field("discount", "Discount", "text", v("discount"), errors, DECIMAL))
                    }
                }
                section.panel aria-labelledby="h-lines" {
                    h2 id="h-lines" { "Lines" }
                    p.hint { "Prices are net of VAT per pair. Sizes like " code { "US 10" } ", " code { "EU 44 2/3" } " or " code { "UK 9" } "; empty lines are skipped." }
                    div.lines {
                        @for i in 0..lines {
                            fieldset {
                                legend { "Line " (i + 1) }
                                div.line-fields {
                                    (field(&format!("sku_{i}"), "SKU", "text", v(&format!("sku_{i}")), errors, FieldAttrs { required: i == 0, ..FieldAttrs::required("off") }))
                                    (field(&format!("size_{i}"), "Size", "text", v(&format!("size_{i}")), errors, FieldAttrs { required: i == 0, size_check: true, ..FieldAttrs::required("off") }))
                                    (field(&format!("price_{i}"), "Net price", "text", v(&format!("price_{i}")), errors, FieldAttrs { required: i == 0, ..DECIMAL }))
                                    (field(&format!("vat_{i}"), "VAT rate % (optional)", "text", v(&format!("vat_{i}")), errors, DECIMAL))
                                    (field(&format!("qty_{i}"), "Quantity", "number", if v(&format!("qty_{i}")).is_empty() { "1" } else { v(&format!("qty_{i}")) }, errors, FieldAttrs { autocomplete: None, ..WHOLE }))
                                }
                            }
                        }
                    }
                    @if lines < MAX_LINES {
                        p { a href=(format!("/purchases/new?lines={}", (lines + 3).min(MAX_LINES))) { "More lines (starts a fresh form)" } }
                    }
                }
                div { button type="submit" { "Record the purchase" } }
            }
        },
    )
}

async fn purchase_submit(
    State(state): State<AppState>,
    reader: Reader,
    Form(pairs): Form<Vec<(String, String)>>,
) -> Response {
    let ctx = reader.ctx("purchase");
    let values: HashMap<String, String> = pairs.into_iter().collect();
    let lines = values
        .get("lines")
        .and_then(|n| n.parse::<usize>().ok())
        .unwrap_or(PURCHASE_LINES)
        .clamp(1, MAX_LINES);
    let get = |k: &str| {
        values
            .get(k)
            .map(|s| s.trim())
            .filter(|s| !s.is_empty())
            .map(str::to_owned)
    };
    let mut errors = Errors::new();
    let mut request_lines = Vec::new();
    let mut line_of = Vec::new();
    for i in 0..lines {
        let (sku, size, price) = (
            get(&format!("sku_{i}")),
            get(&format!("size_{i}")),
            get(&format!("price_{i}")),
        );
        if sku.is_none() && size.is_none() && price.is_none() {
            continue;
        }
        let mut missing = |k: String, what: &str| {
            errors.insert(k, format!("{what} is missing"));
        };
        if sku.is_none() {
            missing(format!("sku_{i}"), "the SKU");
        }
        if size.is_none() {
            missing(format!("size_{i}"), "the size");
        }
        if price.is_none() {
            missing(format!("price_{i}"), "the price");
        }
        let quantity = match get(&format!("qty_{i}")) {
            None => 1,
            Some(q) => match q.parse::<u32>() {
                Ok(n) if (1..=100).contains(&n) => n,
                _ => {
                    errors.insert(
                        format!("qty_{i}"),
                        format!("quantity: `{q}` is not a whole number from 1 to 100"),
                    );
                    1
                }
            },
        };
        request_lines.push(PurchaseLineRequest {
            sku: sku.unwrap_or_default(),
            size: size.unwrap_or_default(),
            price: price.unwrap_or_default(),
            vat_rate: get(&format!("vat_{i}")),
            quantity,
        });
        line_of.push(i);
    }
    if request_lines.is_empty() && errors.is_empty() {
        errors.insert("sku_0".into(), "a purchase needs at least one line".into());
    }
    let date = match get("date") {
        None => None,
        Some(d) => match soleflip_app::ledger::parse_date("date", &d) {
            Ok(d) => Some(d),
            Err(e) => {
                errors.insert("date".into(), e.to_string());
                None
            }
        },
    };
    if !errors.is_empty() {
        return page(
            StatusCode::BAD_REQUEST,
            purchase_form(&ctx, &values, &errors, lines),
        );
    }
    let req = PurchaseRequest {
        supplier: get("supplier"),
        invoice: get("invoice"),
        date,
        currency: get("currency"),
        shipping: get("shipping"),
        discount: get("discount"),
        lines: request_lines,
    };
    let result = state.app.purchase_add(&req).await;
    audit(
        &state,
        &reader.caller,
        "purchase.add",
        req.invoice.as_deref(),
        &result,
    )
    .await;
    match result {
        Ok(report) => {
            let loc = &ctx.loc;
            let body = html! {
                p.notice role="status" { "Recorded: " (report.lines.iter().map(|l| l.pairs.len()).sum::<usize>()) " pairs, total cost " (loc.money(report.total_cost, &report.currency)) "." }
                section.panel aria-label="Pairs of this purchase" {
                    (table(Some("purchased"), &[col("Line"), col("SKU"), col("Size"), col("Pair"), num("Cost")], html! {
                        @for l in &report.lines {
                            @for p in &l.pairs {
                                tr {
                                    td { (l.line_no) }
                                    td { (l.sku) }
                                    td { (l.size) }
                                    td { a.pair-link href=(format!("/inventory/{}", p.id)) { "Open pair" } }
                                    td.num { (loc.money(p.cost_basis, &report.currency)) }
                                }
                            }
                        }
                    }))
                }
                p { a.button href="/purchases/new" { "Add another purchase" } }
            };
            page(StatusCode::CREATED, layout("Purchase recorded", &ctx, body))
        }
        Err(e) => {
            let (status, message) = user_message(e);
            // `line 2 size: ...`: the line of the request (1-based), then the field.
            let (line_no, rest) = match message
                .strip_prefix("line ")
                .and_then(|r| r.split_once(' '))
            {
                Some((n, rest)) => (n.parse::<usize>().ok(), rest),
                None => (None, message.as_str()),
            };
            let key = match field_of(rest) {
                Some(f @ ("sku" | "size" | "price" | "vat_rate" | "vat rate" | "quantity")) => {
                    let short = match f {
                        "vat_rate" | "vat rate" => "vat",
                        "quantity" => "qty",
                        other => other,
                    };
                    // The line whose value the message quotes, else the first.
                    let value = quoted(rest);
                    let pos = line_no
                        .map(|n| n.saturating_sub(1))
                        .or_else(|| {
                            req.lines.iter().position(|l| {
                                let v = match short {
                                    "sku" => Some(l.sku.as_str()),
                                    "size" => Some(l.size.as_str()),
                                    "price" => Some(l.price.as_str()),
                                    "vat" => l.vat_rate.as_deref(),
                                    _ => None,
                                };
                                value.is_some() && v == value
                            })
                        })
                        .unwrap_or(0);
                    format!("{short}_{}", line_of.get(pos).copied().unwrap_or(0))
                }
                Some(f @ ("supplier" | "invoice" | "currency" | "shipping" | "discount")) => {
                    f.to_owned()
                }
                _ => "form".to_owned(),
            };
            errors.insert(key, message);
            page(status, purchase_form(&ctx, &values, &errors, lines))
        }
    }
}

// ---------------------------------------------------------------------------------- sizes

#[derive(Deserialize)]
struct SizeQuery {
    input: Option<String>,
    brand: Option<String>,
}

async fn sizes_page(reader: Reader, Query(q): Query<SizeQuery>) -> Response {
    use soleflip_app::domain::sizes::{BrandFamily, Conversion};
    use soleflip_app::sizes::{parse_size, ParseReport, ParseRequest};
    let ctx = reader.ctx("sizes");
    let input = blank(&q.input);
    let brand = blank(&q.brand);
    let mut errors = Errors::new();
    let report = input.and_then(|i| {
        match parse_size(&ParseRequest {
            input: i.to_owned(),
            brand: brand.map(str::to_owned),
            ..ParseRequest::default()
        }) {
            Ok(r) => Some(r),
            Err(e) => {
                let message = e.to_string();
                let key = if message.starts_with("brand") {
                    "brand"
                } else {
                    "input"
                };
                errors.insert(key.to_owned(), message);
                None
            }
        }
    });
    if let Some(ParseReport::Refused { refused, .. }) = &report {
        errors.insert("input".to_owned(), refused.clone());
    }
    let describe = |c: &Conversion| match c {
        Conversion::Exact { size, confidence } => {
            format!("{size} ({})", format!("{confidence:?}").to_lowercase())
        }
        Conversion::Ambiguous { candidates } => {
            let list: Vec<String> = candidates.iter().map(ToString::to_string).collect();
            format!("ambiguous: {}", list.join(" or "))
        }
        Conversion::Unavailable { reason } => format!("none ({reason})"),
    };
    let body = html! {
        (form_error(&errors))
        form.filters method="get" action="/sizes" {
            (field("input", "Size as written (US 10, EU 44 2/3, UK 9, 28.5 cm)", "text", input.unwrap_or(""), &errors, FieldAttrs::required("off")))
            @let brands: Vec<(&str, String)> = BrandFamily::ALL.iter().map(|b| (b.slug(), b.to_string())).collect();
            (select_field("brand", "Brand", std::iter::once(("", "(no brand: no equivalents)")).chain(brands.iter().map(|(v, l)| (*v, l.as_str()))), brand.unwrap_or(""), &errors))
            div { button type="submit" { "Look up" } }
        }
        @if let Some(ParseReport::Parsed { input, size, equivalents, standardized, standardized_refused, .. }) = &report {
            section.panel aria-labelledby="h-size" {
                h2 id="h-size" { (input) " → " (size) }
                dl.facts {
                    dt { "Cohort" } dd { (size.cohort()) }
                    dt { "Standardized EU" } dd {
                        @if let Some(st) = standardized { (st.eu) }
                        @else { "none" @if let Some(r) = standardized_refused { " (" (r) ")" } }
                    }
                }
                @if let Some(eq) = equivalents {
                    div.table-wrap tabindex="0" {
                        table id="equivalents" {
                            caption { "On the " (eq.brand) " chart" }
                            thead { tr { th scope="col" { "System" } th scope="col" { "Size" } } }
                            tbody {
                                @for (label, c) in [("US M", &eq.us_m), ("US W", &eq.us_w), ("UK", &eq.uk), ("EU", &eq.eu), ("CM", &eq.cm)] {
                                    tr { th scope="row" { (label) } td { (describe(c)) } }
                                }
                            }
                        }
                    }
                } @else {
                    p.hint { "Choose a brand for its equivalents: brands put the same label on different feet." }
                }
            }
        }
    };
    let status = if errors.is_empty() {
        StatusCode::OK
    } else {
        StatusCode::BAD_REQUEST
    };
    page(status, layout("Sizes", &ctx, body))
}

// ---------------------------------------------------------------------------------- admin

fn actor_of(caller: &Caller) -> Actor {
    Actor::of(&caller.principal, Some(caller.client.clone()))
}

async fn users_page(State(state): State<AppState>, reader: Reader) -> Result<Response, Response> {
    let ctx = reader.ctx("users");
    render_users(&state, &ctx, &Errors::new(), None, StatusCode::OK).await
}

async fn render_users(
    state: &AppState,
    ctx: &Ctx,
    errors: &Errors,
    notice: Option<&str>,
    status: StatusCode,
) -> Result<Response, Response> {
    let users = state.app.user_list().await.map_err(|e| fail_page(ctx, e))?;
    let loc = &ctx.loc;
    let body = html! {
        @if let Some(n) = notice { p.notice role="status" { (n) } }
        (form_error(errors))
        section.panel aria-label="Users" {
            (table(Some("users"), &[col("User"), col("Role"), col("State"), col("Last login"), hidden("Actions")], html! {
                @for u in &users {
                    tr {
                        td { (u.username) }
                        td { (u.role) }
                        td { @if u.active { "active" } @else { "disabled" } }
                        td { (u.last_login.as_deref().map_or_else(|| "never".to_owned(), |t| loc.time(t))) }
                        td {
                            @if u.active && u.username != ctx.who.as_ref().map_or("", |w| w.0.as_str()) {
                                form method="post" action=(format!("/admin/users/{}/disable", encode(&u.username))) {
                                    button.secondary type="submit" aria-label=(format!("Disable {}", u.username)) { "Disable" }
                                }
                            }
                        }
                    }
                }
            }))
        }
        section.panel aria-labelledby="h-add-user" {
            h2 id="h-add-user" { "Add a user" }
            form.stack method="post" action="/admin/users" {
                (field("username", "User name", "text", "", errors, FieldAttrs::required("off")))
                (select_field("role", "Role", ROLES.iter().copied(), "user", errors))
                (field("password", "Password (at least 12 characters)", "password", "", errors, FieldAttrs::required("new-password")))
                div { button type="submit" { "Add the user" } }
            }
        }
    };
    Ok(page(status, layout("Users", ctx, body)))
}

#[derive(Deserialize)]
struct UserForm {
    username: String,
    role: String,
    password: String,
}

async fn user_add(
    State(state): State<AppState>,
    reader: Reader,
    Form(form): Form<UserForm>,
) -> Result<Response, Response> {
    let ctx = reader.ctx("users");
    let result = match Role::parse(&form.role) {
        Ok(role) => {
            state
                .app
                .user_add(
                    &actor_of(&reader.caller),
                    form.username.trim(),
                    role,
                    Some(&form.password),
                )
                .await
        }
        Err(e) => Err(e),
    };
    match result {
        Ok(u) => {
            let notice = format!("Added {} ({}).", u.username, u.role);
            render_users(
                &state,
                &ctx,
                &Errors::new(),
                Some(&notice),
                StatusCode::CREATED,
            )
            .await
        }
        Err(e) => {
            let (status, message) = user_message(e);
            let key = match field_of(&message) {
                _ if message.contains("password") => "password",
                Some("name" | "username") => "username",
                _ if message.contains("exists already") => "username",
                _ => "form",
            };
            let errors = one_error(key, message);
            render_users(&state, &ctx, &errors, None, status).await
        }
    }
}

async fn user_disable(
    State(state): State<AppState>,
    reader: Reader,
    Path(name): Path<String>,
) -> Result<Response, Response> {
    let ctx = reader.ctx("users");
    match state
        .app
        .user_disable(&actor_of(&reader.caller), &name)
        .await
    {
        Ok(d) => {
            let notice = format!(
                "Disabled {}; {} session(s) ended.",
                d.user.username, d.sessions_revoked
            );
            render_users(&state, &ctx, &Errors::new(), Some(&notice), StatusCode::OK).await
        }
        Err(e) => {
            let (status, message) = user_message(e);
            render_users(&state, &ctx, &one_error("form", message), None, status).await
        }
    }
}

async fn tokens_page(State(state): State<AppState>, reader: Reader) -> Result<Response, Response> {
    let ctx = reader.ctx("tokens");
    render_tokens(&state, &ctx, &Errors::new(), None, StatusCode::OK).await
}

async fn render_tokens(
    state: &AppState,
    ctx: &Ctx,
    errors: &Errors,
    made: Option<&soleflip_app::auth::TokenCreated>,
    status: StatusCode,
) -> Result<Response, Response> {
    let tokens = state
        .app
        .token_list(None)
        .await
        .map_err(|e| fail_page(ctx, e))?;
    let users = state.app.user_list().await.map_err(|e| fail_page(ctx, e))?;
    let loc = &ctx.loc;
    let when = |t: &Option<String>| t.as_deref().map_or_else(|| "—".to_owned(), |t| loc.time(t));
    let body = html! {
        @if let Some(m) = made {
            div.notice role="status" {
                p { "Token " strong { (m.row.name) } " for " (m.row.user) ". Copy it now: it is shown only this once." }
                p { code id="new-token" { (m.token) } }
            }
        }
        (form_error(errors))
        section.panel aria-label="API tokens" {
            (table(Some("tokens"), &[col("User"), col("Name"), col("Created"), col("Expires"), col("Last used"), col("State")], html! {
                @for t in &tokens {
                    tr {
                        td { (t.user) }
                        td { (t.name) }
                        td { (loc.time(&t.created_at)) }
                        td { (when(&t.expires_at)) }
                        td { (when(&t.last_used_at)) }
                        td {
                            @if t.revoked_at.is_some() { "revoked " (when(&t.revoked_at)) }
                            @else {
                                form method="post" action=(format!("/admin/tokens/{}/revoke", t.id)) {
                                    button.secondary type="submit" aria-label=(format!("Revoke {} of {}", t.name, t.user)) { "Revoke" }
                                }
                            }
                        }
                    }
                }
                @if tokens.is_empty() { tr { td colspan="6" { "No API tokens." } } }
            }))
        }
        section.panel aria-labelledby="h-new-token" {
            h2 id="h-new-token" { "Create a token" }
            form.stack method="post" action="/admin/tokens" {
                @let active: Vec<(&str, String)> = users.iter().filter(|u| u.active).map(|u| (u.username.as_str(), format!("{} ({})", u.username, u.role))).collect();
                (select_field("user", "For user", active.iter().map(|(v, l)| (*v, l.as_str())), "", errors))
                (field("name", "Name (what it is for)", "text", "", errors, FieldAttrs::required("off")))
                (field("expires_days", "Expires after days (optional)", "number", "", errors, WHOLE))
                div { button type="submit" { "Create the token" } }
            }
        }
    };
    Ok(page(status, layout("API tokens", ctx, body)))
}

#[derive(Deserialize)]
struct TokenForm {
    user: String,
    name: String,
    expires_days: Option<String>,
}

async fn token_create(
    State(state): State<AppState>,
    reader: Reader,
    Form(form): Form<TokenForm>,
) -> Result<Response, Response> {
    let ctx = reader.ctx("tokens");
    let days = match blank(&form.expires_days) {
        None => None,
        Some(d) => match d.parse::<u32>() {
            Ok(n) if n > 0 => Some(n),
            _ => {
                let errors = one_error(
                    "expires_days",
                    format!("expires: `{d}` is not a whole number of days above zero"),
                );
                return render_tokens(&state, &ctx, &errors, None, StatusCode::BAD_REQUEST).await;
            }
        },
    };
    match state
        .app
        .token_create(
            &actor_of(&reader.caller),
            &form.user,
            form.name.trim(),
            days,
        )
        .await
    {
        Ok(made) => {
            render_tokens(
                &state,
                &ctx,
                &Errors::new(),
                Some(&made),
                StatusCode::CREATED,
            )
            .await
        }
        Err(e) => {
            let (status, message) = user_message(e);
            let key = if message.contains("named") || field_of(&message) == Some("name") {
                "name"
            } else {
                "form"
            };
            render_tokens(&state, &ctx, &one_error(key, message), None, status).await
        }
    }
}

async fn token_revoke(
    State(state): State<AppState>,
    reader: Reader,
    Path(id): Path<String>,
) -> Result<Response, Response> {
    let ctx = reader.ctx("tokens");
    let Ok(token) = id.parse::<uuid::Uuid>() else {
        let errors = one_error("form", format!("no API token with id {id}"));
        return render_tokens(&state, &ctx, &errors, None, StatusCode::NOT_FOUND).await;
    };
    match state
        .app
        .token_revoke(&actor_of(&reader.caller), token)
        .await
    {
        Ok(_) => Ok(redirect("/admin/tokens")),
        Err(e) => {
            let (status, message) = user_message(e);
            render_tokens(&state, &ctx, &one_error("form", message), None, status).await
        }
    }
}

#[derive(Deserialize)]
struct DatabaseQuery {
    /// `verify` or `health`: run that check now (both read only).
    run: Option<String>,
}

async fn database_page(
    State(state): State<AppState>,
    reader: Reader,
    Query(q): Query<DatabaseQuery>,
) -> Result<Response, Response> {
    use soleflip_app::health::{Severity, Thresholds};
    let ctx = reader.ctx("database");
    let loc = &ctx.loc;
    let status = state
        .app
        .db_status()
        .await
        .map_err(|e| fail_page(&ctx, e))?;
    let verify = match q.run.as_deref() {
        Some("verify") => Some(
            state
                .app
                .db_verify()
                .await
                .map_err(|e| fail_page(&ctx, e))?,
        ),
        _ => None,
    };
    let health = match q.run.as_deref() {
        Some("health") => Some(
            state
                .app
                .health(&Thresholds::default())
                .await
                .map_err(|e| fail_page(&ctx, e))?,
        ),
        _ => None,
    };
    let body = html! {
        section.panel aria-labelledby="h-migrations" {
            h2 id="h-migrations" { "Migrations" }
            p.hint { (status.database) }
            (table(Some("migrations"), &[col("Version"), col("Name"), col("Applied"), col("Checksum")], html! {
                @for m in &status.migrations {
                    tr {
                        td { (m.version) }
                        td { (m.name) }
                        td { (m.applied_at.as_deref().map_or_else(|| "pending".to_owned(), |t| loc.time(t))) }
                        td { @match m.checksum_ok { Some(true) => "matches", Some(false) => "CHANGED since applied", None => "—" } }
                    }
                }
            }))
            p {
                a.button.secondary href="/admin/database?run=verify" { "Verify against the migrations" }
                " "
                a.button.secondary href="/admin/database?run=health" { "Run the health checks" }
            }
        }
        @if let Some(v) = &verify {
            section.panel aria-labelledby="h-verify" {
                h2 id="h-verify" { "Verification" }
                @if v.ok {
                    p.notice id="verify-result" role="status" { "OK: the database is exactly what migration " (v.migration.as_ref().map_or(0, |m| m.0)) " promises (" (v.table_count) " tables, " (v.index_count) " indexes)." }
                } @else {
                    div.alert id="verify-result" role="alert" {
                        p { "The database differs from what its migrations promise:" }
                        ul { @for line in v.drift_lines() { li { (line) } } }
                    }
                }
            }
        }
        @if let Some(h) = &health {
            section.panel aria-labelledby="h-health" {
                h2 id="h-health" { "Health: " (h.worst.label()) }
                p.hint { (h.counts.ok) " OK, " (h.counts.warn) " WARN, " (h.counts.crit) " CRIT, " (h.counts.skipped) " skipped." }
                (table(Some("health"), &[col("Check"), col("Result"), col("Findings")], html! {
                    @for c in &h.checks {
                        tr {
                            td { (c.title) }
                            td { @if let Some(why) = &c.skipped { "skipped: " (why) } @else { (c.severity.label()) } }
                            td {
                                @for f in c.findings.iter().filter(|f| f.severity != Severity::Ok) {
                                    (f.severity.label()) " " (f.subject) ": " (f.detail) br;
                                }
                            }
                        }
                    }
                }))
            }
        }
    };
    Ok(page(StatusCode::OK, layout("Database", &ctx, body)))
}

// -------------------------------------------------------------------------------- backups

async fn backups_page(State(state): State<AppState>, reader: Reader) -> Result<Response, Response> {
    let ctx = reader.ctx("backups");
    render_backups(&state, &ctx, None, &Errors::new(), StatusCode::OK)
}

/// A page with the API's error (the same message, in words).
fn api_fail_page(ctx: &Ctx, e: crate::ApiError) -> Response {
    message_page(
        crate::status_of(e.code),
        "Something went wrong",
        ctx,
        &e.message,
    )
}

/// The time of a backup as the reader's zone shows it.
fn backup_time(loc: &Locale, at: &chrono::DateTime<chrono::Utc>) -> String {
    loc.time(&at.format("%Y-%m-%dT%H:%M:%SZ").to_string())
}

#[expect(
    clippy::result_large_err,
    reason = "the error is the error page itself, made once per request"
)]
fn render_backups(
    state: &AppState,
    ctx: &Ctx,
    notice: Option<Markup>,
    errors: &Errors,
    status: StatusCode,
) -> Result<Response, Response> {
    let (dir, mut backups) = crate::routes::backups(state).map_err(|e| api_fail_page(ctx, e))?;
    backups.sort_by(|a, b| b.taken_at.cmp(&a.taken_at).then(b.stem.cmp(&a.stem)));
    let loc = &ctx.loc;
    let body = html! {
        @if let Some(n) = notice { (n) }
        (form_error(errors))
        section.panel aria-labelledby="h-take" {
            h2 id="h-take" { "Take a backup" }
            p.hint { "A " code { "pg_dump" } " of the database and its manifest (checksum, row count per table), into " code { (dir.display()) } "." }
            form.stack method="post" action="/admin/backups" {
                div.check {
                    input id="f-verify" name="verify" type="checkbox" value="1";
                    label for="f-verify" { "Verify it right away (restore into a scratch database and compare)" }
                }
                div { button type="submit" { "Take a backup" } }
            }
        }
        section.panel aria-labelledby="h-backups" {
            h2 id="h-backups" { "Backups" }
            (table(Some("backups"), &[col("Taken"), col("Database"), num("Size"), col("Verification"), col("Check")], html! {
                @for b in &backups {
                    tr {
                        td { time datetime=(b.taken_at.to_rfc3339()) { (backup_time(loc, &b.taken_at)) } }
                        td { (b.database) }
                        td.num { (b.size.map_or_else(|| "—".to_owned(), |n| loc.bytes(n))) }
                        td { @if b.verified { span.state.verified { "verified" } } @else { "not verified" } }
                        td {
                            form method="post" action=(format!("/admin/backups/{}/verify", b.stem)) {
                                button.secondary type="submit" aria-label=(format!("Verify the backup of {}", backup_time(loc, &b.taken_at))) { "Verify" }
                            }
                        }
                    }
                }
                @if backups.is_empty() { tr { td colspan="5" { "No backups yet." } } }
            }))
        }
    };
    Ok(page(status, layout("Backups", ctx, body)))
}

#[derive(Deserialize)]
struct TakeForm {
    verify: Option<String>,
}

/// What a verification found, as the page says it.
fn verify_notice(v: &soleflip_app::backup::BackupVerifyReport) -> Markup {
    html! {
        @if v.ok {
            p.notice id="verify-result" role="status" { "Verified: restored into a scratch database, " (v.tables) " tables and " (v.total_rows) " rows as the manifest says." }
        } @else {
            div.alert id="verify-result" role="alert" {
                p { "The backup differs from its manifest:" }
                ul { @for d in &v.differences { li { (d) } } }
            }
        }
    }
}

async fn backup_take(
    State(state): State<AppState>,
    reader: Reader,
    Form(form): Form<TakeForm>,
) -> Result<Response, Response> {
    let ctx = reader.ctx("backups");
    let result = crate::routes::take_backup(&state, form.verify.is_some())
        .await
        .map_err(|e| api_fail_page(&ctx, e))?;
    let target = result.as_ref().ok().map(|r| r.dump.display().to_string());
    audit(
        &state,
        &reader.caller,
        "backup.create",
        target.as_deref(),
        &result,
    )
    .await;
    match result {
        Ok(r) => {
            let notice = html! {
                p.notice id="backup-result" role="status" {
                    "Backup taken: " (r.manifest.file) ", " (ctx.loc.bytes(r.manifest.size)) ", " (r.manifest.total_rows) " rows."
                }
                @if let Some(v) = &r.verify { (verify_notice(v)) }
            };
            render_backups(
                &state,
                &ctx,
                Some(notice),
                &Errors::new(),
                StatusCode::CREATED,
            )
        }
        Err(e) => {
            let (status, message) = user_message(e);
            let errors = one_error("form", message);
            render_backups(&state, &ctx, None, &errors, status)
        }
    }
}

async fn backup_verify(
    State(state): State<AppState>,
    reader: Reader,
    Path(name): Path<String>,
) -> Result<Response, Response> {
    let ctx = reader.ctx("backups");
    let (stem, result) = match crate::routes::verify_backup(&state, &name).await {
        Ok(done) => done,
        Err(e) => {
            let status = crate::status_of(e.code);
            let errors = one_error("form", e.message);
            return render_backups(&state, &ctx, None, &errors, status);
        }
    };
    audit(
        &state,
        &reader.caller,
        "backup.verify",
        Some(&stem),
        &result,
    )
    .await;
    match result {
        Ok(v) => render_backups(
            &state,
            &ctx,
            Some(verify_notice(&v)),
            &Errors::new(),
            StatusCode::OK,
        ),
        Err(e) => {
            let (status, message) = user_message(e);
            let errors = one_error("form", message);
            render_backups(&state, &ctx, None, &errors, status)
        }
    }
}

/// The escaped text of a value for tests of this module.
#[cfg(test)]
fn text(m: Markup) -> String {
    m.into_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_next_target_off_this_server_falls_back_to_the_dashboard() {
        assert_eq!(local_target(Some("/inventory?x=1")), "/inventory?x=1");
        assert_eq!(local_target(Some("//evil.example/")), "/");
        assert_eq!(local_target(Some("https://evil.example/")), "/");
        assert_eq!(local_target(None), "/");
    }

    #[test]
    fn an_app_message_names_its_field_and_quoted_value() {
        let m = "size: `US 99`: not on the chart";
        assert_eq!(field_of(m), Some("size"));
        assert_eq!(quoted(m), Some("US 99"));
        assert_eq!(field_of("no pair with id 1"), None);
    }

    #[test]
    fn a_field_with_an_error_says_so_beside_it() {
        let errors = Errors::from([("price".to_owned(), "price: `x` is not an amount".to_owned())]);
        let html = text(field("price", "Price", "text", "x", &errors, DECIMAL));
        assert!(
            html.contains(r#"<label for="f-price">Price</label>"#),
            "{html}"
        );
        assert!(html.contains(r#"aria-invalid="true""#), "{html}");
        assert!(html.contains("is not an amount"), "{html}");
    }
}
