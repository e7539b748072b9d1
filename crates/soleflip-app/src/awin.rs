//! `import awin`: an AWIN retail feed into `integration.awin_products`.
//!
//! The file is the publisher CSV (plain or gzip, told apart by the gzip magic bytes; `,` `;`
//! `|` or tab, told apart by counting them in the header line) or the JSONL of the enhanced
//! (Google-format) feed. It is read as a stream: each row is validated and encoded for COPY
//! into a staging table as it is read, in chunks, so memory stays bounded whatever the size of
//! the file. Then, in the same transaction: one row per offer is kept (the last line wins), the
//! offers are counted as new, changed or unchanged, merged with one statement (the table's
//! trigger appends the history of real price and stock changes), and with `full` the offers of
//! the file's merchants it no longer carries are marked out of stock (never deleted).
//!
//! Rows are judged one by one: a row whose key, name, price or currency is unusable is
//! rejected (line and reason reported) and the others are imported; a GTIN whose check digit
//! fails is reported and not used, and its row is imported without it. Input that is not a
//! feed at all (a required column missing, bytes that are not UTF-8, a truncated line or
//! gzip stream, a JSONL line that is not JSON) refuses the whole file: one error naming the
//! file and line, nothing written.

use std::borrow::Cow;
use std::collections::HashMap;
use std::io::{BufRead, BufReader, Read};
use std::path::Path;
use std::str::FromStr;
use std::time::Instant;

use serde::Serialize;
use soleflip_db::awin::{self as sql, StageBuffer, StageRow};
use soleflip_domain::gtin::Gtin;
use sqlx::types::{Decimal, Uuid};
use sqlx::Connection as _;

use crate::error::{Code, Coded};
use crate::App;

/// What can go wrong importing a feed or a rate file.
#[derive(Debug, thiserror::Error)]
pub enum FeedError {
    /// The file is not a feed this importer reads; nothing was written.
    #[error("{file}{}: {reason}", line.map(|l| format!(" line {l}")).unwrap_or_default())]
    BadInput {
        file: String,
        line: Option<u64>,
        reason: String,
    },
    #[error("{file}: {source}")]
    Open {
        file: String,
        source: std::io::Error,
    },
    #[error(transparent)]
    Db(#[from] crate::db::DbError),
    #[error(transparent)]
    Unexpected(#[from] anyhow::Error),
}

impl From<sqlx::Error> for FeedError {
    fn from(e: sqlx::Error) -> Self {
        Self::Unexpected(e.into())
    }
}

impl Coded for FeedError {
    fn code(&self) -> Code {
        match self {
            FeedError::BadInput { .. } => Code::InvalidInput,
            FeedError::Open { source, .. } if source.kind() == std::io::ErrorKind::NotFound => {
                Code::NotFound
            }
            FeedError::Open { .. } => Code::Unexpected,
            FeedError::Db(e) => e.code(),
            FeedError::Unexpected(_) => Code::Unexpected,
        }
    }
}

/// How to import.
#[derive(Debug, Clone, Copy, Default)]
pub struct AwinOptions {
    /// Do everything, report, then roll back.
    pub dry_run: bool,
    /// The file is the merchants' full feed: their offers it does not carry are out of stock.
    pub full: bool,
}

/// One row judged unusable, or one GTIN not used.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct RowIssue {
    pub line: u64,
    pub field: String,
    pub reason: String,
}

/// At most this many issues of each kind are listed; the counts are always complete.
pub const ISSUES_LISTED: usize = 1000;

/// What `import awin` did (or, in a dry run, would do).
#[derive(Debug, Clone, Serialize)]
pub struct AwinReport {
    pub file: String,
    /// `csv` or `jsonl`.
    pub format: &'static str,
    pub gzip: bool,
    /// The CSV delimiter found in the header line (`,` `;` `|` or `\t`).
    pub delimiter: Option<String>,
    pub dry_run: bool,
    pub full: bool,
    /// The import batch (`integration.import_batches`); None in a dry run.
    pub batch_id: Option<Uuid>,
    /// Data rows read (lines of JSONL that are products).
    pub rows_read: u64,
    pub new: i64,
    pub changed: i64,
    pub unchanged: i64,
    /// Rows not imported: unusable, or an earlier line of an offer the file gives again.
    pub rejected: u64,
    pub rejects: Vec<RowIssue>,
    /// GTINs (ean, product_GTIN, upc) whose check digit or form is wrong: reported, not used;
    /// their rows are imported.
    pub gtins_refused: u64,
    pub gtin_issues: Vec<RowIssue>,
    /// Offers of the file's merchants that the file does not carry, marked out of stock (`full`).
    pub marked_out_of_stock: u64,
    /// History rows appended: real changes of price, currency or stock.
    pub history_rows: i64,
    pub elapsed_ms: u128,
}

impl AwinReport {
    fn reject(&mut self, issue: RowIssue) {
        self.rejected += 1;
        if self.rejects.len() < ISSUES_LISTED {
            self.rejects.push(issue);
        }
    }

