//! The ledger's SQL (migration 6): purchases and their lines, pairs and their events, listings,
//! orders and their fee lines, and the two reports. One statement per function; the
//! transactions are the application layer's. The lifecycle itself is enforced by the
//! database (`products.inventory_transitions()` and its trigger), whoever writes.

use sqlx::postgres::PgConnection;
use sqlx::types::chrono::{DateTime, NaiveDate, Utc};
use sqlx::types::{Decimal, Uuid};
use sqlx::PgExecutor;

/// Who moves a pair, why, when, and for which order or listing: the context the event trigger
/// reads, set for the rest of the current transaction (empty text reads as NULL).
#[derive(Debug, Clone, Default)]
pub struct EventContext {
    pub user_id: Option<Uuid>,
    pub reason: Option<String>,
    pub order_id: Option<Uuid>,
    pub listing_id: Option<Uuid>,
    /// When it happened (NULL: now()).
    pub at: Option<DateTime<Utc>>,
}

/// Sets the event context for the rest of the transaction `conn` is in.
pub async fn set_event_context(
    conn: &mut PgConnection,
    ctx: &EventContext,
) -> Result<(), sqlx::Error> {
    let text = |v: Option<String>| v.unwrap_or_default();
    sqlx::query(
        "select set_config('soleflip.user_id', $1, true), set_config('soleflip.reason', $2, true), \
                set_config('soleflip.order_id', $3, true), \
                set_config('soleflip.listing_id', $4, true), \
                set_config('soleflip.event_at', $5, true)",
    )
    .bind(text(ctx.user_id.map(|u| u.to_string())))
    .bind(text(ctx.reason.clone()))
    .bind(text(ctx.order_id.map(|u| u.to_string())))
    .bind(text(ctx.listing_id.map(|u| u.to_string())))
    .bind(text(ctx.at.map(|t| t.to_rfc3339())))
    .execute(conn)
    .await
    .map(|_| ())
}

/// The id of a brand by slug.
pub async fn brand_id(db: impl PgExecutor<'_>, slug: &str) -> Result<Option<Uuid>, sqlx::Error> {
    sqlx::query_scalar("select id from core.brands where slug = $1")
        .bind(slug)
        .fetch_optional(db)
        .await
}

/// The id of a category by slug.
pub async fn category_id(db: impl PgExecutor<'_>, slug: &str) -> Result<Option<Uuid>, sqlx::Error> {
    sqlx::query_scalar("select id from core.categories where slug = $1")
        .bind(slug)
        .fetch_optional(db)
        .await
}

/// A new catalog product; its name is the SKU until an enrichment names it.
pub async fn insert_product(
    db: impl PgExecutor<'_>,
    sku: &str,
    brand_id: Option<Uuid>,
    category_id: Uuid,
) -> Result<Uuid, sqlx::Error> {
    sqlx::query_scalar(
        "insert into products.products (sku, name, brand_id, category_id, style_code) \
         values ($1, $1, $2, $3, $1) returning id",
    )
    .bind(sku)
    .bind(brand_id)
    .bind(category_id)
    .fetch_one(db)
    .await
}

/// A size row as the size service read it.
#[derive(Debug, Clone)]
pub struct NewSize<'a> {
    pub brand_id: Option<Uuid>,
    pub category_id: Uuid,
    pub cohort: &'a str,
    pub region: &'a str,
    pub value: &'a str,
    pub parsed: Option<&'a str>,
    pub standardized: Option<Decimal>,
}

/// The size row with this identity (brand, category, cohort, region, value), created when
/// missing.
pub async fn find_or_insert_size(
    db: impl PgExecutor<'_>,
    size: &NewSize<'_>,
) -> Result<Uuid, sqlx::Error> {
    sqlx::query_scalar(
        "insert into products.sizes (brand_id, category_id, cohort, region, value, parsed, \
                                     standardized_value) \
         values ($1, $2, $3, $4, $5, $6, $7) \
         on conflict ((coalesce(brand_id, '00000000-0000-0000-0000-000000000000'::uuid)), \
                      (coalesce(category_id, '00000000-0000-0000-0000-000000000000'::uuid)), \
                      cohort, region, value) \
         do update set parsed = coalesce(products.sizes.parsed, excluded.parsed) \
         returning id",
    )
    .bind(size.brand_id)
    .bind(size.category_id)
    .bind(size.cohort)
    .bind(size.region)
    .bind(size.value)
    .bind(size.parsed)
    .bind(size.standardized)
    .fetch_one(db)
    .await
}

