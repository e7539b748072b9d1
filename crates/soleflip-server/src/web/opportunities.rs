//! The opportunities page (the arbitrage table: filterable, sortable, with how each offer was
//! matched) and the review queue of matches (accept with a size, reject; run the cascade), the
//! same use cases as `soleflip arbitrage list` and `soleflip match`.

use axum::extract::{Form, Path, Query, State};
use axum::http::StatusCode;
use axum::response::Response;
use maud::{html, Markup};
use serde::Deserialize;
use soleflip_app::arbitrage::{ArbitrageOptions, Opportunity, Side};
use soleflip_app::matching::{DecisionReport, MatchError, MatchStatus};
use soleflip_app::{Decimal, Uuid};

use super::{layout, page, redirect, Ctx, Reader};
use crate::AppState;

#[derive(Deserialize, Default)]
pub(super) struct Filters {
    min_profit: Option<String>,
    min_roi: Option<String>,
    level: Option<String>,
    sort: Option<String>,
}

const SORTS: [(&str, &str); 4] = [
    ("best", "Best profit"),
    ("now", "Profit if sold now"),
    ("list", "Profit if listed"),
    ("roi", "Best ROI"),
];

fn profit(s: Option<&Side>) -> Decimal {
    s.map_or(Decimal::MIN, |s| s.profit)
}

fn roi(o: &Opportunity) -> Decimal {
    [o.sell_now.as_ref(), o.list.as_ref()]
        .into_iter()
        .flatten()
        .map(|s| s.roi_pct)
        .max()
        .unwrap_or(Decimal::MIN)
}

fn side_cells(ctx: &Ctx, currency: &str, s: Option<&Side>) -> Markup {
    match s {
        Some(s) => html! {
            td.num { (ctx.loc.money(s.price, currency)) }
            td.num { (ctx.loc.money(s.payout, currency)) }
            td.num class=@if s.profit.is_sign_negative() { "loss" } {
                (ctx.loc.money(s.profit, currency)) br; small { (ctx.loc.pct(s.roi_pct)) }
            }
        },
        None => html! { td.num { "–" } td.num { "–" } td.num { "–" } },
    }
}

