//! SoleFlip's HTTP API: one axum router over the application layer. Every handler calls a
//! `soleflip_app` use case and renders its report as JSON; no SQL is sent from here.
//!
//! Around the routes, in this order: a request id (`x-request-id`, made when absent, echoed in
//! the response and carried by the request's log span), the request log, a time-out, a body
//! size limit, and security headers on every response.

pub mod error;
pub mod imports;
pub mod matches;
pub mod openapi;
pub mod routes;
pub mod web;

use std::future::Future;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use axum::extract::{DefaultBodyLimit, FromRequest, FromRequestParts, State};
use axum::http::{header, HeaderName, HeaderValue, Request, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::{Json, Router};
use soleflip_app::{App, Code};
use tower::ServiceBuilder;
use tower_http::request_id::{MakeRequestUuid, PropagateRequestIdLayer, SetRequestIdLayer};
use tower_http::set_header::SetResponseHeaderLayer;
use tower_http::timeout::TimeoutLayer;
use tower_http::trace::{DefaultOnResponse, TraceLayer};

pub use error::{status_of, ApiError};

/// The address `soleflip serve` binds when none is given: this machine only.
pub const DEFAULT_BIND: &str = "127.0.0.1:8080";

/// Limits applied to every request.
#[derive(Debug, Clone, Copy)]
pub struct Limits {
    /// Largest request body accepted (413 beyond).
    pub body_bytes: usize,
    /// Largest file an import upload may carry (413 beyond).
    pub upload_bytes: usize,
    /// Longest a request may take (408 beyond).
    pub timeout: Duration,
}

impl Default for Limits {
    fn default() -> Self {
        Self {
            body_bytes: 1024 * 1024,
            upload_bytes: imports::UPLOAD_LIMIT,
            timeout: Duration::from_secs(30),
        }
    }
}

/// What every handler shares.
#[derive(Debug, Clone)]
pub struct AppState {
    pub app: Arc<App>,
    /// The import jobs started through the API.
    pub jobs: imports::Jobs,
}

/// The strict content security policy of every response: the API serves JSON only.
const CSP: &str = "default-src 'none'; frame-ancestors 'none'; base-uri 'none'; form-action 'none'";

/// The whole router, with its middleware.
pub fn router(app: Arc<App>, limits: Limits) -> Router {
    let state = AppState {
        app,
        jobs: imports::Jobs::default(),
    };
    let request_id = HeaderName::from_static("x-request-id");
    let mut api = Router::new();
    for (_, path, handler) in routes::handlers() {
        let handler = if path == imports::UPLOAD_PATH || path == "/imports" {
            handler.layer(DefaultBodyLimit::max(limits.upload_bytes))
        } else {
            handler
        };
        api = api.route(path, handler);
    }
    let api = api.route_layer(axum::middleware::from_fn_with_state(
        state.clone(),
        routes::authorize,
    ));
    let routes = Router::new()
        .merge(api)
        .route("/healthz", get(healthz))
        .route("/readyz", get(readyz))
        .fallback(not_found)
        .with_state(state)
        .layer(axum::middleware::from_fn(web::html_errors));
    routes.layer(
        ServiceBuilder::new()
            .layer(SetRequestIdLayer::new(request_id.clone(), MakeRequestUuid))
            .layer(
                TraceLayer::new_for_http().make_span_with(|req: &Request<axum::body::Body>| {
                    let id = req
                        .headers()
                        .get("x-request-id")
                        .and_then(|v| v.to_str().ok())
                        .unwrap_or("-");
                    tracing::info_span!("request", id = %id, method = %req.method(), path = %req.uri().path())
                })
                // One line per answered request at info; a 500 is logged once, by the handler
                // that met the error (with its cause), not again here.
                .on_response(DefaultOnResponse::new().level(tracing::Level::INFO))
                .on_failure(()),
            )
            .layer(PropagateRequestIdLayer::new(request_id))
            .layer(SetResponseHeaderLayer::overriding(
                header::X_CONTENT_TYPE_OPTIONS,
                HeaderValue::from_static("nosniff"),
            ))
            .layer(SetResponseHeaderLayer::overriding(
                header::X_FRAME_OPTIONS,
                HeaderValue::from_static("DENY"),
            ))
            // The pages set their own policy and referrer policy (crate::web); the rest gets
            // the API's.
            .layer(SetResponseHeaderLayer::if_not_present(
                header::REFERRER_POLICY,
                HeaderValue::from_static("no-referrer"),
            ))
            .layer(SetResponseHeaderLayer::if_not_present(
                header::CONTENT_SECURITY_POLICY,
                HeaderValue::from_static(CSP),
            ))
            .layer(SetResponseHeaderLayer::if_not_present(
                header::CACHE_CONTROL,
                HeaderValue::from_static("no-store"),
            ))
            .layer(TimeoutLayer::with_status_code(
                StatusCode::REQUEST_TIMEOUT,
                limits.timeout,
            ))
            .layer(DefaultBodyLimit::max(limits.body_bytes)),
    )
}

/// Serves `router` on `listener` until `shutdown` completes; then refuses new connections and
/// lets the requests in flight and the running import jobs finish.
pub async fn serve(
    listener: tokio::net::TcpListener,
    router: Router,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    axum::serve(
        listener,
        router.into_make_service_with_connect_info::<SocketAddr>(),
    )
    .with_graceful_shutdown(shutdown)
    .await?;
    let jobs = imports::running_jobs();
    if jobs > 0 {
        tracing::info!("waiting for {jobs} import job(s) to finish");
        imports::jobs_finished().await;
    }
    Ok(())
}

/// Completes on SIGINT (Ctrl-C) or SIGTERM.
pub async fn shutdown_signal() {
    let ctrl_c = async {
        if tokio::signal::ctrl_c().await.is_err() {
            std::future::pending::<()>().await;
        }
    };
    #[cfg(unix)]
    let terminate = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let terminate = std::future::pending::<()>();
    tokio::select! {
        () = ctrl_c => {},
        () = terminate => {},
    }
    tracing::info!("shutting down: finishing the requests in flight");
}

/// A JSON body whose rejections (malformed, too large, wrong type) answer in the envelope.
#[derive(Debug, FromRequest)]
#[from_request(via(axum::Json), rejection(ApiError))]
pub struct ApiJson<T>(pub T);

impl From<axum::extract::rejection::JsonRejection> for ApiError {
    fn from(rejection: axum::extract::rejection::JsonRejection) -> Self {
        if rejection.status() == StatusCode::PAYLOAD_TOO_LARGE {
            ApiError::new(Code::TooLarge, "the request body is larger than the limit")
        } else {
            ApiError::new(Code::InvalidInput, rejection.body_text())
        }
    }
}

/// Query parameters whose rejections (missing, malformed) answer in the envelope.
#[derive(Debug, FromRequestParts)]
#[from_request(via(axum::extract::Query), rejection(ApiError))]
pub struct ApiQuery<T>(pub T);

impl From<axum::extract::rejection::QueryRejection> for ApiError {
    fn from(rejection: axum::extract::rejection::QueryRejection) -> Self {
        ApiError::new(Code::InvalidInput, rejection.body_text())
    }
}

/// `/healthz`: the process answers.
async fn healthz() -> impl IntoResponse {
    Json(serde_json::json!({ "status": "ok" }))
}

/// `/readyz`: the database is reachable and at the expected migration; else 503.
async fn readyz(State(state): State<AppState>) -> Response {
    match state.app.readiness().await {
        Ok(r) if r.ready => (StatusCode::OK, Json(r)).into_response(),
        Ok(r) => (
            StatusCode::SERVICE_UNAVAILABLE,
            Json(serde_json::json!({
                "error": {
                    "code": Code::Unavailable.as_str(),
                    "message": format!("the database is at migration {}, this server expects {}", r.version, r.expected),
                }
            })),
        )
            .into_response(),
        Err(e) => {
            tracing::warn!(error = %e, "not ready");
            ApiError::new(Code::Unavailable, "the database is not reachable").into_response()
        }
    }
}

async fn not_found() -> ApiError {
    ApiError::new(Code::NotFound, "no such route")
}
