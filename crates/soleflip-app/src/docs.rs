//! `db docs`: the data dictionary of the live database as Markdown with Mermaid ER diagrams,
//! rendered here from the rows `soleflip_db::docs` reads, and written into a directory without
//! ever leaving it: file names come from schema names, which any role that may create a schema
//! chooses, so each is reduced to a safe file name and written exclusively, never through a link.

use std::collections::{BTreeMap, BTreeSet};
use std::fmt::Write as _;
use std::path::{Path, PathBuf};

use serde::Serialize;
use soleflip_db::docs::{
    CheckDoc, Dictionary, ForeignKeyDoc, IndexDoc, IndexOrigin, SchemaDoc, TableDoc, ViewDoc,
    GENERATED_MARKER,
};

use crate::error::{Code, Coded};
use crate::App;

/// The files of the dictionary: `README.md` (the index and the overview diagram) and one
/// `<schema>.md` per schema, by file name.
pub fn render(d: &Dictionary) -> BTreeMap<String, String> {
    let mut files = BTreeMap::new();
    files.insert("README.md".to_string(), render_index(d));
    for s in &d.schemas {
        files.insert(schema_file(&s.name), render_schema(d, s));
    }
    files
}

fn render_index(d: &Dictionary) -> String {
    let mut md = String::new();
    let tables = d.tables().count();
    let views: usize = d.schemas.iter().map(|s| s.views.len()).sum();
    let columns: usize = d.tables().map(|t| t.columns.len()).sum();
    let fks: usize = d.tables().map(|t| t.foreign_keys.len()).sum();
    let indexes: usize = d.tables().map(|t| t.indexes.len()).sum();
    let at = match &d.migration {
        Some((v, name)) => format!("at migration {v} ({name})"),
        None => "without applied migrations".to_string(),
    };
    let _ = writeln!(md, "{GENERATED_MARKER}");
    let _ = writeln!(md, "# Data dictionary\n");
    let _ = writeln!(
        md,
        "The SoleFlip database {at}, read from its catalog: {} schemas, {tables} tables \
         ({columns} columns, {fks} foreign keys, {indexes} indexes) and {views} views.\n",
        d.schemas.len()
    );
    let _ = writeln!(
        md,
        "Each schema's page lists its tables (purpose, columns, keys, foreign keys with \
         their rules, indexes, triggers), its views with their columns, its enum types and \
         functions, and an ER diagram of its tables. The overview below shows every table \
         with its key columns and every foreign key. Regenerate with \
         `soleflip db docs --out docs/database`.\n"
    );
    let _ = writeln!(md, "| schema | purpose | tables | views |");
    let _ = writeln!(md, "|---|---|---|---|");
    for s in &d.schemas {
        let _ = writeln!(
            md,
            "| [{0}]({0}.md) | {1} | {2} | {3} |",
            s.name,
            summary(s.comment.as_deref()),
            s.tables.len(),
            s.views.len()
        );
    }
    let _ = writeln!(md, "\n## Overview\n");
    let all: Vec<&TableDoc> = d.tables().collect();
    md.push_str(&er_diagram(&all, &all, true));
    md
}