    fn refuse_gtin(&mut self, issue: RowIssue) {
        self.gtins_refused += 1;
        if self.gtin_issues.len() < ISSUES_LISTED {
            self.gtin_issues.push(issue);
        }
    }
}

/// The feed columns the importer reads (publisher CSV names, lowercased).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum F {
    MerchantId,
    MerchantProductId,
    AwProductId,
    MerchantName,
    DataFeedId,
    ProductName,
    BrandName,
    BrandId,
    Ean,
    ProductGtin,
    Upc,
    Mpn,
    ProductModel,
    SearchPrice,
    StorePrice,
    RrpPrice,
    DeliveryCost,
    Currency,
    Description,
    ShortDescription,
    Colour,
    Size,
    InStock,
    StockQuantity,
    IsForSale,
    DeliveryTime,
    ImageUrl,
    ThumbUrl,
    AwDeepLink,
    MerchantDeepLink,
    ParentProductId,
}

const FIELDS: [(F, &str); 31] = [
    (F::MerchantId, "merchant_id"),
    (F::MerchantProductId, "merchant_product_id"),
    (F::AwProductId, "aw_product_id"),
    (F::MerchantName, "merchant_name"),
    (F::DataFeedId, "data_feed_id"),
    (F::ProductName, "product_name"),
    (F::BrandName, "brand_name"),
    (F::BrandId, "brand_id"),
    (F::Ean, "ean"),
    (F::ProductGtin, "product_gtin"),
    (F::Upc, "upc"),
    (F::Mpn, "mpn"),
    (F::ProductModel, "product_model"),
    (F::SearchPrice, "search_price"),
    (F::StorePrice, "store_price"),
    (F::RrpPrice, "rrp_price"),
    (F::DeliveryCost, "delivery_cost"),
    (F::Currency, "currency"),
    (F::Description, "description"),
    (F::ShortDescription, "product_short_description"),
    (F::Colour, "colour"),
    (F::Size, "fashion:size"),
    (F::InStock, "in_stock"),
    (F::StockQuantity, "stock_quantity"),
    (F::IsForSale, "is_for_sale"),
    (F::DeliveryTime, "delivery_time"),
    (F::ImageUrl, "merchant_image_url"),
    (F::ThumbUrl, "aw_thumb_url"),
    (F::AwDeepLink, "aw_deep_link"),
    (F::MerchantDeepLink, "merchant_deep_link"),
    (F::ParentProductId, "parent_product_id"),
];

/// A CSV header must name these (in this order the first missing one is reported).
const REQUIRED: [F; 5] = [
    F::MerchantId,
    F::MerchantProductId,
    F::ProductName,
    F::SearchPrice,
    F::Currency,
];

