//! The `integration` schema's prices: `price_sources`, the one place prices live, and
//! `price_history`, its superseded observations. Here are the upsert path every importer writes
//! through (COPY into a staging table, then one `INSERT ... ON CONFLICT` per partial unique
//! index), the latest prices, the one lookup from a size string to a `products.sizes` row, and
//! ([`legacy`]) the statements that move the two legacy price tables into `price_sources`, and
//! ([`history`]) the month partitions of `price_history`.
//! The SQL is in `integration/*.sql`.

pub mod history;
pub mod legacy;

use crate::copy_text::{push_opt, push_text};
use std::fmt::Write as _;

use soleflip_domain::sizes::{self, BrandFamily, Context, Measure, SizeError, Source};
use sqlx::postgres::PgConnection;
use sqlx::types::chrono::{DateTime, Utc};
use sqlx::types::Uuid;
use sqlx::Connection;

macro_rules! label_enum {
    ($(#[$doc:meta])* $name:ident : $pg:literal { $($variant:ident = $label:literal),+ $(,)? }) => {
        $(#[$doc])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize)]
        pub enum $name { $($variant),+ }

        impl $name {
            /// Every value, in the PostgreSQL enum's order.
            pub const ALL: &'static [Self] = &[$(Self::$variant),+];
            /// The PostgreSQL type this mirrors.
            pub const PG_TYPE: &'static str = $pg;

            /// The PostgreSQL enum label.
            pub fn label(self) -> &'static str {
                match self { $(Self::$variant => $label),+ }
            }

            /// The value whose label is `label` (exactly).
            pub fn from_label(label: &str) -> Option<Self> {
                Self::ALL.iter().copied().find(|v| v.label() == label)
            }

            /// The labels, comma-separated, for messages.
            pub fn labels() -> String {
                Self::ALL.iter().map(|v| v.label()).collect::<Vec<_>>().join(", ")
            }
        }

        impl std::fmt::Display for $name {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str(self.label())
            }
        }
    };
}

label_enum! {
    /// Where a price comes from (`integration.source_type_enum`).
    SourceType: "integration.source_type_enum" {
        Stockx = "stockx", Awin = "awin", Ebay = "ebay", Goat = "goat", Klekt = "klekt",
        Restocks = "restocks", Stockxapi = "stockxapi",
    }
}

impl SourceType {
    /// The source a legacy table names (`StockX`, `stockx_api`, `eBay`): lowercase, letters
    /// only. The same rule as in `legacy_stage.sql`, which maps the rows themselves.
    pub fn from_legacy_name(name: &str) -> Option<Self> {
        let key: String = name
            .chars()
            .filter(char::is_ascii_alphabetic)
            .map(|c| c.to_ascii_lowercase())
            .collect();
        Self::from_label(&key)
    }
}

label_enum! {
    /// What kind of price it is (`integration.price_type_enum`).
    PriceType: "integration.price_type_enum" {
        Resale = "resale", Retail = "retail", Auction = "auction", Wholesale = "wholesale",
    }
}

label_enum! {
    /// The condition of the pair priced (`integration.condition_enum`).
    Condition: "integration.condition_enum" {
        New = "new", LikeNew = "like_new", UsedExcellent = "used_excellent",
        UsedGood = "used_good", UsedFair = "used_fair", Deadstock = "deadstock",
    }
}

/// One price to write: a row of `integration.price_sources` as an importer knows it. Its key is
/// (product, source, source product, size); money is integer cents.
#[derive(Debug, Clone, PartialEq)]
pub struct NewPriceSource {
    pub product_id: Uuid,
    pub size_id: Option<Uuid>,
    pub source_type: SourceType,
    /// The product's id at the source (a StockX variant, an AWIN merchant product id).
    pub source_product_id: String,
    pub source_name: Option<String>,
    pub price_type: PriceType,
    pub price_cents: i32,
    /// ISO 4217, one of `core.currencies`.
    pub currency: String,
    pub stock_quantity: Option<i32>,
    pub in_stock: bool,
    pub condition: Option<Condition>,
    pub source_url: Option<String>,
    pub affiliate_link: Option<String>,
    pub supplier_id: Option<Uuid>,
    pub metadata: Option<serde_json::Value>,
    /// When the source reported this price (None: unknown; never blocks a later update).
    pub last_updated: Option<DateTime<Utc>>,
}