/// A supplier by name or slug (case-insensitive).
pub async fn supplier_id(db: impl PgExecutor<'_>, name: &str) -> Result<Option<Uuid>, sqlx::Error> {
    sqlx::query_scalar(
        "select id from core.suppliers where lower(name) = lower($1) or lower(slug) = lower($1) \
         order by id limit 1",
    )
    .bind(name)
    .fetch_optional(db)
    .await
}

/// An invoice header.
#[derive(Debug, Clone)]
pub struct NewPurchase<'a> {
    pub supplier_id: Option<Uuid>,
    pub supplier_name: Option<&'a str>,
    pub invoice_number: Option<&'a str>,
    pub invoice_date: NaiveDate,
    pub currency: &'a str,
    pub vat_treatment: &'a str,
    pub shipping: Decimal,
    pub discount: Decimal,
}

pub async fn insert_purchase(
    db: impl PgExecutor<'_>,
    p: &NewPurchase<'_>,
) -> Result<Uuid, sqlx::Error> {
    sqlx::query_scalar(
        "insert into transactions.purchases (supplier_id, supplier_name, invoice_number, \
             invoice_date, currency, vat_treatment, shipping, discount) \
         values ($1, $2, $3, $4, $5, $6, $7, $8) returning id",
    )
    .bind(p.supplier_id)
    .bind(p.supplier_name)
    .bind(p.invoice_number)
    .bind(p.invoice_date)
    .bind(p.currency)
    .bind(p.vat_treatment)
    .bind(p.shipping)
    .bind(p.discount)
    .fetch_one(db)
    .await
}

/// One invoice line (line totals).
#[derive(Debug, Clone)]
pub struct NewPurchaseLine {
    pub purchase_id: Uuid,
    pub line_no: i32,
    pub product_id: Uuid,
    pub size_id: Uuid,
    pub quantity: i32,
    pub net: Decimal,
    pub vat_rate: Decimal,
    pub vat: Decimal,
    pub gross: Decimal,
}

pub async fn insert_purchase_line(
    db: impl PgExecutor<'_>,
    l: &NewPurchaseLine,
) -> Result<Uuid, sqlx::Error> {
    sqlx::query_scalar(
        "insert into transactions.purchase_lines (purchase_id, line_no, product_id, size_id, \
             quantity, net, vat_rate, vat, gross) \
         values ($1, $2, $3, $4, $5, $6, $7, $8, $9) returning id",
    )
    .bind(l.purchase_id)
    .bind(l.line_no)
    .bind(l.product_id)
    .bind(l.size_id)
    .bind(l.quantity)
    .bind(l.net)
    .bind(l.vat_rate)
    .bind(l.vat)
    .bind(l.gross)
    .fetch_one(db)
    .await
}

/// One pair bought on an invoice line.
#[derive(Debug, Clone)]
pub struct NewPair<'a> {
    pub product_id: Uuid,
    pub size_id: Uuid,
    pub purchase_line_id: Uuid,
    pub supplier_id: Option<Uuid>,
    pub supplier_name: Option<&'a str>,
    /// Unit net, VAT and gross as invoiced.
    pub net: Decimal,
    pub vat: Decimal,
    pub gross: Decimal,
    pub vat_rate: Decimal,
    pub cost_basis: Decimal,
    pub currency: &'a str,
    pub purchase_date: DateTime<Utc>,
    pub state: &'a str,
}