fn name_of(f: F) -> &'static str {
    FIELDS.iter().find(|(g, _)| *g == f).map_or("?", |(_, n)| n)
}

/// The values of one row, by field; blanks around them trimmed, empty ones None.
struct Values<'a>([Option<Cow<'a, str>>; FIELDS.len()]);

impl<'a> Values<'a> {
    fn new() -> Self {
        Values(std::array::from_fn(|_| None))
    }

    fn set(&mut self, f: F, v: Cow<'a, str>) {
        let trimmed = v.trim();
        if trimmed.is_empty() {
            return;
        }
        let v = if trimmed.len() == v.len() {
            v
        } else {
            Cow::Owned(trimmed.to_string())
        };
        self.0[f as usize] = Some(v);
    }

    fn get(&self, f: F) -> Option<&str> {
        self.0[f as usize].as_deref()
    }
}

/// A refusal of one row: the field and why.
struct Reject(F, String);

/// Validates one row and stages it, or says why it is rejected. GTIN problems go to `report`.
fn stage_row(
    v: &Values<'_>,
    line: u64,
    buffer: &mut StageBuffer,
    report: &mut AwinReport,
) -> Result<(), Reject> {
    let required = |f: F| v.get(f).ok_or_else(|| Reject(f, "empty".into()));
    let merchant_id = whole(F::MerchantId, required(F::MerchantId)?)?;
    let merchant_product_id = required(F::MerchantProductId)?;
    if merchant_product_id.chars().count() > 100 {
        return Err(Reject(
            F::MerchantProductId,
            "longer than 100 characters".into(),
        ));
    }
    let awin_product_id = v.get(F::AwProductId);
    if awin_product_id.is_some_and(|a| a.chars().count() > 50) {
        return Err(Reject(F::AwProductId, "longer than 50 characters".into()));
    }
    let product_name = required(F::ProductName)?;
    let search_price = amount(F::SearchPrice, required(F::SearchPrice)?)?;
    let currency = required(F::Currency)?;
    if !(currency.len() == 3 && currency.bytes().all(|b| b.is_ascii_uppercase())) {
        return Err(Reject(
            F::Currency,
            format!("`{currency}` is not an ISO 4217 code (three capital letters)"),
        ));
    }
    let optional_amount = |f: F| v.get(f).map(|t| amount(f, t)).transpose();
    let optional_whole = |f: F| v.get(f).map(|t| whole(f, t)).transpose();
    let store_price = optional_amount(F::StorePrice)?;
    let rrp_price = optional_amount(F::RrpPrice)?;
    let delivery_cost = optional_amount(F::DeliveryCost)?;
    let data_feed_id = optional_whole(F::DataFeedId)?;
    let brand_id = optional_whole(F::BrandId)?;
    let stock_quantity = optional_whole(F::StockQuantity)?;
    if stock_quantity.is_some_and(|q| q < 0) {
        return Err(Reject(F::StockQuantity, "negative".into()));
    }
    let flag = v
        .get(F::InStock)
        .map(|t| yes_no(F::InStock, t))
        .transpose()?;
    let for_sale = v
        .get(F::IsForSale)
        .map(|t| yes_no(F::IsForSale, t))
        .transpose()?;
    // in_stock when given; else a stock quantity above zero; else a listed offer is for sale.
    let in_stock = flag.unwrap_or(stock_quantity.is_none_or(|q| q > 0)) && for_sale != Some(false);

    let mut gtin = None;
    for f in [F::Ean, F::ProductGtin, F::Upc] {
        if let Some(code) = v.get(f) {
            match Gtin::parse(code) {
                Ok(g) if gtin.is_none() => gtin = Some(g),
                Ok(_) => {}
                Err(e) => report.refuse_gtin(RowIssue {
                    line,
                    field: name_of(f).to_string(),
                    reason: format!("{e}; not used"),
                }),
            }
        }
    }
    buffer.push(&StageRow {
        line,
        merchant_id,
        merchant_product_id,
        awin_product_id,
        merchant_name: v.get(F::MerchantName),
        data_feed_id,
        product_name,
        brand_name: v.get(F::BrandName),
        brand_id,
        ean: v.get(F::Ean),
        product_gtin: v.get(F::ProductGtin),
        upc: v.get(F::Upc),
        gtin: gtin.as_ref().map(Gtin::as_str),
        mpn: v.get(F::Mpn),
        product_model: v.get(F::ProductModel),
        search_price,
        store_price,
        rrp_price,
        delivery_cost,
        currency,
        description: v.get(F::Description),
        short_description: v.get(F::ShortDescription),
        colour: v.get(F::Colour),
        size: v.get(F::Size),
        in_stock,
        stock_quantity,
        delivery_time: v.get(F::DeliveryTime),
        image_url: v.get(F::ImageUrl),
        thumbnail_url: v.get(F::ThumbUrl),
        affiliate_link: v.get(F::AwDeepLink),
        merchant_link: v.get(F::MerchantDeepLink),
        parent_product_id: v.get(F::ParentProductId),
    });
    Ok(())
}

