//! The routes of the matching cascade (`/api/v1/matches...`) and of arbitrage
//! (`/api/v1/arbitrage...`): the same use cases as `soleflip match` and `soleflip arbitrage`.

use axum::extract::{Extension, Path, State};
use serde::Deserialize;
use soleflip_app::arbitrage::ArbitrageOptions;
use soleflip_app::matching::MatchStatus;
use soleflip_app::Decimal;

use crate::routes::{app_err, audited, bad, ok, uuid, ApiResult, Caller};
use crate::{ApiJson, ApiQuery, AppState};

#[derive(Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub(crate) struct MatchQuery {
    /// matched, review (the review queue) or rejected; all when absent.
    status: Option<String>,
    /// 1-500 (default 50).
    limit: Option<i64>,
    /// The `next_cursor` of the previous page.
    cursor: Option<String>,
}

pub(crate) async fn list(
    State(state): State<AppState>,
    ApiQuery(q): ApiQuery<MatchQuery>,
) -> ApiResult {
    let status = q
        .status
        .as_deref()
        .map(str::parse::<MatchStatus>)
        .transpose()
        .map_err(app_err)?;
    let page = state
        .app
        .match_list(status, q.cursor.as_deref(), q.limit.unwrap_or(50))
        .await
        .map_err(app_err)?;
    ok(page)
}

pub(crate) async fn run(
    State(state): State<AppState>,
    Extension(caller): Extension<Caller>,
) -> ApiResult {
    let result = state.app.match_run().await;
    audited(&state, &caller, "match.run", None, result).await
}

#[derive(Deserialize, Default, utoipa::ToSchema)]
pub(crate) struct AcceptBody {
    /// The size on the product's brand chart (`US 9`, `EU 42.5`), when it was in question.
    size: Option<String>,
}

pub(crate) async fn accept(
    State(state): State<AppState>,
    Extension(caller): Extension<Caller>,
    Path(id): Path<String>,
    ApiJson(body): ApiJson<AcceptBody>,
) -> ApiResult {
    let match_id = uuid("id", &id)?;
    let by = Some(caller.principal.user_id);
    let result = state
        .app
        .match_accept(match_id, body.size.as_deref(), by)
        .await;
    audited(&state, &caller, "match.accept", Some(&id), result).await
}

pub(crate) async fn reject(
    State(state): State<AppState>,
    Extension(caller): Extension<Caller>,
    Path(id): Path<String>,
) -> ApiResult {
    let match_id = uuid("id", &id)?;
    let result = state
        .app
        .match_reject(match_id, Some(caller.principal.user_id))
        .await;
    audited(&state, &caller, "match.reject", Some(&id), result).await
}

#[derive(Deserialize, Default, utoipa::IntoParams, utoipa::ToSchema)]
#[into_params(parameter_in = Query)]
pub(crate) struct ArbitrageQuery {
    /// Least profit (the better of selling now and listing), in the resale currency.
    min_profit: Option<String>,
    /// Least ROI in percent.
    min_roi: Option<String>,
    /// Seller level (default 1).
    level: Option<String>,
    /// Seller region (default EU).
    region: Option<String>,
    /// Resale currency (default EUR).
    currency: Option<String>,
    /// 1-10000 (default 50).
    limit: Option<i64>,
}

impl ArbitrageQuery {
    fn options(self, new_only: bool) -> Result<ArbitrageOptions, crate::error::ApiError> {
        let number = |field: &str, text: Option<String>| -> Result<Decimal, _> {
            match text {
                None => Ok(Decimal::ZERO),
                Some(t) => t.trim().parse().map_err(|_| bad(field, &t, "a number")),
            }
        };
        let d = ArbitrageOptions::default();
        Ok(ArbitrageOptions {
            min_profit: number("min_profit", self.min_profit)?,
            min_roi_pct: number("min_roi", self.min_roi)?,
            level: self.level.or(d.level.clone()),
            region: self.region.unwrap_or(d.region.clone()),
            currency: self.currency.unwrap_or(d.currency.clone()),
            limit: self.limit.unwrap_or(d.limit),
            new_only,
            ..d
        })
    }
}

pub(crate) async fn arbitrage(
    State(state): State<AppState>,
    ApiQuery(q): ApiQuery<ArbitrageQuery>,
) -> ApiResult {
    let options = q.options(false)?;
    ok(state.app.arbitrage_list(&options).await.map_err(app_err)?)
}

pub(crate) async fn arbitrage_new(
    State(state): State<AppState>,
    Extension(caller): Extension<Caller>,
    ApiJson(body): ApiJson<ArbitrageQuery>,
) -> ApiResult {
    let options = body.options(true)?;
    let result = state.app.arbitrage_list(&options).await;
    audited(&state, &caller, "arbitrage.new", None, result).await
}
