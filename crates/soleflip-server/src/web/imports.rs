//! The imports page: upload a StockX report, an Alias export, a purchase list, an AWIN feed or
//! an ECB rate file; the import runs as the API's job (the same use case as the CLI), and its
//! page shows the progress (reloading itself each second while it runs, with the page's one
//! script; a Refresh link without it) and then the report with the rejected lines.

use axum::extract::{Multipart, Path, State};
use axum::http::StatusCode;
use axum::response::Response;
use maud::{html, Markup};

use super::{layout, page, redirect, Reader};
use crate::imports::{self as jobs, JobState};
use crate::{status_of, AppState};

const KINDS: [(&str, &str); 5] = [
    ("stockx-sales", "StockX seller sales report (CSV)"),
    ("alias-sales", "Alias sales export (CSV)"),
    ("purchases", "Purchase list (CSV)"),
    ("awin", "AWIN retail feed (CSV, gzip or JSONL)"),
    ("fx", "ECB reference rates (CSV)"),
];

fn form(error: Option<&str>) -> Markup {
    html! {
        section.panel {
            @if let Some(e) = error {
                p.alert role="alert" { (e) }
            }
            form method="post" action="/imports" enctype="multipart/form-data" {
                div.field {
                    label for="kind" { "What the file is" }
                    select id="kind" name="kind" {
                        @for (value, label) in KINDS {
                            option value=(value) { (label) }
                        }
                    }
                }
                div.field {
                    label for="file" { "File" }
                    input id="file" name="file" type="file" required;
                }
                div.field {
                    label for="region" { "Alias only: the country you ship from (e.g. DE)" }
                    input id="region" name="region" type="text" maxlength="2";
                }
                div.field {
                    label {
                        input name="dry_run" type="checkbox" value="true";
                        " Dry run: check everything and report, keep nothing"
                    }
                }
                button type="submit" { "Import" }
            }
        }
    }
}

/// `GET /imports`.
pub(super) async fn imports_page(reader: Reader) -> Response {
    let ctx = reader.ctx("imports");
    page(StatusCode::OK, layout("Import a file", &ctx, form(None)))
}

/// `POST /imports`: starts the job and shows its page.
pub(super) async fn imports_submit(
    State(state): State<AppState>,
    reader: Reader,
    upload: Multipart,
) -> Response {
    let ctx = reader.ctx("imports");
    match jobs::start(&state, &reader.caller, None, upload).await {
        Ok(job) => redirect(&format!("/imports/{}", job.id)),
        Err(e) => page(
            status_of(e.code),
            layout("Import a file", &ctx, form(Some(&e.message))),
        ),
    }
}

fn number(v: &serde_json::Value, key: &str) -> String {
    v.get(key).map_or_else(String::new, |n| n.to_string())
}

fn report(job: &JobState) -> Markup {
    let Some(r) = &job.report else {
        return html! {};
    };
    let rejected: Vec<(String, String)> = r["rejected_lines"]
        .as_array()
        .map(|lines| {
            lines
                .iter()
                .map(|l| {
                    (
                        l["line"].to_string(),
                        l["reason"].as_str().unwrap_or_default().to_owned(),
                    )
                })
                .collect()
        })
        .unwrap_or_default();
    html! {
        dl.facts {
            dt { "Lines read" } dd { (number(r, "rows_read")) }
            @if r.get("imported").is_some() {
                dt { "Imported" } dd { (number(r, "imported")) }
                dt { "Already present" } dd { (number(r, "already_present")) }
            }
            dt { "Rejected" } dd { (number(r, "rejected")) }
        }
        @if !rejected.is_empty() {
            h2 { "Rejected lines" }
            div.table-wrap tabindex="0" role="region" aria-label="Rejected lines" {
                table {
                    thead { tr { th scope="col" { "Line" } th scope="col" { "Why" } } }
                    tbody {
                        @for (line, why) in &rejected {
                            tr { td { (line) } td { (why) } }
                        }
                    }
                }
            }
        }
    }
}

/// `GET /imports/{id}`: the job's progress, then its report.
pub(super) async fn job_page(
    State(state): State<AppState>,
    reader: Reader,
    Path(id): Path<String>,
) -> Response {
    let ctx = reader.ctx("imports");
    let Some(job) = id.parse().ok().and_then(|id| jobs::job(&state, id)) else {
        return page(
            StatusCode::NOT_FOUND,
            layout(
                "Import",
                &ctx,
                html! { p.alert role="alert" { "No such import (jobs are kept until the server restarts)." } },
            ),
        );
    };
    let body = html! {
        section.panel data-refresh=[(job.status == "running").then_some("1")] {
            p { "File: " strong { (job.file) } " (" (job.kind) ")" }
            @match job.status {
                "running" => {
                    p role="status" {
                        "Running: " (job.lines_read) " lines read"
                        @if job.bytes_total > 0 {
                            " (" (job.bytes_read * 100 / job.bytes_total.max(1)) " %)"
                        }
                        @if let Some(step) = job.step { ", merging: " (step) }
                    }
                    p { a href={ "/imports/" (job.id) } { "Refresh" } }
                }
                "done" => {
                    p role="status" { "Done." }
                    (report(&job))
                }
                _ => {
                    p.alert role="alert" {
                        "Failed: " (job.error.as_ref().map_or("", |e| e.message.as_str()))
                    }
                }
            }
            p { a href="/imports" { "Import another file" } }
        }
    };
    page(StatusCode::OK, layout("Import", &ctx, body))
}
