//! Brand- and cohort-aware size rows (migration 3) and `sizes normalize`.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    reason = "test helpers stop the test loudly on a failed step"
)]

use soleflip_app::sizes::{NormalizeReport, SizesError};
use soleflip_app::App;
use soleflip_db::migrate;
use soleflip_testkit::{empty_db, migrated_db};
use sqlx::postgres::PgConnection;

async fn exec(conn: &mut PgConnection, sql: &str) {
    sqlx::raw_sql(sql)
        .execute(conn)
        .await
        .unwrap_or_else(|e| panic!("{sql}: {e}"));
}

/// A product of `brand` (slug) with the given SKU; returns its id.
async fn product(conn: &mut PgConnection, sku: &str, brand: &str) -> String {
    sqlx::query_scalar(
        "insert into products.products (sku, brand_id, category_id, name) \
         select $1, b.id, c.id, $1 from core.brands b, core.categories c \
         where b.slug = $2 and c.slug = 'sneakers' returning id::text",
    )
    .bind(sku)
    .bind(brand)
    .fetch_one(conn)
    .await
    .unwrap()
}

/// A size row of `brand` (slug); returns its id.
async fn size(conn: &mut PgConnection, brand: &str, value: &str, region: &str) -> String {
    sqlx::query_scalar(
        "insert into products.sizes (value, region, brand_id, category_id) \
         select $1, $2, b.id, c.id from core.brands b, core.categories c \
         where b.slug = $3 and c.slug = 'sneakers' returning id::text",
    )
    .bind(value)
    .bind(region)
    .bind(brand)
    .fetch_one(conn)
    .await
    .unwrap()
}

async fn standardized(
    conn: &mut PgConnection,
    id: &str,
) -> (Option<String>, Option<String>, Option<String>) {
    sqlx::query_as(
        "select standardized_value::text, standardized_exact::text, parsed::text \
         from products.sizes where id::text = $1",
    )
    .bind(id)
    .fetch_one(conn)
    .await
    .unwrap()
}

#[tokio::test]
async fn normalize_gives_one_standard_to_every_label_of_the_same_foot_per_brand() {
    let db = migrated_db().await;
    let mut conn = db.connect().await;
    let nike_us = size(&mut conn, "nike", "10", "US").await;
    let nike_eu = size(&mut conn, "nike", "44", "EU").await;
    let nike_uk = size(&mut conn, "nike", "9", "UK").await;
    let adidas_us = size(&mut conn, "adidas", "10.5", "US").await;
    let ambiguous = size(&mut conn, "nike", "6", "UK").await;
    let junk = size(&mut conn, "nike", "banana", "US").await;

    let dry = normalize_sizes(&db, false, true).await.unwrap();
    assert_eq!(dry.normalized, 4);
    assert_eq!(
        standardized(&mut conn, &nike_us).await.0,
        None,
        "a dry run changes nothing"
    );

    let report = normalize_sizes(&db, false, false).await.unwrap();
    assert_eq!(
        (report.considered, report.normalized, report.updated),
        (6, 4, 4)
    );
    for id in [&nike_us, &nike_eu, &nike_uk] {
        assert_eq!(standardized(&mut conn, id).await.0.as_deref(), Some("44.0"));
    }
    let adidas = standardized(&mut conn, &adidas_us).await;
    assert_eq!(
        adidas,
        (
            Some("44.7".into()),
            Some("44 2/3".into()),
            Some("US 10.5".into())
        )
    );
    assert_eq!(report.ambiguous.len(), 1);
    assert_eq!(report.ambiguous[0].id, ambiguous);
    assert!(
        report.ambiguous[0].detail.contains("EU 39")
            && report.ambiguous[0].detail.contains("EU 40")
    );
    assert_eq!(report.unparsable.len(), 1);
    assert_eq!(report.unparsable[0].id, junk);

    let again = normalize_sizes(&db, false, false).await.unwrap();
    assert_eq!(again.considered, 2, "only rows still without a standard");
    assert_eq!(again.updated, 0);
}

