//! The item-first ledger (issue 13): purchases that create one inventory row per pair with its
//! cost basis, the lifecycle of each pair, listings on any platform, sales with their fee lines,
//! fee quotes, and the P&L and stock reports.
//!
//! Every use case validates its whole input before it writes, and writes in one transaction, so
//! bad input writes nothing. The rules are `soleflip_domain` (`lifecycle`, `money`, `fees`,
//! `sizes`); the SQL is `soleflip_db::ledger`; the database enforces the lifecycle and the
//! balance of every order whoever writes.

use std::str::FromStr;

use chrono::{DateTime, NaiveDate, NaiveTime, Utc};
use serde::Serialize;
use soleflip_db::ledger::{
    self as sql, EventContext, EventRow, FeeLineRow, KeyValue, ListingRow, NewFeeLine, NewOrder,
    NewPair, NewPurchase, NewPurchaseLine, NewSize, PairColumn, PairFilter, PairKey, PairOrder,
    PairRow, PnlRow, SaleRow, StockRow,
};
use soleflip_domain::fees::{self, FeeKind, Quote};
use soleflip_domain::lifecycle::{check_transition, InventoryState, TransitionError};
use soleflip_domain::money::{Currency, Money};
use sqlx::types::{Decimal, Uuid};
use sqlx::Connection;

use crate::error::{Code, Coded};
use crate::App;

/// What can go wrong in the ledger's use cases.
#[derive(Debug, thiserror::Error)]
pub enum LedgerError {
    /// Bad input; the message names the field.
    #[error("{0}")]
    Invalid(String),
    /// A move the lifecycle does not allow; the message names the allowed next states.
    #[error(transparent)]
    Transition(#[from] TransitionError),
    #[error("no pair with id {0}")]
    NoPair(Uuid),
    #[error("no listing with id {0}")]
    NoListing(Uuid),
    /// The request contradicts the state of the data (a sold pair listed again, ...).
    #[error("{0}")]
    Conflict(String),
    #[error(transparent)]
    Db(#[from] crate::db::DbError),
    #[error(transparent)]
    Unexpected(#[from] anyhow::Error),
}

impl From<sqlx::Error> for LedgerError {
    fn from(e: sqlx::Error) -> Self {
        if crate::db::lost_database(&e) {
            Self::Db(crate::db::DbError::Lost(e))
        } else {
            Self::Unexpected(e.into())
        }
    }
}

impl Coded for LedgerError {
    fn code(&self) -> Code {
        match self {
            LedgerError::Invalid(_) | LedgerError::Transition(_) => Code::InvalidInput,
            LedgerError::NoPair(_) | LedgerError::NoListing(_) => Code::NotFound,
            LedgerError::Conflict(_) => Code::Conflict,
            LedgerError::Db(e) => e.code(),
            LedgerError::Unexpected(_) => Code::Unexpected,
        }
    }
}

fn invalid(e: impl std::fmt::Display) -> LedgerError {
    LedgerError::Invalid(e.to_string())
}

// ---------------------------------------------------------------------------------------------
// pure rules of this layer
// ---------------------------------------------------------------------------------------------

/// The brand (a `core.brands` slug) a style code belongs to, by its shape; None when the shape
/// is not one SoleFlip knows. `9` is a digit, `A` a capital letter, anything else itself.
///
/// | shape | brand | example |
/// |---|---|---|
/// | `AA9999-999`, `999999-999` | nike (Jordan shares the format) | `DD1391-100`, `555088-134` |
/// | `9999A999-999` | asics | `1201A789-020` |
/// | `AA9999`, `A99999` | adidas (Yeezy and Reebok share it) | `GW2871`, `B75571` |
/// | `999999-99` | puma | `374915-01` |
/// | `999999C`, `A99999C` | converse | `162050C`, `A01234C` |
/// | `VN` + 6 to 10 letters or digits | vans | `VN0A4U39` |
/// | 1–2 letters, 3–4 digits, 2–3 letters, an optional digit | new-balance | `M990GL6`, `U9060MAC` |
pub fn brand_of_style_code(sku: &str) -> Option<&'static str> {
    const SHAPES: [(&str, &str); 8] = [
        ("AA9999-999", "nike"),
        ("999999-999", "nike"),
        ("9999A999-999", "asics"),
        ("AA9999", "adidas"),
        ("A99999", "adidas"),
        ("999999-99", "puma"),
        ("999999C", "converse"),
        ("A99999C", "converse"),
    ];
    let code = sku.trim();
    let fits = |shape: &str| {
        shape.len() == code.len()
            && shape.bytes().zip(code.bytes()).all(|(s, c)| match s {
                b'9' => c.is_ascii_digit(),
                b'A' => c.is_ascii_uppercase(),
                other => other == c,
            })
    };
    if let Some((_, brand)) = SHAPES.iter().find(|(shape, _)| fits(shape)) {
        return Some(brand);
    }
    if let Some(rest) = code.strip_prefix("VN") {
        if (6..=10).contains(&rest.len())
            && rest
                .bytes()
                .all(|c| c.is_ascii_uppercase() || c.is_ascii_digit())
        {
            return Some("vans");
        }
    }
    // New Balance: letters, digits, letters, an optional digit (M990GL6, BB550WT1, U9060MAC)
    let b = code.as_bytes();
    let run = |from: usize, pred: fn(&u8) -> bool| b[from..].iter().take_while(|c| pred(c)).count();
    let letters1 = run(0, u8::is_ascii_uppercase);
    let digits = run(letters1, u8::is_ascii_digit);
    let letters2 = run(letters1 + digits, u8::is_ascii_uppercase);
    let tail = b.len() - letters1 - digits - letters2;
    let tail_ok = tail == 0 || (tail == 1 && b.last().is_some_and(u8::is_ascii_digit));
    if (1..=2).contains(&letters1)
        && (3..=4).contains(&digits)
        && (2..=3).contains(&letters2)
        && tail_ok
    {
        return Some("new-balance");
    }
    None
}

/// Splits `extra` (shipping minus discounts, may be negative) over pairs in proportion to their
/// `bases`, in the currency's minor units, so that the shares add up to `extra` exactly (the
/// largest-remainder method: each pair gets its share rounded down, and the cents left over go
/// to the largest remainders, ties to the earlier pair). With all bases zero, equal shares.
pub fn allocate(bases: &[Decimal], extra: Decimal, minor_units: u32) -> Vec<Decimal> {
    if bases.is_empty() {
        return Vec::new();
    }
    let unit = Decimal::new(1, minor_units);
    let negative = extra.is_sign_negative();
    let total_units = (extra.abs() / unit).trunc();
    let sum: Decimal = bases.iter().copied().sum();
    let weights: Vec<Decimal> = if sum.is_zero() {
        vec![Decimal::ONE; bases.len()]
    } else {
        bases.to_vec()
    };
    let weight_sum: Decimal = weights.iter().copied().sum();
    let exact: Vec<Decimal> = weights
        .iter()
        .map(|w| total_units * w / weight_sum)
        .collect();
    let mut units: Vec<Decimal> = exact.iter().map(|e| e.trunc()).collect();
    let given: Decimal = units.iter().copied().sum();
    let mut left = total_units - given;
    let mut order: Vec<usize> = (0..bases.len()).collect();
    order.sort_by(|&a, &b| {
        (exact[b] - units[b])
            .cmp(&(exact[a] - units[a]))
            .then(a.cmp(&b))
    });
    for i in order {
        if left <= Decimal::ZERO {
            break;
        }
        if let Some(u) = units.get_mut(i) {
            *u += Decimal::ONE;
        }
        left -= Decimal::ONE;
    }
    units
        .into_iter()
        .map(|u| {
            let v = u * unit;
            if negative {
                -v
            } else {
                v
            }
        })
        .collect()
}

/// The fee schedule's region for a currency when none is given: `EU` for EUR, else the
/// currency's country (the first two letters: USD → US, GBP → GB, CHF → CH).
pub fn region_of_currency(currency: Currency) -> String {
    match currency.code() {
        "EUR" => "EU".to_owned(),
        code => code.chars().take(2).collect(),
    }
}

fn parse_currency(field: &str, text: &str) -> Result<Currency, LedgerError> {
    Currency::parse(field, text.trim()).map_err(invalid)
}

fn parse_amount(field: &str, text: &str, currency: Currency) -> Result<Money, LedgerError> {
    Money::parse(field, text.trim(), currency)
        .and_then(|m| m.non_negative(field))
        .map_err(invalid)
}

fn parse_state(field: &str, text: &str) -> Result<InventoryState, LedgerError> {
    InventoryState::from_str(text.trim()).map_err(|e| LedgerError::Invalid(format!("{field}: {e}")))
}

fn parse_rate(field: &str, text: &str) -> Result<Decimal, LedgerError> {
    let value = soleflip_domain::money::parse_decimal(field, text.trim())
        .map_err(invalid)?
        .value;
    if value.is_sign_negative() || value >= Decimal::ONE_HUNDRED {
        return Err(LedgerError::Invalid(format!(
            "{field}: `{text}` is not a VAT rate in percent (0 to below 100)"
        )));
    }
    Ok(value)
}

/// A calendar day (what `parse_date` gives).
pub type Date = NaiveDate;

/// A date as `YYYY-MM-DD`; anything else is bad input naming `field`.
pub fn parse_date(field: &str, text: &str) -> Result<NaiveDate, LedgerError> {
    NaiveDate::parse_from_str(text.trim(), "%Y-%m-%d")
        .map_err(|_| LedgerError::Invalid(format!("{field}: `{text}` is not a date (YYYY-MM-DD)")))
}

/// A pair's or listing's id (a UUID); anything else is bad input naming `field`.
pub fn parse_id(field: &str, text: &str) -> Result<Uuid, LedgerError> {
    Uuid::parse_str(text.trim())
        .map_err(|_| LedgerError::Invalid(format!("{field}: `{text}` is not an id (a UUID)")))
}

fn start_of(date: NaiveDate) -> DateTime<Utc> {
    date.and_time(NaiveTime::MIN).and_utc()
}

fn platform_slug(text: &str) -> String {
    text.trim().to_ascii_lowercase()
}

// ---------------------------------------------------------------------------------------------
// requests and reports
// ---------------------------------------------------------------------------------------------

/// One invoice with one or more lines.
#[derive(Debug, Clone, Default)]
pub struct PurchaseRequest {
    pub supplier: Option<String>,
    pub invoice: Option<String>,
    /// Invoice date (default: today, UTC).
    pub date: Option<NaiveDate>,
    /// ISO 4217 (default EUR).
    pub currency: Option<String>,
    /// Shipping charged on the invoice, shared over the pairs by their cost.
    pub shipping: Option<String>,
    /// Discounts (vouchers, cashback) on the invoice, shared the same way.
    pub discount: Option<String>,
    pub lines: Vec<PurchaseLineRequest>,
}

/// One invoice line: `quantity` pairs of one SKU and size at `price` net each.
#[derive(Debug, Clone, Default)]
pub struct PurchaseLineRequest {
    pub sku: String,
    pub size: String,
    /// Net unit price.
    pub price: String,
    /// VAT rate in percent (default 0: no VAT on the invoice, margin scheme).
    pub vat_rate: Option<String>,
    pub quantity: u32,
}

/// `purchase add`.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct PurchaseReport {
    pub purchase_id: Uuid,
    pub supplier: Option<String>,
    pub invoice: Option<String>,
    pub date: String,
    pub currency: String,
    pub vat_treatment: &'static str,
    pub shipping: Decimal,
    pub discount: Decimal,
    pub lines: Vec<PurchaseLineReport>,
    /// Σ cost basis of the pairs = Σ line bases + shipping − discount.
    pub total_cost: Decimal,
}

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct PurchaseLineReport {
    pub line_no: i32,
    pub sku: String,
    pub brand: Option<String>,
    pub product_created: bool,
    pub size: String,
    pub quantity: u32,
    pub net: Decimal,
    pub vat_rate: Decimal,
    pub vat: Decimal,
    pub gross: Decimal,
    pub pairs: Vec<PairCost>,
}

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct PairCost {
    pub id: Uuid,
    pub cost_basis: Decimal,
}

/// The list tag of inventory cursors.
const PAIRS_CURSOR: &str = "pairs";

/// `inventory list`.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct InventoryList {
    pub pairs: Vec<PairRow>,
    /// True when more pairs matched than the limit (a next page follows).
    pub truncated: bool,
    /// When truncated: the cursor of the next page (passed back as `cursor`, it gives the pairs
    /// after this page).
    pub next_cursor: Option<String>,
    /// On a page after the first: the cursor of the previous page (passed back as `before`).
    pub prev_cursor: Option<String>,
}