fn render_schema(d: &Dictionary, s: &SchemaDoc) -> String {
    let mut md = String::new();
    let _ = writeln!(md, "{GENERATED_MARKER}");
    let _ = writeln!(md, "# Schema `{}`\n", s.name);
    let _ = writeln!(md, "{}\n", purpose(s.comment.as_deref()));
    let _ = writeln!(
        md,
        "[All schemas](README.md) · tables: {} · views: {} · enum types: {} · functions: {}\n",
        s.tables.len(),
        s.views.len(),
        s.enums.len(),
        s.functions.len()
    );

    if !s.tables.is_empty() {
        let _ = writeln!(md, "## Tables\n");
        let _ = writeln!(md, "| table | purpose |");
        let _ = writeln!(md, "|---|---|");
        for t in &s.tables {
            let q = t.qualified();
            let _ = writeln!(
                md,
                "| [{q}](#{}) | {} |",
                anchor(&format!("table {q}")),
                summary(t.comment.as_deref())
            );
        }
        md.push('\n');
    }
    if !s.views.is_empty() {
        let _ = writeln!(md, "## Views\n");
        let _ = writeln!(md, "| view | purpose |");
        let _ = writeln!(md, "|---|---|");
        for v in &s.views {
            let q = format!("{}.{}", v.schema, v.name);
            let _ = writeln!(
                md,
                "| [{q}](#{}) | {} |",
                anchor(&format!("view {q}")),
                summary(v.comment.as_deref())
            );
        }
        md.push('\n');
    }
    if !s.enums.is_empty() {
        let _ = writeln!(md, "## Enum types\n");
        let _ = writeln!(md, "| type | labels, in order |");
        let _ = writeln!(md, "|---|---|");
        for e in &s.enums {
            let labels: Vec<String> = e.labels.iter().map(|l| code(l)).collect();
            let _ = writeln!(md, "| {} | {} |", code(&e.name), labels.join(", "));
        }
        md.push('\n');
    }
    if !s.functions.is_empty() {
        let _ = writeln!(md, "## Functions\n");
        let _ = writeln!(md, "| function | returns | language | comment |");
        let _ = writeln!(md, "|---|---|---|---|");
        for f in &s.functions {
            let _ = writeln!(
                md,
                "| {} | {} | {} | {} |",
                code(&f.signature),
                f.returns
                    .as_deref()
                    .map_or_else(|| "(procedure)".into(), code),
                f.language,
                cell(f.comment.as_deref().unwrap_or(""))
            );
        }
        md.push('\n');
    }
    if !s.tables.is_empty() {
        let _ = writeln!(md, "## ER diagram\n");
        let all: Vec<&TableDoc> = d.tables().collect();
        let own: Vec<&TableDoc> = s.tables.iter().collect();
        md.push_str(&er_diagram(&own, &all, false));
        md.push('\n');
    }
    for t in &s.tables {
        render_table(d, &mut md, t);
    }
    for v in &s.views {
        render_view(&mut md, v);
    }
    // One trailing newline, whatever the last section wrote.
    let trimmed = md.trim_end().len();
    md.truncate(trimmed);
    md.push('\n');
    md
}

fn render_table(d: &Dictionary, md: &mut String, t: &TableDoc) {
    let q = t.qualified();
    let _ = writeln!(md, "## Table {q}\n");
    let _ = writeln!(md, "{}\n", purpose(t.comment.as_deref()));
    let _ = writeln!(md, "| # | column | type | null | default | comment |");
    let _ = writeln!(md, "|---|---|---|---|---|---|");
    for (i, c) in t.columns.iter().enumerate() {
        let _ = writeln!(
            md,
            "| {} | {} | {} | {} | {} | {} |",
            i + 1,
            code(&c.name),
            code(&c.data_type),
            if c.nullable { "null" } else { "not null" },
            c.default.as_deref().map(code).unwrap_or_default(),
            cell(c.comment.as_deref().unwrap_or(""))
        );
    }
    md.push('\n');
    match &t.primary_key {
        Some(pk) => {
            let _ = writeln!(
                md,
                "Primary key: {} ({})\n",
                code(&pk.name),
                code_list(&pk.columns)
            );
        }
        None => {
            let _ = writeln!(md, "Primary key: none\n");
        }
    }
    if !t.unique_constraints.is_empty() {
        let _ = writeln!(md, "Unique constraints:\n");
        let _ = writeln!(md, "| name | columns |");
        let _ = writeln!(md, "|---|---|");
        for u in &t.unique_constraints {
            let _ = writeln!(md, "| {} | {} |", code(&u.name), code_list(&u.columns));
        }
        md.push('\n');
    }
    let checks: Vec<&CheckDoc> = t
        .check_constraints
        .iter()
        .chain(&t.exclusion_constraints)
        .collect();
    if !checks.is_empty() {
        let _ = writeln!(md, "Check and exclusion constraints:\n");
        let _ = writeln!(md, "| name | definition |");
        let _ = writeln!(md, "|---|---|");
        for c in checks {
            let _ = writeln!(md, "| {} | {} |", code(&c.name), code(&c.definition));
        }
        md.push('\n');
    }
    if !t.foreign_keys.is_empty() {
        let _ = writeln!(md, "Foreign keys:\n");
        let _ = writeln!(
            md,
            "| name | columns | references | on delete | on update |"
        );
        let _ = writeln!(md, "|---|---|---|---|---|");
        for f in &t.foreign_keys {
            let _ = writeln!(
                md,
                "| {} | {} | {} ({}) | {} | {} |",
                code(&f.name),
                code_list(&f.columns),
                table_link(&t.schema, &f.ref_table),
                code_list(&f.ref_columns),
                f.on_delete,
                f.on_update
            );
        }
        md.push('\n');
    }
    let referenced_by: Vec<(&TableDoc, &ForeignKeyDoc)> = d
        .tables()
        .flat_map(|other| other.foreign_keys.iter().map(move |f| (other, f)))
        .filter(|(_, f)| f.ref_table == q)
        .collect();
    if !referenced_by.is_empty() {
        let _ = writeln!(md, "Referenced by:\n");
        let _ = writeln!(md, "| table | columns | foreign key | on delete |");
        let _ = writeln!(md, "|---|---|---|---|");
        for (other, f) in referenced_by {
            let _ = writeln!(
                md,
                "| {} | {} | {} | {} |",
                table_link(&t.schema, &other.qualified()),
                code_list(&f.columns),
                code(&f.name),
                f.on_delete
            );
        }
        md.push('\n');
    }
    render_indexes(md, &t.indexes);
    if !t.triggers.is_empty() {
        let _ = writeln!(md, "Triggers:\n");
        let _ = writeln!(md, "| name | definition |");
        let _ = writeln!(md, "|---|---|");
        for tr in &t.triggers {
            let _ = writeln!(md, "| {} | {} |", code(&tr.name), code(&tr.definition));
        }
        md.push('\n');
    }
}

