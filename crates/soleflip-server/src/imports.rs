//! Imports over HTTP: a file uploaded (multipart, size-limited, streamed to a private temporary
//! file), imported by the same use case as the CLI in a background job, whose state is polled
//! (`GET /api/v1/imports/jobs/{id}`) or followed as server-sent events (`…/events`). The job
//! is one transaction like the CLI's: it commits whole or not at all, also when the server
//! stops during it.

use std::collections::HashMap;
use std::convert::Infallible;
use std::path::PathBuf;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::extract::{Extension, Multipart, Path, State};
use axum::http::StatusCode;
use axum::response::sse::{Event, KeepAlive, Sse};
use axum::response::{IntoResponse, Response};
use axum::Json;
use serde::Serialize;
use soleflip_app::auth::Outcome;
use soleflip_app::imports::{AliasOptions, Progress};
use soleflip_app::Code;
use tokio::io::AsyncWriteExt;
use tokio::sync::{watch, Notify};
use uuid::Uuid;

use crate::error::{ApiError, ErrorBody};
use crate::routes::Caller;
use crate::AppState;

/// The largest file an upload may carry (a year of StockX sales is about 2 MB; a large AWIN
/// feed a few hundred).
pub const UPLOAD_LIMIT: usize = 512 * 1024 * 1024;

/// What can be imported: the CLI's `import` subcommands.
const KINDS: [&str; 5] = ["stockx-sales", "alias-sales", "purchases", "awin", "fx"];

/// The upload route, which gets `Limits::upload_bytes` instead of the body limit of the others.
pub const UPLOAD_PATH: &str = "/api/v1/imports/{kind}";

/// How many finished jobs are kept for polling (the oldest go first).
const KEEP_FINISHED: usize = 200;

/// Import jobs running in this process, and the signal that the last one ended: a server that
/// stops lets them finish (each is one transaction and would otherwise be rolled back).
static RUNNING: AtomicUsize = AtomicUsize::new(0);
static IDLE: Notify = Notify::const_new();

/// The number of import jobs running in this process.
pub fn running_jobs() -> usize {
    RUNNING.load(Ordering::SeqCst)
}

/// Waits until no import job runs in this process.
pub async fn jobs_finished() {
    loop {
        let idle = IDLE.notified();
        if running_jobs() == 0 {
            return;
        }
        idle.await;
    }
}

/// Counts a running job for as long as it lives.
struct Running;

impl Running {
    fn start() -> Running {
        RUNNING.fetch_add(1, Ordering::SeqCst);
        Running
    }
}

impl Drop for Running {
    fn drop(&mut self) {
        if RUNNING.fetch_sub(1, Ordering::SeqCst) == 1 {
            IDLE.notify_waiters();
        }
    }
}

/// What an import job is doing, as polled or streamed.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct JobState {
    pub id: Uuid,
    /// `stockx-sales`, `alias-sales` or `purchases`.
    pub kind: String,
    pub file: String,
    /// `running`, `done` or `failed`.
    pub status: &'static str,
    pub bytes_read: u64,
    pub bytes_total: u64,
    pub lines_read: u64,
    /// The merge step running, once the file is read.
    pub step: Option<&'static str>,
    /// The importer's report (the CLI's `--format json`), when done.
    #[schema(value_type = Object)]
    pub report: Option<serde_json::Value>,
    /// Why it failed (the error envelope's body), when failed.
    pub error: Option<ErrorBody>,
}

/// The running and recently finished jobs of this server.
#[derive(Debug, Clone, Default)]
pub struct Jobs {
    inner: Arc<Mutex<JobMap>>,
}

#[derive(Debug, Default)]
struct JobMap {
    jobs: HashMap<Uuid, watch::Receiver<JobState>>,
    order: Vec<Uuid>,
}

impl Jobs {
    fn add(&self, id: Uuid, rx: watch::Receiver<JobState>) {
        if let Ok(mut map) = self.inner.lock() {
            map.jobs.insert(id, rx);
            map.order.push(id);
            if map.order.len() > KEEP_FINISHED {
                let finished: Vec<Uuid> = map
                    .order
                    .iter()
                    .copied()
                    .filter(|j| {
                        map.jobs
                            .get(j)
                            .is_some_and(|rx| rx.borrow().status != "running")
                    })
                    .take(map.order.len() - KEEP_FINISHED)
                    .collect();
                for j in finished {
                    map.jobs.remove(&j);
                    map.order.retain(|o| *o != j);
                }
            }
        }
    }

    fn get(&self, id: Uuid) -> Option<watch::Receiver<JobState>> {
        self.inner
            .lock()
            .ok()
            .and_then(|m| m.jobs.get(&id).cloned())
    }
}

fn not_found(id: Uuid) -> ApiError {
    ApiError::new(Code::NotFound, format!("no import job {id}"))
}

