//! Fee schedule rows: the CSV format of `data/fees/*.csv`, its loader and its checks.

use std::fmt;

use chrono::NaiveDate;
use rust_decimal::Decimal;
use serde::Serialize;

use crate::money::{parse_decimal, Currency, Money};

/// The header every schedule file starts with.
pub const HEADER: &str = "platform,region,level,kind,value,currency,condition,effective_from,effective_to,confidence,source_url,verified_at,notes";

/// What a schedule row charges.
#[derive(Clone, Copy, PartialEq, Eq, Hash, Debug, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum ComponentKind {
    /// The platform's commission: `value` % of the sale price (a `transaction_fee` line).
    TransactionPct,
    /// Payment processing: `value` % of the sale price (a `payment_processing` line).
    ProcessingPct,
    /// A regulatory or other levy: `value` % of the sale price (an `other` line).
    RegulatoryPct,
    /// A fixed fee per sale, e.g. GOAT's location-based seller fee (an `other` line).
    SellerFeeFixed,
    /// The least the transaction fee may be; the shortfall is a `minimum_fee_topup` line.
    MinimumSellerFee,
    /// `value` % of what is left after every other fee, taken when it is cashed out
    /// (a `cash_out` line).
    CashOutPct,
}

impl ComponentKind {
    const ALL: [ComponentKind; 6] = [
        ComponentKind::TransactionPct,
        ComponentKind::ProcessingPct,
        ComponentKind::RegulatoryPct,
        ComponentKind::SellerFeeFixed,
        ComponentKind::MinimumSellerFee,
        ComponentKind::CashOutPct,
    ];

    /// The label used in the CSV.
    pub const fn label(self) -> &'static str {
        match self {
            ComponentKind::TransactionPct => "transaction_pct",
            ComponentKind::ProcessingPct => "processing_pct",
            ComponentKind::RegulatoryPct => "regulatory_pct",
            ComponentKind::SellerFeeFixed => "seller_fee_fixed",
            ComponentKind::MinimumSellerFee => "minimum_seller_fee",
            ComponentKind::CashOutPct => "cash_out_pct",
        }
    }

    /// True for a percentage; false for an amount in the row's currency.
    pub const fn is_pct(self) -> bool {
        !matches!(
            self,
            ComponentKind::SellerFeeFixed | ComponentKind::MinimumSellerFee
        )
    }
}

/// How sure a row is, best first (the order is meaningful: a quote reports its weakest).
#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Debug, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Confidence {
    /// Read on the platform's own page.
    Published,
    /// From a third party (press, calculators), or derived from one.
    Reported,
    /// Derived from real data (a platform's own reports), not stated anywhere.
    Inferred,
    /// Carried over from elsewhere for lack of a source; use with care.
    Assumed,
}

impl Confidence {
    const ALL: [Confidence; 4] = [
        Confidence::Published,
        Confidence::Reported,
        Confidence::Inferred,
        Confidence::Assumed,
    ];

    /// The label used in the CSV.
    pub const fn label(self) -> &'static str {
        match self {
            Confidence::Published => "published",
            Confidence::Reported => "reported",
            Confidence::Inferred => "inferred",
            Confidence::Assumed => "assumed",
        }
    }
}

/// The regions a row applies to.
#[derive(Clone, PartialEq, Eq, Debug, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Regions {
    /// `*`: every region; a row naming the region wins over it for the same kind.
    Any,
    /// Two-letter codes (ISO 3166 countries, or `EU`).
    Listed(Vec<String>),
}

impl Regions {
    /// True when `region` is listed (never for [`Regions::Any`]).
    pub fn names(&self, region: &str) -> bool {
        matches!(self, Regions::Listed(list) if list.iter().any(|r| r == region))
    }

    fn overlaps(&self, other: &Regions) -> bool {
        match (self, other) {
            (Regions::Any, Regions::Any) => true,
            (Regions::Listed(a), Regions::Listed(b)) => a.iter().any(|r| b.contains(r)),
            _ => false,
        }
    }
}