fn render_view(md: &mut String, v: &ViewDoc) {
    let q = format!("{}.{}", v.schema, v.name);
    let _ = writeln!(md, "## View {q}\n");
    if v.materialized {
        let _ = writeln!(md, "A materialized view.\n");
    }
    let _ = writeln!(md, "{}\n", purpose(v.comment.as_deref()));
    let _ = writeln!(md, "| # | column | type | comment |");
    let _ = writeln!(md, "|---|---|---|---|");
    for (i, c) in v.columns.iter().enumerate() {
        let _ = writeln!(
            md,
            "| {} | {} | {} | {} |",
            i + 1,
            code(&c.name),
            code(&c.data_type),
            cell(c.comment.as_deref().unwrap_or(""))
        );
    }
    md.push('\n');
    render_indexes(md, &v.indexes);
}

fn render_indexes(md: &mut String, indexes: &[IndexDoc]) {
    if indexes.is_empty() {
        return;
    }
    let _ = writeln!(md, "Indexes:\n");
    let _ = writeln!(md, "| name | from | definition |");
    let _ = writeln!(md, "|---|---|---|");
    for i in indexes {
        let from = match i.origin {
            IndexOrigin::PrimaryKey => "primary key",
            IndexOrigin::UniqueConstraint => "unique constraint",
            IndexOrigin::ExclusionConstraint => "exclusion constraint",
            IndexOrigin::Explicit if i.unique => "create unique index",
            IndexOrigin::Explicit => "create index",
        };
        let def = i
            .definition
            .split_once(" USING ")
            .map_or(i.definition.as_str(), |(_, d)| d);
        let _ = writeln!(md, "| {} | {from} | {} |", code(&i.name), code(def));
    }
    md.push('\n');
}

