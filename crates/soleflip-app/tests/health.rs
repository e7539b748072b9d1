//! `db health` on real PostgreSQL: a fresh database has no critical finding, migration 1's
//! known defects are counted as the reference counts them, and planted problems are reported
//! by name.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    reason = "test helpers stop the test loudly on a failed step"
)]

use soleflip_app::health::{self, HealthReport, Severity, Thresholds};
use soleflip_db::migrate;
use soleflip_testkit::{empty_db, migrated_db, TestDb};
use sqlx::postgres::PgConnection;

async fn exec(conn: &mut PgConnection, sql: &str) {
    sqlx::raw_sql(sql)
        .execute(conn)
        .await
        .unwrap_or_else(|e| panic!("{sql}: {e}"));
}

/// Makes this session's pending statistics visible to other sessions now (PostgreSQL 15+
/// flushes them at most once a second otherwise; on older servers this is a no-op).
async fn flush_stats(conn: &mut PgConnection) {
    exec(
        conn,
        "do $$ begin perform pg_stat_force_next_flush(); \
         exception when undefined_function then null; end $$",
    )
    .await;
    exec(conn, "select 1").await;
}

async fn health_of(db: &TestDb, thresholds: &Thresholds) -> HealthReport {
    let mut conn = db.connect().await;
    health::check(&mut conn, &db.name, thresholds)
        .await
        .unwrap_or_else(|e| panic!("health check: {e}"))
}

/// The (severity, subject, detail) lines of one check.
fn findings(report: &HealthReport, check: &str) -> Vec<(Severity, String, String)> {
    report
        .check(check)
        .unwrap_or_else(|| panic!("no check {check}"))
        .findings
        .iter()
        .map(|f| (f.severity, f.subject.clone(), f.detail.clone()))
        .collect()
}

fn problems(report: &HealthReport, check: &str) -> Vec<(Severity, String, String)> {
    findings(report, check)
        .into_iter()
        .filter(|f| f.0 != Severity::Ok)
        .collect()
}

#[tokio::test]
async fn a_fresh_database_has_no_critical_finding_and_states_every_threshold() {
    let db = migrated_db().await;

    let report = health_of(&db, &Thresholds::default()).await;

    assert!(report.worst < Severity::Crit, "{report:#?}");
    assert_eq!(report.counts.crit, 0);
    // Only the defects the migrations may still carry can warn on a fresh database.
    for c in &report.checks {
        if c.severity != Severity::Ok {
            assert!(
                ["fk_without_index", "redundant_indexes"].contains(&c.name),
                "{} warns on a fresh database: {:#?}",
                c.name,
                c.findings
            );
        }
        assert!(!c.threshold.is_empty(), "{} states no threshold", c.name);
        assert!(c.skipped.is_some() || !c.findings.is_empty(), "{}", c.name);
        for f in &c.findings {
            assert_eq!(f.threshold, c.threshold);
        }
    }
    let names: Vec<&str> = report.checks.iter().map(|c| c.name).collect();
    assert_eq!(
        names,
        [
            "unused_indexes",
            "redundant_indexes",
            "fk_without_index",
            "seq_scans",
            "dead_rows",
            "stale_statistics",
            "cache_hit_ratio",
            "transaction_id_age",
            "connections",
            "long_queries",
            "long_transactions",
            "lock_waits",
            "slow_statements",
        ]
    );
    assert!(!report.server.version.is_empty());
    assert!(report.server.database_size_bytes > 0);
    assert!(report.server.max_connections > 0);
    assert_eq!(report.server.largest_tables.len(), 10);
    assert_eq!(report.server.largest_indexes.len(), 10);
    let worst = report.checks.iter().map(|c| c.severity).max().unwrap();
    assert_eq!(report.worst, worst);
}