pub async fn insert_pair(db: impl PgExecutor<'_>, p: &NewPair<'_>) -> Result<Uuid, sqlx::Error> {
    sqlx::query_scalar(
        "insert into products.inventory (product_id, size_id, purchase_line_id, supplier_id, \
             supplier, quantity, purchase_price, vat_amount, gross_purchase_price, vat_rate, \
             cost_basis, currency, purchase_date, detailed_status) \
         values ($1, $2, $3, $4, $5, 1, $6, $7, $8, $9, $10, $11, $12, \
                 $13::text::products.inventory_status) \
         returning id",
    )
    .bind(p.product_id)
    .bind(p.size_id)
    .bind(p.purchase_line_id)
    .bind(p.supplier_id)
    .bind(p.supplier_name)
    .bind(p.net)
    .bind(p.vat)
    .bind(p.gross)
    .bind(p.vat_rate)
    .bind(p.cost_basis)
    .bind(p.currency)
    .bind(p.purchase_date)
    .bind(p.state)
    .fetch_one(db)
    .await
}

/// A pair as the inventory commands show it.
#[derive(Debug, Clone, PartialEq, sqlx::FromRow, serde::Serialize, utoipa::ToSchema)]
pub struct PairRow {
    pub id: Uuid,
    pub sku: String,
    pub product_name: String,
    pub brand: Option<String>,
    pub size: String,
    /// The lifecycle state (None: adopted with a status text that has no mapping).
    pub state: Option<String>,
    pub currency: String,
    /// Cost basis (adopted pairs: purchase price).
    pub cost: Option<Decimal>,
    pub purchase_line_id: Option<Uuid>,
    pub location: Option<String>,
    /// When it entered our books (its first event), UTC.
    pub entered_at: Option<String>,
    pub age_days: Option<i32>,
    /// When it entered our books, to the microsecond: the key of the list's order (cursors).
    #[serde(skip)]
    pub entered: sqlx::types::chrono::DateTime<sqlx::types::chrono::Utc>,
}

/// What `inventory list` asks for.
#[derive(Debug, Clone, Default)]
pub struct PairFilter {
    pub id: Option<Uuid>,
    /// A state label, or `unknown`.
    pub state: Option<String>,
    pub sku: Option<String>,
    /// A brand's name, any case.
    pub brand: Option<String>,
    /// A size as the list shows it (`US 10`, region in any case), or a bare value (`10`) on
    /// any chart.
    pub size: Option<String>,
    /// Only pairs at least this many whole days in the books.
    pub older_than_days: Option<i32>,
    /// Only pairs at most this many whole days in the books.
    pub at_most_days: Option<i32>,
    pub order: PairOrder,
    pub limit: i64,
    /// Keyset cursor: only the pairs after this key in the list's order.
    pub after: Option<PairKey>,
    /// Read the list backward: the pairs before `after`, the nearest first (a previous page).
    pub backward: bool,
}

/// What the inventory list is ordered by, then by id (a total order, so keyset pages neither
/// repeat nor skip a pair). Pairs without the column's value (no cost, no brand) come last in
/// either direction.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct PairOrder {
    pub by: PairColumn,
    pub desc: bool,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum PairColumn {
    /// When the pair entered the books (the list's index order).
    #[default]
    Entered,
    /// Cost basis (adopted pairs: purchase price).
    Cost,
    Sku,
    Brand,
}

impl PairColumn {
    fn expr(self) -> &'static str {
        match self {
            PairColumn::Entered => "f.occurred_at",
            PairColumn::Cost => "coalesce(i.cost_basis, i.purchase_price)",
            PairColumn::Sku => "p.sku::text",
            PairColumn::Brand => "b.name::text",
        }
    }

    /// The key of `row` in this order.
    pub fn key_of(self, row: &PairRow) -> PairKey {
        let value = match self {
            PairColumn::Entered => KeyValue::At(row.entered),
            PairColumn::Cost => KeyValue::Amount(row.cost),
            PairColumn::Sku => KeyValue::Text(Some(row.sku.clone())),
            PairColumn::Brand => KeyValue::Text(row.brand.clone()),
        };
        PairKey { value, id: row.id }
    }
}