/// A Mermaid `erDiagram` of `own` tables (all columns, or key columns only when `keys_only`)
/// and the foreign keys of those tables; tables they reference elsewhere appear by name only.
fn er_diagram(own: &[&TableDoc], all: &[&TableDoc], keys_only: bool) -> String {
    let mut out = String::from("```mermaid\nerDiagram\n");
    for t in own {
        let fk_cols: BTreeSet<&str> = t
            .foreign_keys
            .iter()
            .flat_map(|f| f.columns.iter().map(String::as_str))
            .collect();
        let pk_cols: BTreeSet<&str> = t
            .primary_key
            .iter()
            .flat_map(|k| k.columns.iter().map(String::as_str))
            .collect();
        let uk_cols: BTreeSet<&str> = t
            .unique_constraints
            .iter()
            .flat_map(|k| k.columns.iter().map(String::as_str))
            .collect();
        let mut lines = Vec::new();
        for c in &t.columns {
            let mut keys = Vec::new();
            if pk_cols.contains(c.name.as_str()) {
                keys.push("PK");
            }
            if fk_cols.contains(c.name.as_str()) {
                keys.push("FK");
            }
            if uk_cols.contains(c.name.as_str()) && !keys_only {
                keys.push("UK");
            }
            if keys_only && !keys.contains(&"PK") && !keys.contains(&"FK") {
                continue;
            }
            let mut line = format!(
                "        {} {}",
                mermaid_token(&c.data_type),
                mermaid_token(&c.name)
            );
            if !keys.is_empty() {
                line.push(' ');
                line.push_str(&keys.join(", "));
            }
            lines.push(line);
        }
        let entity = mermaid_entity(&t.qualified());
        if lines.is_empty() {
            let _ = writeln!(out, "    {entity}");
        } else {
            let _ = writeln!(out, "    {entity} {{");
            for l in lines {
                let _ = writeln!(out, "{l}");
            }
            let _ = writeln!(out, "    }}");
        }
    }
    for t in own {
        for f in &t.foreign_keys {
            let nullable = f
                .columns
                .iter()
                .any(|name| t.columns.iter().any(|c| &c.name == name && c.nullable));
            let parent_side = if nullable { "|o" } else { "||" };
            let mut key_cols = f.columns.clone();
            key_cols.sort();
            let one_to_one = t.primary_key.iter().chain(&t.unique_constraints).any(|k| {
                let mut cols = k.columns.clone();
                cols.sort();
                cols == key_cols
            });
            let child_side = if one_to_one { "o|" } else { "o{" };
            // Only reference tables the database has (a dangling name would add a stray box).
            if !all.iter().any(|x| x.qualified() == f.ref_table) {
                continue;
            }
            let _ = writeln!(
                out,
                "    {} {parent_side}--{child_side} {} : \"{}\"",
                mermaid_entity(&f.ref_table),
                mermaid_entity(&t.qualified()),
                f.columns.join(", ")
            );
        }
    }
    out.push_str("```\n");
    out
}

/// An entity name Mermaid accepts: `core.brands` → `core_brands`.
pub fn mermaid_entity(qualified: &str) -> String {
    mermaid_token(qualified)
}

/// A single-token Mermaid attribute type or name: `character varying(100)` → `varchar_100`,
/// `numeric(10,2)` → `numeric_10_2`, `timestamp with time zone` → `timestamptz`,
/// `text[]` → `text_array`, `auth.user_role` → `auth_user_role`.
pub fn mermaid_token(text: &str) -> String {
    let mut s = text.to_ascii_lowercase();
    for (long, short) in [
        ("timestamp with time zone", "timestamptz"),
        ("timestamp without time zone", "timestamp"),
        ("time with time zone", "timetz"),
        ("time without time zone", "time"),
        ("character varying", "varchar"),
        ("double precision", "float8"),
        ("bit varying", "varbit"),
        ("[]", " array"),
    ] {
        s = s.replace(long, short);
    }
    let mut out = String::with_capacity(s.len());
    for ch in s.chars() {
        if ch.is_ascii_alphanumeric() {
            out.push(ch);
        } else if !out.is_empty() && !out.ends_with('_') {
            out.push('_');
        }
    }
    while out.ends_with('_') {
        out.pop();
    }
    if out.is_empty() || out.starts_with(|c: char| c.is_ascii_digit()) {
        out.insert(0, '_');
    }
    out
}

/// The GitHub anchor of a heading: lower case, punctuation dropped, spaces to hyphens.
fn anchor(heading: &str) -> String {
    heading
        .to_lowercase()
        .chars()
        .filter_map(|c| match c {
            ' ' => Some('-'),
            c if c.is_alphanumeric() || c == '_' || c == '-' => Some(c),
            _ => None,
        })
        .collect()
}

/// A link to a table's section, on this page or on its schema's page.
fn table_link(this_schema: &str, qualified: &str) -> String {
    let target = anchor(&format!("table {qualified}"));
    match qualified.split_once('.') {
        Some((schema, _)) if schema != this_schema => {
            format!("[{qualified}]({}#{target})", schema_file(schema))
        }
        _ => format!("[{qualified}](#{target})"),
    }
}

fn purpose(comment: Option<&str>) -> String {
    match comment.map(str::trim).filter(|c| !c.is_empty()) {
        Some(c) => c.to_string(),
        None => "_No comment in the catalog._".to_string(),
    }
}

/// The first line of a comment, for a summary table cell.
fn summary(comment: Option<&str>) -> String {
    cell(
        comment
            .map(str::trim)
            .and_then(|c| c.lines().next())
            .unwrap_or(""),
    )
}

