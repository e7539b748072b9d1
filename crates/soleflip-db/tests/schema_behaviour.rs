//! Migration 1's views and triggers behave on real rows as the reference says the old
//! `consolidated_v1` database's did, defects included.
//!
//! Every test runs on a fresh database built by migration 1 alone: these are the as-built
//! behaviours an adopted install has, whatever later migrations change.
#![expect(
    clippy::unwrap_used,
    reason = "the helpers arrange and read rows: a failure must stop the test loudly"
)]
#![expect(clippy::type_complexity, reason = "view rows are read as plain tuples")]

use soleflip_db::migrate;
use soleflip_testkit::empty_db;
use sqlx::types::Uuid;
use sqlx::PgConnection;

// ---------------------------------------------------------------------------------------------
// arrange: a database and the rows the foreign keys require
// ---------------------------------------------------------------------------------------------

/// A connection to a fresh database at migration 1.
async fn as_built() -> PgConnection {
    let db = empty_db().await;
    let mut conn = db.connect().await;
    migrate::migrate(&mut conn, Some(1)).await.unwrap();
    conn
}

/// A sneaker named "`sku` Runner" with EAN "ean-`sku`", of the seeded brand `brand` (a slug).
async fn product(conn: &mut PgConnection, sku: &str, brand: Option<&str>) -> Uuid {
    sqlx::query_scalar(
        "insert into products.products (sku, name, ean, brand_id, category_id) \
         values ($1, $1 || ' Runner', 'ean-' || $1, \
                 (select id from core.brands where slug = $2), \
                 (select id from core.categories where slug = 'sneakers')) \
         returning id",
    )
    .bind(sku)
    .bind(brand)
    .fetch_one(conn)
    .await
    .unwrap()
}

/// A size such as EU 42.5, with its standardized (EU) value as decimal text.
async fn size(
    conn: &mut PgConnection,
    value: &str,
    region: &str,
    standardized: Option<&str>,
) -> Uuid {
    sqlx::query_scalar(
        "insert into products.sizes (category_id, value, region, standardized_value) \
         values ((select id from core.categories where slug = 'sneakers'), $1, $2, $3::numeric) \
         returning id",
    )
    .bind(value)
    .bind(region)
    .bind(standardized)
    .fetch_one(conn)
    .await
    .unwrap()
}

async fn supplier(conn: &mut PgConnection, name: &str) -> Uuid {
    sqlx::query_scalar(
        "insert into core.suppliers (name, slug, supplier_type, status) \
         values ($1, lower($1), 'retailer', 'active') returning id",
    )
    .bind(name)
    .fetch_one(conn)
    .await
    .unwrap()
}

/// One `integration.price_sources` row; `price` fills in the usual values.
struct Price {
    product: Uuid,
    source: &'static str,
    kind: &'static str,
    cents: i32,
    size: Option<Uuid>,
    in_stock: bool,
    supplier: Option<Uuid>,
    /// How long before now it was last updated (an interval); `None` leaves it NULL.
    age: Option<&'static str>,
}

/// An in-stock, size-less price of `product` from `source`, of type `kind`, updated a day ago.
fn price(product: Uuid, source: &'static str, kind: &'static str, cents: i32) -> Price {
    Price {
        product,
        source,
        kind,
        cents,
        size: None,
        in_stock: true,
        supplier: None,
        age: Some("1 day"),
    }
}

impl Price {
    async fn insert(self, conn: &mut PgConnection) -> Uuid {
        sqlx::query_scalar(
            "insert into integration.price_sources \
               (product_id, size_id, source_type, source_product_id, price_type, price_cents, \
                in_stock, stock_quantity, supplier_id, last_updated) \
             values ($1, $2, $3::integration.source_type_enum, gen_random_uuid()::text, \
                     $4::integration.price_type_enum, $5, $6, 3, $7, now() - $8::interval) \
             returning id",
        )
        .bind(self.product)
        .bind(self.size)
        .bind(self.source)
        .bind(self.kind)
        .bind(self.cents)
        .bind(self.in_stock)
        .bind(self.supplier)
        .bind(self.age)
        .fetch_one(conn)
        .await
        .unwrap()
    }
}