/// What the inventory list is asked for; blank texts ask for nothing.
#[derive(Debug, Clone, Default)]
pub struct InventoryAsk {
    /// A state label, `in_stock` or `unknown`.
    pub state: Option<String>,
    pub sku: Option<String>,
    /// A brand's name, any case.
    pub brand: Option<String>,
    /// `US 10` (that chart), or `10` (the value on any chart).
    pub size: Option<String>,
    /// At least this many whole days in the books.
    pub older_than_days: Option<u32>,
    /// `0-30`, `31-60`, `61-90` or `90+` days in the books (the stock report's bands).
    pub age_band: Option<String>,
    /// `age`, `price`, `sku` or `brand`, with a leading `-` for descending; default `-age`
    /// (oldest first).
    pub sort: Option<String>,
    pub limit: u32,
    /// The `next_cursor` of the previous page.
    pub after: Option<String>,
    /// The `prev_cursor` of the next page.
    pub before: Option<String>,
}

/// The choices of the inventory filters: the brands and sizes of the pairs in the books.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct InventoryFacets {
    pub brands: Vec<String>,
    pub sizes: Vec<String>,
}

/// The age bands of the stock report and the inventory filter: label, first and last day.
pub const AGE_BANDS: &[(&str, i32, Option<i32>)] = &[
    ("0-30", 0, Some(30)),
    ("31-60", 31, Some(60)),
    ("61-90", 61, Some(90)),
    ("90+", 91, None),
];

