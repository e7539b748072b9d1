//! Reading a CSV file as a stream: its SHA-256 and progress while reading, the header's
//! columns found by name, each record with the line it starts on, and the errors that stop a
//! whole file (unreadable, not UTF-8, a required column missing) as one line naming it.

use std::fs::File;
use std::io::{self, BufReader, Read};
use std::path::Path;

use sha2::{Digest, Sha256};
use soleflip_db::imports::StagedSale;
use tokio::sync::mpsc;

use super::{ImportError, Progress};

/// What reading a file gave, besides its lines.
#[derive(Debug, Clone, Default)]
pub struct ReadSummary {
    /// Records read (the header not counted).
    pub rows: u64,
    pub sha256: String,
    pub notes: Vec<String>,
}

/// Lines are sent to the copier in chunks of this many.
pub const CHUNK: usize = 2000;

/// Refuses a path that is not a readable regular file, naming it.
pub fn check_readable(path: &Path) -> Result<(), ImportError> {
    let meta = std::fs::metadata(path)
        .map_err(|e| ImportError::Invalid(format!("{}: {}", path.display(), io_reason(&e))))?;
    if !meta.is_file() {
        return Err(ImportError::Invalid(format!(
            "{}: not a regular file",
            path.display()
        )));
    }
    Ok(())
}

fn io_reason(e: &io::Error) -> String {
    match e.kind() {
        io::ErrorKind::NotFound => "no such file".to_owned(),
        io::ErrorKind::PermissionDenied => "permission denied".to_owned(),
        _ => e.to_string(),
    }
}

/// A reader that hashes what passes through it and reports progress by bytes.
pub struct Hashing<'p> {
    inner: BufReader<File>,
    hash: Sha256,
    bytes: u64,
    total: u64,
    last_report: u64,
    progress: &'p (dyn Fn(Progress) + Send + Sync),
    pub lines: u64,
}

impl<'p> Hashing<'p> {
    pub fn open(
        path: &Path,
        progress: &'p (dyn Fn(Progress) + Send + Sync),
    ) -> Result<Hashing<'p>, ImportError> {
        let file = File::open(path)
            .map_err(|e| ImportError::Invalid(format!("{}: {}", path.display(), io_reason(&e))))?;
        let total = file.metadata().map(|m| m.len()).unwrap_or(0);
        Ok(Hashing {
            inner: BufReader::with_capacity(1 << 20, file),
            hash: Sha256::new(),
            bytes: 0,
            total,
            last_report: 0,
            progress,
            lines: 0,
        })
    }

    /// The hex SHA-256 of everything read.
    pub fn finish(self) -> String {
        hex::encode(self.hash.finalize())
    }
}

impl Read for Hashing<'_> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let n = self.inner.read(buf)?;
        if let Some(read) = buf.get(..n) {
            self.hash.update(read);
        }
        self.bytes += n as u64;
        if self.bytes - self.last_report >= 4 << 20 || (n == 0 && self.bytes > self.last_report) {
            self.last_report = self.bytes;
            (self.progress)(Progress::Read {
                bytes: self.bytes,
                total: self.total,
                lines: self.lines,
            });
        }
        Ok(n)
    }
}

/// A CSV reader over `source` with `delimiter`, headers read by hand, records of any length
/// (a short one is refused as a line, not as the file).
pub fn csv_reader<R: Read>(source: R, delimiter: u8) -> csv::Reader<R> {
    csv::ReaderBuilder::new()
        .delimiter(delimiter)
        .has_headers(false)
        .flexible(true)
        .from_reader(source)
}

/// The header's column names, trimmed, a UTF-8 byte order mark removed.
pub fn header(
    path: &Path,
    reader: &mut csv::Reader<impl Read>,
) -> Result<Vec<String>, ImportError> {
    let mut record = csv::ByteRecord::new();
    let found = reader
        .read_byte_record(&mut record)
        .map_err(|e| ImportError::Invalid(format!("{}: {}", path.display(), e)))?;
    if !found {
        return Err(ImportError::Invalid(format!(
            "{}: the file is empty (no header line)",
            path.display()
        )));
    }
    let mut names = Vec::new();
    for (i, field) in record.iter().enumerate() {
        let field = if i == 0 {
            field.strip_prefix(b"\xef\xbb\xbf").unwrap_or(field)
        } else {
            field
        };
        let text = std::str::from_utf8(field).map_err(|_| not_utf8(path, 1))?;
        names.push(text.trim().to_owned());
    }
    Ok(names)
}

