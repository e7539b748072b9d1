//! Purchase lists: our own documented CSV (docs/imports.md) of what a reseller bought, one line
//! per SKU and size of an invoice, as a German spreadsheet saves it: `;` or `,` between
//! fields, decimal commas, `DD.MM.YYYY` dates or German month names. Lines group into invoices
//! by supplier and invoice number; each invoice is written by the ledger's purchase use case
//! (one pair per unit, with its cost basis). An invoice already in the ledger (same supplier
//! and number) is skipped whole; an invoice with a bad line is refused whole, every line of it
//! named. One file is one transaction.

use std::collections::BTreeMap;
use std::path::Path;

use chrono::NaiveDate;
use serde::Serialize;
use soleflip_db::imports as sql;
use soleflip_domain::money::{parse_decimal, Currency};
use sqlx::types::{Decimal, Uuid};
use sqlx::Connection;

use super::read::{self, Hashing};
use super::{display_name, ImportError, Progress, REJECTED_SHOWN};
use crate::ledger::{purchase_write, LedgerError, PurchaseLineRequest, PurchaseRequest};
use crate::App;
use soleflip_db::imports::RejectedLine;

/// The columns, each with the German header a spreadsheet may use instead.
const COLUMNS: [(&str, &str); 10] = [
    ("date", "datum"),
    ("supplier", "lieferant"),
    ("invoice", "rechnung"),
    ("sku", "artikelnummer"),
    ("size", "größe"),
    ("net", "netto"),
    ("vat_rate", "mwst"),
    ("gross", "brutto"),
    ("currency", "währung"),
    ("quantity", "menge"),
];

/// The result of importing a purchase list.
#[derive(Debug, Clone, Serialize)]
pub struct PurchaseImportReport {
    pub kind: &'static str,
    pub file: String,
    pub sha256: String,
    pub batch_id: Uuid,
    pub dry_run: bool,
    pub rows_read: u64,
    /// Lines written (each an invoice line).
    pub imported: u64,
    /// Lines of invoices already in the ledger.
    pub already_present: u64,
    pub rejected: u64,
    pub rejected_lines: Vec<RejectedLine>,
    pub invoices_imported: u64,
    pub invoices_present: u64,
    pub pairs_created: u64,
    pub products_created: u64,
    /// Per currency, over the lines imported now.
    pub sums: Vec<PurchaseSums>,
}

/// Sums of imported purchase lines in one currency (line totals: unit × quantity).
#[derive(Debug, Clone, Default, Serialize)]
pub struct PurchaseSums {
    pub currency: String,
    pub lines: u64,
    pub pairs: u64,
    pub net: Decimal,
    pub vat: Decimal,
    pub gross: Decimal,
}

/// One line of the file, read.
struct Line {
    line: u64,
    date: NaiveDate,
    supplier: String,
    invoice: String,
    currency: String,
    request: PurchaseLineRequest,
}

const MONTHS: [(&str, u32); 24] = [
    ("januar", 1),
    ("jan", 1),
    ("februar", 2),
    ("feb", 2),
    ("märz", 3),
    ("mär", 3),
    ("april", 4),
    ("apr", 4),
    ("mai", 5),
    ("juni", 6),
    ("jun", 6),
    ("juli", 7),
    ("jul", 7),
    ("august", 8),
    ("aug", 8),
    ("september", 9),
    ("sep", 9),
    ("oktober", 10),
    ("okt", 10),
    ("november", 11),
    ("nov", 11),
    ("dezember", 12),
    ("dez", 12),
    ("maerz", 3),
];

/// `YYYY-MM-DD`, `DD.MM.YYYY`, `DD.MM.YY`, or a day, a German month name and a year
/// (`5. März 2024`, `05 Mär 2024`).
pub fn german_date(field: &str, text: &str) -> Result<NaiveDate, String> {
    let t = text.trim();
    let bad = || format!("{field}: `{t}` is not a date (DD.MM.YYYY, YYYY-MM-DD or 5. März 2024)");
    for format in ["%Y-%m-%d", "%d.%m.%Y", "%d.%m.%y"] {
        if let Ok(d) = NaiveDate::parse_from_str(t, format) {
            return Ok(d);
        }
    }
    let parts: Vec<&str> = t
        .split(|c: char| c.is_whitespace() || c == '.')
        .filter(|p| !p.is_empty())
        .collect();
    let [day, month, year] = parts.as_slice() else {
        return Err(bad());
    };
    let month = month.to_lowercase();
    let m = MONTHS
        .iter()
        .find(|(name, _)| *name == month)
        .map(|(_, m)| *m)
        .ok_or_else(bad)?;
    let d: u32 = day.parse().map_err(|_| bad())?;
    let y: i32 = year.parse().map_err(|_| bad())?;
    NaiveDate::from_ymd_opt(y, m, d).ok_or_else(bad)
}

/// The rate as a plain number (`19`, `19,0`, `19 %`).
fn rate(text: &str) -> Result<Decimal, String> {
    let t = text.trim().trim_end_matches('%').trim();
    if t.is_empty() {
        return Ok(Decimal::ZERO);
    }
    let v = parse_decimal("vat_rate", t)
        .map_err(|e| e.to_string())?
        .value;
    if v.is_sign_negative() || v >= Decimal::ONE_HUNDRED {
        return Err(format!("vat_rate: `{text}` is not a VAT rate in percent"));
    }
    Ok(v)
}

