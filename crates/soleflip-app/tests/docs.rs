//! `db docs` on real PostgreSQL: the dictionary is complete, deterministic, and the committed
//! copy in `docs/database/` is what the current migrations build.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    reason = "test helpers stop the test loudly on a failed step"
)]

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use soleflip_app::docs;
use soleflip_db::docs::Dictionary;
use soleflip_db::schema::Snapshot;
use soleflip_testkit::migrated_db;

fn committed_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../docs/database")
}

async fn generate(db: &soleflip_testkit::TestDb) -> BTreeMap<String, String> {
    let mut conn = db.connect().await;
    let dict = Dictionary::read(&mut conn)
        .await
        .unwrap_or_else(|e| panic!("reading the dictionary: {e}"));
    docs::render(&dict)
}

#[tokio::test]
async fn the_committed_data_dictionary_is_what_the_current_migrations_build() {
    let db = migrated_db().await;
    let files = generate(&db).await;
    let dir = committed_dir();
    if std::env::var_os("SOLEFLIP_WRITE_DOCS").is_some() {
        docs::write_dir(&dir, &files).unwrap();
        return;
    }
    let hint = "regenerate with SOLEFLIP_WRITE_DOCS=1 cargo test -p soleflip-app --test docs \
                committed";
    let committed: Vec<String> = docs::generated_files(&dir)
        .unwrap_or_default()
        .iter()
        .filter_map(|p| p.file_name().map(|n| n.to_string_lossy().into_owned()))
        .collect();
    let generated: Vec<String> = files.keys().cloned().collect();
    assert_eq!(
        committed,
        generated,
        "{} holds other files than the dictionary of the current migrations; {hint}",
        dir.display()
    );
    for (name, text) in &files {
        let path = dir.join(name);
        let on_disk = std::fs::read_to_string(&path).unwrap_or_default();
        if &on_disk != text {
            let first = on_disk
                .lines()
                .zip(text.lines())
                .position(|(a, b)| a != b)
                .unwrap_or_else(|| on_disk.lines().count().min(text.lines().count()));
            panic!(
                "{} is stale (first difference at line {}: {:?} instead of {:?}); {hint}",
                path.display(),
                first + 1,
                on_disk.lines().nth(first).unwrap_or(""),
                text.lines().nth(first).unwrap_or("")
            );
        }
    }
}

#[tokio::test]
async fn two_databases_built_alike_give_the_same_bytes_whatever_their_activity_and_extensions() {
    let a = migrated_db().await;
    let b = migrated_db().await;
    let mut conn = b.connect().await;
    // Activity, statistics and an extension's objects must not show in the dictionary.
    sqlx::raw_sql(
        "analyze; select count(*) from core.brands;
         do $$ begin
             if exists (select 1 from pg_available_extensions where name = 'pg_stat_statements')
             then create extension if not exists pg_stat_statements schema public; end if;
         end $$",
    )
    .execute(&mut conn)
    .await
    .unwrap();

    let first = generate(&a).await;
    let second = generate(&b).await;
    let again = generate(&a).await;

    assert_eq!(first, second);
    assert_eq!(first, again);
    assert!(
        !first.values().any(|t| t.contains("pg_stat_statements")),
        "extension objects are not the schema's"
    );
}

#[tokio::test]
async fn every_table_view_and_column_of_the_catalog_appears_in_its_schema_page() {
    let db = migrated_db().await;
    let mut conn = db.connect().await;
    let snapshot = Snapshot::read(&mut conn).await.unwrap();
    let dict = Dictionary::read(&mut conn).await.unwrap();
    let files = docs::render(&dict);

    let page = |qualified: &str| -> &String {
        let schema = qualified.split('.').next().unwrap();
        files
            .get(&format!("{schema}.md"))
            .unwrap_or_else(|| panic!("no page for schema {schema}"))
    };
    let tables = snapshot.names("table");
    assert!(tables.len() >= 37, "{}", tables.len());
    for table in &tables {
        let md = page(table);
        assert!(
            md.contains(&format!("\n## Table {table}\n")),
            "{table} has no section"
        );
        let entity = docs::mermaid_entity(table);
        assert!(
            md.contains(&format!("    {entity} {{\n")),
            "{table} is not in its ER diagram"
        );
        assert!(files["README.md"].contains(&format!("    {entity} {{\n")));
    }
    for view in snapshot.names("view") {
        assert!(
            page(&view).contains(&format!("\n## View {view}\n")),
            "{view}"
        );
    }
    let mut seen = 0;
    for column in snapshot.names("column") {
        let (relation, name) = column.rsplit_once('.').unwrap();
        let md = page(relation);
        let section_start = md
            .find(&format!("## Table {relation}\n"))
            .or_else(|| md.find(&format!("## View {relation}\n")))
            .unwrap_or_else(|| panic!("{relation}"));
        let section = &md[section_start..];
        let section = &section[..section[3..].find("\n## ").map_or(section.len(), |i| i + 3)];
        assert!(
            section.contains(&format!(" | `{name}` | ")),
            "column {column} is missing"
        );
        seen += 1;
    }
    let documented: usize = dict
        .schemas
        .iter()
        .map(|s| {
            s.tables
                .iter()
                .filter(|t| t.qualified() != "public.soleflip_migrations")
                .map(|t| t.columns.len())
                .sum::<usize>()
                + s.views.iter().map(|v| v.columns.len()).sum::<usize>()
        })
        .sum();
    assert_eq!(
        seen, documented,
        "the catalog's columns and the dictionary's"
    );
    // The version table is documented too (the snapshot leaves it out).
    assert!(files["public.md"].contains("## Table public.soleflip_migrations"));
}

#[tokio::test]
async fn the_er_diagrams_use_only_tokens_mermaid_accepts() {
    let db = migrated_db().await;
    let files = generate(&db).await;
    for (name, md) in &files {
        let mut in_diagram = false;
        for line in md.lines() {
            match line {
                "```mermaid" => in_diagram = true,
                "```" => in_diagram = false,
                _ if in_diagram && line != "erDiagram" => {
                    let words: Vec<&str> = line.split_whitespace().collect();
                    let ok_word = |w: &str| {
                        w.chars().all(|c| c.is_ascii_alphanumeric() || c == '_') && !w.is_empty()
                    };
                    let valid = match words.as_slice() {
                        [entity, "{"] => ok_word(entity),
                        ["}"] => true,
                        [ty, col] => ok_word(ty) && ok_word(col),
                        [ty, col, keys @ ..] if !line.contains("--") => {
                            ok_word(ty)
                                && ok_word(col)
                                && keys
                                    .iter()
                                    .all(|k| matches!(*k, "PK" | "PK," | "FK" | "FK," | "UK"))
                        }
                        [parent, rel, child, ":", ..] => {
                            ok_word(parent)
                                && ok_word(child)
                                && ["||--o{", "|o--o{", "||--o|", "|o--o|"].contains(rel)
                                && line.ends_with('"')
                        }
                        _ => false,
                    };
                    assert!(valid, "{name}: not valid Mermaid erDiagram: {line:?}");
                }
                _ => {}
            }
        }
    }
}