fn job_id(text: &str) -> Result<Uuid, ApiError> {
    Uuid::parse_str(text)
        .map_err(|_| ApiError::new(Code::InvalidInput, format!("id: {text:?} is not a job id")))
}

/// The form fields of an upload besides the file.
#[derive(Debug, Default)]
struct Fields {
    /// The import, when the path does not name it (the web page's form).
    kind: Option<String>,
    dry_run: bool,
    /// AWIN: the file is the merchants' full feed.
    full: bool,
    region: Option<String>,
    level: Option<String>,
    price_unit: Option<String>,
}

/// `POST /api/v1/imports/{kind}`: the multipart field `file`, and `dry_run`, and for Alias
/// `region`, `level`, `price_unit`. Answers 202 with the job.
pub async fn upload(
    State(state): State<AppState>,
    Extension(caller): Extension<Caller>,
    Path(kind): Path<String>,
    form: Multipart,
) -> Result<Response, ApiError> {
    if !KINDS.contains(&kind.as_str()) {
        return Err(ApiError::new(
            Code::NotFound,
            format!("kind: {kind:?} is not an import ({})", KINDS.join(", ")),
        ));
    }
    let job = start(&state, &caller, Some(kind), form).await?;
    Ok((StatusCode::ACCEPTED, Json(job)).into_response())
}

/// The state of a job now, if this server knows it.
pub(crate) fn job(state: &AppState, id: Uuid) -> Option<JobState> {
    state.jobs.get(id).map(|rx| rx.borrow().clone())
}

/// Reads an upload (the file, and the fields; `kind` among them when the path does not give
/// it) and starts its import job.
pub(crate) async fn start(
    state: &AppState,
    caller: &Caller,
    kind: Option<String>,
    mut form: Multipart,
) -> Result<JobState, ApiError> {
    let dir = tempfile::tempdir().map_err(ApiError::from_app)?;
    let mut file: Option<(String, PathBuf)> = None;
    let mut fields = Fields::default();
    let bad_form = |e: axum::extract::multipart::MultipartError| {
        if e.status() == StatusCode::PAYLOAD_TOO_LARGE {
            ApiError::new(
                Code::TooLarge,
                "file: larger than this server's upload limit".to_owned(),
            )
        } else {
            ApiError::new(Code::InvalidInput, format!("the upload: {}", e.body_text()))
        }
    };
    while let Some(mut field) = form.next_field().await.map_err(bad_form)? {
        let name = field.name().unwrap_or_default().to_owned();
        if name == "file" {
            let original = field
                .file_name()
                .map(|n| n.rsplit(['/', '\\']).next().unwrap_or(n).to_owned())
                .filter(|n| !n.is_empty())
                .unwrap_or_else(|| "upload.csv".to_owned());
            let path = dir.path().join(&original);
            let mut out = tokio::fs::File::create(&path)
                .await
                .map_err(ApiError::from_app)?;
            while let Some(chunk) = field.chunk().await.map_err(bad_form)? {
                out.write_all(&chunk).await.map_err(ApiError::from_app)?;
            }
            out.flush().await.map_err(ApiError::from_app)?;
            file = Some((original, path));
        } else {
            let value = field.text().await.map_err(bad_form)?;
            let value = value.trim().to_owned();
            match name.as_str() {
                "kind" => fields.kind = Some(value),
                "dry_run" => fields.dry_run = matches!(value.as_str(), "true" | "1" | "on"),
                "full" => fields.full = matches!(value.as_str(), "true" | "1" | "on"),
                "region" => fields.region = Some(value),
                "level" => fields.level = Some(value),
                "price_unit" => fields.price_unit = Some(value),
                other => {
                    return Err(ApiError::new(
                        Code::InvalidInput,
                        format!("{other}: not a field of an import upload"),
                    ))
                }
            }
        }
    }
    let kind = kind.or(fields.kind.take()).unwrap_or_default();
    if !KINDS.contains(&kind.as_str()) {
        return Err(ApiError::new(
            Code::InvalidInput,
            format!("kind: {kind:?} is not an import ({})", KINDS.join(", ")),
        ));
    }
    let Some((name, path)) = file else {
        return Err(ApiError::new(
            Code::InvalidInput,
            "file: missing (send the file as the multipart field `file`)",
        ));
    };
    let price_unit = fields
        .price_unit
        .as_deref()
        .map(str::parse)
        .transpose()
        .map_err(|e: String| ApiError::new(Code::InvalidInput, e))?;
    let id = Uuid::new_v4();
    let start = JobState {
        id,
        kind: kind.clone(),
        file: name.clone(),
        status: "running",
        bytes_read: 0,
        bytes_total: 0,
        lines_read: 0,
        step: None,
        report: None,
        error: None,
    };
    let (tx, rx) = watch::channel(start.clone());
    state.jobs.add(id, rx);
    let app = state.app.clone();
    let actor = caller.actor();
    let running = Running::start();
    tokio::spawn(async move {
        let _running = running;
        let _keep = dir;
        let progress = |p: Progress| {
            tx.send_modify(|s| match p {
                Progress::Read {
                    bytes,
                    total,
                    lines,
                } => {
                    s.bytes_read = bytes;
                    s.bytes_total = total;
                    s.lines_read = lines;
                }
                Progress::Merge(step) => s.step = Some(step),
            });
        };
        let result = match kind.as_str() {
            "stockx-sales" => app
                .import_stockx_sales(&path, fields.dry_run, &progress)
                .await
                .map(to_json)
                .map_err(ApiError::from_app),
            "alias-sales" => {
                let options = AliasOptions {
                    region: fields.region,
                    level: fields.level,
                    price_unit,
                };
                app.import_alias_sales(&path, &options, fields.dry_run, &progress)
                    .await
                    .map(to_json)
                    .map_err(ApiError::from_app)
            }
            "purchases" => app
                .import_purchases(&path, fields.dry_run, &progress)
                .await
                .map(to_json)
                .map_err(ApiError::from_app),
            "awin" => {
                let mut rows = |lines: u64| tx.send_modify(|s| s.lines_read = lines);
                let options = soleflip_app::awin::AwinOptions {
                    dry_run: fields.dry_run,
                    full: fields.full,
                };
                app.import_awin(&path, options, &mut rows)
                    .await
                    .map(to_json)
                    .map_err(ApiError::from_app)
            }
            _ => app
                .import_fx(&path)
                .await
                .map(to_json)
                .map_err(ApiError::from_app),
        };
        let outcome = match &result {
            Ok(_) => Outcome::Ok,
            Err(e) if e.code == Code::Unexpected => Outcome::Failed,
            Err(_) => Outcome::Refused,
        };
        let detail = result.as_ref().err().map(|e| e.code.as_str());
        let _ = app
            .audit(
                &actor,
                &format!("import {kind}"),
                Some(&name),
                outcome,
                detail,
            )
            .await;
        tx.send_modify(|s| match result {
            Ok(report) => {
                s.status = "done";
                s.step = None;
                s.report = Some(report);
            }
            Err(api) => {
                s.status = "failed";
                s.error = Some(ErrorBody {
                    code: api.code.as_str().to_owned(),
                    message: api.message,
                });
            }
        });
    });
    Ok(start)
}