/// A whole number that fits an `integer` column.
fn whole(f: F, text: &str) -> Result<i32, Reject> {
    text.parse()
        .map_err(|_| Reject(f, format!("`{text}` is not a whole number")))
}

/// An amount from its decimal text: digits, optionally a dot and one or two decimals (the
/// feeds' dot decimals, no thousands separators), below 10^10. Read exactly, never as a float.
pub fn amount_from_text(text: &str) -> Result<Decimal, String> {
    let (units, cents) = text.split_once('.').unwrap_or((text, ""));
    let digits = |s: &str| s.bytes().all(|b| b.is_ascii_digit());
    if units.is_empty()
        || !digits(units)
        || !digits(cents)
        || (text.contains('.') && cents.is_empty())
    {
        return Err(format!(
            "`{text}` is not an amount (digits, a dot, up to two decimals)"
        ));
    }
    if cents.len() > 2 {
        return Err(format!("`{text}` has more than two decimals"));
    }
    if units.trim_start_matches('0').len() > 10 {
        return Err(format!("`{text}` is too large"));
    }
    Decimal::from_str(text).map_err(|e| format!("`{text}`: {e}"))
}

fn amount(f: F, text: &str) -> Result<Decimal, Reject> {
    amount_from_text(text).map_err(|e| Reject(f, e))
}

fn yes_no(f: F, text: &str) -> Result<bool, Reject> {
    match text.to_ascii_lowercase().as_str() {
        "1" | "true" | "yes" | "y" => Ok(true),
        "0" | "false" | "no" | "n" => Ok(false),
        _ => Err(Reject(f, format!("`{text}` is not 1/0 (yes/no)"))),
    }
}

/// The delimiter of a CSV header line: the most frequent of `,` `;` `|` and tab outside
/// quotes (a comma when there is none).
pub fn detect_delimiter(header: &[u8]) -> u8 {
    let mut counts = [0usize; 4];
    let candidates = [b',', b';', b'|', b'\t'];
    let mut quoted = false;
    for &b in header {
        if b == b'"' {
            quoted = !quoted;
        } else if !quoted {
            if let Some(i) = candidates.iter().position(|&c| c == b) {
                counts[i] += 1;
            }
        }
    }
    let mut best = 0;
    for i in 1..4 {
        if counts[i] > counts[best] {
            best = i;
        }
    }
    candidates[best]
}

/// Chunks of COPY data sent at this size.
const CHUNK: usize = 4 << 20;
/// Progress is reported every this many rows.
const PROGRESS_EVERY: u64 = 50_000;

/// The opened input: decompressed when gzip, and its first bytes looked at.
struct Input {
    reader: Box<dyn BufRead + Send>,
    gzip: bool,
}