/// Text safe inside a Markdown table cell.
fn cell(text: &str) -> String {
    text.trim()
        .replace('|', "\\|")
        .replace("\r\n", "<br>")
        .replace('\n', "<br>")
}

/// A code span safe inside a Markdown table cell.
fn code(text: &str) -> String {
    let flat = text.split_whitespace().collect::<Vec<_>>().join(" ");
    let fence = if flat.contains('`') { "``" } else { "`" };
    format!("{fence}{}{fence}", flat.replace('|', "\\|"))
}

fn code_list(items: &[String]) -> String {
    items.iter().map(|i| code(i)).collect::<Vec<_>>().join(", ")
}

/// The file of a schema's page: `<schema>.md` when the name is a plain file name (letters,
/// digits, `_`, `-`, not starting with a dot, not `README`), otherwise the name with every other
/// character replaced by `_` and a hash of the real name appended, so that no schema name can
/// reach outside the directory, replace the index, or collide with another schema's page.
pub fn schema_file(name: &str) -> String {
    let plain = !name.is_empty()
        && name.len() <= 200
        && name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-')
        && !name.eq_ignore_ascii_case("readme");
    if plain {
        return format!("{name}.md");
    }
    use sha2::Digest as _;
    let digest = hex::encode(sha2::Sha256::digest(name.as_bytes()));
    let stem: String = name
        .chars()
        .take(60)
        .map(|c| if c.is_ascii_alphanumeric() { c } else { '_' })
        .collect();
    format!("{stem}-{}.md", &digest[..12])
}

/// Writes `files` into `dir` (created if missing) and removes the `.md` files there that an
/// earlier run generated (they start with [`GENERATED_MARKER`]) but this one did not. Each file
/// is written to a temporary file created exclusively (`O_EXCL`: never through a planted link)
/// and renamed over its name (a rename replaces a link, never its target). A name that is not a
/// plain file name is refused. Returns the paths written and removed.
pub fn write_dir(
    dir: &Path,
    files: &BTreeMap<String, String>,
) -> std::io::Result<(Vec<PathBuf>, Vec<PathBuf>)> {
    use std::io::Write as _;
    std::fs::create_dir_all(dir)?;
    let mut written = Vec::new();
    for (name, text) in files {
        let plain = Path::new(name).file_name().map(|n| n.to_string_lossy()) == Some(name.into());
        if !plain || name.starts_with('.') {
            return Err(std::io::Error::new(
                std::io::ErrorKind::InvalidInput,
                format!("{name:?} is not a plain file name"),
            ));
        }
        let path = dir.join(name);
        let tmp = dir.join(format!(".{name}.{}.tmp", std::process::id()));
        let _ = std::fs::remove_file(&tmp);
        let mut file = std::fs::OpenOptions::new()
            .write(true)
            .create_new(true)
            .open(&tmp)?;
        file.write_all(text.as_bytes())?;
        file.sync_all()?;
        drop(file);
        std::fs::rename(&tmp, &path)?;
        written.push(path);
    }
    let mut removed = Vec::new();
    for path in generated_files(dir)? {
        let name = path
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default();
        if !files.contains_key(&name) {
            std::fs::remove_file(&path)?;
            removed.push(path);
        }
    }
    Ok((written, removed))
}

/// The `.md` files in `dir` that this module generated, sorted (links are not followed).
pub fn generated_files(dir: &Path) -> std::io::Result<Vec<PathBuf>> {
    let mut out = Vec::new();
    for entry in std::fs::read_dir(dir)? {
        let entry = entry?;
        let path = entry.path();
        if path.extension().is_some_and(|e| e == "md") && entry.file_type()?.is_file() {
            let text = std::fs::read_to_string(&path)?;
            if text.starts_with(GENERATED_MARKER) {
                out.push(path);
            }
        }
    }
    out.sort();
    Ok(out)
}

