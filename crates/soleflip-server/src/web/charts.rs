//! Charts drawn as inline SVG elements: no script, no inline style (the bars are sized with
//! presentation attributes in percent, the colours come from the stylesheet), each with a text
//! alternative and its figures in a table beside it.

use maud::{html, Markup};
use rust_decimal::prelude::ToPrimitive;
use rust_decimal::Decimal;

/// One bar: its label, its value, and the value as the reader should see it.
pub struct Bar {
    pub label: String,
    pub value: Decimal,
    pub shown: String,
}

const ROW: usize = 30;

/// Horizontal bars, one row each: label, bar, figure. Negative values draw in the loss colour.
pub fn bars(title: &str, items: &[Bar]) -> Markup {
    let max = items
        .iter()
        .map(|b| b.value.abs())
        .max()
        .unwrap_or_default();
    let height = items.len().max(1) * ROW;
    let summary = items
        .iter()
        .map(|b| format!("{}: {}", b.label, b.shown))
        .collect::<Vec<_>>()
        .join("; ");
    html! {
        svg.chart width="100%" height=(height) role="img" aria-label=(format!("{title}. {summary}")) {
            title { (title) }
            @if items.is_empty() {
                text x="0" y="20" class="chart-empty" { "nothing yet" }
            }
            @for (i, b) in items.iter().enumerate() {
                @let y = i * ROW;
                @let share = share_of(b.value.abs(), max) * 42.0;
                text x="0" y=(y + 19) class="chart-label" { (b.label) }
                rect x="34%" y=(y + 6) width=(format!("{share:.2}%")) height="18" rx="2"
                    class=(if b.value.is_sign_negative() { "bar bar-loss" } else { "bar" }) {}
                text x=(format!("{:.2}%", 35.0 + share)) y=(y + 19) class="chart-value" { (b.shown) }
            }
        }
    }
}

/// Columns over time (one per month) from a zero line; losses hang below it.
pub fn columns(title: &str, items: &[Bar]) -> Markup {
    const PLOT: f64 = 150.0;
    const TOP: f64 = 10.0;
    let max_pos = items
        .iter()
        .map(|b| b.value.max(Decimal::ZERO))
        .max()
        .unwrap_or_default();
    let max_neg = items
        .iter()
        .map(|b| (-b.value).max(Decimal::ZERO))
        .max()
        .unwrap_or_default();
    let span = max_pos + max_neg;
    let zero_y = TOP + PLOT * share_of(max_pos, span);
    let zero_y = if span.is_zero() { TOP + PLOT } else { zero_y };
    // At least six slots, so that one month is not one wide block.
    let n = items.len().max(6) as f64;
    let summary = items
        .iter()
        .map(|b| format!("{}: {}", b.label, b.shown))
        .collect::<Vec<_>>()
        .join("; ");
    html! {
        svg.chart width="100%" height="190" role="img" aria-label=(format!("{title}. {summary}")) {
            title { (title) }
            line x1="0" x2="100%" y1=(format!("{zero_y:.1}")) y2=(format!("{zero_y:.1}")) class="axis" {}
            @for (i, b) in items.iter().enumerate() {
                @let h = PLOT * share_of(b.value.abs(), span);
                @let y = if b.value.is_sign_negative() { zero_y } else { zero_y - h };
                @let x = (i as f64 + 0.15) / n * 100.0;
                @let w = 0.7 / n * 100.0;
                rect x=(format!("{x:.2}%")) y=(format!("{y:.1}")) width=(format!("{w:.2}%")) height=(format!("{:.1}", h.max(1.0)))
                    class=(if b.value.is_sign_negative() { "bar bar-loss" } else { "bar" }) {
                    title { (b.label) ": " (b.shown) }
                }
                text x=(format!("{:.2}%", (i as f64 + 0.5) / n * 100.0)) y="182" text-anchor="middle" class="chart-tick" {
                    (short_month(&b.label))
                }
            }
        }
    }
}

fn share_of(part: Decimal, whole: Decimal) -> f64 {
    if whole.is_zero() {
        return 0.0;
    }
    (part / whole).to_f64().unwrap_or(0.0).clamp(0.0, 1.0)
}

/// `2026-11` → `11/26` (short enough for twelve columns at 390 px).
fn short_month(label: &str) -> String {
    match label.split_once('-') {
        Some((y, m)) if y.len() == 4 => format!("{m}/{}", &y[2..]),
        _ => label.to_owned(),
    }
}