fn open(path: &Path) -> Result<Input, FeedError> {
    let file = std::fs::File::open(path).map_err(|source| FeedError::Open {
        file: path.display().to_string(),
        source,
    })?;
    let mut raw = BufReader::with_capacity(1 << 16, file);
    let magic = raw.fill_buf().map_err(|source| FeedError::Open {
        file: path.display().to_string(),
        source,
    })?;
    let gzip = magic.starts_with(&[0x1f, 0x8b]);
    let reader: Box<dyn BufRead + Send> = if gzip {
        Box::new(BufReader::with_capacity(
            1 << 16,
            flate2::read::MultiGzDecoder::new(raw),
        ))
    } else {
        Box::new(raw)
    };
    Ok(Input { reader, gzip })
}

impl App {
    /// `import awin FILE`: reads the feed, stages and merges it in one transaction, and reports
    /// what it did. `progress` is called with the rows read so far, now and then.
    pub async fn import_awin(
        &self,
        path: &Path,
        options: AwinOptions,
        progress: &mut (dyn FnMut(u64) + Send),
    ) -> Result<AwinReport, FeedError> {
        let started = Instant::now();
        let file = path.display().to_string();
        let bad = |line: Option<u64>, reason: String| FeedError::BadInput {
            file: file.clone(),
            line,
            reason,
        };
        let mut input = open(path)?;
        let first = input
            .reader
            .fill_buf()
            .map_err(|e| bad(None, read_error(&e)))?;
        let first = first.strip_prefix(b"\xef\xbb\xbf").unwrap_or(first);
        let jsonl = first
            .iter()
            .find(|b| !b.is_ascii_whitespace())
            .is_some_and(|&b| b == b'{');
        let mut report = AwinReport {
            file: file.clone(),
            format: if jsonl { "jsonl" } else { "csv" },
            gzip: input.gzip,
            delimiter: None,
            dry_run: options.dry_run,
            full: options.full,
            batch_id: None,
            rows_read: 0,
            new: 0,
            changed: 0,
            unchanged: 0,
            rejected: 0,
            rejects: Vec::new(),
            gtins_refused: 0,
            gtin_issues: Vec::new(),
            marked_out_of_stock: 0,
            history_rows: 0,
            elapsed_ms: 0,
        };

        let mut conn = self.conn().await?;
        let mut tx = conn.begin().await?;
        {
            let mut copy = sql::begin_stage(&mut tx).await?;
            let mut buffer = StageBuffer::default();
            let read = if jsonl {
                read_jsonl(input.reader, &mut report, &mut buffer, &mut copy, progress).await
            } else {
                read_csv(input.reader, &mut report, &mut buffer, &mut copy, progress).await
            };
            if let Err(e) = read {
                // The transaction is dropped with the error: nothing was written.
                let _ = copy.abort("the input was refused").await;
                return Err(match e {
                    ReadError::Bad(line, reason) => bad(line, reason),
                    ReadError::Db(e) => e.into(),
                });
            }
            if !buffer.is_empty() {
                copy.send(buffer.take()).await?;
            }
            copy.finish().await?;
        }
        let superseded = sql::dedupe_stage(&mut tx).await?;
        for (line, winner) in superseded {
            report.reject(RowIssue {
                line: u64::try_from(line).unwrap_or(0),
                field: "merchant_product_id".into(),
                reason: format!(
                    "the same offer (merchant_id, merchant_product_id) is given again on line \
                     {winner}, which wins"
                ),
            });
        }
        let total = i32::try_from(report.rows_read).unwrap_or(i32::MAX);
        let batch = sql::insert_batch(&mut tx, total).await?;
        let classified = sql::classify(&mut tx).await?;
        report.new = classified.new;
        report.changed = classified.changed;
        report.unchanged = classified.unchanged;
        sql::merge(&mut tx, batch).await?;
        if options.full {
            report.marked_out_of_stock = sql::mark_absent_out_of_stock(&mut tx).await?;
        }
        report.history_rows = sql::count_history(&mut tx, batch).await?;
        if options.dry_run {
            tx.rollback().await?;
        } else {
            tx.commit().await?;
            report.batch_id = Some(batch);
        }
        report.elapsed_ms = started.elapsed().as_millis();
        Ok(report)
    }
}