/// One unit of `product` in `size`, bought for `purchase_price` `bought_ago` (an interval).
async fn stock(
    conn: &mut PgConnection,
    product: Uuid,
    size: Uuid,
    purchase_price: Option<&str>,
    bought_ago: Option<&str>,
) -> Uuid {
    sqlx::query_scalar(
        "insert into products.inventory \
           (product_id, size_id, quantity, status, purchase_price, purchase_date) \
         values ($1, $2, 1, 'in_stock', $3::numeric, now() - $4::interval) \
         returning id",
    )
    .bind(product)
    .bind(size)
    .bind(purchase_price)
    .bind(bought_ago)
    .fetch_one(conn)
    .await
    .unwrap()
}

/// A StockX sale of `inventory` at `at` for `sale_price` (decimal text).
async fn sell(conn: &mut PgConnection, inventory: Uuid, at: &str, sale_price: &str) {
    sqlx::query(
        "insert into transactions.transactions \
           (inventory_id, platform_id, transaction_date, sale_price, platform_fee, \
            shipping_cost, net_profit, status) \
         values ($1, (select id from core.platforms where slug = 'stockx'), $2::timestamptz, \
                 $3::numeric, 0, 0, 0, 'completed')",
    )
    .bind(inventory)
    .bind(at)
    .bind(sale_price)
    .execute(conn)
    .await
    .unwrap();
}

/// Nike sells 100.00 and 150.50 in January 2024 and 700.00 in March; Adidas 500.00 and 50.00
/// in March; a product without a brand sells 999.00 in March.
async fn sales(conn: &mut PgConnection) {
    let eu42 = size(conn, "42.5", "EU", Some("42.5")).await;
    let nike = product(conn, "NK1", Some("nike")).await;
    let adidas = product(conn, "AD1", Some("adidas")).await;
    let unbranded = product(conn, "XX1", None).await;
    let nike = stock(conn, nike, eu42, Some("80.00"), None).await;
    let adidas = stock(conn, adidas, eu42, Some("80.00"), None).await;
    let unbranded = stock(conn, unbranded, eu42, Some("80.00"), None).await;
    sell(conn, nike, "2024-01-10 12:00+00", "100.00").await;
    sell(conn, nike, "2024-01-20 12:00+00", "150.50").await;
    sell(conn, adidas, "2024-03-15 12:00+00", "500.00").await;
    sell(conn, adidas, "2024-03-20 12:00+00", "50.00").await;
    sell(conn, nike, "2024-03-05 12:00+00", "700.00").await;
    sell(conn, unbranded, "2024-03-01 12:00+00", "999.00").await;
}

async fn awin_product(conn: &mut PgConnection, awin_id: &str, cents: i32) {
    sqlx::query(
        "insert into integration.awin_products \
           (awin_product_id, merchant_id, product_name, retail_price_cents, in_stock) \
         values ($1, 1, 'Runner', $2, true)",
    )
    .bind(awin_id)
    .bind(cents)
    .execute(conn)
    .await
    .unwrap();
}

async fn exec(conn: &mut PgConnection, sql: &str) {
    sqlx::raw_sql(sql).execute(conn).await.unwrap();
}

// ---------------------------------------------------------------------------------------------
// assert: what the views and history tables hold
// ---------------------------------------------------------------------------------------------

/// `integration.latest_prices` as (sku, source, cents), by sku and source.
async fn latest_prices(conn: &mut PgConnection) -> Vec<(String, String, i32)> {
    sqlx::query_as(
        "select product_sku, source_type::text, price_cents from integration.latest_prices \
         order by product_sku, source_type",
    )
    .fetch_all(conn)
    .await
    .unwrap()
}