impl NewPriceSource {
    /// The first field that cannot be stored, and why.
    fn problem(&self) -> Option<(&'static str, String)> {
        if self.price_cents < 0 {
            return Some(("price_cents", format!("{} is negative", self.price_cents)));
        }
        let currency_ok =
            self.currency.len() == 3 && self.currency.bytes().all(|b| b.is_ascii_uppercase());
        if !currency_ok {
            return Some((
                "currency",
                format!(
                    "{:?} is not an ISO 4217 code (three capital letters)",
                    self.currency
                ),
            ));
        }
        if self.stock_quantity.is_some_and(|q| q < 0) {
            return Some(("stock_quantity", "is negative".to_string()));
        }
        if self.source_product_id.is_empty() || self.source_product_id.chars().count() > 100 {
            return Some((
                "source_product_id",
                "must have 1 to 100 characters".to_string(),
            ));
        }
        if self
            .source_name
            .as_ref()
            .is_some_and(|n| n.chars().count() > 200)
        {
            return Some(("source_name", "is longer than 200 characters".to_string()));
        }
        None
    }
}

/// What one upsert did.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, serde::Serialize)]
pub struct UpsertOutcome {
    /// Rows given.
    pub received: u64,
    /// Rows after keeping the last row of each key in the batch.
    pub distinct: u64,
    /// New price sources.
    pub inserted: u64,
    /// Price sources changed (each change of price, currency or stock appended one history row).
    pub updated: u64,
    /// Rows equal to what is stored, or older than it: nothing written.
    pub unchanged: u64,
}