enum ReadError {
    Bad(Option<u64>, String),
    Db(sqlx::Error),
}

impl From<sqlx::Error> for ReadError {
    fn from(e: sqlx::Error) -> Self {
        ReadError::Db(e)
    }
}

fn read_error(e: &std::io::Error) -> String {
    if e.kind() == std::io::ErrorKind::UnexpectedEof {
        "the gzip stream ends early (a truncated file?)".to_string()
    } else if e.kind() == std::io::ErrorKind::InvalidInput
        || e.kind() == std::io::ErrorKind::InvalidData
    {
        format!("not a readable gzip stream: {e}")
    } else {
        format!("reading: {e}")
    }
}

type Copy<'c> = sqlx::postgres::PgCopyIn<&'c mut sqlx::PgConnection>;

/// Accounts for one read row: staged, or rejected with its field and reason.
fn judge(values: &Values<'_>, line: u64, buffer: &mut StageBuffer, report: &mut AwinReport) {
    report.rows_read += 1;
    if let Err(Reject(f, reason)) = stage_row(values, line, buffer, report) {
        report.reject(RowIssue {
            line,
            field: name_of(f).to_string(),
            reason,
        });
    }
}

async fn flush(
    buffer: &mut StageBuffer,
    copy: &mut Copy<'_>,
    report: &AwinReport,
    progress: &mut (dyn FnMut(u64) + Send),
) -> Result<(), ReadError> {
    if buffer.len() >= CHUNK {
        copy.send(buffer.take()).await?;
    }
    if report.rows_read.is_multiple_of(PROGRESS_EVERY) {
        progress(report.rows_read);
    }
    Ok(())
}

async fn read_csv(
    mut reader: Box<dyn BufRead + Send>,
    report: &mut AwinReport,
    buffer: &mut StageBuffer,
    copy: &mut Copy<'_>,
    progress: &mut (dyn FnMut(u64) + Send),
) -> Result<(), ReadError> {
    let mut header = Vec::new();
    reader
        .read_until(b'\n', &mut header)
        .map_err(|e| ReadError::Bad(Some(1), read_error(&e)))?;
    let delimiter = detect_delimiter(&header);
    report.delimiter = Some(if delimiter == b'\t' {
        "\\t".to_string()
    } else {
        char::from(delimiter).to_string()
    });
    let mut csv = csv::ReaderBuilder::new()
        .delimiter(delimiter)
        .has_headers(true)
        .flexible(false)
        .from_reader(std::io::Cursor::new(header).chain(reader));
    let names = csv.byte_headers().map_err(|e| csv_error(&e, 1))?.clone();
    let mut index: Vec<(F, usize)> = Vec::new();
    for (i, raw) in names.iter().enumerate() {
        let raw = raw.strip_prefix(b"\xef\xbb\xbf").unwrap_or(raw);
        let name = std::str::from_utf8(raw)
            .map_err(|_| ReadError::Bad(Some(1), format!("column {}: not UTF-8", i + 1)))?
            .trim()
            .to_ascii_lowercase();
        if let Some((f, _)) = FIELDS.iter().find(|(_, n)| *n == name) {
            if !index.iter().any(|(g, _)| g == f) {
                index.push((*f, i));
            }
        }
    }
    if let Some(missing) = REQUIRED
        .iter()
        .find(|f| !index.iter().any(|(g, _)| g == *f))
    {
        return Err(ReadError::Bad(
            Some(1),
            format!(
                "required column `{}` is missing from the header (delimiter `{}` detected)",
                name_of(*missing),
                report.delimiter.as_deref().unwrap_or(",")
            ),
        ));
    }
    let mut record = csv::ByteRecord::new();
    loop {
        let more = csv.read_byte_record(&mut record).map_err(|e| {
            let line = e.position().map_or(0, csv::Position::line);
            csv_error(&e, line)
        })?;
        if !more {
            break;
        }
        let line = record.position().map_or(0, csv::Position::line);
        let mut values = Values::new();
        for &(f, i) in &index {
            let raw = record.get(i).unwrap_or_default();
            let text = std::str::from_utf8(raw).map_err(|_| {
                ReadError::Bad(
                    Some(line),
                    format!(
                        "column `{}`: not UTF-8 (the feed must be UTF-8)",
                        name_of(f)
                    ),
                )
            })?;
            values.set(f, Cow::Borrowed(text));
        }
        judge(&values, line, buffer, report);
        flush(buffer, copy, report, progress).await?;
    }
    Ok(())
}