/// The sort key of one pair in a [`PairOrder`]: the column's value (None: the pair has none)
/// and the pair's id.
#[derive(Debug, Clone, PartialEq)]
pub struct PairKey {
    pub value: KeyValue,
    pub id: Uuid,
}

#[derive(Debug, Clone, PartialEq)]
pub enum KeyValue {
    At(DateTime<Utc>),
    Amount(Option<Decimal>),
    Text(Option<String>),
}

impl KeyValue {
    fn is_null(&self) -> bool {
        matches!(self, KeyValue::Amount(None) | KeyValue::Text(None))
    }
}

/// The pairs `f` asks for (ledger/pairs.sql with the filters of `f` added).
pub async fn pairs(db: impl PgExecutor<'_>, f: &PairFilter) -> Result<Vec<PairRow>, sqlx::Error> {
    let sql = include_str!("ledger/pairs.sql");
    let head = &sql[..sql.rfind("\norder by").unwrap_or(sql.len())];
    let mut n = 0;
    let mut next = || {
        n += 1;
        n
    };
    let mut filters = String::new();
    if f.id.is_some() {
        filters.push_str(&format!("\n  and i.id = ${}", next()));
    }
    match f.state.as_deref() {
        None => {}
        Some("unknown") => filters.push_str("\n  and i.detailed_status is null"),
        Some("in_stock") => {
            filters.push_str("\n  and i.detailed_status in ('incoming', 'available', 'consigned')")
        }
        Some(_) => filters.push_str(&format!(
            "\n  and i.detailed_status = ${}::text::products.inventory_status",
            next()
        )),
    }
    if f.sku.is_some() {
        filters.push_str(&format!("\n  and p.sku = ${}", next()));
    }
    if f.brand.is_some() {
        filters.push_str(&format!("\n  and lower(b.name::text) = lower(${})", next()));
    }
    // `US 10`: that chart's size; `10`: the value on any chart.
    let size = f.size.as_deref().map(|s| match s.split_once(' ') {
        Some((region, value)) => (Some(region.trim()), value.trim()),
        None => (None, s.trim()),
    });
    if let Some((region, _)) = size {
        // `9` finds `9.0`: numbers compare as numbers (each cast guarded by its case).
        let number =
            |x: &str| format!("case when {x} ~ '^[0-9]+(\\.[0-9]+)?$' then {x}::numeric end");
        if region.is_some() {
            filters.push_str(&format!(
                "\n  and upper(s.region::text) = upper(${})",
                next()
            ));
        }
        let v = format!("${}", next());
        filters.push_str(&format!(
            "\n  and (s.value::text = {v} or {} = {})",
            number("s.value::text"),
            number(&v)
        ));
    }
    if f.older_than_days.is_some() {
        filters.push_str(&format!(
            "\n  and f.occurred_at <= now() - make_interval(days => ${})",
            next()
        ));
    }
    if f.at_most_days.is_some() {
        // Whole days: at most N days old is less than N + 1 days.
        filters.push_str(&format!(
            "\n  and f.occurred_at > now() - make_interval(days => ${} + 1)",
            next()
        ));
    }
    // Read backward, the order is the list's reversed, nulls (last in the list) first.
    let by = f.order.by;
    let desc = f.order.desc != f.backward;
    let (cmp, dir) = if desc { ('<', "desc") } else { ('>', "asc") };
    let e = by.expr();
    if let Some(key) = &f.after {
        let after = match (key.value.is_null(), f.backward) {
            // After a null only nulls with a later id (no value is bound); before one, those
            // with an earlier id and every pair with a value.
            (true, false) => format!("{e} is null and f.inventory_id {cmp} ${}", next()),
            (true, true) => format!(
                "({e} is null and f.inventory_id {cmp} ${} or {e} is not null)",
                next()
            ),
            (false, backward) => {
                let (v, id) = (next(), next());
                if by == PairColumn::Entered {
                    // The index's order: a range the index reads from.
                    let le = if desc { "<=" } else { ">=" };
                    format!("{e} {le} ${v} and ({e} {cmp} ${v} or f.inventory_id {cmp} ${id})")
                } else {
                    let nulls = if backward {
                        String::new()
                    } else {
                        format!(" or {e} is null")
                    };
                    format!(
                        "({e} {cmp} ${v} or ({e} = ${v} and f.inventory_id {cmp} ${id}){nulls})"
                    )
                }
            }
        };
        filters.push_str(&format!("\n  and {after}"));
    }
    let nulls = match (by, f.backward) {
        (PairColumn::Entered, _) => "",
        (_, false) => " nulls last",
        (_, true) => " nulls first",
    };
    let limit = f.limit.max(1);
    let sql =
        format!("{head}{filters}\norder by {e} {dir}{nulls}, f.inventory_id {dir}\nlimit {limit}");
    let mut query = sqlx::query_as::<_, PairRow>(&sql);
    if let Some(id) = f.id {
        query = query.bind(id);
    }
    if let Some(state) = f
        .state
        .as_deref()
        .filter(|s| !matches!(*s, "unknown" | "in_stock"))
    {
        query = query.bind(state.to_owned());
    }
    if let Some(sku) = &f.sku {
        query = query.bind(sku.clone());
    }
    if let Some(brand) = &f.brand {
        query = query.bind(brand.clone());
    }
    if let Some((region, value)) = size {
        if let Some(r) = region {
            query = query.bind(r.to_owned());
        }
        query = query.bind(value.to_owned());
    }
    if let Some(days) = f.older_than_days {
        query = query.bind(days);
    }
    if let Some(days) = f.at_most_days {
        query = query.bind(days);
    }
    if let Some(key) = &f.after {
        query = match &key.value {
            KeyValue::At(at) => query.bind(*at),
            KeyValue::Amount(Some(a)) => query.bind(*a),
            KeyValue::Text(Some(t)) => query.bind(t.clone()),
            KeyValue::Amount(None) | KeyValue::Text(None) => query,
        };
        query = query.bind(key.id);
    }
    query.fetch_all(db).await
}