/// Why an upsert wrote nothing.
#[derive(Debug, thiserror::Error)]
pub enum UpsertError {
    /// A row that cannot be stored (1-based position in the batch).
    #[error("price row {row}: {field}: {reason}")]
    Invalid {
        row: usize,
        field: &'static str,
        reason: String,
    },
    /// A row naming a currency, product or size the database does not have.
    #[error("price row {row}: {problem}")]
    Unknown { row: usize, problem: String },
    #[error("writing prices: {0}")]
    Sql(#[from] sqlx::Error),
}

const STAGING: &str = "
    create temporary table if not exists price_staging (
        seq bigint not null,
        product_id uuid not null,
        size_id uuid,
        source_type text not null,
        source_product_id text not null,
        source_name text,
        price_type text not null,
        price_cents integer not null,
        currency text not null,
        stock_quantity integer,
        in_stock boolean not null,
        condition text,
        source_url text,
        affiliate_link text,
        supplier_id uuid,
        metadata jsonb,
        last_updated timestamptz
    ) on commit drop;
    truncate price_staging;";

/// COPY sends this much per message.
const COPY_CHUNK: usize = 1 << 22;

/// Writes `rows` into `integration.price_sources`: new keys are inserted, changed ones updated
/// (the trigger appends the replaced observation to `price_history`), unchanged or older ones
/// left alone. All or nothing: in its own transaction, or in a savepoint of the caller's.
/// The rows go through COPY into a temporary staging table and are merged with one statement
/// per partial unique index (`uq_price_source_with_size`, `uq_price_source_without_size`).
pub async fn upsert_price_sources(
    conn: &mut PgConnection,
    rows: &[NewPriceSource],
) -> Result<UpsertOutcome, UpsertError> {
    for (i, row) in rows.iter().enumerate() {
        if let Some((field, reason)) = row.problem() {
            return Err(UpsertError::Invalid {
                row: i + 1,
                field,
                reason,
            });
        }
    }
    let mut tx = conn.begin().await?;
    sqlx::raw_sql(STAGING).execute(&mut *tx).await?;
    let mut copy = tx
        .copy_in_raw(
            "copy price_staging (seq, product_id, size_id, source_type, source_product_id, \
             source_name, price_type, price_cents, currency, stock_quantity, in_stock, condition, \
             source_url, affiliate_link, supplier_id, metadata, last_updated) from stdin",
        )
        .await?;
    let mut buf = String::with_capacity(COPY_CHUNK + 4096);
    for (i, r) in rows.iter().enumerate() {
        let _ = write!(buf, "{}\t{}\t", i + 1, r.product_id);
        push_opt(&mut buf, r.size_id.map(|u| u.to_string()).as_deref());
        buf.push('\t');
        buf.push_str(r.source_type.label());
        buf.push('\t');
        push_text(&mut buf, &r.source_product_id);
        buf.push('\t');
        push_opt(&mut buf, r.source_name.as_deref());
        let _ = write!(buf, "\t{}\t{}\t", r.price_type.label(), r.price_cents);
        push_text(&mut buf, &r.currency);
        buf.push('\t');
        push_opt(&mut buf, r.stock_quantity.map(|q| q.to_string()).as_deref());
        buf.push_str(if r.in_stock { "\tt\t" } else { "\tf\t" });
        push_opt(&mut buf, r.condition.map(Condition::label));
        buf.push('\t');
        push_opt(&mut buf, r.source_url.as_deref());
        buf.push('\t');
        push_opt(&mut buf, r.affiliate_link.as_deref());
        buf.push('\t');
        push_opt(&mut buf, r.supplier_id.map(|u| u.to_string()).as_deref());
        buf.push('\t');
        push_opt(
            &mut buf,
            r.metadata.as_ref().map(ToString::to_string).as_deref(),
        );
        buf.push('\t');
        push_opt(&mut buf, r.last_updated.map(|t| t.to_rfc3339()).as_deref());
        buf.push('\n');
        if buf.len() >= COPY_CHUNK {
            copy.send(std::mem::take(&mut buf).into_bytes()).await?;
        }
    }
    if !buf.is_empty() {
        copy.send(buf.into_bytes()).await?;
    }
    copy.finish().await?;
    let bad: Option<(i64, String)> = sqlx::query_as(include_str!("integration/upsert_check.sql"))
        .fetch_optional(&mut *tx)
        .await?;
    if let Some((seq, problem)) = bad {
        return Err(UpsertError::Unknown {
            row: usize::try_from(seq).unwrap_or(usize::MAX),
            problem,
        });
    }
    let mut outcome = UpsertOutcome {
        received: rows.len() as u64,
        ..UpsertOutcome::default()
    };
    for sql in [
        include_str!("integration/upsert_with_size.sql"),
        include_str!("integration/upsert_without_size.sql"),
    ] {
        let (distinct, inserted, updated): (i64, i64, i64) =
            sqlx::query_as(sql).fetch_one(&mut *tx).await?;
        outcome.distinct += count(distinct);
        outcome.inserted += count(inserted);
        outcome.updated += count(updated);
    }
    outcome.unchanged = outcome.distinct - outcome.inserted - outcome.updated;
    tx.commit().await?;
    Ok(outcome)
}

/// Serializes a uuid as its text (sqlx's uuid has no serde).
pub(crate) fn uuid_str<S: serde::Serializer>(u: &Uuid, s: S) -> Result<S::Ok, S::Error> {
    s.collect_str(u)
}

pub(crate) fn opt_uuid_str<S: serde::Serializer>(
    u: &Option<Uuid>,
    s: S,
) -> Result<S::Ok, S::Error> {
    match u {
        Some(u) => s.collect_str(u),
        None => s.serialize_none(),
    }
}

fn count(n: i64) -> u64 {
    u64::try_from(n).unwrap_or(0)
}

/// A catalog product, as the price commands need it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ProductRef {
    pub id: Uuid,
    pub sku: String,
    pub brand_id: Option<Uuid>,
    pub brand_name: Option<String>,
    pub brand_slug: Option<String>,
    pub category_id: Uuid,
}