fn csv_error(e: &csv::Error, line: u64) -> ReadError {
    let reason = match e.kind() {
        csv::ErrorKind::UnequalLengths {
            expected_len, len, ..
        } => format!(
            "{len} fields where the header has {expected_len} (a truncated or broken line?)"
        ),
        csv::ErrorKind::Utf8 { .. } => "not UTF-8 (the feed must be UTF-8)".to_string(),
        csv::ErrorKind::Io(io) => read_error(io),
        _ => e.to_string(),
    };
    ReadError::Bad(Some(line), reason)
}

/// Google-format names of the enhanced feed, mapped onto the publisher CSV's.
const JSON_NAMES: [(&str, F); 14] = [
    ("advertiser_id", F::MerchantId),
    ("id", F::MerchantProductId),
    ("title", F::ProductName),
    ("description", F::Description),
    ("link", F::MerchantDeepLink),
    ("image_link", F::ImageUrl),
    ("brand", F::BrandName),
    ("gtin", F::ProductGtin),
    ("mpn", F::Mpn),
    ("color", F::Colour),
    ("size", F::Size),
    ("item_group_id", F::ParentProductId),
    ("advertiser_name", F::MerchantName),
    ("aw_deep_link", F::AwDeepLink),
];

async fn read_jsonl(
    reader: Box<dyn BufRead + Send>,
    report: &mut AwinReport,
    buffer: &mut StageBuffer,
    copy: &mut Copy<'_>,
    progress: &mut (dyn FnMut(u64) + Send),
) -> Result<(), ReadError> {
    let mut meta: HashMap<String, String> = HashMap::new();
    let mut line_no = 0u64;
    for raw in reader.split(b'\n') {
        line_no += 1;
        let raw = raw.map_err(|e| ReadError::Bad(Some(line_no), read_error(&e)))?;
        let text = std::str::from_utf8(&raw).map_err(|_| {
            ReadError::Bad(
                Some(line_no),
                "not UTF-8 (the feed must be UTF-8)".to_string(),
            )
        })?;
        let text = text.trim_start_matches('\u{feff}').trim();
        if text.is_empty() {
            continue;
        }
        let value: serde_json::Value = serde_json::from_str(text)
            .map_err(|e| ReadError::Bad(Some(line_no), format!("not a JSON object: {e}")))?;
        let serde_json::Value::Object(object) = value else {
            return Err(ReadError::Bad(
                Some(line_no),
                "not a JSON object".to_string(),
            ));
        };
        let mut flat: HashMap<String, String> = HashMap::new();
        let mut is_meta = false;
        for (k, v) in object {
            match v {
                serde_json::Value::Object(inner) => {
                    is_meta |= k == "meta";
                    for (ik, iv) in inner {
                        if let Some(s) = scalar(iv) {
                            flat.insert(ik.to_ascii_lowercase(), s);
                        }
                    }
                }
                other => {
                    if let Some(s) = scalar(other) {
                        flat.insert(k.to_ascii_lowercase(), s);
                    }
                }
            }
        }
        if is_meta {
            meta = flat;
            continue;
        }
        let mut values = Values::new();
        for (key, text) in meta.iter().chain(flat.iter()) {
            if let Some((f, _)) = FIELDS.iter().find(|(_, n)| n == key) {
                values.set(*f, Cow::Borrowed(text.as_str()));
            }
        }
        for (key, f) in JSON_NAMES {
            if values.get(f).is_none() {
                if let Some(text) = flat.get(key).or_else(|| meta.get(key)) {
                    values.set(f, Cow::Borrowed(text.as_str()));
                }
            }
        }
        // price "130.00 EUR"; sale_price, when given, is what the offer sells for now
        let price = flat.get("price").and_then(|p| split_price(p));
        let sale = flat.get("sale_price").and_then(|p| split_price(p));
        if values.get(F::SearchPrice).is_none() {
            if let Some((amount, currency)) = sale.or(price) {
                values.set(F::SearchPrice, Cow::Borrowed(amount));
                if values.get(F::Currency).is_none() {
                    values.set(F::Currency, Cow::Borrowed(currency));
                }
            }
            if let (Some(_), Some((regular, _))) = (sale, price) {
                values.set(F::RrpPrice, Cow::Borrowed(regular));
            }
        }
        if values.get(F::InStock).is_none() {
            if let Some(a) = flat.get("availability") {
                let a = a.to_ascii_lowercase().replace(' ', "_");
                values.set(
                    F::InStock,
                    Cow::Borrowed(if a == "in_stock" { "1" } else { "0" }),
                );
            }
        }
        judge(&values, line_no, buffer, report);
        flush(buffer, copy, report, progress).await?;
    }
    Ok(())
}