fn age_band(label: &str) -> Result<(i32, Option<i32>), LedgerError> {
    AGE_BANDS
        .iter()
        .find(|(l, _, _)| *l == label)
        .map(|(_, from, to)| (*from, *to))
        .ok_or_else(|| {
            invalid(format!(
                "age_band: `{label}` is not an age band (expected 0-30, 31-60, 61-90 or 90+)"
            ))
        })
}

/// What the inventory list is sorted by.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SortKey {
    /// Days in the books.
    Age,
    /// Purchase price (cost basis).
    Price,
    Sku,
    Brand,
}

/// The inventory list's sort: a key and a direction. Pairs without the key's value (cost
/// unknown, no brand) come last either way.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct InventorySort {
    pub key: SortKey,
    pub desc: bool,
}

impl Default for InventorySort {
    /// Oldest first.
    fn default() -> Self {
        Self {
            key: SortKey::Age,
            desc: true,
        }
    }
}

impl InventorySort {
    /// Every sort, as [`InventorySort::label`] writes it.
    pub const LABELS: &[&str] = &[
        "-age", "age", "price", "-price", "sku", "-sku", "brand", "-brand",
    ];

    /// `age`, `price`, `sku` or `brand`, with a leading `-` for descending.
    pub fn parse(text: &str) -> Result<Self, LedgerError> {
        let text = text.trim();
        let (desc, name) = match text.strip_prefix('-') {
            Some(rest) => (true, rest),
            None => (false, text.strip_prefix('+').unwrap_or(text)),
        };
        let key = match name {
            "age" => SortKey::Age,
            "price" => SortKey::Price,
            "sku" => SortKey::Sku,
            "brand" => SortKey::Brand,
            _ => {
                return Err(invalid(format!(
                    "sort: `{text}` is not a sort (expected age, price, sku or brand, with a \
                     leading - for descending)"
                )))
            }
        };
        Ok(Self { key, desc })
    }

    pub fn label(self) -> String {
        let name = match self.key {
            SortKey::Age => "age",
            SortKey::Price => "price",
            SortKey::Sku => "sku",
            SortKey::Brand => "brand",
        };
        format!("{}{name}", if self.desc { "-" } else { "" })
    }

    /// The database's order: the oldest pair has the greatest age and entered first.
    fn order(self) -> PairOrder {
        let (by, desc) = match self.key {
            SortKey::Age => (PairColumn::Entered, !self.desc),
            SortKey::Price => (PairColumn::Cost, self.desc),
            SortKey::Sku => (PairColumn::Sku, self.desc),
            SortKey::Brand => (PairColumn::Brand, self.desc),
        };
        PairOrder { by, desc }
    }
}

/// A page cursor of the inventory list: the sort, then the key of a pair in it.
fn encode_pair_cursor(sort: InventorySort, pair: &PairRow) -> String {
    let key = sort.order().by.key_of(pair);
    let value = match &key.value {
        KeyValue::At(at) => at.timestamp_micros().to_string(),
        KeyValue::Amount(a) => a.map(|a| a.to_string()).unwrap_or_default(),
        // `=` before a value tells an empty one from none.
        KeyValue::Text(t) => t.as_ref().map(|t| format!("={t}")).unwrap_or_default(),
    };
    crate::cursor::encode(
        PAIRS_CURSOR,
        &[&sort.label(), &value, &key.id.simple().to_string()],
    )
}

fn decode_pair_cursor(sort: InventorySort, cursor: &str) -> Result<PairKey, LedgerError> {
    let bad = |e: crate::cursor::BadCursor| LedgerError::Invalid(e.to_string());
    let parts = match crate::cursor::decode(PAIRS_CURSOR, cursor, 3) {
        Ok(parts) => parts,
        // A cursor of the list before it could be sorted: oldest first.
        Err(e) => {
            return match crate::cursor::decode_at_id(PAIRS_CURSOR, cursor) {
                Ok((at, id)) if sort == InventorySort::default() => Ok(PairKey {
                    value: KeyValue::At(at),
                    id,
                }),
                _ => Err(bad(e)),
            };
        }
    };
    if parts[0] != sort.label() {
        return Err(invalid(format!(
            "cursor: a cursor of the list sorted by {}, not {} (start again from the first page)",
            parts[0],
            sort.label()
        )));
    }
    let no = crate::cursor::BadCursor;
    let id = parts[2].parse().map_err(|_| bad(no.clone()))?;
    let v = parts[1].as_str();
    let value = match sort.order().by {
        PairColumn::Entered => KeyValue::At(
            v.parse::<i64>()
                .ok()
                .and_then(DateTime::from_timestamp_micros)
                .ok_or_else(|| bad(no.clone()))?,
        ),
        PairColumn::Cost if v.is_empty() => KeyValue::Amount(None),
        PairColumn::Cost => {
            KeyValue::Amount(Some(Decimal::from_str(v).map_err(|_| bad(no.clone()))?))
        }
        PairColumn::Sku | PairColumn::Brand => match v.strip_prefix('=') {
            Some(t) => KeyValue::Text(Some(t.to_owned())),
            None if v.is_empty() => KeyValue::Text(None),
            None => return Err(bad(no)),
        },
    };
    Ok(PairKey { value, id })
}

/// `inventory show`.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct PairReport {
    pub pair: PairRow,
    /// The states it may move to next.
    #[schema(value_type = Vec<String>)]
    pub allowed_next: Vec<InventoryState>,
    pub events: Vec<EventRow>,
    pub listings: Vec<ListingRow>,
    /// Its latest sale that is not cancelled, if it was sold.
    pub sale: Option<PairSale>,
}

/// The sale of a pair: the order, its fee lines and the profit against the pair's cost.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct PairSale {
    #[serde(flatten)]
    pub order: SaleRow,
    pub fees: Vec<FeeLineRow>,
    /// Payout less the pair's cost; None when the cost is unknown (a pair an import created
    /// without a purchase), in another currency than the sale, or the payout is unknown.
    pub profit: Option<Decimal>,
}

/// `inventory move`.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct MoveReport {
    pub id: Uuid,
    #[schema(value_type = Option<String>)]
    pub from: Option<InventoryState>,
    #[schema(value_type = String)]
    pub to: InventoryState,
    pub reason: Option<String>,
    /// The order whose status followed the move (completed or cancelled), if any.
    pub order_status: Option<&'static str>,
}

/// `listing add` / `listing end`.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct ListingReport {
    pub listing: ListingRow,
}

/// A sale to record.
#[derive(Debug, Clone, Default)]
pub struct SaleRequest {
    pub pair: Uuid,
    pub platform: String,
    pub price: String,
    /// Default: the pair's currency.
    pub currency: Option<String>,
    /// `(kind, amount)` as reported by the platform.
    pub fees: Vec<(String, String)>,
    pub payout: Option<String>,
    pub date: Option<NaiveDate>,
    /// Seller level for the fee schedule (StockX 1–5, GOAT/Alias rating band).
    pub level: Option<String>,
    /// Seller region for the fee schedule (default from the currency).
    pub region: Option<String>,
}

