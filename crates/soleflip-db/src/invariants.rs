//! The old document's promises, checked on the live database once the migration that made them
//! true is applied: every foreign key indexed, no redundant index, every `updated_at` kept
//! current by a trigger, the documented platforms present. A broken promise is drift.

use sqlx::postgres::PgConnection;
use sqlx::Row;

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

/// Every broken promise, as drift.
pub async fn broken(conn: &mut PgConnection) -> Result<Vec<Drift>, sqlx::Error> {
    let mut out = Vec::new();
    for row in sqlx::query(include_str!("invariants.sql"))
        .fetch_all(&mut *conn)
        .await?
    {
        let kind: String = row.try_get(0)?;
        let object: String = row.try_get(1)?;
        let detail: String = row.try_get(2)?;
        let object = format!("{} {object}", kind.replace('-', " "));
        out.push(if kind == "redundant-index" {
            Drift::new(&object, DriftKind::Unexpected, None, Some(&detail))
        } else {
            Drift::new(&object, DriftKind::Missing, Some(&detail), None)
        });
    }
    let has_platforms: bool =
        sqlx::query_scalar("select to_regclass('core.platforms') is not null")
            .fetch_one(&mut *conn)
            .await?;
    if has_platforms {
        let present: Vec<(String, String)> =
            sqlx::query_as("select slug::text, name::text from core.platforms")
                .fetch_all(&mut *conn)
                .await?;
        for (slug, name) in DOCUMENTED_PLATFORMS {
            if !present.iter().any(|(s, n)| s == slug && n == name) {
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