/// The product with this SKU, if any.
pub async fn find_product_by_sku(
    conn: &mut PgConnection,
    sku: &str,
) -> Result<Option<ProductRef>, sqlx::Error> {
    sqlx::query_as!(
        ProductRef,
        r#"select p.id as "id!", p.sku::text as "sku!", p.brand_id as "brand_id?",
                  b.name::text as "brand_name?", b.slug::text as "brand_slug?",
                  p.category_id as "category_id!"
           from products.products p left join core.brands b on b.id = p.brand_id
           where p.sku = $1"#,
        sku
    )
    .fetch_optional(conn)
    .await
}

/// One line of `prices latest`: the latest in-stock price of a product for one size (or none)
/// and one source.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct LatestPrice {
    pub source: String,
    pub source_name: Option<String>,
    pub source_product_id: String,
    pub price_type: String,
    pub price_cents: i32,
    pub currency: String,
    pub stock_quantity: Option<i32>,
    pub in_stock: bool,
    pub condition: Option<String>,
    /// RFC 3339, UTC.
    pub last_updated: Option<String>,
    #[serde(serialize_with = "opt_uuid_str")]
    pub size_id: Option<Uuid>,
    pub size_value: Option<String>,
    pub size_region: Option<String>,
    /// EU, one decimal (`products.sizes.standardized_value`).
    pub size_standardized: Option<String>,
}

/// The latest in-stock price per size and source of `product_id` (`integration.latest_prices`),
/// optionally only for the sizes `size_ids` and the source `source`.
pub async fn list_latest_prices(
    conn: &mut PgConnection,
    product_id: Uuid,
    size_ids: Option<&[Uuid]>,
    source: Option<SourceType>,
) -> Result<Vec<LatestPrice>, sqlx::Error> {
    sqlx::query_file_as!(
        LatestPrice,
        "src/integration/latest.sql",
        product_id,
        size_ids,
        source.map(SourceType::label)
    )
    .fetch_all(conn)
    .await
}

// ---------------------------------------------------------------------------------------------
// sizes: from a string to a products.sizes row
// ---------------------------------------------------------------------------------------------

/// What a size string says, read with `soleflip_domain::sizes` for one brand and source: the
/// input of the size lookup (`integration/size_lookup.sql`).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct SizeReading {
    /// No size given (empty, `N/A`, `-`): the price is the product's, not a size's.
    pub missing: bool,
    /// The parsed form, as `products.sizes.parsed` holds it (`US M 10.5`).
    pub parsed: Option<String>,
    /// The system of a shoe size (`US`, `UK`, `EU`, `CM`, `JP`, `KR`).
    pub region: Option<&'static str>,
    /// Its number with one decimal (`10.5`, `44.7`).
    pub value_text: Option<String>,
    /// `M`, `W`, `GS`, `PS`, `TD` or `unisex`.
    pub cohort: Option<&'static str>,
    /// The standardized EU value for the brand, one decimal, when there is one.
    pub standardized: Option<String>,
    /// Why it could not be read (ambiguous, unparsable).
    pub problem: Option<String>,
}

/// The convention a price source writes bare size numbers in: StockX's are US, AWIN feeds'
/// are EU; other sources' are read without one (a bare `10` stays ambiguous).
pub fn size_convention(source: SourceType) -> Option<Source> {
    match source {
        SourceType::Stockx | SourceType::Stockxapi => Some(Source::StockX),
        SourceType::Awin => Some(Source::EuRetailer),
        _ => None,
    }
}

