//! Importers (issue 14): StockX seller sales reports, Alias sales exports and purchase lists,
//! into the ledger, exactly and idempotently.
//!
//! A sales report is read as a stream on a blocking thread (the `csv` reader, RFC 4180 with
//! multi-line fields), each line checked and turned into a [`StagedSale`] with its fee lines
//! (reported, explained by the fee schedule, or derived so the order balances), and copied into
//! a staging table while it is read; the merge into the ledger is set-based SQL
//! (`soleflip_db::imports`). One file is one transaction: a failure, or `--dry-run`, leaves
//! nothing behind. Nothing personal (seller or buyer names, addresses, VAT numbers, user names)
//! is kept: the staged line has no field for it.

mod alias;
mod purchases;
mod read;
pub(crate) mod sale;
mod stockx;

use std::path::{Path, PathBuf};

use serde::Serialize;
use soleflip_db::imports::{self as sql, SalesCopy, StagedSale};
pub use soleflip_db::imports::{RejectedLine, SaleSums};
use sqlx::types::Uuid;
use sqlx::Connection;
use tokio::sync::mpsc;

pub use alias::{AliasOptions, PriceUnit};
pub use purchases::{PurchaseImportReport, PurchaseSums};

use crate::error::{Code, Coded};
use crate::App;

/// How many refused lines a report lists (all of them are in `integration.import_records`).
pub const REJECTED_SHOWN: usize = 1000;