#[tokio::test]
async fn at_migration_1_the_old_defects_are_counted_as_the_reference_counts_them() {
    let db = empty_db().await;
    let mut conn = db.connect().await;
    migrate::migrate(&mut conn, Some(1)).await.unwrap();

    let report = health_of(&db, &Thresholds::default()).await;

    let fks: Vec<String> = problems(&report, "fk_without_index")
        .into_iter()
        .map(|(severity, _, detail)| {
            assert_eq!(severity, Severity::Warn);
            detail.trim_start_matches("no index for ").to_string()
        })
        .collect();
    assert_eq!(
        fks,
        [
            "analytics.demand_patterns(category_id) -> core.categories",
            "analytics.pricing_kpis(category_id) -> core.categories",
            "analytics.pricing_kpis(platform_id) -> core.platforms",
            "analytics.pricing_kpis(product_id) -> products.products",
            "analytics.sales_forecasts(category_id) -> core.categories",
            "analytics.sales_forecasts(platform_id) -> core.platforms",
            "core.account_purchase_history(product_id) -> products.products",
            "core.brand_patterns(brand_id) -> core.brands",
            "integration.import_records(batch_id) -> integration.import_batches",
            "pricing.brand_multipliers(brand_id) -> core.brands",
            "pricing.price_history(inventory_item_id) -> products.inventory",
            "pricing.price_history(platform_id) -> core.platforms",
            "pricing.price_rules(category_id) -> core.categories",
            "pricing.price_rules(platform_id) -> core.platforms",
            "products.inventory(size_id) -> products.sizes",
            "products.inventory(supplier_id) -> core.suppliers",
            "products.sizes(category_id) -> core.categories",
            "transactions.transactions(platform_id) -> core.platforms",
        ]
    );
    let redundant: Vec<String> = problems(&report, "redundant_indexes")
        .into_iter()
        .map(|(_, subject, detail)| format!("{subject}: {detail}"))
        .collect();
    assert_eq!(
        redundant,
        [
            "analytics.idx_marketplace_data_item: prefix of uq_marketplace_data_item_platform on analytics.marketplace_data (inventory_item_id)",
            "auth.idx_users_email: duplicate of users_email_key on auth.users (email)",
            "auth.idx_users_username: duplicate of users_username_key on auth.users (username)",
            "core.idx_supplier_accounts_supplier_id: prefix of uq_supplier_account_email on core.supplier_accounts (supplier_id)",
            "integration.idx_market_prices_product_id: prefix of idx_market_prices_quickflip on integration.market_prices (product_id)",
            "integration.idx_price_history_source: prefix of idx_price_history_source_date on integration.price_history (price_source_id)",
            "integration.idx_price_sources_product_id: prefix of idx_price_sources_product_source on integration.price_sources (product_id)",
            "integration.idx_price_sources_source_type: prefix of idx_price_sources_source_price_type on integration.price_sources (source_type)",
            "platforms.idx_stockx_listings_stockx_id: duplicate of stockx_listings_stockx_listing_id_key on platforms.stockx_listings (stockx_listing_id)",
            "products.idx_inventory_product_id: prefix of idx_inventory_product_size_status on products.inventory (product_id)",
            "products.idx_inventory_status: prefix of idx_inventory_status_created_at on products.inventory (status)",
            "products.idx_products_sku_lookup: duplicate of products_sku_key on products.products (sku)",
            "transactions.idx_stockx_orders_sold_at: duplicate of idx_orders_sold_at on transactions.orders (sold_at)",
            "transactions.idx_transaction_date: prefix of idx_transaction_date_status on transactions.transactions (transaction_date)",
        ]
    );
    assert_eq!(report.worst, Severity::Warn);
}