/// An importer's report as JSON (the CLI's `--format json`).
fn to_json<T: Serialize>(report: T) -> serde_json::Value {
    serde_json::to_value(report).unwrap_or(serde_json::Value::Null)
}

/// `GET /api/v1/imports/jobs/{id}`: the job's state now.
pub async fn status(
    State(state): State<AppState>,
    Path(id): Path<String>,
) -> Result<Response, ApiError> {
    let id = job_id(&id)?;
    let rx = state.jobs.get(id).ok_or_else(|| not_found(id))?;
    let now = rx.borrow().clone();
    Ok(Json(now).into_response())
}

/// `GET /api/v1/imports/jobs/{id}/events`: server-sent events, one `progress` event per change
/// (at most ten a second) and a last `done` or `failed` event with the whole state.
pub async fn events(
    State(state): State<AppState>,
    Path(id): Path<String>,
) -> Result<Response, ApiError> {
    let id = job_id(&id)?;
    let rx = state.jobs.get(id).ok_or_else(|| not_found(id))?;
    let stream =
        futures_util::stream::unfold((rx, false, true), |(mut rx, finished, first)| async move {
            if finished {
                return None;
            }
            if !first {
                tokio::time::sleep(Duration::from_millis(100)).await;
                if rx.changed().await.is_err() && rx.borrow().status == "running" {
                    return None;
                }
            }
            let now = rx.borrow_and_update().clone();
            let name = match now.status {
                "running" => "progress",
                other => other,
            };
            let done = now.status != "running";
            let event = Event::default()
                .event(name)
                .json_data(&now)
                .unwrap_or_else(|_| Event::default().event(name));
            Some((Ok::<_, Infallible>(event), (rx, done, false)))
        });
    Ok(Sse::new(stream)
        .keep_alive(KeepAlive::default())
        .into_response())
}

#[derive(Debug, Default, serde::Deserialize, utoipa::ToSchema)]
pub struct StockxSyncBody {
    /// orders: the first day to fetch (YYYY-MM-DD).
    from: Option<String>,
    /// catalog: one style code.
    sku: Option<String>,
    /// catalog: one GTIN.
    gtin: Option<String>,
    /// catalog: `inventory` (the style codes in stock) or `offers` (GTINs of retail offers no
    /// variant has yet).
    source: Option<String>,
}