/// The size charts' brand family of a brand, by slug or else by name.
pub fn brand_family(slug: Option<&str>, name: Option<&str>) -> Option<BrandFamily> {
    slug.and_then(BrandFamily::from_name)
        .or_else(|| name.and_then(BrandFamily::from_name))
}

/// Reads `value` as a size of `brand`, written by `source`'s convention.
pub fn read_size(value: &str, brand: Option<BrandFamily>, source: Option<Source>) -> SizeReading {
    let mut ctx = Context::default();
    if let Some(b) = brand {
        ctx = ctx.with_brand(b);
    }
    if let Some(s) = source {
        ctx = ctx.with_source(s);
    }
    let size = match sizes::parse(value, &ctx) {
        Ok(size) => size,
        Err(SizeError::Missing { .. }) => {
            return SizeReading {
                missing: true,
                ..SizeReading::default()
            }
        }
        Err(e) => {
            return SizeReading {
                problem: Some(e.to_string()),
                ..SizeReading::default()
            }
        }
    };
    let (region, value_text) = match size.measure() {
        Measure::Shoe { system, value } => (Some(system.label()), Some(value.decimal())),
        Measure::UsDual { men, .. } => (Some("US"), Some(men.decimal())),
        _ => (None, None),
    };
    SizeReading {
        missing: false,
        parsed: Some(size.to_string()),
        region,
        value_text,
        cohort: Some(size.cohort().code()),
        standardized: size.standardize(brand).ok().map(|s| s.decimal()),
        problem: None,
    }
}

/// A size string in the context that decides its meaning: the product's brand and category
/// and the source that wrote it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SizeInput {
    pub size_value: String,
    pub brand_id: Option<Uuid>,
    pub brand_name: Option<String>,
    pub category_id: Option<Uuid>,
    /// As the caller names the source (a legacy platform name as written, `cli`, ...); the
    /// lookup's result is keyed by it.
    pub source: String,
}

/// The size lookup's answer for one input.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SizeMatch {
    /// The candidate rows of the best tier (empty when none matches).
    pub size_ids: Vec<Uuid>,
    /// Why there is not exactly one (None when exactly one, or when no size was given).
    pub reason: Option<String>,
}

/// Runs the size lookup for `inputs` (each with its reading) in the caller's transaction:
/// fills the temporary tables `size_reading` and `size_match` (dropped at commit), and returns
/// the match of each input, in order.
pub async fn match_sizes(
    conn: &mut PgConnection,
    inputs: &[(SizeInput, SizeReading)],
) -> Result<Vec<SizeMatch>, sqlx::Error> {
    sqlx::raw_sql(
        "create temporary table size_reading (
            reading_id integer not null,
            size_value text not null,
            brand_id uuid,
            brand_name text,
            category_id uuid,
            source text not null,
            missing boolean not null,
            parsed text,
            region text,
            value_text text,
            cohort text,
            standardized numeric(4,1),
            problem text
        ) on commit drop",
    )
    .execute(&mut *conn)
    .await?;
    let mut copy = conn
        .copy_in_raw(
            "copy size_reading (reading_id, size_value, brand_id, brand_name, category_id, \
             source, missing, parsed, region, value_text, cohort, standardized, problem) \
             from stdin",
        )
        .await?;
    let mut buf = String::new();
    for (i, (input, r)) in inputs.iter().enumerate() {
        let _ = write!(buf, "{}\t", i + 1);
        push_text(&mut buf, &input.size_value);
        buf.push('\t');
        push_opt(&mut buf, input.brand_id.map(|u| u.to_string()).as_deref());
        buf.push('\t');
        push_opt(&mut buf, input.brand_name.as_deref());
        buf.push('\t');
        push_opt(
            &mut buf,
            input.category_id.map(|u| u.to_string()).as_deref(),
        );
        buf.push('\t');
        push_text(&mut buf, &input.source);
        buf.push_str(if r.missing { "\tt\t" } else { "\tf\t" });
        push_opt(&mut buf, r.parsed.as_deref());
        buf.push('\t');
        push_opt(&mut buf, r.region);
        buf.push('\t');
        push_opt(&mut buf, r.value_text.as_deref());
        buf.push('\t');
        push_opt(&mut buf, r.cohort);
        buf.push('\t');
        push_opt(&mut buf, r.standardized.as_deref());
        buf.push('\t');
        push_opt(&mut buf, r.problem.as_deref());
        buf.push('\n');
    }
    copy.send(buf.into_bytes()).await?;
    copy.finish().await?;
    sqlx::raw_sql(include_str!("integration/size_lookup.sql"))
        .execute(&mut *conn)
        .await?;
    read_size_match(conn).await
}