/// One fee line of a recorded sale.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct FeeLineReport {
    pub kind: String,
    pub amount: Decimal,
    /// `reported`, `schedule` or `derived`.
    pub source: &'static str,
    pub rate_pct: Option<Decimal>,
    pub schedule_row: Option<String>,
}

/// `sale record`.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct SaleReport {
    pub order_id: Uuid,
    pub pair: Uuid,
    pub platform: String,
    pub price: Decimal,
    pub currency: String,
    pub lines: Vec<FeeLineReport>,
    pub payout: Decimal,
    /// True when the given payout did not balance and a derived line makes up the difference.
    pub flagged: bool,
    #[schema(value_type = String)]
    pub state: InventoryState,
    pub listing_sold: Option<Uuid>,
    pub listings_ended: u64,
    /// Why no schedule line could be computed, when the schedule did not apply.
    pub schedule_note: Option<String>,
}

/// `report pnl`.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct PnlReport {
    pub from: Option<String>,
    pub to: Option<String>,
    pub by: String,
    pub rows: Vec<PnlRow>,
}

/// `report stock`.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct StockReport {
    pub rows: Vec<StockRow>,
    /// Pairs in stock per currency, and the capital tied up in them.
    pub totals: Vec<StockTotal>,
    /// The ten pairs in stock the longest.
    pub oldest: Vec<PairRow>,
}

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct StockTotal {
    pub currency: String,
    pub pairs: i64,
    pub capital: Decimal,
}

/// How `report pnl` groups.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PnlBy {
    All,
    Month,
    Platform,
    Brand,
}

impl PnlBy {
    pub fn label(self) -> &'static str {
        match self {
            PnlBy::All => "all",
            PnlBy::Month => "month",
            PnlBy::Platform => "platform",
            PnlBy::Brand => "brand",
        }
    }
}

/// A product line resolved before anything is written.
struct ResolvedLine {
    sku: String,
    product: Option<Uuid>,
    brand_slug: Option<&'static str>,
    brand_id: Option<Uuid>,
    brand_name: Option<String>,
    size_text: String,
    size: OwnedSize,
    unit_net: Money,
    vat_rate: Decimal,
    quantity: u32,
}

struct OwnedSize {
    cohort: String,
    region: String,
    value: String,
    parsed: Option<String>,
    standardized: Option<Decimal>,
}

/// Reads a size on the brand's chart; a size the service refuses is bad input naming `size`.
fn read_size(
    text: &str,
    brand_slug: Option<&str>,
    brand_name: Option<&str>,
) -> Result<OwnedSize, LedgerError> {
    let family = soleflip_db::integration::brand_family(brand_slug, brand_name);
    let reading = soleflip_db::integration::read_size(text, family, None);
    if reading.missing {
        return Err(LedgerError::Invalid("size: no size given".to_owned()));
    }
    if let Some(problem) = reading.problem {
        return Err(LedgerError::Invalid(format!("size: `{text}`: {problem}")));
    }
    let (Some(region), Some(value), Some(cohort)) =
        (reading.region, reading.value_text, reading.cohort)
    else {
        return Err(LedgerError::Invalid(format!(
            "size: `{text}` is not a shoe size (expected e.g. `US 10`, `EU 44 2/3`, `UK 9`)"
        )));
    };
    Ok(OwnedSize {
        cohort: cohort.to_owned(),
        region: region.to_owned(),
        value,
        parsed: reading.parsed,
        standardized: reading
            .standardized
            .and_then(|s| Decimal::from_str(&s).ok()),
    })
}

impl App {
    /// Records an invoice: finds or creates each line's product (by SKU; a new one gets its
    /// brand from the style code) and size, writes the invoice, its lines, and one pair per
    /// unit in state `incoming` with its cost basis. Nothing is written unless all of it is.
    #[tracing::instrument(skip(self))]
    pub async fn purchase_add(&self, req: &PurchaseRequest) -> Result<PurchaseReport, LedgerError> {
        let mut conn = self.conn().await?;
        let mut tx = conn.begin().await?;
        let report = purchase_write(&mut tx, req).await?;
        tx.commit().await?;
        Ok(report)
    }

    /// Pairs, filtered by state (a label, `unknown` or `in_stock`), SKU and minimum age, oldest
    /// first (by when they entered the books, then id).
    #[tracing::instrument(skip(self))]
    pub async fn inventory_list(
        &self,
        state: Option<&str>,
        sku: Option<&str>,
        older_than_days: Option<u32>,
        limit: u32,
    ) -> Result<InventoryList, LedgerError> {
        self.inventory_search(&InventoryAsk {
            state: state.map(str::to_owned),
            sku: sku.map(str::to_owned),
            older_than_days,
            limit,
            ..InventoryAsk::default()
        })
        .await
    }

    /// [`App::inventory_list`], one page: the pairs after `after` (the `next_cursor` of the
    /// previous page; None: the first page). Keyset pagination: a page is read from the index,
    /// however deep, and pairs added meanwhile neither repeat nor shift the pages.
    #[tracing::instrument(skip(self))]
    pub async fn inventory_page(
        &self,
        state: Option<&str>,
        sku: Option<&str>,
        older_than_days: Option<u32>,
        limit: u32,
        after: Option<&str>,
    ) -> Result<InventoryList, LedgerError> {
        self.inventory_search(&InventoryAsk {
            state: state.map(str::to_owned),
            sku: sku.map(str::to_owned),
            older_than_days,
            limit,
            after: after.map(str::to_owned),
            ..InventoryAsk::default()
        })
        .await
    }

    /// One page of the inventory list as `ask` filters and sorts it (blank texts ask for
    /// nothing). Keyset pagination in any sort: the cursors name the sort and the last (or
    /// first) pair of a page, so pairs added meanwhile neither repeat nor shift the pages.
    #[tracing::instrument(skip(self))]
    pub async fn inventory_search(&self, ask: &InventoryAsk) -> Result<InventoryList, LedgerError> {
        let text = |v: &Option<String>| {
            v.as_deref()
                .map(str::trim)
                .filter(|s| !s.is_empty())
                .map(str::to_owned)
        };
        let sort = match text(&ask.sort) {
            None => InventorySort::default(),
            Some(s) => InventorySort::parse(&s)?,
        };
        let (after, backward) = match (text(&ask.after), text(&ask.before)) {
            (Some(_), Some(_)) => {
                return Err(invalid("cursor: give either after or before, not both"));
            }
            (Some(c), None) => (Some(decode_pair_cursor(sort, &c)?), false),
            (None, Some(c)) => (Some(decode_pair_cursor(sort, &c)?), true),
            (None, None) => (None, false),
        };
        let state = match text(&ask.state) {
            None => None,
            Some(s) if matches!(s.as_str(), "unknown" | "in_stock") => Some(s),
            Some(s) => Some(
                parse_state("status", &s)
                    .map_err(|_| {
                        LedgerError::Invalid(format!(
                            "status: `{s}` is not a state (expected one of incoming, available, \
                             consigned, need_shipping, packed, outgoing, sale_completed, \
                             cancelled, or in_stock, unknown)"
                        ))
                    })?
                    .label()
                    .to_owned(),
            ),
        };
        let days = |d: u32| i32::try_from(d).map_err(|_| invalid("older-than: too many days"));
        let mut older = ask.older_than_days.map(days).transpose()?;
        let mut at_most = None;
        if let Some(band) = text(&ask.age_band) {
            let (from, to) = age_band(&band)?;
            older = Some(older.map_or(from, |o| o.max(from)));
            at_most = to;
        }
        let limit = ask.limit.max(1);
        let pool = self.pool().await?;
        let mut pairs = sql::pairs(
            pool,
            &PairFilter {
                id: None,
                state,
                sku: text(&ask.sku),
                brand: text(&ask.brand),
                size: text(&ask.size),
                older_than_days: older,
                at_most_days: at_most,
                order: sort.order(),
                limit: i64::from(limit) + 1,
                after: after.clone(),
                backward,
            },
        )
        .await?;
        let more = pairs.len() > limit as usize;
        pairs.truncate(limit as usize);
        let cursor = |p: &PairRow| encode_pair_cursor(sort, p);
        let (truncated, prev_cursor) = if backward {
            pairs.reverse();
            // Read backward from a page: that page follows this one.
            (true, pairs.first().filter(|_| more).map(cursor))
        } else {
            (more, pairs.first().filter(|_| after.is_some()).map(cursor))
        };
        let next_cursor = pairs.last().filter(|_| truncated).map(cursor);
        Ok(InventoryList {
            pairs,
            truncated,
            next_cursor,
            prev_cursor,
        })
    }

