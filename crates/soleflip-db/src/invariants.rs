//! The old document's promises, checked on the live database once the migration that made them
//! true is applied: every foreign key indexed, no redundant index, every `updated_at` kept
//! current by a trigger, the documented platforms present. A broken promise is drift.

use sqlx::postgres::PgConnection;

use crate::schema::{Drift, DriftKind};

/// The first migration after which the promises hold (migration 2, `document_promises`).
pub const FROM_VERSION: i64 = 2;

/// The platforms the document lists, as (slug, name).
pub const DOCUMENTED_PLATFORMS: &[(&str, &str)] = &[
    ("stockx", "StockX"),
    ("ebay", "eBay"),
    ("kleinanzeigen", "Kleinanzeigen"),
    ("laced", "Laced"),
    ("goat", "GOAT"),
    ("alias", "Alias"),
    ("restocks", "Restocks"),
    ("wethenew", "Wethenew"),
];

/// A row of `invariants.sql`: one broken promise.
struct Broken {
    kind: String,
    object: String,
    detail: String,
}

/// Every broken promise, as drift.
pub async fn broken(conn: &mut PgConnection) -> Result<Vec<Drift>, sqlx::Error> {
    let mut out = Vec::new();
    for Broken {
        kind,
        object,
        detail,
    } in sqlx::query_file_as!(Broken, "src/invariants.sql")
        .fetch_all(&mut *conn)
        .await?
    {
        let object = format!("{} {object}", kind.replace('-', " "));
        out.push(if kind == "redundant-index" {
            Drift::new(&object, DriftKind::Unexpected, None, Some(&detail))
        } else {
            Drift::new(&object, DriftKind::Missing, Some(&detail), None)
        });
    }
    let has_platforms =
        sqlx::query_scalar!(r#"select to_regclass('core.platforms') is not null as "exists!""#)
            .fetch_one(&mut *conn)
            .await?;
    if has_platforms {
        let present = sqlx::query!("select slug, name from core.platforms")
            .fetch_all(&mut *conn)
            .await?;
        for (slug, name) in DOCUMENTED_PLATFORMS {
            if !present.iter().any(|p| p.slug == *slug && p.name == *name) {
                out.push(Drift::new(
                    &format!("platform {slug}"),
                    DriftKind::Missing,
                    Some(&format!("documented platform {name}")),
                    None,
                ));
            }
        }
    }
    Ok(out)
}