#[tokio::test]
async fn after_normalize_a_retail_eu_44_meets_a_stockx_us_10_of_the_same_brand() {
    let db = migrated_db().await;
    let mut conn = db.connect().await;
    let shoe = product(&mut conn, "DD1391-100", "nike").await;
    let eu44 = size(&mut conn, "nike", "44", "EU").await;
    let us10 = size(&mut conn, "nike", "10", "US").await;
    normalize_sizes(&db, false, false).await.unwrap();
    for (size_id, source, price_type, cents) in [
        (&eu44, "awin", "retail", 11000),
        (&us10, "stockx", "resale", 16000),
    ] {
        sqlx::query(
            "insert into integration.price_sources \
             (product_id, size_id, source_type, source_product_id, price_type, price_cents, in_stock, last_updated) \
             values ($1::uuid, $2::uuid, $3::integration.source_type_enum, 'x', \
                     $4::integration.price_type_enum, $5, true, now() - interval '1 hour')",
        )
        .bind(&shoe)
        .bind(size_id)
        .bind(source)
        .bind(price_type)
        .bind(cents)
        .execute(&mut conn)
        .await
        .unwrap();
    }
    let pairs: Vec<(String, String, i32)> = sqlx::query_as(
        "select retail_size_region::text, resale_size_region::text, profit_cents \
         from integration.profit_opportunities_v2",
    )
    .fetch_all(&mut conn)
    .await
    .unwrap();
    assert_eq!(pairs, [("EU".to_string(), "US".to_string(), 5000)]);
}

#[tokio::test]
async fn migration_3_splits_size_rows_shared_across_brands_and_merges_duplicates() {
    let db = empty_db().await;
    let mut conn = db.connect().await;
    migrate::migrate(&mut conn, Some(2)).await.unwrap();
    let nike = product(&mut conn, "N-1", "nike").await;
    let adidas = product(&mut conn, "A-1", "adidas").await;
    // One brand-less US 10 row used by both brands, and two identical UK 9 rows of Nike.
    exec(
        &mut conn,
        "insert into products.sizes (id, value, region, created_at) values \
           ('11111111-1111-1111-1111-111111111111', '10', 'US', now() - interval '3 days'), \
           ('22222222-2222-2222-2222-222222222222', '9', 'UK', now() - interval '2 days'), \
           ('33333333-3333-3333-3333-333333333333', '9', 'UK', now() - interval '1 day')",
    )
    .await;
    exec(
        &mut conn,
        &format!(
            "insert into products.inventory (product_id, size_id, quantity, status) values \
               ('{nike}', '11111111-1111-1111-1111-111111111111', 1, 'available'), \
               ('{adidas}', '11111111-1111-1111-1111-111111111111', 1, 'available'), \
               ('{nike}', '33333333-3333-3333-3333-333333333333', 1, 'available'); \
             insert into integration.price_sources \
               (product_id, size_id, source_type, source_product_id, price_type, price_cents, last_updated) values \
               ('{nike}', '22222222-2222-2222-2222-222222222222', 'stockx', 'p', 'resale', 10000, now() - interval '2 days'), \
               ('{nike}', '33333333-3333-3333-3333-333333333333', 'stockx', 'p', 'resale', 12000, now() - interval '1 day');"
        ),
    )
    .await;

    migrate::migrate(&mut conn, Some(3)).await.unwrap();

    // Each product's inventory points at a size row of its own brand.
    let mismatched: i64 = sqlx::query_scalar(
        "select count(*) from products.inventory i join products.products p on p.id = i.product_id \
         join products.sizes s on s.id = i.size_id where s.brand_id is distinct from p.brand_id",
    )
    .fetch_one(&mut conn)
    .await
    .unwrap();
    assert_eq!(mismatched, 0);
    let inventory: i64 = sqlx::query_scalar("select count(*) from products.inventory")
        .fetch_one(&mut conn)
        .await
        .unwrap();
    assert_eq!(inventory, 3, "no inventory row lost");
    let us10_rows: i64 = sqlx::query_scalar(
        "select count(*) from products.sizes where value = '10' and region = 'US'",
    )
    .fetch_one(&mut conn)
    .await
    .unwrap();
    assert_eq!(us10_rows, 2, "the shared row was split, one per brand");
    let uk9: Vec<String> = sqlx::query_scalar(
        "select id::text from products.sizes where value = '9' and region = 'UK'",
    )
    .fetch_all(&mut conn)
    .await
    .unwrap();
    assert_eq!(
        uk9,
        ["22222222-2222-2222-2222-222222222222"],
        "duplicates merged into the oldest"
    );
    // The two price rows collided after the merge: the newer stays, the older is history.
    let prices: Vec<i32> = sqlx::query_scalar("select price_cents from integration.price_sources")
        .fetch_all(&mut conn)
        .await
        .unwrap();
    assert_eq!(prices, [12000]);
    let history: Vec<i32> = sqlx::query_scalar("select price_cents from integration.price_history")
        .fetch_all(&mut conn)
        .await
        .unwrap();
    assert_eq!(history, [10000]);
}