#[tokio::test]
async fn a_planted_unused_index_is_reported_once_its_table_is_busy() {
    let db = migrated_db().await;
    let mut conn = db.connect().await;
    exec(
        &mut conn,
        "create table public.planted_items (id bigint primary key, code text not null, note text);
         create index planted_items_note_unused on public.planted_items (note);
         insert into public.planted_items select g, 'c' || g, null from generate_series(1, 200) g;",
    )
    .await;
    flush_stats(&mut conn).await;
    let quiet = health_of(&db, &Thresholds::default()).await;
    assert!(
        problems(&quiet, "unused_indexes").is_empty(),
        "a table nobody read yet proves nothing: {:#?}",
        quiet.check("unused_indexes")
    );

    // A thousand lookups by primary key: the table is busy, the planted index never helps.
    exec(
        &mut conn,
        "do $$ begin for i in 1..1000 loop
             perform code from public.planted_items where id = i % 200 + 1;
         end loop; end $$",
    )
    .await;
    flush_stats(&mut conn).await;
    let report = health_of(&db, &Thresholds::default()).await;

    let unused = problems(&report, "unused_indexes");
    assert_eq!(unused.len(), 1, "{unused:#?}");
    let (severity, subject, detail) = &unused[0];
    assert_eq!(*severity, Severity::Warn);
    assert_eq!(subject, "public.planted_items_note_unused");
    assert!(detail.contains("public.planted_items"), "{detail}");
    assert!(
        !unused.iter().any(|u| u.1.contains("planted_items_pkey")),
        "the primary key's index is needed by its constraint"
    );
}

#[tokio::test]
async fn a_planted_foreign_key_without_an_index_is_reported_until_it_is_indexed() {
    let db = migrated_db().await;
    let mut conn = db.connect().await;
    exec(
        &mut conn,
        "create table public.planted_orders (
             id bigint primary key,
             brand_id uuid not null,
             constraint planted_orders_brand_fk foreign key (brand_id)
                 references core.brands (id) on delete restrict
         )",
    )
    .await;

    let report = health_of(&db, &Thresholds::default()).await;
    let planted: Vec<_> = problems(&report, "fk_without_index")
        .into_iter()
        .filter(|f| f.1.contains("planted"))
        .collect();
    assert_eq!(
        planted,
        [(
            Severity::Warn,
            "public.planted_orders.planted_orders_brand_fk".to_string(),
            "no index for public.planted_orders(brand_id) -> core.brands".to_string()
        )]
    );

    exec(
        &mut conn,
        "create index planted_orders_brand on public.planted_orders (brand_id)",
    )
    .await;
    let report = health_of(&db, &Thresholds::default()).await;
    assert!(!problems(&report, "fk_without_index")
        .iter()
        .any(|f| f.1.contains("planted")));
}

#[tokio::test]
async fn open_transactions_and_waiting_locks_are_reported_by_session_without_blocking_the_check() {
    let db = migrated_db().await;
    let mut holder = db.connect().await;
    let mut waiter = db.connect().await;
    let holder_pid: i32 = sqlx::query_scalar("select pg_backend_pid()")
        .fetch_one(&mut holder)
        .await
        .unwrap();
    let waiter_pid: i32 = sqlx::query_scalar("select pg_backend_pid()")
        .fetch_one(&mut waiter)
        .await
        .unwrap();
    exec(
        &mut holder,
        "begin; lock table core.brands in access exclusive mode",
    )
    .await;
    let blocked = tokio::spawn(async move {
        sqlx::query_scalar::<_, i64>("select count(*) from core.brands")
            .fetch_one(&mut waiter)
            .await
    });
    // Wait until the waiter really waits (it is a separate session; nothing to await on).
    let mut probe = db.connect().await;
    for _ in 0..500 {
        let waiting: bool = sqlx::query_scalar(
            "select exists (select 1 from pg_locks where pid = $1 and not granted)",
        )
        .bind(waiter_pid)
        .fetch_one(&mut probe)
        .await
        .unwrap();
        if waiting {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(10)).await;
    }
    let strict = Thresholds {
        long_transaction_warn_secs: 0.0,
        long_transaction_crit_secs: 1e9,
        lock_wait_warn_secs: 0.0,
        lock_wait_crit_secs: 1e9,
        ..Thresholds::default()
    };

    let report = health_of(&db, &strict).await;

    let transactions = problems(&report, "long_transactions");
    assert!(
        transactions
            .iter()
            .any(|f| f.0 == Severity::Warn && f.1.starts_with(&format!("pid {holder_pid} "))),
        "{transactions:#?}"
    );
    let locks = problems(&report, "lock_waits");
    assert_eq!(locks.len(), 1, "{locks:#?}");
    assert!(locks[0].1.starts_with(&format!("pid {waiter_pid} ")));
    assert!(
        locks[0]
            .2
            .contains("AccessShareLock on relation core.brands")
            && locks[0].2.contains(&format!("blocked by pid {holder_pid}")),
        "{}",
        locks[0].2
    );
    exec(&mut holder, "rollback").await;
    assert!(
        blocked.await.unwrap().unwrap() > 0,
        "the waiter goes on once the lock is gone"
    );
}