/// `POST /api/v1/stockx/sync/{kind}` (catalog, prices, orders, listings): the same sync as
/// `soleflip stockx sync KIND`, run as a job of this server (a sync waits for StockX's request
/// budget, so it outlives a request); 202 with the job, polled or followed like an import's.
pub async fn stockx_sync(
    State(state): State<AppState>,
    Extension(caller): Extension<Caller>,
    axum::extract::Path(kind): axum::extract::Path<String>,
    crate::ApiJson(body): crate::ApiJson<StockxSyncBody>,
) -> Result<Response, ApiError> {
    use soleflip_app::stockx::catalog::CatalogSource;
    use soleflip_app::stockx::StockxSettings;
    let invalid = |m: String| ApiError::new(Code::InvalidInput, m);
    let settings = StockxSettings::from_env().map_err(ApiError::from_app)?;
    let from = body
        .from
        .as_deref()
        .map(|t| soleflip_app::ledger::parse_date("from", t))
        .transpose()
        .map_err(ApiError::from_app)?;
    /// The sync a request names, checked before the job starts.
    enum Sync {
        Catalog(CatalogSource),
        Prices,
        Orders,
        Listings,
    }
    let sync = match (kind.as_str(), &body.sku, &body.gtin, body.source.as_deref()) {
        ("catalog", Some(s), None, None) => Sync::Catalog(CatalogSource::Sku(s.clone())),
        ("catalog", None, Some(g), None) => Sync::Catalog(CatalogSource::Gtin(g.clone())),
        ("catalog", None, None, Some("inventory")) => Sync::Catalog(CatalogSource::FromInventory),
        ("catalog", None, None, Some("offers")) => Sync::Catalog(CatalogSource::FromOffers),
        ("catalog", ..) => {
            return Err(invalid(
                "catalog: give exactly one of sku, gtin or source (inventory, offers)".into(),
            ))
        }
        ("prices", ..) => Sync::Prices,
        ("orders", ..) => Sync::Orders,
        ("listings", ..) => Sync::Listings,
        (other, ..) => {
            return Err(invalid(format!(
                "kind: `{other}` is not a StockX sync (catalog, prices, orders, listings)"
            )))
        }
    };
    let id = Uuid::new_v4();
    let start = JobState {
        id,
        kind: format!("stockx-{kind}"),
        file: String::new(),
        status: "running",
        bytes_read: 0,
        bytes_total: 0,
        lines_read: 0,
        step: None,
        report: None,
        error: None,
    };
    let (tx, rx) = watch::channel(start.clone());
    state.jobs.add(id, rx);
    let app = state.app.clone();
    let actor = caller.actor();
    let running = Running::start();
    // The syncs' futures are not Send (their statements borrow across awaits), so the job runs
    // them on a blocking thread of its own, as the other such use cases (routes::off_thread).
    let handle = tokio::runtime::Handle::current();
    tokio::task::spawn_blocking(move || {
        let _running = running;
        let result = handle
            .block_on(async {
                match sync {
                    Sync::Prices => app.stockx_sync_prices(&settings).await.map(to_json),
                    Sync::Orders => app.stockx_sync_orders(&settings, from).await.map(to_json),
                    Sync::Listings => app.stockx_sync_listings(&settings).await.map(to_json),
                    Sync::Catalog(source) => app
                        .stockx_sync_catalog(&settings, &source)
                        .await
                        .map(to_json),
                }
            })
            .map_err(ApiError::from_app);
        let outcome = match &result {
            Ok(_) => Outcome::Ok,
            Err(e) if e.code == Code::Unexpected => Outcome::Failed,
            Err(_) => Outcome::Refused,
        };
        let detail = result.as_ref().err().map(|e| e.code.as_str());
        let _ = handle.block_on(app.audit(
            &actor,
            &format!("stockx sync {kind}"),
            None,
            outcome,
            detail,
        ));
        tx.send_modify(|s| match result {
            Ok(report) => {
                s.status = "done";
                s.report = Some(report);
            }
            Err(api) => {
                s.status = "failed";
                s.error = Some(ErrorBody {
                    code: api.code.as_str().to_owned(),
                    message: api.message,
                });
            }
        });
    });
    Ok((StatusCode::ACCEPTED, Json(start)).into_response())
}

/// `GET /api/v1/stockx/status`: whether StockX is connected (never a secret), the request
/// budget's window and the sync jobs, as `soleflip stockx status`.
pub async fn stockx_status(State(state): State<AppState>) -> Result<Response, ApiError> {
    let settings = soleflip_app::stockx::StockxSettings::from_env().map_err(ApiError::from_app)?;
    let report = state
        .app
        .stockx_status(&settings)
        .await
        .map_err(ApiError::from_app)?;
    Ok(Json(report).into_response())
}