#[tokio::test]
async fn the_same_label_of_one_brand_category_and_cohort_exists_once() {
    let db = migrated_db().await;
    let mut conn = db.connect().await;
    size(&mut conn, "nike", "10", "US").await;
    size(&mut conn, "adidas", "10", "US").await;
    let dup = sqlx::query(
        "insert into products.sizes (value, region, brand_id, category_id) \
         select '10', 'US', b.id, c.id from core.brands b, core.categories c \
         where b.slug = 'nike' and c.slug = 'sneakers'",
    )
    .execute(&mut conn)
    .await
    .unwrap_err();
    assert!(dup.to_string().contains("uq_sizes_identity"), "{dup}");
    exec(
        &mut conn,
        "insert into products.sizes (value, region, brand_id, cohort) \
         select '6', 'US', id, 'GS' from core.brands where slug = 'nike'; \
         insert into products.sizes (value, region, brand_id, cohort) \
         select '6', 'US', id, 'M' from core.brands where slug = 'nike';",
    )
    .await;
}

#[tokio::test]
async fn a_first_normalize_keeps_every_size_row_on_its_page() {
    // The normalized row version is longer than the raw one; migration 5's fillfactor leaves
    // room for it on the same page, so the UPDATE touches no index (a HOT update).
    let db = migrated_db().await;
    let mut conn = db.connect().await;
    exec(
        &mut conn,
        "insert into core.categories (name, slug) \
             select 'Category ' || n, 'cat-' || n from generate_series(1, 40) n; \
         insert into products.sizes (category_id, brand_id, cohort, region, value) \
         select c.id, b.id, h.cohort, l.region, l.value \
         from core.categories c cross join core.brands b \
         cross join (values ('M'), ('W'), ('GS')) h(cohort) \
         cross join (select 'US', trim(to_char(4 + n * 0.5, 'FM99.9'), '.') \
                     from generate_series(0, 22) n \
                     union all select 'EU', trim(to_char(36 + n * 0.5, 'FM99.9'), '.') \
                     from generate_series(0, 22) n) l(region, value); \
         create temp table page_before as \
             select id, (ctid::text::point)[0] as page from products.sizes;",
    )
    .await;
    let report = normalize_sizes(&db, true, false).await.unwrap();
    assert!(report.updated > 10_000, "{report:?}");
    let moved: i64 = sqlx::query_scalar(
        "select count(*) from products.sizes s join page_before b using (id) \
         where (s.ctid::text::point)[0] <> b.page",
    )
    .fetch_one(&mut conn)
    .await
    .unwrap();
    assert_eq!(moved, 0, "size rows moved to another page by normalize");
}

/// `sizes normalize` on the test database, through the application layer.
async fn normalize_sizes(
    db: &soleflip_testkit::TestDb,
    all: bool,
    dry_run: bool,
) -> Result<NormalizeReport, SizesError> {
    App::on_server(db.target.clone())
        .normalize_sizes(all, dry_run)
        .await
}