    /// The brands and sizes of the pairs in the books: the choices of the inventory filters.
    #[tracing::instrument(skip(self))]
    pub async fn inventory_facets(&self) -> Result<InventoryFacets, LedgerError> {
        let pool = self.pool().await?;
        // Two connections at once: the page that shows them waits for the slower only.
        let (brands, sizes) = tokio::join!(sql::pair_brands(pool), sql::pair_sizes(pool));
        Ok(InventoryFacets {
            brands: brands?,
            sizes: sizes?,
        })
    }

    /// One pair with its event history and listings.
    #[tracing::instrument(skip(self))]
    pub async fn inventory_show(&self, id: Uuid) -> Result<PairReport, LedgerError> {
        let pool = self.pool().await?;
        let pair = sql::pairs(
            pool,
            &PairFilter {
                id: Some(id),
                limit: 1,
                ..PairFilter::default()
            },
        )
        .await?
        .pop()
        .ok_or(LedgerError::NoPair(id))?;
        let allowed_next = match pair.state.as_deref().map(InventoryState::from_str) {
            Some(Ok(s)) => soleflip_domain::lifecycle::allowed_next(s),
            _ => InventoryState::ALL.to_vec(),
        };
        let sale = match sql::sale_of(pool, id).await? {
            None => None,
            Some(order) => {
                let fees = sql::fee_lines_of(pool, order.order_id).await?;
                let profit = match (order.payout, pair.cost) {
                    (Some(payout), Some(cost)) if pair.currency == order.currency => {
                        Some(payout - cost)
                    }
                    _ => None,
                };
                Some(PairSale {
                    order,
                    fees,
                    profit,
                })
            }
        };
        Ok(PairReport {
            events: sql::events(pool, id).await?,
            listings: sql::listings_of(pool, id).await?,
            allowed_next,
            sale,
            pair,
        })
    }

    /// Moves a pair to `to` if the lifecycle allows it (else the error names the allowed next
    /// states). Completing or cancelling a sale updates its order's status too.
    #[tracing::instrument(skip(self))]
    pub async fn inventory_move(
        &self,
        id: Uuid,
        to: &str,
        reason: Option<&str>,
    ) -> Result<MoveReport, LedgerError> {
        let to = parse_state("to", to)?;
        let mut conn = self.conn().await?;
        let mut tx = conn.begin().await?;
        let from = sql::lock_pair_state(&mut tx, id)
            .await?
            .ok_or(LedgerError::NoPair(id))?;
        let from = from
            .map(|s| InventoryState::from_str(&s).map_err(anyhow::Error::new))
            .transpose()?;
        if let Some(f) = from {
            check_transition(f, to)?;
        }
        sql::set_event_context(
            &mut tx,
            &EventContext {
                reason: reason.map(str::to_owned),
                ..EventContext::default()
            },
        )
        .await?;
        sql::move_pair(&mut tx, id, to.label()).await?;
        let order_status = match to {
            InventoryState::SaleCompleted => Some("completed"),
            InventoryState::Cancelled
                if matches!(
                    from,
                    Some(
                        InventoryState::NeedShipping
                            | InventoryState::Packed
                            | InventoryState::Outgoing
                    )
                ) =>
            {
                Some("cancelled")
            }
            _ => None,
        };
        let order_status = match order_status {
            Some(s) if sql::set_latest_order_status(&mut *tx, id, s).await? => Some(s),
            _ => None,
        };
        tx.commit().await?;
        Ok(MoveReport {
            id,
            from,
            to,
            reason: reason.map(str::to_owned),
            order_status,
        })
    }

    /// Lists a pair on a platform (one active listing per platform; a pair that is sold or
    /// cancelled cannot be listed).
    #[tracing::instrument(skip(self))]
    pub async fn listing_add(
        &self,
        pair: Uuid,
        platform: &str,
        price: &str,
        currency: Option<&str>,
    ) -> Result<ListingReport, LedgerError> {
        let slug = platform_slug(platform);
        let mut conn = self.conn().await?;
        let mut tx = conn.begin().await?;
        let state = sql::lock_pair_state(&mut tx, pair)
            .await?
            .ok_or(LedgerError::NoPair(pair))?;
        let platform_id = sql::platform_id(&mut *tx, &slug)
            .await?
            .ok_or_else(|| LedgerError::Invalid(format!("platform: `{slug}` is not a platform")))?;
        let current = sql::pairs(
            &mut *tx,
            &PairFilter {
                id: Some(pair),
                limit: 1,
                ..PairFilter::default()
            },
        )
        .await?
        .pop()
        .ok_or(LedgerError::NoPair(pair))?;
        let currency = parse_currency("currency", currency.unwrap_or(&current.currency))?;
        let price = parse_amount("price", price, currency)?;
        if !matches!(
            state.as_deref(),
            Some("incoming" | "available" | "consigned")
        ) {
            return Err(LedgerError::Conflict(format!(
                "pair {pair} is {}: only a pair incoming, available or consigned can be listed",
                state.as_deref().unwrap_or("in an unknown state")
            )));
        }
        if let Some(existing) = sql::active_listing(&mut *tx, pair, platform_id).await? {
            return Err(LedgerError::Conflict(format!(
                "pair {pair} already has an active {slug} listing ({existing}); end it first"
            )));
        }
        let id = sql::insert_listing(&mut *tx, pair, platform_id, price.amount(), currency.code())
            .await?;
        let listing = sql::listing(&mut *tx, id)
            .await?
            .ok_or(LedgerError::NoListing(id))?;
        tx.commit().await?;
        Ok(ListingReport { listing })
    }