/// The brands of the pairs in the books, by name: what the inventory list can be filtered by.
pub async fn pair_brands(db: impl PgExecutor<'_>) -> Result<Vec<String>, sqlx::Error> {
    // Per product, a probe of the pairs' product index: a semi-join from the brands through
    // products to the pairs reads every pair (13 ms for 10,000; this, 0.6 ms).
    sqlx::query_scalar(
        "select distinct b.name::text from core.brands b \
         join products.products p on p.brand_id = b.id \
         where exists (select 1 from products.inventory i where i.product_id = p.id) \
         order by 1",
    )
    .fetch_all(db)
    .await
}

/// The sizes of the pairs in the books as the list shows them (`US 10`), by chart and size.
pub async fn pair_sizes(db: impl PgExecutor<'_>) -> Result<Vec<String>, sqlx::Error> {
    sqlx::query_scalar(
        "select s.region::text || ' ' || s.value::text from products.sizes s \
         where exists (select 1 from products.inventory i where i.size_id = s.id) \
         group by s.region, s.value \
         order by s.region, min(s.standardized_value) nulls last, length(s.value), s.value",
    )
    .fetch_all(db)
    .await
}

/// The latest sale of a pair that is not cancelled, if any.
#[derive(Debug, Clone, PartialEq, sqlx::FromRow, serde::Serialize, utoipa::ToSchema)]
pub struct SaleRow {
    pub order_id: Uuid,
    pub platform: String,
    pub sale_price: Decimal,
    pub payout: Option<Decimal>,
    pub currency: String,
    /// UTC.
    pub sold_at: String,
    pub status: Option<String>,
    /// The reported payout did not balance; a derived line makes up the difference.
    pub flagged: bool,
}

pub async fn sale_of(db: impl PgExecutor<'_>, pair: Uuid) -> Result<Option<SaleRow>, sqlx::Error> {
    sqlx::query_as(
        "select o.id as order_id, p.slug::text as platform, o.sale_price, o.payout, o.currency, \
                to_char(o.sold_at at time zone 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS\"Z\"') as sold_at, \
                o.order_status::text as status, coalesce(o.payout_flagged, false) as flagged \
         from transactions.orders o join core.platforms p on p.id = o.platform_id \
         where o.inventory_id = $1 and o.order_status is distinct from 'cancelled' \
         order by o.sold_at desc, o.created_at desc limit 1",
    )
    .bind(pair)
    .fetch_optional(db)
    .await
}