fn parse_line(r: &read::Record, at: &[usize; 10]) -> Result<Line, String> {
    let [date, supplier, invoice, sku, size, net, vat, gross, currency, qty] = *at;
    let currency_text = match r.get(currency) {
        "" => "EUR",
        c => c,
    };
    let cur = Currency::parse("currency", currency_text).map_err(|e| e.to_string())?;
    let invoice_no = r.get(invoice).to_owned();
    if invoice_no.is_empty() {
        return Err("invoice: missing (it recognises the invoice on a re-import)".to_owned());
    }
    let supplier_name = r.get(supplier).to_owned();
    if supplier_name.is_empty() {
        return Err("supplier: missing".to_owned());
    }
    let rate = rate(r.get(vat))?;
    let money = |field: &str, text: &str| -> Result<Option<Decimal>, String> {
        let v = super::sale::amount(field, text, cur)?;
        if v.is_some_and(|v| v.is_sign_negative()) {
            return Err(format!("{field}: `{text}` is negative"));
        }
        Ok(v)
    };
    let net_v = money("net", r.get(net))?;
    let gross_v = money("gross", r.get(gross))?;
    let vat_of = |n: Decimal| cur.round(n * rate / Decimal::ONE_HUNDRED);
    let unit_net = match (net_v, gross_v) {
        (Some(n), Some(g)) => {
            if (n + vat_of(n) - g).abs() > Decimal::new(1, 2) {
                return Err(format!(
                    "gross: {g} is not net {n} plus {rate} % VAT ({})",
                    n + vat_of(n)
                ));
            }
            n
        }
        (Some(n), None) => n,
        (None, Some(g)) => cur.round(g * Decimal::ONE_HUNDRED / (Decimal::ONE_HUNDRED + rate)),
        (None, None) => return Err("net and gross: both missing".to_owned()),
    };
    let quantity = match r.get(qty) {
        "" => 1,
        q => q
            .parse::<u32>()
            .ok()
            .filter(|q| (1..=1000).contains(q))
            .ok_or_else(|| format!("quantity: `{q}` is not a number of pairs (1 to 1000)"))?,
    };
    Ok(Line {
        line: r.line,
        date: german_date("date", r.get(date))?,
        supplier: supplier_name,
        invoice: invoice_no,
        currency: cur.code().to_owned(),
        request: PurchaseLineRequest {
            sku: r.get(sku).to_owned(),
            size: r.get(size).to_owned(),
            price: unit_net.to_string(),
            vat_rate: Some(rate.to_string()),
            quantity,
        },
    })
}