    /// Ends an active listing.
    #[tracing::instrument(skip(self))]
    pub async fn listing_end(&self, id: Uuid) -> Result<ListingReport, LedgerError> {
        let pool = self.pool().await?;
        let listing = sql::listing(pool, id)
            .await?
            .ok_or(LedgerError::NoListing(id))?;
        if !sql::end_listing(pool, id, "ended").await? {
            return Err(LedgerError::Conflict(format!(
                "listing {id} is already {}",
                listing.status
            )));
        }
        let listing = sql::listing(pool, id)
            .await?
            .ok_or(LedgerError::NoListing(id))?;
        Ok(ListingReport { listing })
    }

    /// Records the sale of a pair: the order, its fee lines (given ones as reported, missing
    /// kinds from the fee schedule, and a derived line when a given payout does not balance),
    /// the pair's move (need_shipping, or sale_completed for a consigned pair), its listing on
    /// that platform marked sold and its other listings ended.
    #[tracing::instrument(skip(self))]
    pub async fn sale_record(&self, req: &SaleRequest) -> Result<SaleReport, LedgerError> {
        let slug = platform_slug(&req.platform);
        let mut reported: Vec<(FeeKind, String)> = Vec::new();
        for (kind, amount) in &req.fees {
            let kind = fee_kind(kind)?;
            if reported.iter().any(|(k, _)| *k == kind) {
                return Err(LedgerError::Invalid(format!("fee: {kind} is given twice")));
            }
            reported.push((kind, amount.clone()));
        }
        let mut conn = self.conn().await?;
        let mut tx = conn.begin().await?;
        let state = sql::lock_pair_state(&mut tx, req.pair)
            .await?
            .ok_or(LedgerError::NoPair(req.pair))?;
        let current = sql::pairs(
            &mut *tx,
            &PairFilter {
                id: Some(req.pair),
                limit: 1,
                ..PairFilter::default()
            },
        )
        .await?
        .pop()
        .ok_or(LedgerError::NoPair(req.pair))?;
        let currency = parse_currency(
            "currency",
            req.currency.as_deref().unwrap_or(&current.currency),
        )?;
        let price = parse_amount("price", &req.price, currency)?;
        if price.amount().is_zero() {
            return Err(invalid("price: a sale price must be above zero"));
        }
        let platform_id = sql::platform_id(&mut *tx, &slug)
            .await?
            .ok_or_else(|| LedgerError::Invalid(format!("platform: `{slug}` is not a platform")))?;
        let mut lines: Vec<FeeLineReport> = Vec::new();
        for (kind, amount) in &reported {
            let m = parse_amount(&format!("fee {kind}"), amount, currency)?;
            lines.push(FeeLineReport {
                kind: kind.label().to_owned(),
                amount: m.amount(),
                source: "reported",
                rate_pct: None,
                schedule_row: None,
            });
        }
        let given_payout = req
            .payout
            .as_deref()
            .map(|p| parse_amount("payout", p, currency))
            .transpose()?;
        let from = match state.as_deref().map(InventoryState::from_str) {
            Some(Ok(s)) => s,
            _ => {
                return Err(LedgerError::Conflict(format!(
                    "pair {}: its state is unknown; move it to a state first",
                    req.pair
                )))
            }
        };
        let to = if from == InventoryState::Consigned {
            InventoryState::SaleCompleted
        } else {
            InventoryState::NeedShipping
        };
        check_transition(from, to)?;
        let date = req.date.unwrap_or_else(|| Utc::now().date_naive());
        let region = match &req.region {
            Some(r) => r.trim().to_ascii_uppercase(),
            None => region_of_currency(currency),
        };
        let quote = fees::quote(&slug, &region, req.level.as_deref(), price, date);
        let mut schedule_note = None;
        match quote {
            Ok(q) => {
                for line in q.lines {
                    // A kind the platform reported wins; a reported transaction fee already
                    // holds any minimum (platform reports show the minimum as the seller fee),
                    // so the schedule's top-up is not added to it; a 0.00 line says nothing.
                    let topup_reported = line.kind == FeeKind::MinimumFeeTopup
                        && reported.iter().any(|(k, _)| *k == FeeKind::TransactionFee);
                    if reported.iter().any(|(k, _)| *k == line.kind)
                        || topup_reported
                        || line.amount.amount().is_zero()
                    {
                        continue;
                    }
                    lines.push(FeeLineReport {
                        kind: line.kind.label().to_owned(),
                        amount: line.amount.amount(),
                        source: "schedule",
                        rate_pct: line.rate_pct,
                        schedule_row: Some(line.row.to_string()),
                    });
                }
            }
            Err(e) if !reported.is_empty() || given_payout.is_some() => {
                schedule_note = Some(e.to_string());
            }
            Err(e) => return Err(invalid(e)),
        }
        let fees_total: Decimal = lines.iter().map(|l| l.amount).sum();
        let balance = price.amount() - fees_total;
        let (payout, flagged) = match given_payout {
            Some(p) if p.amount() != balance => {
                lines.push(FeeLineReport {
                    kind: FeeKind::Other.label().to_owned(),
                    amount: balance - p.amount(),
                    source: "derived",
                    rate_pct: None,
                    schedule_row: None,
                });
                (p.amount(), true)
            }
            Some(p) => (p.amount(), false),
            None => (balance, false),
        };
        let listing = sql::active_listing(&mut *tx, req.pair, platform_id).await?;
        let order_id = sql::insert_order(
            &mut *tx,
            &NewOrder {
                inventory_id: req.pair,
                listing_id: listing,
                platform_id,
                sale_price: price.amount(),
                payout,
                currency: currency.code(),
                sold_at: start_of(date),
                flagged,
            },
        )
        .await?;
        for line in &lines {
            sql::insert_fee_line(
                &mut *tx,
                &NewFeeLine {
                    order_id,
                    kind: &line.kind,
                    amount: line.amount,
                    currency: currency.code(),
                    source: line.source,
                    rate_pct: line.rate_pct,
                    schedule_row: line.schedule_row.clone(),
                },
            )
            .await?;
        }
        sql::set_event_context(
            &mut tx,
            &EventContext {
                reason: Some(format!("sold on {slug}")),
                order_id: Some(order_id),
                listing_id: listing,
                at: req.date.map(start_of),
                ..EventContext::default()
            },
        )
        .await?;
        sql::move_pair(&mut tx, req.pair, to.label()).await?;
        if let Some(l) = listing {
            sql::end_listing(&mut *tx, l, "sold").await?;
        }
        let listings_ended = sql::end_other_listings(&mut *tx, req.pair, listing).await?;
        if to == InventoryState::SaleCompleted {
            sql::set_latest_order_status(&mut *tx, req.pair, "completed").await?;
        }
        tx.commit().await?;
        Ok(SaleReport {
            order_id,
            pair: req.pair,
            platform: slug,
            price: price.amount(),
            currency: currency.code().to_owned(),
            lines,
            payout,
            flagged,
            state: to,
            listing_sold: listing,
            listings_ended,
            schedule_note,
        })
    }