/// A comparison of the sale price with an amount in the row's currency.
#[derive(Clone, Copy, PartialEq, Eq, Debug, Serialize)]
pub struct Condition {
    /// `>=`, `>`, `<=` or `<`.
    pub op: &'static str,
    /// The amount compared with.
    pub amount: Decimal,
}

impl Condition {
    /// True when `price` satisfies it.
    pub fn holds(&self, price: Decimal) -> bool {
        match self.op {
            ">=" => price >= self.amount,
            ">" => price > self.amount,
            "<=" => price <= self.amount,
            _ => price < self.amount,
        }
    }
}

impl fmt::Display for Condition {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "price{}{}", self.op, self.amount)
    }
}

/// Where a row comes from: `stockx.csv:7` (1-based line, the header is line 1).
#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Debug, Serialize)]
pub struct RowRef {
    /// The file under `data/fees/`.
    pub file: &'static str,
    /// The line in it.
    pub line: usize,
}

impl fmt::Display for RowRef {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}:{}", self.file, self.line)
    }
}

/// One row of a schedule file.
#[derive(Clone, PartialEq, Eq, Debug, Serialize)]
pub struct ScheduleRow {
    /// Where it was read.
    pub at: RowRef,
    /// Lowercase platform name (`stockx`).
    pub platform: String,
    /// The seller's region(s).
    pub regions: Regions,
    /// The seller level or tier; `None` is `*` (every level).
    pub level: Option<String>,
    /// What it charges.
    pub kind: ComponentKind,
    /// A percentage (`9` is 9 %) or an amount in `currency`.
    pub value: Decimal,
    /// Required for amounts; on a percentage it restricts the row to prices in it.
    pub currency: Option<Currency>,
    /// Applies only when the price satisfies it.
    pub condition: Option<Condition>,
    /// First day in force.
    #[serde(serialize_with = "iso_date")]
    pub effective_from: NaiveDate,
    /// Last day in force (inclusive); `None`: still in force.
    #[serde(serialize_with = "iso_date_opt")]
    pub effective_to: Option<NaiveDate>,
    /// How sure the row is.
    pub confidence: Confidence,
    /// Where the fact comes from (`https://…`, or `docs/…` for a rule of our own).
    pub source_url: String,
    /// When the row was last checked against its source.
    #[serde(serialize_with = "iso_date")]
    pub verified_at: NaiveDate,
    /// Evidence, caveats.
    pub notes: String,
}

impl ScheduleRow {
    /// True when the row is in force on `date`.
    pub fn in_force(&self, date: NaiveDate) -> bool {
        self.effective_from <= date && self.effective_to.is_none_or(|to| date <= to)
    }

    fn overlaps_in_time(&self, other: &ScheduleRow) -> bool {
        let starts_before_other_ends = other
            .effective_to
            .is_none_or(|to| self.effective_from <= to);
        let other_starts_before_end = self
            .effective_to
            .is_none_or(|to| other.effective_from <= to);
        starts_before_other_ends && other_starts_before_end
    }
}

/// Writes a date as `YYYY-MM-DD` (chrono's serde feature is not enabled in the workspace).
pub fn iso_date<S: serde::Serializer>(date: &NaiveDate, s: S) -> Result<S::Ok, S::Error> {
    s.collect_str(date)
}

/// [`iso_date`] of an optional date (`null` when absent).
pub fn iso_date_opt<S: serde::Serializer>(
    date: &Option<NaiveDate>,
    s: S,
) -> Result<S::Ok, S::Error> {
    match date {
        Some(date) => s.collect_str(date),
        None => s.serialize_none(),
    }
}

/// A schedule file that does not load, naming the file, line and field. The embedded files are
/// loaded by the tests, so this reaches no user unless a broken file is committed.
#[derive(Clone, PartialEq, Eq, Debug, thiserror::Error)]
#[error("fee schedule {file} line {line}: {field}: {reason}")]
pub struct ScheduleError {
    /// The file name under `data/fees/`.
    pub file: String,
    /// 1-based line (0: the schedule as a whole).
    pub line: usize,
    /// The column at fault (or `row`).
    pub field: String,
    /// What is wrong.
    pub reason: String,
}