/// A JSON scalar as text (numbers as JSON wrote them; booleans as 1/0); None for null, arrays
/// and objects.
fn scalar(v: serde_json::Value) -> Option<String> {
    match v {
        serde_json::Value::String(s) => Some(s),
        serde_json::Value::Number(n) => Some(n.to_string()),
        serde_json::Value::Bool(b) => Some(if b { "1" } else { "0" }.to_string()),
        _ => None,
    }
}

/// `130.00 EUR` as (`130.00`, `EUR`).
fn split_price(text: &str) -> Option<(&str, &str)> {
    let (amount, currency) = text.trim().rsplit_once(' ')?;
    Some((amount.trim(), currency.trim()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_delimiter_is_the_most_frequent_candidate_outside_quotes() {
        assert_eq!(detect_delimiter(b"a,b,c\n"), b',');
        assert_eq!(detect_delimiter(b"a;b;c,d\n"), b';');
        assert_eq!(detect_delimiter(b"\"a,b,c\"|d|e\n"), b'|');
        assert_eq!(detect_delimiter(b"a\tb\tc\n"), b'\t');
        assert_eq!(detect_delimiter(b"single\n"), b',');
    }

    #[test]
    fn amounts_are_read_exactly_from_their_decimal_text() {
        assert_eq!(amount_from_text("130.00").unwrap(), Decimal::new(13000, 2));
        assert_eq!(amount_from_text("0.1").unwrap(), Decimal::new(1, 1));
        assert_eq!(amount_from_text("95").unwrap(), Decimal::new(95, 0));
        for bad in [
            "",
            "1,5",
            "-3.00",
            "1.234",
            "1e3",
            ".5",
            "5.",
            "EUR130.00",
            "12345678901",
        ] {
            assert!(amount_from_text(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn an_enhanced_feed_price_splits_into_amount_and_currency() {
        assert_eq!(split_price("130.00 EUR"), Some(("130.00", "EUR")));
        assert_eq!(split_price("130.00"), None);
    }
}