/// After [`match_sizes`]: creates the size rows of the readings the size service read but that
/// nothing matched (`size_create.sql`), then runs the lookup again, in the caller's transaction.
/// Returns how many size rows were created and the new match of each input, in order.
pub async fn create_unmatched_sizes(
    conn: &mut PgConnection,
) -> Result<(u64, Vec<SizeMatch>), sqlx::Error> {
    let created: i64 = sqlx::query_scalar(include_str!("integration/size_create.sql"))
        .fetch_one(&mut *conn)
        .await?;
    if created == 0 {
        return Ok((0, read_size_match(conn).await?));
    }
    sqlx::raw_sql("drop table size_match")
        .execute(&mut *conn)
        .await?;
    sqlx::raw_sql(include_str!("integration/size_lookup.sql"))
        .execute(&mut *conn)
        .await?;
    Ok((
        u64::try_from(created).unwrap_or(0),
        read_size_match(conn).await?,
    ))
}

async fn read_size_match(conn: &mut PgConnection) -> Result<Vec<SizeMatch>, sqlx::Error> {
    let rows: Vec<(i32, Option<Vec<Uuid>>, Option<String>)> =
        sqlx::query_as("select reading_id, size_ids, reason from size_match order by reading_id")
            .fetch_all(&mut *conn)
            .await?;
    Ok(rows
        .into_iter()
        .map(|(_, ids, reason)| SizeMatch {
            size_ids: ids.unwrap_or_default(),
            reason,
        })
        .collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_stockx_number_reads_as_us_mens_with_its_eu_standard() {
        let r = read_size(
            "10.5",
            Some(BrandFamily::Nike),
            size_convention(SourceType::Stockx),
        );
        assert_eq!(r.parsed.as_deref(), Some("US M 10.5"));
        assert_eq!(
            (r.region, r.value_text.as_deref()),
            (Some("US"), Some("10.5"))
        );
        assert_eq!(r.cohort, Some("M"));
        assert_eq!(r.standardized.as_deref(), Some("44.5"));
        assert!(!r.missing && r.problem.is_none());
    }

    #[test]
    fn no_size_is_missing_and_an_ambiguous_one_has_a_problem() {
        assert!(read_size("N/A", None, None).missing);
        let r = read_size(
            "10",
            Some(BrandFamily::Nike),
            size_convention(SourceType::Goat),
        );
        assert!(!r.missing);
        assert!(
            r.problem
                .as_deref()
                .is_some_and(|p| p.contains("ambiguous")),
            "{r:?}"
        );
    }

    #[test]
    fn enum_labels_round_trip() {
        for s in SourceType::ALL {
            assert_eq!(SourceType::from_label(s.label()), Some(*s));
        }
        assert_eq!(Condition::from_label("like_new"), Some(Condition::LikeNew));
        assert_eq!(PriceType::from_label("Retail"), None);
    }

    #[test]
    fn copy_text_escapes_what_copy_would_split_on() {
        let mut buf = String::new();
        push_text(&mut buf, "a\tb\\c\nd");
        push_opt(&mut buf, None);
        assert_eq!(buf, "a\\tb\\\\c\\nd\\N");
    }
}