/// What can go wrong in an import.
#[derive(Debug, thiserror::Error)]
pub enum ImportError {
    /// The file as a whole cannot be imported (missing column, not UTF-8, unreadable); the
    /// message names the file and, where it can, the line.
    #[error("{0}")]
    Invalid(String),
    /// The ledger changed under the import (a matched pair moved); nothing was written.
    #[error("{0}")]
    Conflict(String),
    #[error(transparent)]
    Db(#[from] crate::db::DbError),
    #[error(transparent)]
    Unexpected(#[from] anyhow::Error),
}

impl From<sqlx::Error> for ImportError {
    fn from(e: sqlx::Error) -> Self {
        if let Some(db) = e.as_database_error() {
            if db.code().as_deref() == Some("40001") {
                return ImportError::Conflict(db.message().to_owned());
            }
        }
        Self::Unexpected(e.into())
    }
}

impl Coded for ImportError {
    fn code(&self) -> Code {
        match self {
            ImportError::Invalid(_) => Code::InvalidInput,
            ImportError::Conflict(_) => Code::Conflict,
            ImportError::Db(e) => e.code(),
            ImportError::Unexpected(_) => Code::Unexpected,
        }
    }
}

/// Progress of a running import, for a progress bar.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Progress {
    /// Bytes of the file read so far, of `total`.
    Read { bytes: u64, total: u64, lines: u64 },
    /// A merge step is running.
    Merge(&'static str),
}

/// The result of importing a sales report.
#[derive(Debug, Clone, Serialize)]
pub struct SalesImportReport {
    /// `stockx-sales` or `alias-sales`.
    pub kind: &'static str,
    pub file: String,
    pub sha256: String,
    /// The run's `integration.import_batches` id (rolled back with everything on a dry run).
    pub batch_id: Uuid,
    pub dry_run: bool,
    pub platform: String,
    /// Records read (a multi-line record counts once).
    pub rows_read: u64,
    pub imported: i64,
    pub already_present: i64,
    pub rejected: i64,
    /// The first refused lines, with their reasons (at most `REJECTED_SHOWN`).
    pub rejected_lines: Vec<RejectedLine>,
    pub products_created: i64,
    /// Sales that consumed a pair in stock (first in, first out).
    pub pairs_matched: i64,
    /// Sales with no pair in stock: a pair of unknown cost was created for each.
    pub pairs_created_cost_unknown: i64,
    /// Sums of the orders imported now, per currency.
    pub imported_sums: Vec<SaleSums>,
    /// Sums of every accepted line of the file (imported now or already present): these equal
    /// the file's column sums.
    pub file_sums: Vec<SaleSums>,
    /// Facts worth knowing about the run (an assumption made, a schedule not available).
    pub notes: Vec<String>,
}

/// The file name without its directory, for reports.
fn display_name(path: &Path) -> String {
    path.file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_else(|| path.display().to_string())
}

/// Ends a run: its batch row completed with the report (which checks the balance of every
/// order of the batch, now rather than at commit, so that a dry run is checked too), then
/// commit, or roll everything back for a dry run.
async fn finish(
    mut tx: sqlx::Transaction<'_, sqlx::Postgres>,
    batch: Uuid,
    rows: u64,
    report: &impl Serialize,
    dry_run: bool,
) -> Result<(), ImportError> {
    let json = serde_json::to_value(report).map_err(anyhow::Error::new)?;
    sql::complete_batch(
        &mut *tx,
        batch,
        i64::try_from(rows).unwrap_or(i64::MAX),
        &json,
    )
    .await?;
    sql::check_deferred(&mut tx).await?;
    if dry_run {
        tx.rollback().await?;
    } else {
        tx.commit().await?;
    }
    Ok(())
}

/// A parser of one sales format: reads the file and sends staged lines (in chunks) down the
/// channel, reporting progress; returns the rows read, the file's SHA-256 and notes. It runs
/// on a blocking thread, so it owns what it is given.
type SalesReader = Box<
    dyn FnOnce(
            PathBuf,
            mpsc::Sender<Vec<StagedSale>>,
            Box<dyn Fn(Progress) + Send + Sync>,
        ) -> Result<read::ReadSummary, ImportError>
        + Send,
>;

impl App {
    /// Imports a StockX "historical seller sales report" (CSV).
    #[tracing::instrument(skip(self, progress))]
    pub async fn import_stockx_sales(
        &self,
        path: &Path,
        dry_run: bool,
        progress: &(dyn Fn(Progress) + Send + Sync),
    ) -> Result<SalesImportReport, ImportError> {
        self.import_sales(
            "stockx-sales",
            "stockx",
            path,
            dry_run,
            Box::new(|path, out, progress| stockx::read(&path, &out, &*progress)),
            progress,
        )
        .await
    }

    /// Imports an Alias (GOAT group) sales export (CSV).
    #[tracing::instrument(skip(self, progress))]
    pub async fn import_alias_sales(
        &self,
        path: &Path,
        options: &AliasOptions,
        dry_run: bool,
        progress: &(dyn Fn(Progress) + Send + Sync),
    ) -> Result<SalesImportReport, ImportError> {
        let plan = alias::plan(path, options)?;
        self.import_sales(
            "alias-sales",
            "alias",
            path,
            dry_run,
            Box::new(move |path, out, progress| alias::read(&path, &plan, &out, &*progress)),
            progress,
        )
        .await
    }

    async fn import_sales(
        &self,
        kind: &'static str,
        platform: &str,
        path: &Path,
        dry_run: bool,
        reader: SalesReader,
        progress: &(dyn Fn(Progress) + Send + Sync),
    ) -> Result<SalesImportReport, ImportError> {
        let file = display_name(path);
        read::check_readable(path)?;
        let mut conn = self.conn().await?;
        let mut tx = conn.begin().await?;
        sql::lock_imports(&mut tx).await?;
        sql::create_sales_stage(&mut tx).await?;

        // Read on a blocking thread; copy what it sends while it reads.
        let (tx_lines, mut rx_lines) = mpsc::channel::<Vec<StagedSale>>(4);
        let owned: PathBuf = path.to_path_buf();
        let (tx_progress, mut rx_progress) = mpsc::unbounded_channel::<Progress>();
        let send = Box::new(move |p: Progress| {
            let _ = tx_progress.send(p);
        });
        let reading = tokio::task::spawn_blocking(move || reader(owned, tx_lines, send));
        let mut copy = SalesCopy::begin(&mut tx).await?;
        let mut copy_failed = None;
        'chunks: while let Some(lines) = rx_lines.recv().await {
            while let Ok(p) = rx_progress.try_recv() {
                progress(p);
            }
            for line in lines {
                if let Err(e) = copy.push(&line).await {
                    copy_failed = Some(e);
                    break 'chunks;
                }
            }
        }
        drop(rx_lines);
        let summary = reading
            .await
            .map_err(|e| anyhow::anyhow!("the reader of {file} stopped: {e}"))?;
        while let Ok(p) = rx_progress.try_recv() {
            progress(p);
        }
        let summary = match (summary, copy_failed) {
            (Err(e), _) => {
                let _ = copy.abort("the file could not be read").await;
                return Err(e);
            }
            (Ok(_), Some(e)) => {
                let _ = copy.abort("copy failed").await;
                return Err(e.into());
            }
            (Ok(s), None) => {
                copy.finish().await?;
                s
            }
        };

        let batch = sql::insert_batch(&mut *tx, kind, &file, &summary.sha256).await?;
        if !sql::start_merge(&mut tx, batch, platform, "sneakers").await? {
            return Err(anyhow::anyhow!(
                "the platform `{platform}` or the category `sneakers` is missing"
            )
            .into());
        }
        let merge_progress = |step: &'static str| progress(Progress::Merge(step));
        let bulk = std::env::var_os("SOLEFLIP_IMPORT_TRIGGERS").is_none()
            && sql::may_bulk_write(&mut tx).await?;
        let counts = sql::merge_sales(&mut tx, bulk, &merge_progress).await?;
        sql::record_lines(&mut tx, batch).await?;
        let report = SalesImportReport {
            kind,
            file,
            sha256: summary.sha256,
            batch_id: batch,
            dry_run,
            platform: platform.to_owned(),
            rows_read: summary.rows,
            imported: counts.imported,
            already_present: counts.present,
            rejected: counts.rejected,
            rejected_lines: sql::rejected_lines(&mut tx, REJECTED_SHOWN as i64).await?,
            products_created: counts.products_created,
            pairs_matched: counts.pairs_matched,
            pairs_created_cost_unknown: counts.pairs_created,
            imported_sums: sql::sale_sums(&mut tx, "imported").await?,
            file_sums: sql::sale_sums(&mut tx, "file").await?,
            notes: summary.notes,
        };
        finish(tx, batch, summary.rows, &report, dry_run).await?;
        Ok(report)
    }
}