/// `integration.profit_opportunities_v2` as (sku, retail cents, resale cents, profit cents), in
/// the view's order.
async fn opportunities(conn: &mut PgConnection) -> Vec<(String, i32, i32, i32)> {
    sqlx::query_as(
        "select product_sku, retail_price_cents, resale_price_cents, profit_cents \
         from integration.profit_opportunities_v2",
    )
    .fetch_all(conn)
    .await
    .unwrap()
}

/// An inventory row's (shelf_life_days, roi_percentage as text).
async fn inventory_analytics(conn: &mut PgConnection, id: Uuid) -> (Option<i32>, Option<String>) {
    sqlx::query_as(
        "select shelf_life_days, roi_percentage::text from products.inventory where id = $1",
    )
    .bind(id)
    .fetch_one(conn)
    .await
    .unwrap()
}

/// A price source's history as (cents, in stock, quantity), oldest first.
async fn price_history(
    conn: &mut PgConnection,
    source: Uuid,
) -> Vec<(i32, Option<bool>, Option<i32>)> {
    sqlx::query_as(
        "select price_cents, in_stock, stock_quantity from integration.price_history \
         where price_source_id = $1 order by recorded_at",
    )
    .bind(source)
    .fetch_all(conn)
    .await
    .unwrap()
}

/// An Awin product's history as (cents, in stock), oldest first.
async fn awin_history(conn: &mut PgConnection, awin_id: &str) -> Vec<(i32, Option<bool>)> {
    sqlx::query_as(
        "select price_cents, in_stock from integration.awin_price_history \
         where awin_product_id = $1 order by recorded_at",
    )
    .bind(awin_id)
    .fetch_all(conn)
    .await
    .unwrap()
}

fn row(sku: &str, source: &str, cents: i32) -> (String, String, i32) {
    (sku.to_owned(), source.to_owned(), cents)
}

// ---------------------------------------------------------------------------------------------
// integration.latest_prices
// ---------------------------------------------------------------------------------------------

#[tokio::test]
async fn latest_prices_keeps_per_product_and_source_the_in_stock_row_updated_last() {
    let mut conn = as_built().await;
    let p = product(&mut conn, "P1", Some("nike")).await;
    let q = product(&mut conn, "Q1", Some("nike")).await;
    for (source, cents, age) in [
        ("stockx", 10_000, "3 days"),
        ("stockx", 12_000, "1 day"),
        ("awin", 9_000, "2 days"),
        ("awin", 9_500, "5 days"),
    ] {
        Price {
            age: Some(age),
            ..price(p, source, "resale", cents)
        }
        .insert(&mut conn)
        .await;
    }
    let newest_but_sold_out = Price {
        in_stock: false,
        age: Some("1 hour"),
        ..price(p, "stockx", "resale", 15_000)
    };
    newest_but_sold_out.insert(&mut conn).await;
    price(q, "stockx", "resale", 20_000).insert(&mut conn).await;
    let only_sold_out = Price {
        in_stock: false,
        ..price(q, "goat", "resale", 30_000)
    };
    only_sold_out.insert(&mut conn).await;

    let rows = latest_prices(&mut conn).await;

    assert_eq!(
        rows,
        [
            row("P1", "awin", 9_000),
            row("P1", "stockx", 12_000),
            row("Q1", "stockx", 20_000)
        ]
    );
}

#[tokio::test]
async fn latest_prices_ignores_size_so_two_sizes_of_a_product_and_source_collapse_to_one_row_as_built(
) {
    let mut conn = as_built().await;
    let p = product(&mut conn, "P1", Some("nike")).await;
    let eu42 = size(&mut conn, "42.5", "EU", Some("42.5")).await;
    let eu44 = size(&mut conn, "44", "EU", Some("44.0")).await;
    for (size, cents, age) in [(eu42, 11_000, "1 day"), (eu44, 13_000, "2 days")] {
        Price {
            size: Some(size),
            age: Some(age),
            ..price(p, "stockx", "resale", cents)
        }
        .insert(&mut conn)
        .await;
    }

    let rows: Vec<(Uuid, i32)> =
        sqlx::query_as("select size_id, price_cents from integration.latest_prices")
            .fetch_all(&mut conn)
            .await
            .unwrap();

    assert_eq!(rows, [(eu42, 11_000)], "size 44 has no row of its own");
}