/// The one line for a file in another encoding.
pub fn not_utf8(path: &Path, line: u64) -> ImportError {
    ImportError::Invalid(format!(
        "{} line {line}: not UTF-8 text; save the file as UTF-8 (CSV UTF-8) and import it again",
        path.display()
    ))
}

/// Where each required column is; the first missing one is named.
pub fn columns<const N: usize>(
    path: &Path,
    header: &[String],
    wanted: [&str; N],
    format: &str,
) -> Result<[usize; N], ImportError> {
    let mut at = [0usize; N];
    for (slot, name) in at.iter_mut().zip(wanted) {
        *slot = header
            .iter()
            .position(|h| h.eq_ignore_ascii_case(name))
            .ok_or_else(|| {
                ImportError::Invalid(format!(
                    "{}: the column `{name}` is missing; this is not {format} (its header \
                     starts with {})",
                    path.display(),
                    header
                        .iter()
                        .take(3)
                        .map(|h| format!("`{h}`"))
                        .collect::<Vec<_>>()
                        .join(", ")
                ))
            })?;
    }
    Ok(at)
}

/// One record: its fields as text (UTF-8 checked) and the line it starts on.
pub struct Record {
    pub line: u64,
    pub fields: Vec<String>,
}

impl Record {
    /// The field at `i`, trimmed ("" when the record is short).
    pub fn get(&self, i: usize) -> &str {
        self.fields.get(i).map_or("", |f| f.trim())
    }
}

/// Reads every record after the header, calling `each` with it; `each` returns the staged line
/// to send. Stops on a file-level error (not UTF-8, unreadable).
pub fn for_each_record(
    path: &Path,
    reader: &mut csv::Reader<Hashing<'_>>,
    columns: usize,
    out: &mpsc::Sender<Vec<StagedSale>>,
    mut each: impl FnMut(&Record) -> StagedSale,
) -> Result<u64, ImportError> {
    let mut raw = csv::ByteRecord::new();
    let mut chunk = Vec::with_capacity(CHUNK);
    let mut rows = 0u64;
    loop {
        let more = reader.read_byte_record(&mut raw).map_err(|e| {
            let line = e.position().map_or(0, |p| p.line());
            ImportError::Invalid(format!("{} line {line}: {e}", path.display()))
        })?;
        if !more {
            break;
        }
        let line = raw.position().map_or(0, |p| p.line());
        if raw.len() == 1 && raw.get(0).is_some_and(|f| f.is_empty()) {
            continue; // a blank line
        }
        rows += 1;
        reader.get_mut().lines = rows;
        let mut fields = Vec::with_capacity(raw.len());
        for f in raw.iter() {
            fields.push(
                std::str::from_utf8(f)
                    .map_err(|_| not_utf8(path, line))?
                    .to_owned(),
            );
        }
        let record = Record { line, fields };
        let mut staged = if record.fields.len() < columns {
            rejected(
                &record,
                format!(
                    "{} fields where the header has {columns} (a truncated line?)",
                    record.fields.len()
                ),
            )
        } else {
            each(&record)
        };
        staged.line_no = line;
        chunk.push(staged);
        if chunk.len() >= CHUNK {
            if out.blocking_send(std::mem::take(&mut chunk)).is_err() {
                return Ok(rows); // the copier stopped; it reports why
            }
            chunk.reserve(CHUNK);
        }
    }
    if !chunk.is_empty() {
        let _ = out.blocking_send(chunk);
    }
    Ok(rows)
}

/// A refused line: its reason, and the order number when there is one.
pub fn rejected(record: &Record, reason: String) -> StagedSale {
    StagedSale {
        line_no: record.line,
        rejected: Some(reason),
        order_number: String::new(),
        item: String::new(),
        size_text: String::new(),
        cohort: String::new(),
        region: String::new(),
        value: String::new(),
        currency: String::new(),
        ..StagedSale::default()
    }
}