/// One fee line of an order.
#[derive(Debug, Clone, PartialEq, sqlx::FromRow, serde::Serialize, utoipa::ToSchema)]
pub struct FeeLineRow {
    pub kind: String,
    pub amount: Decimal,
    pub currency: String,
    /// `reported`, `schedule` or `derived`.
    pub source: String,
}

/// The fee lines of an order, in the fee schedule's order of kinds.
pub async fn fee_lines_of(
    db: impl PgExecutor<'_>,
    order: Uuid,
) -> Result<Vec<FeeLineRow>, sqlx::Error> {
    sqlx::query_as(
        "select kind::text as kind, amount, currency::text as currency, source::text as source \
         from transactions.order_fee_lines where order_id = $1 \
         order by array_position(array['transaction_fee', 'payment_processing', 'shipping', \
                                       'minimum_fee_topup', 'cash_out', 'other'], kind::text), \
                  created_at, id",
    )
    .bind(order)
    .fetch_all(db)
    .await
}

/// The state of a pair, locked until the end of the transaction. Outer None: no such pair;
/// inner None: its state is unknown.
pub async fn lock_pair_state(
    conn: &mut PgConnection,
    id: Uuid,
) -> Result<Option<Option<String>>, sqlx::Error> {
    sqlx::query_scalar(
        "select detailed_status::text from products.inventory where id = $1 for update",
    )
    .bind(id)
    .fetch_optional(conn)
    .await
}

/// Moves a pair to `to` (the trigger checks the rule and writes the event).
pub async fn move_pair(conn: &mut PgConnection, id: Uuid, to: &str) -> Result<(), sqlx::Error> {
    sqlx::query(
        "update products.inventory set detailed_status = $2::text::products.inventory_status \
         where id = $1",
    )
    .bind(id)
    .bind(to)
    .execute(conn)
    .await
    .map(|_| ())
}

/// One event of a pair's history.
#[derive(Debug, Clone, PartialEq, sqlx::FromRow, serde::Serialize, utoipa::ToSchema)]
pub struct EventRow {
    pub at: String,
    pub from_state: Option<String>,
    pub to_state: Option<String>,
    pub reason: Option<String>,
    pub user_id: Option<Uuid>,
    pub order_id: Option<Uuid>,
    pub listing_id: Option<Uuid>,
    /// The old free-text status (first event of an adopted pair).
    pub legacy_status: Option<String>,
}

/// A pair's events, oldest first.
pub async fn events(db: impl PgExecutor<'_>, id: Uuid) -> Result<Vec<EventRow>, sqlx::Error> {
    sqlx::query_as(
        "select to_char(occurred_at at time zone 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS\"Z\"') as at, \
                from_state::text as from_state, to_state::text as to_state, reason, user_id, \
                order_id, listing_id, legacy_status \
         from products.inventory_events where inventory_id = $1 \
         order by occurred_at, from_state nulls first, seq",
    )
    .bind(id)
    .fetch_all(db)
    .await
}

/// A platform's id by slug.
pub async fn platform_id(db: impl PgExecutor<'_>, slug: &str) -> Result<Option<Uuid>, sqlx::Error> {
    sqlx::query_scalar("select id from core.platforms where slug = $1")
        .bind(slug)
        .fetch_optional(db)
        .await
}

/// A listing.
#[derive(Debug, Clone, PartialEq, sqlx::FromRow, serde::Serialize, utoipa::ToSchema)]
pub struct ListingRow {
    pub id: Uuid,
    pub inventory_id: Uuid,
    pub platform: String,
    pub price: Option<Decimal>,
    pub currency: String,
    pub status: String,
}