#[tokio::test]
async fn latest_prices_lets_a_row_never_updated_win_over_newer_rows_the_as_built_defect() {
    let mut conn = as_built().await;
    let p = product(&mut conn, "P1", Some("nike")).await;
    for (cents, age) in [
        (10_000, Some("1 hour")),
        (50_000, None),
        (9_000, Some("1 day")),
    ] {
        Price {
            age,
            ..price(p, "stockx", "resale", cents)
        }
        .insert(&mut conn)
        .await;
    }

    let rows = latest_prices(&mut conn).await;

    assert_eq!(
        rows,
        [row("P1", "stockx", 50_000)],
        "NULL last_updated sorts first under `desc`"
    );
}

#[tokio::test]
async fn latest_prices_fills_product_name_sku_ean_brand_and_supplier_and_keeps_rows_without_them() {
    let mut conn = as_built().await;
    let p = product(&mut conn, "P1", Some("nike")).await;
    let unbranded = product(&mut conn, "X1", None).await;
    let shop = supplier(&mut conn, "Solebox").await;
    Price {
        supplier: Some(shop),
        ..price(p, "awin", "retail", 12_000)
    }
    .insert(&mut conn)
    .await;
    price(unbranded, "ebay", "resale", 8_000)
        .insert(&mut conn)
        .await;

    let rows: Vec<(
        Uuid,
        String,
        String,
        Option<String>,
        Option<String>,
        Option<String>,
    )> = sqlx::query_as(
        "select product_id, product_name, product_sku, product_ean, brand_name, supplier_name \
         from integration.latest_prices order by product_sku",
    )
    .fetch_all(&mut conn)
    .await
    .unwrap();

    let some = |s: &str| Some(s.to_owned());
    assert_eq!(
        rows,
        [
            (
                p,
                "P1 Runner".to_owned(),
                "P1".to_owned(),
                some("ean-P1"),
                some("Nike"),
                some("Solebox")
            ),
            (
                unbranded,
                "X1 Runner".to_owned(),
                "X1".to_owned(),
                some("ean-X1"),
                None,
                None
            ),
        ]
    );
}

// ---------------------------------------------------------------------------------------------
// integration.profit_opportunities_v2
// ---------------------------------------------------------------------------------------------

#[tokio::test]
async fn profit_opportunities_pair_retail_with_dearer_resale_of_the_product_with_worked_figures() {
    let mut conn = as_built().await;
    let p = product(&mut conn, "P1", Some("nike")).await;
    let retail = price(p, "awin", "retail", 12_000).insert(&mut conn).await;
    let resale = price(p, "stockx", "resale", 15_999).insert(&mut conn).await;

    let rows: Vec<(
        Uuid,
        Uuid,
        String,
        i32,
        String,
        String,
        String,
        String,
        String,
    )> = sqlx::query_as(
        "select retail_price_source_id, resale_price_source_id, brand_name, profit_cents, \
                    retail_price_eur::numeric(12,2)::text, resale_price_eur::numeric(12,2)::text, \
                    profit_eur::numeric(12,2)::text, profit_percentage::text, \
                    opportunity_score::text \
             from integration.profit_opportunities_v2",
    )
    .fetch_all(&mut conn)
    .await
    .unwrap();

    // profit 3999 cents; 3999 / 12000 × 100 = 33.325 %; 39.99 € × 3999 / 12000 = 13.3267
    assert_eq!(
        rows,
        [(
            retail,
            resale,
            "Nike".to_owned(),
            3_999,
            "120.00".to_owned(),
            "159.99".to_owned(),
            "39.99".to_owned(),
            "33.3".to_owned(),
            "13.33".to_owned()
        )]
    );
}