#[derive(Debug, thiserror::Error)]
pub enum DocsError {
    #[error("writing the data dictionary into {}: {source}", dir.display())]
    Write {
        dir: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error(transparent)]
    Db(#[from] crate::db::DbError),
    #[error(transparent)]
    Unexpected(#[from] anyhow::Error),
}

impl Coded for DocsError {
    fn code(&self) -> Code {
        match self {
            DocsError::Write { .. } | DocsError::Unexpected(_) => Code::Unexpected,
            DocsError::Db(e) => e.code(),
        }
    }
}

/// `db docs`: what was written where, and what the dictionary counts.
#[derive(Debug, Clone, Serialize)]
pub struct DocsReport {
    pub database: String,
    pub written: Vec<PathBuf>,
    /// Pages of schemas that no longer exist.
    pub removed: Vec<PathBuf>,
    pub schemas: usize,
    /// Tables, views and indexes of the dictionary (extension objects are left out, as
    /// `db verify` leaves them out).
    pub tables: usize,
    pub views: usize,
    pub indexes: usize,
}

impl App {
    /// Writes the data dictionary of the live database into `out`.
    #[tracing::instrument(skip(self))]
    pub async fn write_docs(&self, out: &Path) -> Result<DocsReport, DocsError> {
        let target = self.target(crate::Create::No).await?;
        let mut conn = self.conn().await?;
        let dict = Dictionary::read(&mut conn)
            .await
            .map_err(|e| anyhow::Error::new(e).context("reading the catalog"))?;
        let files = render(&dict);
        let (written, removed) = write_dir(out, &files).map_err(|source| DocsError::Write {
            dir: out.to_path_buf(),
            source,
        })?;
        Ok(DocsReport {
            database: target.describe(),
            written,
            removed,
            schemas: dict.schemas.len(),
            tables: dict.tables().count(),
            views: dict.schemas.iter().map(|s| s.views.len()).sum(),
            indexes: dict.tables().map(|t| t.indexes.len()).sum(),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_hostile_schema_name_never_leaves_the_directory_nor_replaces_the_index() {
        for name in [
            "./../../../../tmp/x/pwned",
            "..",
            ".hidden",
            "README",
            "a/b",
            "x\ny",
        ] {
            let file = schema_file(name);
            assert!(
                !file.contains('/') && !file.starts_with('.'),
                "{name:?} -> {file}"
            );
            assert_ne!(file.to_ascii_lowercase(), "readme.md", "{name:?}");
        }
        assert_eq!(schema_file("products"), "products.md");
        assert_ne!(schema_file("a b"), schema_file("a_b"));
    }

    #[test]
    fn a_planted_link_is_replaced_not_followed() {
        let dir = tempfile::tempdir().unwrap();
        let victim = dir.path().join("victim.txt");
        std::fs::write(&victim, "precious").unwrap();
        let out = dir.path().join("out");
        std::fs::create_dir(&out).unwrap();
        std::os::unix::fs::symlink(&victim, out.join("core.md")).unwrap();
        let files = BTreeMap::from([("core.md".to_string(), "new".to_string())]);
        write_dir(&out, &files).unwrap();
        assert_eq!(std::fs::read_to_string(&victim).unwrap(), "precious");
        assert_eq!(std::fs::read_to_string(out.join("core.md")).unwrap(), "new");
        let hostile = BTreeMap::from([("../escape.md".to_string(), "x".to_string())]);
        assert!(write_dir(&out, &hostile).is_err());
        assert!(!dir.path().join("escape.md").exists());
    }

    #[test]
    fn mermaid_tokens_are_single_words_without_dots() {
        let cases = [
            ("character varying(100)", "varchar_100"),
            ("numeric(10,2)", "numeric_10_2"),
            ("timestamp with time zone", "timestamptz"),
            ("timestamp without time zone", "timestamp"),
            ("text[]", "text_array"),
            ("auth.user_role", "auth_user_role"),
            ("double precision", "float8"),
            ("uuid", "uuid"),
            ("core.brands", "core_brands"),
            ("\"Odd Name\"", "odd_name"),
            ("1st", "_1st"),
        ];
        for (input, want) in cases {
            assert_eq!(mermaid_token(input), want, "{input}");
        }
    }

    #[test]
    fn table_cells_escape_pipes_and_newlines() {
        assert_eq!(cell("a | b\nc"), "a \\| b<br>c");
        assert_eq!(code("x  ||\n y"), "`x \\|\\| y`");
        assert_eq!(code("a`b"), "``a`b``");
    }

    #[test]
    fn anchors_follow_the_github_heading_rule() {
        assert_eq!(
            anchor("table core.supplier_accounts"),
            "table-coresupplier_accounts"
        );
    }
}