impl App {
    /// Imports a purchase list.
    #[tracing::instrument(skip(self, progress))]
    pub async fn import_purchases(
        &self,
        path: &Path,
        dry_run: bool,
        progress: &(dyn Fn(Progress) + Send + Sync),
    ) -> Result<PurchaseImportReport, ImportError> {
        read::check_readable(path)?;
        let mut first = Vec::new();
        if let Ok(file) = std::fs::File::open(path) {
            let _ =
                std::io::BufRead::read_until(&mut std::io::BufReader::new(file), b'\n', &mut first);
        }
        let delimiter = if first.iter().filter(|c| **c == b';').count()
            > first.iter().filter(|c| **c == b',').count()
        {
            b';'
        } else {
            b','
        };
        let mut reader = read::csv_reader(Hashing::open(path, progress)?, delimiter);
        let header = read::header(path, &mut reader)?;
        let mut at = [0usize; 10];
        for (slot, (name, german)) in at.iter_mut().zip(COLUMNS) {
            *slot = header
                .iter()
                .position(|h| h.eq_ignore_ascii_case(name) || h.to_lowercase() == german)
                .ok_or_else(|| {
                    ImportError::Invalid(format!(
                        "{}: the column `{name}` is missing; a purchase list has the columns {}",
                        path.display(),
                        COLUMNS.map(|c| c.0).join(", ")
                    ))
                })?;
        }

        // Read every line (purchase lists are small: invoices, not a market), grouped.
        let mut rejected: Vec<RejectedLine> = Vec::new();
        let mut invoices: BTreeMap<(String, String), Vec<Line>> = BTreeMap::new();
        let mut rows = 0u64;
        let mut raw = csv::ByteRecord::new();
        while reader.read_byte_record(&mut raw).map_err(|e| {
            let line = e.position().map_or(0, |p| p.line());
            ImportError::Invalid(format!("{} line {line}: {e}", path.display()))
        })? {
            let line = raw.position().map_or(0, |p| p.line());
            if raw.iter().all(|f| f.iter().all(u8::is_ascii_whitespace)) {
                continue;
            }
            rows += 1;
            let mut fields = Vec::new();
            for f in raw.iter() {
                fields.push(
                    std::str::from_utf8(f)
                        .map_err(|_| read::not_utf8(path, line))?
                        .to_owned(),
                );
            }
            let record = read::Record { line, fields };
            match parse_line(&record, &at) {
                Ok(l) => invoices
                    .entry((l.supplier.to_lowercase(), l.invoice.clone()))
                    .or_default()
                    .push(l),
                Err(reason) => rejected.push(RejectedLine {
                    line: line as i64,
                    reason,
                }),
            }
        }
        let sha256 = reader.into_inner().finish();

        let mut conn = self.conn().await?;
        let mut tx = conn.begin().await?;
        sql::lock_imports(&mut tx).await?;
        let batch = sql::insert_batch(&mut *tx, "purchases", &display_name(path), &sha256).await?;
        let mut outcomes: Vec<(i64, String, Option<String>, Option<Uuid>)> = rejected
            .iter()
            .map(|r| (r.line, "rejected".to_owned(), Some(r.reason.clone()), None))
            .collect();
        let mut report = PurchaseImportReport {
            kind: "purchases",
            file: display_name(path),
            sha256,
            batch_id: batch,
            dry_run,
            rows_read: rows,
            imported: 0,
            already_present: 0,
            rejected: 0,
            rejected_lines: Vec::new(),
            invoices_imported: 0,
            invoices_present: 0,
            pairs_created: 0,
            products_created: 0,
            sums: Vec::new(),
        };
        let mut sums: BTreeMap<String, PurchaseSums> = BTreeMap::new();
        for lines in invoices.values() {
            let Some(head) = lines.first() else { continue };
            if sql::purchase_exists(&mut *tx, &head.supplier, &head.invoice).await? {
                report.invoices_present += 1;
                for l in lines {
                    report.already_present += 1;
                    outcomes.push((l.line as i64, "present".to_owned(), None, None));
                }
                continue;
            }
            let refuse =
                |reason: String, outcomes: &mut Vec<_>, rejected: &mut Vec<RejectedLine>| {
                    for l in lines {
                        rejected.push(RejectedLine {
                            line: l.line as i64,
                            reason: reason.clone(),
                        });
                        outcomes.push((
                            l.line as i64,
                            "rejected".to_owned(),
                            Some(reason.clone()),
                            None,
                        ));
                    }
                };
            if let Some(other) = lines
                .iter()
                .find(|l| l.date != head.date || l.currency != head.currency)
            {
                refuse(
                    format!(
                        "invoice {} of {}: line {} has another date or currency than line {}",
                        head.invoice, head.supplier, other.line, head.line
                    ),
                    &mut outcomes,
                    &mut rejected,
                );
                continue;
            }
            let request = PurchaseRequest {
                supplier: Some(head.supplier.clone()),
                invoice: Some(head.invoice.clone()),
                date: Some(head.date),
                currency: Some(head.currency.clone()),
                shipping: None,
                discount: None,
                lines: lines.iter().map(|l| l.request.clone()).collect(),
            };
            let mut savepoint = tx.begin().await?;
            match purchase_write(&mut savepoint, &request).await {
                Ok(written) => {
                    savepoint.commit().await?;
                    report.invoices_imported += 1;
                    let s = sums
                        .entry(written.currency.clone())
                        .or_insert_with(|| PurchaseSums {
                            currency: written.currency.clone(),
                            ..PurchaseSums::default()
                        });
                    for (l, w) in lines.iter().zip(&written.lines) {
                        report.imported += 1;
                        report.pairs_created += w.pairs.len() as u64;
                        report.products_created += u64::from(w.product_created);
                        s.lines += 1;
                        s.pairs += w.pairs.len() as u64;
                        s.net += w.net;
                        s.vat += w.vat;
                        s.gross += w.gross;
                        outcomes.push((
                            l.line as i64,
                            "imported".to_owned(),
                            None,
                            Some(written.purchase_id),
                        ));
                    }
                }
                Err(LedgerError::Invalid(reason)) => {
                    savepoint.rollback().await?;
                    refuse(
                        format!(
                            "invoice {} of {} (lines {}): {reason}",
                            head.invoice,
                            head.supplier,
                            lines
                                .iter()
                                .map(|l| l.line.to_string())
                                .collect::<Vec<_>>()
                                .join(", ")
                        ),
                        &mut outcomes,
                        &mut rejected,
                    );
                }
                Err(e) => return Err(anyhow::Error::new(e).into()),
            }
        }
        outcomes.sort_by_key(|o| o.0);
        sql::record_purchase_lines(
            &mut *tx,
            batch,
            &outcomes.iter().map(|o| o.0).collect::<Vec<_>>(),
            &outcomes.iter().map(|o| o.1.clone()).collect::<Vec<_>>(),
            &outcomes.iter().map(|o| o.2.clone()).collect::<Vec<_>>(),
            &outcomes.iter().map(|o| o.3).collect::<Vec<_>>(),
        )
        .await?;
        rejected.sort_by_key(|r| r.line);
        report.rejected = rejected.len() as u64;
        rejected.truncate(REJECTED_SHOWN);
        report.rejected_lines = rejected;
        report.sums = sums.into_values().collect();
        super::finish(tx, batch, rows, &report, dry_run).await?;
        Ok(report)
    }
}