    /// Profit and loss of the orders sold from `from` to `to` (both inclusive), grouped.
    #[tracing::instrument(skip(self))]
    pub async fn report_pnl(
        &self,
        from: Option<NaiveDate>,
        to: Option<NaiveDate>,
        by: PnlBy,
    ) -> Result<PnlReport, LedgerError> {
        if let (Some(f), Some(t)) = (from, to) {
            if f > t {
                return Err(LedgerError::Invalid(format!("to: {t} is before from {f}")));
            }
        }
        let pool = self.pool().await?;
        let end = to.and_then(|t| t.succ_opt()).map(start_of);
        let rows = sql::pnl(pool, from.map(start_of), end, by.label()).await?;
        Ok(PnlReport {
            from: from.map(|d| d.to_string()),
            to: to.map(|d| d.to_string()),
            by: by.label().to_owned(),
            rows,
        })
    }

    /// Pairs in stock by state and age band, capital tied up, and the oldest pairs.
    #[tracing::instrument(skip(self))]
    pub async fn report_stock(&self) -> Result<StockReport, LedgerError> {
        let pool = self.pool().await?;
        let rows = sql::stock(pool).await?;
        let mut totals: Vec<StockTotal> = Vec::new();
        for r in &rows {
            match totals.iter_mut().find(|t| t.currency == r.currency) {
                Some(t) => {
                    t.pairs += r.pairs;
                    t.capital += r.capital;
                }
                None => totals.push(StockTotal {
                    currency: r.currency.clone(),
                    pairs: r.pairs,
                    capital: r.capital,
                }),
            }
        }
        let oldest = sql::oldest_in_stock(pool, 10).await?;
        Ok(StockReport {
            rows,
            totals,
            oldest,
        })
    }
}

/// A fee kind by its label (`transaction_fee`, ...) or a short name (`transaction`,
/// `processing`, `topup`, `cashout`).
fn fee_kind(text: &str) -> Result<FeeKind, LedgerError> {
    let key = text.trim().to_ascii_lowercase().replace('-', "_");
    let kind = match key.as_str() {
        "transaction_fee" | "transaction" | "seller_fee" => FeeKind::TransactionFee,
        "payment_processing" | "processing" => FeeKind::PaymentProcessing,
        "shipping" => FeeKind::Shipping,
        "minimum_fee_topup" | "topup" => FeeKind::MinimumFeeTopup,
        "cash_out" | "cashout" => FeeKind::CashOut,
        "other" => FeeKind::Other,
        _ => {
            return Err(LedgerError::Invalid(format!(
                "fee: `{text}` is not a fee kind (transaction_fee, payment_processing, \
                 shipping, minimum_fee_topup, cash_out, other)"
            )))
        }
    };
    Ok(kind)
}

/// `fees quote`: the fee lines and payout of one sale from the schedule (pure: no database).
pub fn fees_quote(
    platform: &str,
    level: Option<&str>,
    price: &str,
    currency: &str,
    date: Option<NaiveDate>,
    region: Option<&str>,
) -> Result<Quote, LedgerError> {
    let currency = parse_currency("currency", currency)?;
    let price = parse_amount("price", price, currency)?;
    let region = region.map_or_else(
        || region_of_currency(currency),
        |r| r.trim().to_ascii_uppercase(),
    );
    let date = date.unwrap_or_else(|| Utc::now().date_naive());
    fees::quote(
        &platform_slug(platform),
        &region,
        level.map(str::trim),
        price,
        date,
    )
    .map_err(invalid)
}