/// `GET /opportunities`.
pub(super) async fn opportunities_page(
    State(state): State<AppState>,
    reader: Reader,
    Query(f): Query<Filters>,
) -> Response {
    let ctx = reader.ctx("opportunities");
    let number = |t: &Option<String>| -> Result<Decimal, String> {
        match t.as_deref().map(str::trim).filter(|t| !t.is_empty()) {
            None => Ok(Decimal::ZERO),
            Some(t) => t
                .replace(',', ".")
                .parse()
                .map_err(|_| format!("`{t}` is not a number")),
        }
    };
    let sort = f.sort.as_deref().unwrap_or("best");
    let level = f.level.clone().unwrap_or_else(|| "1".into());
    let mut errors = Vec::new();
    let min_profit = number(&f.min_profit).unwrap_or_else(|e| {
        errors.push(("min_profit", e));
        Decimal::ZERO
    });
    let min_roi = number(&f.min_roi).unwrap_or_else(|e| {
        errors.push(("min_roi", e));
        Decimal::ZERO
    });
    let error_of = |field: &str| errors.iter().find(|e| e.0 == field).map(|e| e.1.clone());
    let result = if errors.is_empty() {
        Some(
            state
                .app
                .arbitrage_list(&ArbitrageOptions {
                    min_profit,
                    min_roi_pct: min_roi,
                    level: Some(level.clone()),
                    limit: 200,
                    ..ArbitrageOptions::default()
                })
                .await,
        )
    } else {
        None
    };
    let filters = html! {
        form.filters method="get" action="/opportunities" {
            div.field {
                label for="min_profit" { "Least profit (€)" }
                input id="min_profit" name="min_profit" inputmode="decimal"
                    value=[f.min_profit.as_deref()]
                    aria-invalid=[error_of("min_profit").map(|_| "true")]
                    aria-describedby=[error_of("min_profit").map(|_| "min_profit-error")];
                @if let Some(e) = error_of("min_profit") { p.error id="min_profit-error" { (e) } }
            }
            div.field {
                label for="min_roi" { "Least ROI (%)" }
                input id="min_roi" name="min_roi" inputmode="decimal" value=[f.min_roi.as_deref()]
                    aria-invalid=[error_of("min_roi").map(|_| "true")]
                    aria-describedby=[error_of("min_roi").map(|_| "min_roi-error")];
                @if let Some(e) = error_of("min_roi") { p.error id="min_roi-error" { (e) } }
            }
            div.field {
                label for="level" { "StockX seller level" }
                select id="level" name="level" {
                    @for l in ["1", "2", "3", "4", "5"] {
                        option value=(l) selected[l == level] { (l) }
                    }
                }
            }
            div.field {
                label for="sort" { "Sort by" }
                select id="sort" name="sort" {
                    @for (value, label) in SORTS {
                        option value=(value) selected[value == sort] { (label) }
                    }
                }
            }
            button type="submit" { "Show" }
        }
    };
    let body = match result {
        None => html! { section.panel { (filters) } },
        Some(Err(e)) => {
            let (status, message) = super::user_message(e);
            return page(
                status,
                layout(
                    "Opportunities",
                    &ctx,
                    html! { section.panel { (filters) p.alert role="alert" { (message) } } },
                ),
            );
        }
        Some(Ok(mut report)) => {
            match sort {
                "now" => report
                    .opportunities
                    .sort_by_key(|o| std::cmp::Reverse(profit(o.sell_now.as_ref()))),
                "list" => report
                    .opportunities
                    .sort_by_key(|o| std::cmp::Reverse(profit(o.list.as_ref()))),
                "roi" => report
                    .opportunities
                    .sort_by_key(|o| std::cmp::Reverse(roi(o))),
                _ => {}
            }
            let cur = report.currency.clone();
            html! {
                section.panel { (filters) }
                p.hint {
                    "StockX " (report.region) " level " (report.level.as_deref().unwrap_or("-"))
                    ", fees as of " (report.fee_date.format("%Y-%m-%d")) ". "
                    "Buy cost: the retailer's price incl. VAT plus delivery; reclaimable input VAT is not subtracted."
                }
                @if report.opportunities.is_empty() {
                    p { "No opportunities at these filters. Matches come from " a href="/matches" { "the review queue" } " and " code { "soleflip match run" } "." }
                } @else {
                    div.table-wrap tabindex="0" role="region" aria-label="Opportunities" {
                        table {
                            thead {
                                tr {
                                    th scope="col" { "Product and size" }
                                    th scope="col" { "Retailer" }
                                    th scope="col" { "Matched by" }
                                    th.num scope="col" { "Buy cost" }
                                    th.num scope="col" { "Highest bid" }
                                    th.num scope="col" { "Payout now" }
                                    th.num scope="col" { "Profit now" }
                                    th.num scope="col" { "Lowest ask" }
                                    th.num scope="col" { "Payout listed" }
                                    th.num scope="col" { "Profit listed" }
                                }
                            }
                            tbody {
                                @for o in &report.opportunities {
                                    tr {
                                        td { strong { (o.sku) } " " (o.product) br; small { (o.size) } }
                                        td {
                                            @match &o.offer_link {
                                                Some(link) if link.starts_with("https://") => {
                                                    a href=(link) rel="noopener noreferrer" { (o.merchant_name.as_deref().unwrap_or("Retailer")) }
                                                }
                                                _ => { (o.merchant_name.as_deref().unwrap_or("Retailer")) }
                                            }
                                            br; small { "#" (o.merchant_product_id) ", seen " (o.offer_age_hours) " h ago" }
                                        }
                                        td { (o.matched_by.replace('_', " ")) }
                                        td.num {
                                            (ctx.loc.money(o.buy_cost, &cur))
                                            @if let Some(fx) = &o.fx {
                                                br; small { (ctx.loc.money(o.retail_price + o.delivery_cost, &o.offer_currency)) " at " (fx.source.to_uppercase()) " " (fx.date.map(|d| d.format("%Y-%m-%d").to_string()).unwrap_or_default()) }
                                            }
                                        }
                                        (side_cells(&ctx, &cur, o.sell_now.as_ref()))
                                        (side_cells(&ctx, &cur, o.list.as_ref()))
                                    }
                                }
                            }
                        }
                    }
                }
            }
        }
    };
    page(StatusCode::OK, layout("Opportunities", &ctx, body))
}

#[derive(Deserialize, Default)]
pub(super) struct QueueQuery {
    status: Option<String>,
}