const LISTING_COLUMNS: &str = "select l.id, l.inventory_id, p.slug::text as platform, l.price, \
                               l.currency, l.status::text as status \
                               from platforms.listings l \
                               join core.platforms p on p.id = l.platform_id";

/// A listing by id.
pub async fn listing(db: impl PgExecutor<'_>, id: Uuid) -> Result<Option<ListingRow>, sqlx::Error> {
    sqlx::query_as(&format!("{LISTING_COLUMNS} where l.id = $1"))
        .bind(id)
        .fetch_optional(db)
        .await
}

/// The listings of a pair, oldest first.
pub async fn listings_of(
    db: impl PgExecutor<'_>,
    pair: Uuid,
) -> Result<Vec<ListingRow>, sqlx::Error> {
    sqlx::query_as(&format!(
        "{LISTING_COLUMNS} where l.inventory_id = $1 order by l.listed_at, l.id"
    ))
    .bind(pair)
    .fetch_all(db)
    .await
}

/// The active listing of a pair on a platform, if any.
pub async fn active_listing(
    db: impl PgExecutor<'_>,
    pair: Uuid,
    platform_id: Uuid,
) -> Result<Option<Uuid>, sqlx::Error> {
    sqlx::query_scalar(
        "select id from platforms.listings \
         where inventory_id = $1 and platform_id = $2 and status = 'active'",
    )
    .bind(pair)
    .bind(platform_id)
    .fetch_optional(db)
    .await
}

pub async fn insert_listing(
    db: impl PgExecutor<'_>,
    pair: Uuid,
    platform_id: Uuid,
    price: Decimal,
    currency: &str,
) -> Result<Uuid, sqlx::Error> {
    sqlx::query_scalar(
        "insert into platforms.listings (inventory_id, platform_id, price, currency) \
         values ($1, $2, $3, $4) returning id",
    )
    .bind(pair)
    .bind(platform_id)
    .bind(price)
    .bind(currency)
    .fetch_one(db)
    .await
}

/// Ends an active listing as `ended` or `sold`; false when it was not active.
pub async fn end_listing(
    db: impl PgExecutor<'_>,
    id: Uuid,
    status: &str,
) -> Result<bool, sqlx::Error> {
    let done = sqlx::query(
        "update platforms.listings set status = $2, ended_at = now() \
         where id = $1 and status = 'active'",
    )
    .bind(id)
    .bind(status)
    .execute(db)
    .await?;
    Ok(done.rows_affected() == 1)
}

/// Ends every active listing of a pair except `keep`; the number ended.
pub async fn end_other_listings(
    db: impl PgExecutor<'_>,
    pair: Uuid,
    keep: Option<Uuid>,
) -> Result<u64, sqlx::Error> {
    let done = sqlx::query(
        "update platforms.listings set status = 'ended', ended_at = now() \
         where inventory_id = $1 and status = 'active' and id is distinct from $2",
    )
    .bind(pair)
    .bind(keep)
    .execute(db)
    .await?;
    Ok(done.rows_affected())
}

/// An order of one pair.
#[derive(Debug, Clone)]
pub struct NewOrder<'a> {
    pub inventory_id: Uuid,
    pub listing_id: Option<Uuid>,
    pub platform_id: Uuid,
    pub sale_price: Decimal,
    pub payout: Decimal,
    pub currency: &'a str,
    pub sold_at: DateTime<Utc>,
    pub flagged: bool,
}

pub async fn insert_order(db: impl PgExecutor<'_>, o: &NewOrder<'_>) -> Result<Uuid, sqlx::Error> {
    sqlx::query_scalar(
        "insert into transactions.orders (inventory_id, pair_listing_id, platform_id, \
             sale_price, net_proceeds, payout, currency, sold_at, payout_flagged, order_status) \
         values ($1, $2, $3, $4, $5, $5, $6, $7, $8, 'pending') returning id",
    )
    .bind(o.inventory_id)
    .bind(o.listing_id)
    .bind(o.platform_id)
    .bind(o.sale_price)
    .bind(o.payout)
    .bind(o.currency)
    .bind(o.sold_at)
    .bind(o.flagged)
    .fetch_one(db)
    .await
}