#[tokio::test]
async fn profit_opportunities_match_sizes_across_regions_by_standardized_value() {
    let mut conn = as_built().await;
    let p = product(&mut conn, "P1", Some("nike")).await;
    let eu42 = size(&mut conn, "42.5", "EU", Some("42.5")).await;
    let us9 = size(&mut conn, "9", "US", Some("42.5")).await;
    let us10 = size(&mut conn, "10", "US", Some("44.0")).await;
    Price {
        size: Some(eu42),
        ..price(p, "awin", "retail", 10_000)
    }
    .insert(&mut conn)
    .await;
    for (source, size, cents) in [("stockx", us9, 13_000), ("goat", us10, 14_000)] {
        Price {
            size: Some(size),
            ..price(p, source, "resale", cents)
        }
        .insert(&mut conn)
        .await;
    }

    let rows: Vec<(String, String, String, String, String, i32)> = sqlx::query_as(
        "select retail_size_value, retail_size_region, resale_size_value, resale_size_region, \
                standardized_size::text, profit_cents \
         from integration.profit_opportunities_v2",
    )
    .fetch_all(&mut conn)
    .await
    .unwrap();

    let owned = |s: &str| s.to_owned();
    assert_eq!(
        rows,
        [(
            owned("42.5"),
            owned("EU"),
            owned("9"),
            owned("US"),
            owned("42.5"),
            3_000
        )],
        "US 10 (44.0) does not pair with EU 42.5"
    );
}

#[tokio::test]
async fn profit_opportunities_pair_two_sizeless_rows_but_not_a_sizeless_with_a_sized_one() {
    let mut conn = as_built().await;
    let p = product(&mut conn, "P1", Some("nike")).await;
    let eu42 = size(&mut conn, "42.5", "EU", Some("42.5")).await;
    price(p, "awin", "retail", 10_000).insert(&mut conn).await;
    price(p, "stockx", "resale", 12_000).insert(&mut conn).await;
    Price {
        size: Some(eu42),
        ..price(p, "goat", "resale", 13_000)
    }
    .insert(&mut conn)
    .await;

    let rows: Vec<(Option<String>, Option<String>, Option<String>, i32)> = sqlx::query_as(
        "select retail_size_value, resale_size_value, standardized_size::text, profit_cents \
         from integration.profit_opportunities_v2",
    )
    .fetch_all(&mut conn)
    .await
    .unwrap();

    assert_eq!(rows, [(None, None, None, 2_000)]);
}

#[tokio::test]
async fn profit_opportunities_never_pair_sizes_without_a_standardized_value_even_the_same_size() {
    let mut conn = as_built().await;
    let p = product(&mut conn, "P1", Some("nike")).await;
    let odd = size(&mut conn, "XL", "INT", None).await;
    for (source, kind, cents) in [("awin", "retail", 10_000), ("stockx", "resale", 15_000)] {
        Price {
            size: Some(odd),
            ..price(p, source, kind, cents)
        }
        .insert(&mut conn)
        .await;
    }

    let rows = opportunities(&mut conn).await;

    assert!(rows.is_empty(), "NULL = NULL is not true: {rows:?}");
}