/// Writes an invoice in the caller's transaction (`purchase_add`, and the purchase-list
/// importer, which writes many in one): everything is validated before anything is written.
pub(crate) async fn purchase_write(
    tx: &mut sqlx::PgConnection,
    req: &PurchaseRequest,
) -> Result<PurchaseReport, LedgerError> {
    let currency = parse_currency("currency", req.currency.as_deref().unwrap_or("EUR"))?;
    let shipping = match &req.shipping {
        Some(s) => parse_amount("shipping", s, currency)?,
        None => Money::zero(currency),
    };
    let discount = match &req.discount {
        Some(s) => parse_amount("discount", s, currency)?,
        None => Money::zero(currency),
    };
    if req.lines.is_empty() {
        return Err(invalid("lines: a purchase needs at least one line"));
    }
    let date = req.date.unwrap_or_else(|| Utc::now().date_naive());
    let category = sql::category_id(&mut *tx, "sneakers")
        .await?
        .ok_or_else(|| anyhow::anyhow!("the category `sneakers` is missing"))?;

    // Validate every line before writing anything.
    let mut resolved = Vec::new();
    for (i, line) in req.lines.iter().enumerate() {
        let n = i + 1;
        let field = |f: &str| {
            if req.lines.len() == 1 {
                f.to_owned()
            } else {
                format!("line {n} {f}")
            }
        };
        if line.quantity == 0 || line.quantity > 1000 {
            return Err(LedgerError::Invalid(format!(
                "{}: {} is not a quantity (1 to 1000)",
                field("qty"),
                line.quantity
            )));
        }
        let sku = line.sku.trim().to_owned();
        if sku.is_empty() {
            return Err(LedgerError::Invalid(format!(
                "{}: no SKU given",
                field("sku")
            )));
        }
        let found = soleflip_db::integration::find_product_by_sku(&mut *tx, &sku).await?;
        let (product, brand_slug, brand_id, brand_name) = match found {
            Some(p) => {
                let slug = p
                    .brand_slug
                    .as_deref()
                    .and_then(soleflip_domain::sizes::BrandFamily::from_name)
                    .map(|f| f.slug());
                (Some(p.id), slug, p.brand_id, p.brand_name)
            }
            None => {
                let Some(slug) = brand_of_style_code(&sku) else {
                    return Err(LedgerError::Invalid(format!(
                        "{}: `{sku}` is not a known product and not a style code SoleFlip \
                         recognises (e.g. DD1391-100, GW2871, M990GL6, 1201A789-020)",
                        field("sku")
                    )));
                };
                let id = sql::brand_id(&mut *tx, slug).await?;
                (None, Some(slug), id, Some(slug.to_owned()))
            }
        };
        let size = read_size(&line.size, brand_slug, brand_name.as_deref()).map_err(|e| {
            LedgerError::Invalid(format!(
                "{}{}",
                if req.lines.len() == 1 {
                    String::new()
                } else {
                    format!("line {n} ")
                },
                e
            ))
        })?;
        let unit_net = parse_amount(&field("price"), &line.price, currency)?;
        let vat_rate = match &line.vat_rate {
            Some(r) => parse_rate(&field("vat-rate"), r)?,
            None => Decimal::ZERO,
        };
        resolved.push(ResolvedLine {
            sku,
            product,
            brand_slug,
            brand_id,
            brand_name,
            size_text: line.size.trim().to_owned(),
            size,
            unit_net,
            vat_rate,
            quantity: line.quantity,
        });
    }
    let supplier_id = match &req.supplier {
        Some(s) => sql::supplier_id(&mut *tx, s.trim()).await?,
        None => None,
    };
    let vat_treatment = if resolved.iter().any(|l| !l.vat_rate.is_zero()) {
        "regular"
    } else {
        "margin"
    };
    let minor = currency.minor_units();
    let purchase_id = sql::insert_purchase(
        &mut *tx,
        &NewPurchase {
            supplier_id,
            supplier_name: req.supplier.as_deref().map(str::trim),
            invoice_number: req.invoice.as_deref().map(str::trim),
            invoice_date: date,
            currency: currency.code(),
            vat_treatment,
            shipping: shipping.amount(),
            discount: discount.amount(),
        },
    )
    .await?;

    // Each pair's base: its unit net (regular VAT: the input VAT is reclaimed) or its unit
    // gross (margin scheme: no VAT to reclaim); shipping − discount shared over the bases.
    let mut bases = Vec::new();
    let mut units = Vec::new();
    for (li, line) in resolved.iter().enumerate() {
        let unit_vat =
            currency.round(line.unit_net.amount() * line.vat_rate / Decimal::ONE_HUNDRED);
        let base = if vat_treatment == "regular" {
            line.unit_net.amount()
        } else {
            line.unit_net.amount() + unit_vat
        };
        for _ in 0..line.quantity {
            bases.push(base);
            units.push((li, unit_vat));
        }
    }
    let extra = shipping.amount() - discount.amount();
    let shares = allocate(&bases, extra, minor);
    let mut lines = Vec::new();
    let mut total_cost = Decimal::ZERO;
    let mut k = 0;
    let purchase_at = start_of(date);
    sql::set_event_context(
        &mut *tx,
        &EventContext {
            reason: Some(format!(
                "bought{}",
                req.invoice
                    .as_deref()
                    .map(|i| format!(" on invoice {}", i.trim()))
                    .unwrap_or_default()
            )),
            at: Some(purchase_at),
            ..EventContext::default()
        },
    )
    .await?;
    // A new SKU on several lines (two sizes of one model) is created once.
    let mut created: Vec<(String, Uuid)> = Vec::new();
    for (li, line) in resolved.into_iter().enumerate() {
        let made_here = created.iter().find(|(s, _)| *s == line.sku).map(|c| c.1);
        let product_created = line.product.is_none() && made_here.is_none();
        let product = match (line.product, made_here) {
            (Some(p), _) | (None, Some(p)) => p,
            (None, None) => {
                let id = sql::insert_product(&mut *tx, &line.sku, line.brand_id, category).await?;
                created.push((line.sku.clone(), id));
                id
            }
        };
        let size_id = sql::find_or_insert_size(
            &mut *tx,
            &NewSize {
                brand_id: line.brand_id,
                category_id: category,
                cohort: &line.size.cohort,
                region: &line.size.region,
                value: &line.size.value,
                parsed: line.size.parsed.as_deref(),
                standardized: line.size.standardized,
            },
        )
        .await?;
        let qty = Decimal::from(line.quantity);
        let unit_vat = units.get(k).map_or(Decimal::ZERO, |u| u.1);
        let net = line.unit_net.amount() * qty;
        let vat = unit_vat * qty;
        let line_no = i32::try_from(li + 1).map_err(anyhow::Error::new)?;
        let line_id = sql::insert_purchase_line(
            &mut *tx,
            &NewPurchaseLine {
                purchase_id,
                line_no,
                product_id: product,
                size_id,
                quantity: i32::try_from(line.quantity).map_err(anyhow::Error::new)?,
                net,
                vat_rate: line.vat_rate,
                vat,
                gross: net + vat,
            },
        )
        .await?;
        let mut pairs = Vec::new();
        for _ in 0..line.quantity {
            let cost = bases.get(k).copied().unwrap_or_default()
                + shares.get(k).copied().unwrap_or_default();
            k += 1;
            let id = sql::insert_pair(
                &mut *tx,
                &NewPair {
                    product_id: product,
                    size_id,
                    purchase_line_id: line_id,
                    supplier_id,
                    supplier_name: req.supplier.as_deref().map(str::trim),
                    net: line.unit_net.amount(),
                    vat: unit_vat,
                    gross: line.unit_net.amount() + unit_vat,
                    vat_rate: line.vat_rate,
                    cost_basis: cost,
                    currency: currency.code(),
                    purchase_date: purchase_at,
                    state: InventoryState::Incoming.label(),
                },
            )
            .await?;
            total_cost += cost;
            pairs.push(PairCost {
                id,
                cost_basis: cost,
            });
        }
        lines.push(PurchaseLineReport {
            line_no,
            sku: line.sku,
            brand: line.brand_name.or(line.brand_slug.map(str::to_owned)),
            product_created,
            size: line
                .size
                .parsed
                .clone()
                .unwrap_or_else(|| line.size_text.clone()),
            quantity: line.quantity,
            net,
            vat_rate: line.vat_rate,
            vat,
            gross: net + vat,
            pairs,
        });
    }
    Ok(PurchaseReport {
        purchase_id,
        supplier: req.supplier.clone(),
        invoice: req.invoice.clone(),
        date: date.to_string(),
        currency: currency.code().to_owned(),
        vat_treatment,
        shipping: shipping.amount(),
        discount: discount.amount(),
        lines,
        total_cost,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(s: &str) -> Decimal {
        Decimal::from_str(s).unwrap()
    }

    #[test]
    fn style_codes_of_the_known_shapes_name_their_brand_and_others_none() {
        for (code, brand) in [
            ("DD1391-100", Some("nike")),
            ("555088-134", Some("nike")),
            ("1201A789-020", Some("asics")),
            ("GW2871", Some("adidas")),
            ("B75571", Some("adidas")),
            ("374915-01", Some("puma")),
            ("162050C", Some("converse")),
            ("VN0A4U39", Some("vans")),
            ("M990GL6", Some("new-balance")),
            ("U9060MAC", Some("new-balance")),
            ("BB550WT1", Some("new-balance")),
            ("hello", None),
            ("DD1391", Some("adidas")),
            ("12345", None),
            ("", None),
        ] {
            assert_eq!(brand_of_style_code(code), brand, "{code}");
        }
    }

    #[test]
    fn shipping_is_shared_by_cost_and_the_shares_add_up_to_the_cent() {
        // 100 and 50 share 10.00: 6.666… and 3.333… → 6.67 and 3.33
        let shares = allocate(&[d("100"), d("50")], d("10.00"), 2);
        assert_eq!(shares, [d("6.67"), d("3.33")]);
        // three equal pairs share 1.00: 0.34, 0.33, 0.33
        let shares = allocate(&[d("80"), d("80"), d("80")], d("1.00"), 2);
        assert_eq!(shares, [d("0.34"), d("0.33"), d("0.33")]);
        // a discount larger than shipping is a negative share
        let shares = allocate(&[d("100"), d("100")], d("-5.01"), 2);
        assert_eq!(shares, [d("-2.51"), d("-2.50")]);
        // free items share equally
        assert_eq!(allocate(&[d("0"), d("0")], d("3"), 0), [d("2"), d("1")]);
    }

    #[test]
    fn the_region_follows_the_currency_with_eur_as_eu() {
        let c = |s: &str| Currency::parse("currency", s).unwrap();
        assert_eq!(region_of_currency(c("EUR")), "EU");
        assert_eq!(region_of_currency(c("USD")), "US");
        assert_eq!(region_of_currency(c("GBP")), "GB");
    }
}