/// `GET /matches`: the review queue (or the matched and rejected decisions).
pub(super) async fn matches_page(
    State(state): State<AppState>,
    reader: Reader,
    Query(q): Query<QueueQuery>,
) -> Response {
    let ctx = reader.ctx("matches");
    let status = q
        .status
        .as_deref()
        .and_then(|s| s.parse::<MatchStatus>().ok())
        .unwrap_or(MatchStatus::Review);
    let page_result = state.app.match_list(Some(status), None, 200).await;
    let tabs = html! {
        nav.tabs aria-label="Match decisions" {
            @for (s, label) in [(MatchStatus::Review, "To review"), (MatchStatus::Matched, "Matched"), (MatchStatus::Rejected, "Rejected")] {
                a href={ "/matches?status=" (s.label()) } aria-current=[(s == status).then_some("page")] { (label) }
            }
        }
    };
    let body = match page_result {
        Err(e) => return super::fail_page(&ctx, e),
        Ok(p) => html! {
            (tabs)
            @if ctx.can_write() {
                form method="post" action="/matches/run" {
                    button type="submit" { "Match new offers" }
                }
            }
            @if p.matches.is_empty() {
                p { "Nothing here." }
            }
            @for m in &p.matches {
                article.panel {
                    h2 { (m.product_name.as_deref().unwrap_or("Offer")) }
                    dl.facts {
                        dt { "Retailer" } dd { (m.merchant_name.as_deref().unwrap_or("-")) " #" (m.merchant_product_id) }
                        dt { "Offer size" } dd { (m.offer_size.as_deref().unwrap_or("none given")) }
                        dt { "Catalog" } dd {
                            (m.sku.as_deref().unwrap_or("-")) " " (m.product_title.as_deref().unwrap_or(""))
                            @if let Some(k) = &m.size_key { " · " (k) }
                        }
                        dt { "How" } dd { (m.method.replace('_', " ")) }
                        @if let Some(r) = &m.reason { dt { "Why it needs you" } dd { (r) } }
                    }
                    @if ctx.can_write() && m.status != "rejected" {
                        div.actions {
                            form method="post" action={ "/matches/" (m.id) "/accept" } {
                                @if m.size_key.is_none() {
                                    div.field {
                                        label for={ "size-" (m.id) } { "Size on the brand's chart (e.g. US 9)" }
                                        input id={ "size-" (m.id) } name="size" required;
                                    }
                                }
                                button type="submit" { "Accept" }
                            }
                            form method="post" action={ "/matches/" (m.id) "/reject" } {
                                button.secondary type="submit" { "Reject" }
                            }
                        }
                    }
                }
            }
        },
    };
    page(StatusCode::OK, layout("Matches", &ctx, body))
}

/// `POST /matches/run`.
pub(super) async fn matches_run(State(state): State<AppState>, reader: Reader) -> Response {
    let result = state.app.match_run().await;
    super::audit(&state, &reader.caller, "match.run", None, &result).await;
    match result {
        Ok(_) => redirect("/matches"),
        Err(e) => super::fail_page(&reader.ctx("matches"), e),
    }
}

#[derive(Deserialize, Default)]
pub(super) struct AcceptForm {
    size: Option<String>,
}

/// `POST /matches/{id}/accept`.
pub(super) async fn match_accept(
    State(state): State<AppState>,
    reader: Reader,
    Path(id): Path<String>,
    Form(form): Form<AcceptForm>,
) -> Response {
    let Ok(uid) = id.parse::<Uuid>() else {
        return no_such_match(&reader);
    };
    let size = super::blank(&form.size);
    let by = Some(reader.caller.principal.user_id);
    let result = state.app.match_accept(uid, size, by).await;
    decided(&state, &reader, "match.accept", &id, result).await
}

/// `POST /matches/{id}/reject`.
pub(super) async fn match_reject(
    State(state): State<AppState>,
    reader: Reader,
    Path(id): Path<String>,
) -> Response {
    let Ok(uid) = id.parse::<Uuid>() else {
        return no_such_match(&reader);
    };
    let by = Some(reader.caller.principal.user_id);
    let result = state.app.match_reject(uid, by).await;
    decided(&state, &reader, "match.reject", &id, result).await
}

fn no_such_match(reader: &Reader) -> Response {
    super::message_page(
        StatusCode::NOT_FOUND,
        "Matches",
        &reader.ctx("matches"),
        "No such match.",
    )
}

/// Audits a decision on match `id` and goes back to the queue; a refusal is shown.
async fn decided(
    state: &AppState,
    reader: &Reader,
    action: &str,
    id: &str,
    result: Result<DecisionReport, MatchError>,
) -> Response {
    super::audit(state, &reader.caller, action, Some(id), &result).await;
    match result {
        Ok(_) => redirect("/matches"),
        Err(e) => super::fail_page(&reader.ctx("matches"), e),
    }
}