#[tokio::test]
async fn profit_opportunities_exclude_resale_at_or_below_retail_sold_out_rows_and_other_products() {
    let mut conn = as_built().await;
    let sold_out = |p, source, kind, cents| Price {
        in_stock: false,
        ..price(p, source, kind, cents)
    };
    let equal = product(&mut conn, "EQUAL", Some("nike")).await;
    let below = product(&mut conn, "BELOW", Some("nike")).await;
    let retail_out = product(&mut conn, "RETAIL-OUT", Some("nike")).await;
    let resale_out = product(&mut conn, "RESALE-OUT", Some("nike")).await;
    let only_retail = product(&mut conn, "ONLY-RETAIL", Some("nike")).await;
    let only_resale = product(&mut conn, "ONLY-RESALE", Some("nike")).await;
    let two_resales = product(&mut conn, "TWO-RESALES", Some("nike")).await;
    let above = product(&mut conn, "ABOVE", Some("nike")).await;
    for p in [
        price(equal, "awin", "retail", 10_000),
        price(equal, "stockx", "resale", 10_000),
        price(below, "awin", "retail", 10_000),
        price(below, "stockx", "resale", 9_000),
        sold_out(retail_out, "awin", "retail", 10_000),
        price(retail_out, "stockx", "resale", 15_000),
        price(resale_out, "awin", "retail", 10_000),
        sold_out(resale_out, "stockx", "resale", 15_000),
        price(only_retail, "awin", "retail", 10_000),
        price(only_resale, "stockx", "resale", 15_000),
        price(two_resales, "stockx", "resale", 10_000),
        price(two_resales, "goat", "resale", 20_000),
        price(above, "awin", "retail", 10_000),
        price(above, "stockx", "resale", 10_001),
    ] {
        p.insert(&mut conn).await;
    }

    let rows = opportunities(&mut conn).await;

    assert_eq!(rows, [("ABOVE".to_owned(), 10_000, 10_001, 1)]);
}

#[tokio::test]
async fn profit_opportunities_list_the_largest_profit_first() {
    let mut conn = as_built().await;
    let a = product(&mut conn, "A", Some("nike")).await;
    let b = product(&mut conn, "B", Some("adidas")).await;
    let c = product(&mut conn, "C", Some("puma")).await;
    for p in [
        price(a, "awin", "retail", 1_000),
        price(a, "stockx", "resale", 1_500),
        price(b, "awin", "retail", 30_000),
        price(b, "stockx", "resale", 33_000),
        price(b, "goat", "resale", 31_000),
        price(c, "awin", "retail", 5_000),
        price(c, "stockx", "resale", 6_500),
    ] {
        p.insert(&mut conn).await;
    }

    let rows = opportunities(&mut conn).await;

    let row = |sku: &str, retail, resale, profit| (sku.to_owned(), retail, resale, profit);
    assert_eq!(
        rows,
        [
            row("B", 30_000, 33_000, 3_000),
            row("C", 5_000, 6_500, 1_500),
            row("B", 30_000, 31_000, 1_000),
            row("A", 1_000, 1_500, 500),
        ],
        "by profit, not by percentage (A 50 %, C 30 %, B 10 %)"
    );
}

// ---------------------------------------------------------------------------------------------
// analytics views
// ---------------------------------------------------------------------------------------------

#[tokio::test]
async fn brand_loyalty_counts_months_transactions_and_sums_sales_per_brand_by_total_descending() {
    let mut conn = as_built().await;
    sales(&mut conn).await;

    let rows: Vec<(String, i64, i64, String, String)> = sqlx::query_as(
        "select brand, active_months, total_transactions, total_spent::text, \
                round(avg_order_value, 2)::text \
         from analytics.brand_loyalty_analysis",
    )
    .fetch_all(&mut conn)
    .await
    .unwrap();

    let row = |brand: &str, months, count, total: &str, avg: &str| {
        (
            brand.to_owned(),
            months,
            count,
            total.to_owned(),
            avg.to_owned(),
        )
    };
    assert_eq!(
        rows,
        [
            row("Nike", 2, 3, "950.50", "316.83"),
            row("Adidas", 1, 2, "550.00", "275.00"),
        ],
        "brands without sales and sales without a brand are left out"
    );
}