/// One fee line of an order.
#[derive(Debug, Clone)]
pub struct NewFeeLine<'a> {
    pub order_id: Uuid,
    pub kind: &'a str,
    pub amount: Decimal,
    pub currency: &'a str,
    pub source: &'a str,
    pub rate_pct: Option<Decimal>,
    pub schedule_row: Option<String>,
}

pub async fn insert_fee_line(
    db: impl PgExecutor<'_>,
    f: &NewFeeLine<'_>,
) -> Result<(), sqlx::Error> {
    sqlx::query(
        "insert into transactions.order_fee_lines (order_id, kind, amount, currency, source, \
             rate_pct, schedule_row) values ($1, $2, $3, $4, $5, $6, $7)",
    )
    .bind(f.order_id)
    .bind(f.kind)
    .bind(f.amount)
    .bind(f.currency)
    .bind(f.source)
    .bind(f.rate_pct)
    .bind(f.schedule_row.as_deref())
    .execute(db)
    .await
    .map(|_| ())
}

/// Sets the status of the pair's latest order that is not cancelled (a sale completed or
/// cancelled); false when it has none.
pub async fn set_latest_order_status(
    db: impl PgExecutor<'_>,
    pair: Uuid,
    status: &str,
) -> Result<bool, sqlx::Error> {
    let done = sqlx::query(
        "update transactions.orders set order_status = $2, \
             completed_at = case when $2 = 'completed' then now() else completed_at end \
         where id = (select id from transactions.orders \
                     where inventory_id = $1 and order_status is distinct from 'cancelled' \
                     order by sold_at desc, created_at desc limit 1)",
    )
    .bind(pair)
    .bind(status)
    .execute(db)
    .await?;
    Ok(done.rows_affected() == 1)
}

/// One line of `report pnl`.
#[derive(Debug, Clone, PartialEq, sqlx::FromRow, serde::Serialize, utoipa::ToSchema)]
pub struct PnlRow {
    pub group: String,
    pub currency: String,
    pub orders: i64,
    pub revenue: Decimal,
    pub fee_transaction: Decimal,
    pub fee_payment_processing: Decimal,
    pub fee_shipping: Decimal,
    pub fee_minimum_topup: Decimal,
    pub fee_cash_out: Decimal,
    pub fee_other: Decimal,
    pub payouts: Decimal,
    pub cogs: Decimal,
    pub gross_profit: Decimal,
    pub roi_pct: Option<Decimal>,
    pub orders_without_cost: i64,
    pub avg_days_to_sell: Option<Decimal>,
}

/// Profit and loss of the orders sold in `[from, to)`, grouped by `by` (`month`, `platform`,
/// `brand`, or `all`).
pub async fn pnl(
    db: impl PgExecutor<'_>,
    from: Option<DateTime<Utc>>,
    to: Option<DateTime<Utc>>,
    by: &str,
) -> Result<Vec<PnlRow>, sqlx::Error> {
    sqlx::query_as(include_str!("ledger/pnl.sql"))
        .bind(from)
        .bind(to)
        .bind(by)
        .fetch_all(db)
        .await
}

/// The `limit` pairs in stock that entered the books first.
pub async fn oldest_in_stock(
    db: impl PgExecutor<'_>,
    limit: i64,
) -> Result<Vec<PairRow>, sqlx::Error> {
    sqlx::query_as(include_str!("ledger/oldest.sql"))
        .bind(limit)
        .fetch_all(db)
        .await
}

/// One line of `report stock`.
#[derive(Debug, Clone, PartialEq, sqlx::FromRow, serde::Serialize, utoipa::ToSchema)]
pub struct StockRow {
    pub state: String,
    pub age_band: String,
    pub currency: String,
    pub pairs: i64,
    pub capital: Decimal,
    pub pairs_without_cost: i64,
}

pub async fn stock(db: impl PgExecutor<'_>) -> Result<Vec<StockRow>, sqlx::Error> {
    sqlx::query_as(include_str!("ledger/stock.sql"))
        .fetch_all(db)
        .await
}