#[tokio::test]
async fn slow_statements_come_from_pg_stat_statements_when_the_server_preloads_it() {
    let db = migrated_db().await;
    let mut conn = db.connect().await;
    let preloaded: bool = sqlx::query_scalar(
        "select 'pg_stat_statements' = any(string_to_array(\
             replace(current_setting('shared_preload_libraries'), ' ', ''), ','))",
    )
    .fetch_one(&mut conn)
    .await
    .unwrap();
    for _ in 0..3 {
        exec(&mut conn, "select pg_sleep(0.02)").await;
    }
    let strict = Thresholds {
        slow_statement_min_calls: 2,
        slow_statement_warn_ms: 10.0,
        ..Thresholds::default()
    };

    let first = health_of(&db, &strict).await;
    for _ in 0..3 {
        exec(&mut conn, "select pg_sleep(0.02)").await;
    }
    let second = health_of(&db, &strict).await;

    let first = first.check("slow_statements").unwrap();
    let second = second.check("slow_statements").unwrap();
    if !preloaded {
        assert!(
            first.skipped.as_deref().unwrap_or("").contains("preload"),
            "{first:#?}"
        );
        return;
    }
    assert_eq!(first.skipped, None, "{first:#?}");
    assert!(
        first
            .note
            .as_deref()
            .unwrap_or("")
            .contains("created extension"),
        "the first check creates the extension: {first:#?}"
    );
    assert_eq!(second.note, None, "the second finds it");
    let slow: Vec<_> = second
        .findings
        .iter()
        .filter(|f| f.severity == Severity::Warn)
        .collect();
    assert!(
        slow.iter().any(|f| f.subject.contains("pg_sleep")),
        "{second:#?}"
    );
}

#[tokio::test]
async fn slow_statements_are_skipped_with_the_reason_when_the_role_may_not_create_the_extension() {
    let db = migrated_db().await;
    let role = soleflip_testkit::unique_name("sf_plain");
    let Some(url) = soleflip_testkit::tcp_url(&role, "plain-pw", &db.name) else {
        return; // a given server: we may not create roles there
    };
    soleflip_testkit::admin_exec(&format!(
        "create role {role} login password 'plain-pw'; \
         grant connect on database {} to {role}",
        db.name
    ))
    .await;
    let mut conn = soleflip_db::DbTarget::from_url(&url)
        .unwrap()
        .connect()
        .await
        .unwrap();

    let report = health::check(&mut conn, &db.name, &Thresholds::default())
        .await
        .unwrap();

    let check = report.check("slow_statements").unwrap();
    let reason = check.skipped.as_deref().unwrap_or("");
    assert!(
        reason.contains("creating it failed") || reason.contains("does not preload"),
        "{check:#?}"
    );
    assert!(check.findings.is_empty());
    assert_eq!(
        check.severity,
        Severity::Ok,
        "a skipped check does not decide the exit code"
    );
    assert_eq!(report.counts.skipped, 1);
}