#[tokio::test]
async fn brand_trend_groups_sales_per_brand_and_month_newest_month_first_then_by_revenue() {
    let mut conn = as_built().await;
    sales(&mut conn).await;

    let rows: Vec<(String, String, i64, String, String)> = sqlx::query_as(
        "select brand, to_char(month, 'YYYY-MM-DD HH24:MI'), transaction_count, \
                total_revenue::text, round(avg_transaction_value, 2)::text \
         from analytics.brand_trend_analysis",
    )
    .fetch_all(&mut conn)
    .await
    .unwrap();

    let row = |brand: &str, month: &str, count, revenue: &str, avg: &str| {
        let month = format!("{month}-01 00:00");
        (
            brand.to_owned(),
            month,
            count,
            revenue.to_owned(),
            avg.to_owned(),
        )
    };
    assert_eq!(
        rows,
        [
            row("Nike", "2024-03", 1, "700.00", "700.00"),
            row("Adidas", "2024-03", 2, "550.00", "275.00"),
            row("Nike", "2024-01", 2, "250.50", "125.25"),
        ]
    );
}

// ---------------------------------------------------------------------------------------------
// products.inventory: calculate_inventory_analytics
// ---------------------------------------------------------------------------------------------

#[tokio::test]
async fn inventory_insert_sets_whole_days_since_purchase_and_a_zero_roi_as_built() {
    let mut conn = as_built().await;
    let eu42 = size(&mut conn, "42.5", "EU", Some("42.5")).await;
    let p = product(&mut conn, "P1", Some("nike")).await;

    let id = stock(&mut conn, p, eu42, Some("80.00"), Some("10 days 23 hours")).await;

    assert_eq!(
        inventory_analytics(&mut conn, id).await,
        (Some(10), Some("0.00".to_owned()))
    );
}

#[tokio::test]
async fn inventory_update_recomputes_shelf_life_and_overwrites_a_given_roi_with_zero_as_built() {
    let mut conn = as_built().await;
    let eu42 = size(&mut conn, "42.5", "EU", Some("42.5")).await;
    let p = product(&mut conn, "P1", Some("nike")).await;
    let id = stock(&mut conn, p, eu42, Some("80.00"), Some("2 days")).await;

    sqlx::query(
        "update products.inventory \
         set purchase_date = now() - interval '30 days 1 hour', roi_percentage = 37.5 \
         where id = $1",
    )
    .bind(id)
    .execute(&mut conn)
    .await
    .unwrap();

    assert_eq!(
        inventory_analytics(&mut conn, id).await,
        (Some(30), Some("0.00".to_owned()))
    );
}

#[tokio::test]
async fn inventory_without_a_purchase_price_or_date_keeps_roi_and_shelf_life_as_given() {
    let mut conn = as_built().await;
    let eu42 = size(&mut conn, "42.5", "EU", Some("42.5")).await;
    let p = product(&mut conn, "P1", Some("nike")).await;
    let unpriced = stock(&mut conn, p, eu42, None, None).await;
    let free = stock(&mut conn, p, eu42, Some("0"), None).await;

    exec(
        &mut conn,
        "update products.inventory set roi_percentage = 12.5, shelf_life_days = 7",
    )
    .await;

    for id in [unpriced, free] {
        assert_eq!(
            inventory_analytics(&mut conn, id).await,
            (Some(7), Some("12.50".to_owned()))
        );
    }
}

// ---------------------------------------------------------------------------------------------
// integration.price_sources: track_price_changes
// ---------------------------------------------------------------------------------------------

/// A fresh database with one in-stock StockX price of 100.00 (3 in stock) and its id.
async fn tracked_price() -> (PgConnection, Uuid) {
    let mut conn = as_built().await;
    let p = product(&mut conn, "P1", Some("nike")).await;
    let id = price(p, "stockx", "resale", 10_000).insert(&mut conn).await;
    (conn, id)
}

async fn update_price_source(conn: &mut PgConnection, id: Uuid, set: &str) {
    sqlx::query(&format!(
        "update integration.price_sources set {set} where id = $1"
    ))
    .bind(id)
    .execute(conn)
    .await
    .unwrap();
}