/// Splits one CSV line: `,` separated, a field may be double-quoted with `""` for a quote.
fn split_csv_line(line: &str) -> Result<Vec<String>, String> {
    let mut fields = Vec::new();
    let mut field = String::new();
    let mut chars = line.chars().peekable();
    let mut quoted = false;
    let mut at_start = true;
    while let Some(c) = chars.next() {
        match (quoted, c) {
            (false, '"') if at_start => {
                quoted = true;
                at_start = false;
            }
            (false, '"') => return Err("a quote inside an unquoted field".into()),
            (true, '"') if chars.peek() == Some(&'"') => {
                chars.next();
                field.push('"');
            }
            (true, '"') => {
                quoted = false;
                if !matches!(chars.peek(), None | Some(',')) {
                    return Err("text after a closing quote".into());
                }
            }
            (false, ',') => {
                fields.push(std::mem::take(&mut field));
                at_start = true;
            }
            (_, other) => {
                field.push(other);
                at_start = false;
            }
        }
    }
    if quoted {
        return Err("an unclosed quote".into());
    }
    fields.push(field);
    Ok(fields)
}

fn date(text: &str) -> Result<NaiveDate, String> {
    NaiveDate::parse_from_str(text, "%Y-%m-%d")
        .map_err(|_| format!("`{text}` is not a date (YYYY-MM-DD)"))
}

fn is_region_code(code: &str) -> bool {
    code.len() == 2 && code.bytes().all(|b| b.is_ascii_uppercase())
}

/// Parses one schedule file (`file` names it in errors). Every row must name its source.
pub fn parse_file(file: &'static str, text: &str) -> Result<Vec<ScheduleRow>, ScheduleError> {
    let fail = |line: usize, field: &str, reason: String| ScheduleError {
        file: file.to_owned(),
        line,
        field: field.to_owned(),
        reason,
    };
    let mut lines = text.lines().enumerate();
    match lines.next() {
        Some((_, header)) if header == HEADER => {}
        _ => return Err(fail(1, "header", format!("must be `{HEADER}`"))),
    }
    let mut rows = Vec::new();
    for (index, line) in lines {
        let at = index + 1;
        if line.trim().is_empty() {
            continue;
        }
        let cells = split_csv_line(line).map_err(|reason| fail(at, "row", reason))?;
        let [platform, region, level, kind, value, currency, condition, from, to, confidence, source_url, verified_at, notes]: [String; 13] =
            cells.try_into().map_err(|cells: Vec<String>| {
                fail(at, "row", format!("{} columns, expected 13", cells.len()))
            })?;
        let platform_ok = !platform.is_empty()
            && platform
                .bytes()
                .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_');
        if !platform_ok {
            return Err(fail(
                at,
                "platform",
                format!("`{platform}` is not a lowercase name"),
            ));
        }
        let regions = if region == "*" {
            Regions::Any
        } else {
            let list: Vec<String> = region.split('|').map(str::to_owned).collect();
            if let Some(bad) = list.iter().find(|code| !is_region_code(code)) {
                return Err(fail(
                    at,
                    "region",
                    format!("`{bad}` is not `*` or a two-letter code"),
                ));
            }
            Regions::Listed(list)
        };
        let level = match level.as_str() {
            "*" => None,
            "" => {
                return Err(fail(
                    at,
                    "level",
                    "empty (write `*` for every level)".into(),
                ))
            }
            named => Some(named.to_owned()),
        };
        let kind = ComponentKind::ALL
            .into_iter()
            .find(|k| k.label() == kind)
            .ok_or_else(|| fail(at, "kind", format!("`{kind}` is not a component kind")))?;
        let currency = match currency.as_str() {
            "" => None,
            code => Some(
                Currency::parse("currency", code)
                    .map_err(|e| fail(at, "currency", e.to_string()))?,
            ),
        };
        let value = parse_decimal("value", &value)
            .map_err(|e| fail(at, "value", e.to_string()))?
            .value;
        if value.is_sign_negative() && !value.is_zero() {
            return Err(fail(at, "value", format!("{value} is negative")));
        }
        if kind.is_pct() {
            if value > Decimal::ONE_HUNDRED {
                return Err(fail(at, "value", format!("{value} % is more than 100 %")));
            }
        } else {
            let Some(code) = currency else {
                return Err(fail(
                    at,
                    "currency",
                    format!("required for {}", kind.label()),
                ));
            };
            Money::new("value", value, code).map_err(|e| fail(at, "value", e.to_string()))?;
        }
        let condition = match condition.as_str() {
            "" => None,
            text => {
                let rest = text.strip_prefix("price").ok_or_else(|| {
                    fail(at, "condition", format!("`{text}` must start with `price`"))
                })?;
                let (op, amount) = [">=", "<=", ">", "<"]
                    .into_iter()
                    .find_map(|op| rest.strip_prefix(op).map(|amount| (op, amount)))
                    .ok_or_else(|| {
                        fail(
                            at,
                            "condition",
                            format!("`{text}`: expected price>=N, price>N, price<=N or price<N"),
                        )
                    })?;
                let amount = parse_decimal("condition", amount)
                    .map_err(|e| fail(at, "condition", e.to_string()))?
                    .value;
                if currency.is_none() {
                    return Err(fail(
                        at,
                        "currency",
                        "required when a condition compares the price".into(),
                    ));
                }
                Some(Condition { op, amount })
            }
        };
        let effective_from = date(&from).map_err(|reason| fail(at, "effective_from", reason))?;
        let effective_to = match to.as_str() {
            "" => None,
            text => Some(date(text).map_err(|reason| fail(at, "effective_to", reason))?),
        };
        if effective_to.is_some_and(|to| to < effective_from) {
            return Err(fail(
                at,
                "effective_to",
                format!("{to} is before effective_from {from}"),
            ));
        }
        let confidence = Confidence::ALL
            .into_iter()
            .find(|c| c.label() == confidence)
            .ok_or_else(|| {
                fail(
                    at,
                    "confidence",
                    format!("`{confidence}` is not published, reported, inferred or assumed"),
                )
            })?;
        if source_url.trim().is_empty() {
            return Err(fail(
                at,
                "source_url",
                "missing: every row names where its figure comes from".into(),
            ));
        }
        if !(source_url.starts_with("https://") || source_url.starts_with("docs/")) {
            return Err(fail(
                at,
                "source_url",
                format!("`{source_url}` is not an https:// address or a docs/ path"),
            ));
        }
        let verified_at = date(&verified_at).map_err(|reason| fail(at, "verified_at", reason))?;
        rows.push(ScheduleRow {
            at: RowRef { file, line: at },
            platform,
            regions,
            level,
            kind,
            value,
            currency,
            condition,
            effective_from,
            effective_to,
            confidence,
            source_url,
            verified_at,
            notes,
        });
    }
    Ok(rows)
}

/// Refuses two rows that would both apply to one sale: same platform, kind, level, condition,
/// an overlapping region list (or both `*`) and overlapping dates.
pub fn check_overlaps(rows: &[ScheduleRow]) -> Result<(), ScheduleError> {
    for (i, a) in rows.iter().enumerate() {
        for b in &rows[i + 1..] {
            let clash = a.platform == b.platform
                && a.kind == b.kind
                && a.level == b.level
                && a.condition == b.condition
                && a.regions.overlaps(&b.regions)
                && a.overlaps_in_time(b);
            if clash {
                return Err(ScheduleError {
                    file: a.at.file.to_owned(),
                    line: a.at.line,
                    field: "row".into(),
                    reason: format!(
                        "overlaps {} (same platform, kind, level, region and dates)",
                        b.at
                    ),
                });
            }
        }
    }
    Ok(())
}