#[tokio::test]
async fn a_price_change_appends_one_price_history_row_with_the_new_values_at_the_update_time() {
    let (mut conn, id) = tracked_price().await;
    let before: String = sqlx::query_scalar("select clock_timestamp()::text")
        .fetch_one(&mut conn)
        .await
        .unwrap();

    update_price_source(&mut conn, id, "price_cents = 12000").await;

    assert_eq!(
        price_history(&mut conn, id).await,
        [(12_000, Some(true), Some(3))]
    );
    let stamped_by_the_update: bool = sqlx::query_scalar(
        "select bool_and(recorded_at between $2::timestamptz and now()) \
         from integration.price_history where price_source_id = $1",
    )
    .bind(id)
    .bind(before)
    .fetch_one(&mut conn)
    .await
    .unwrap();
    assert!(stamped_by_the_update);
}

#[tokio::test]
async fn a_stock_change_alone_appends_one_price_history_row() {
    let (mut conn, id) = tracked_price().await;

    update_price_source(&mut conn, id, "in_stock = false, stock_quantity = 0").await;

    assert_eq!(
        price_history(&mut conn, id).await,
        [(10_000, Some(false), Some(0))]
    );
}

#[tokio::test]
async fn a_price_and_stock_change_in_one_update_appends_one_price_history_row() {
    let (mut conn, id) = tracked_price().await;

    update_price_source(&mut conn, id, "price_cents = 9000, in_stock = false").await;

    assert_eq!(
        price_history(&mut conn, id).await,
        [(9_000, Some(false), Some(3))]
    );
}

#[tokio::test]
async fn an_update_changing_neither_price_nor_stock_appends_no_price_history() {
    let (mut conn, id) = tracked_price().await;

    update_price_source(
        &mut conn,
        id,
        "price_cents = 10000, in_stock = true, stock_quantity = 5, source_name = 'renamed'",
    )
    .await;

    let history = price_history(&mut conn, id).await;
    assert!(history.is_empty(), "{history:?}");
}

// ---------------------------------------------------------------------------------------------
// integration.awin_products: track_awin_price_changes
// ---------------------------------------------------------------------------------------------

#[tokio::test]
async fn an_awin_retail_price_change_appends_one_awin_price_history_row() {
    let mut conn = as_built().await;
    awin_product(&mut conn, "AW1", 10_000).await;
    awin_product(&mut conn, "AW2", 10_000).await;

    exec(
        &mut conn,
        "update integration.awin_products set retail_price_cents = 8500 \
         where awin_product_id = 'AW1'",
    )
    .await;

    assert_eq!(awin_history(&mut conn, "AW1").await, [(8_500, Some(true))]);
    let untouched = awin_history(&mut conn, "AW2").await;
    assert!(untouched.is_empty(), "{untouched:?}");
}

#[tokio::test]
async fn an_awin_update_keeping_the_retail_price_appends_no_awin_price_history() {
    let mut conn = as_built().await;
    awin_product(&mut conn, "AW1", 10_000).await;

    exec(
        &mut conn,
        "update integration.awin_products \
         set retail_price_cents = 10000, in_stock = false, product_name = 'Renamed', \
             store_price_cents = 9000",
    )
    .await;

    let history = awin_history(&mut conn, "AW1").await;
    assert!(history.is_empty(), "{history:?}");
}

#[tokio::test]
async fn an_awin_retail_price_that_disappears_is_not_recorded_and_the_update_succeeds() {
    let mut conn = as_built().await;
    awin_product(&mut conn, "AW1", 10_000).await;

    exec(
        &mut conn,
        "update integration.awin_products set retail_price_cents = null",
    )
    .await;

    let price: Option<i32> = sqlx::query_scalar(
        "select retail_price_cents from integration.awin_products where awin_product_id = 'AW1'",
    )
    .fetch_one(&mut conn)
    .await
    .unwrap();
    assert_eq!(price, None);
    let history = awin_history(&mut conn, "AW1").await;
    assert!(history.is_empty(), "{history:?}");
}
