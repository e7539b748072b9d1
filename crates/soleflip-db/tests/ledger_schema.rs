//! Migration 6 (ledger) on real PostgreSQL: the database enforces the lifecycle of
//! `soleflip_domain::lifecycle` whoever writes, records every move, keeps its events, and keeps
//! every order balanced.
#![expect(
    clippy::unwrap_used,
    reason = "the helpers arrange and read rows: a failure must stop the test loudly"
)]

use soleflip_domain::lifecycle::{InventoryState, TRANSITIONS};
use soleflip_testkit::migrated_db;
use sqlx::types::Uuid;
use sqlx::{Connection, PgConnection};

async fn exec(conn: &mut PgConnection, sql: &str) {
    sqlx::raw_sql(sql)
        .execute(conn)
        .await
        .unwrap_or_else(|e| panic!("{sql}: {e}"));
}

/// One product in one size, for pairs to be made of.
async fn shop(conn: &mut PgConnection) {
    exec(
        conn,
        "insert into products.products (sku, name, brand_id, category_id)
             select 'DD1391-100', 'Dunk Low', b.id, c.id
             from core.brands b, core.categories c where b.slug = 'nike' and c.slug = 'sneakers';
         insert into products.sizes (category_id, value, region)
             select id, '42', 'EU' from core.categories;",
    )
    .await;
}

/// A pair created directly in `state`.
async fn pair(conn: &mut PgConnection, state: InventoryState) -> Uuid {
    sqlx::query_scalar(
        "insert into products.inventory (product_id, size_id, quantity, detailed_status)
         select p.id, s.id, 1, $1::text::products.inventory_status
         from products.products p, products.sizes s returning id",
    )
    .bind(state.label())
    .fetch_one(conn)
    .await
    .unwrap()
}

/// A bare UPDATE of the state, as any client could send it.
async fn bypass(conn: &mut PgConnection, id: Uuid, to: InventoryState) -> Result<(), sqlx::Error> {
    sqlx::query(
        "update products.inventory set detailed_status = $2::text::products.inventory_status \
         where id = $1",
    )
    .bind(id)
    .bind(to.label())
    .execute(conn)
    .await
    .map(|_| ())
}

#[tokio::test]
async fn the_migrations_transition_table_is_the_domains_table() {
    let db = migrated_db().await;
    let mut conn = db.connect().await;

    let in_db: Vec<(String, String)> = sqlx::query_as(
        "select from_state::text, to_state::text from products.inventory_transitions()",
    )
    .fetch_all(&mut conn)
    .await
    .unwrap();

    let in_domain: Vec<(String, String)> = TRANSITIONS
        .iter()
        .map(|(f, t)| (f.label().to_owned(), t.label().to_owned()))
        .collect();
    assert_eq!(in_db, in_domain);
}

#[tokio::test]
async fn every_one_of_the_64_pairs_is_allowed_or_refused_by_the_database_as_the_domain_says() {
    let db = migrated_db().await;
    let mut conn = db.connect().await;
    shop(&mut conn).await;

    let mut refused = 0;
    for from in InventoryState::ALL {
        for to in InventoryState::ALL {
            let id = pair(&mut conn, from).await;

            let result = bypass(&mut conn, id, to).await;

            let allowed = TRANSITIONS.contains(&(from, to));
            if from == to {
                assert!(
                    result.is_ok(),
                    "{from} -> {to}: not a change, nothing to refuse"
                );
                continue;
            }
            match result {
                Ok(()) => assert!(allowed, "{from} -> {to} was let through"),
                Err(e) => {
                    assert!(!allowed, "{from} -> {to} was refused: {e}");
                    let db_error = e.as_database_error().unwrap();
                    assert_eq!(db_error.code().as_deref(), Some("23514"), "{e}");
                    assert!(
                        db_error.message().starts_with(&format!(
                            "inventory state: {from} -> {to} is not allowed"
                        )),
                        "{e}"
                    );
                    refused += 1;
                }
            }
        }
    }
    assert_eq!(refused, 64 - 8 - 16);
}

#[tokio::test]
async fn a_bypassing_update_that_skips_the_sale_is_refused_and_changes_nothing() {
    let db = migrated_db().await;
    let mut conn = db.connect().await;
    shop(&mut conn).await;
    let id = pair(&mut conn, InventoryState::Available).await;

    let err = bypass(&mut conn, id, InventoryState::SaleCompleted)
        .await
        .unwrap_err();

    assert!(
        err.to_string().contains(
            "inventory state: available -> sale_completed is not allowed; from available the \
             allowed next states are consigned, need_shipping"
        ),
        "{err}"
    );
    let (state, events): (String, i64) = sqlx::query_as(
        "select i.detailed_status::text, (select count(*) from products.inventory_events e \
         where e.inventory_id = i.id) from products.inventory i where i.id = $1",
    )
    .bind(id)
    .fetch_one(&mut conn)
    .await
    .unwrap();
    assert_eq!((state.as_str(), events), ("available", 1));
}

/// (from, to, reason, whether at the time the transaction gave)
type Event = (Option<String>, Option<String>, Option<String>, bool);

#[tokio::test]
async fn every_move_appends_an_event_with_the_context_the_transaction_set() {
    let db = migrated_db().await;
    let mut conn = db.connect().await;
    shop(&mut conn).await;
    let id = pair(&mut conn, InventoryState::Incoming).await;

    let mut tx = conn.begin().await.unwrap();
    exec(
        &mut tx,
        "select set_config('soleflip.reason', 'arrived, checked', true), \
                set_config('soleflip.event_at', '2025-03-01 10:00+00', true)",
    )
    .await;
    bypass(&mut tx, id, InventoryState::Available)
        .await
        .unwrap();
    tx.commit().await.unwrap();
    bypass(&mut conn, id, InventoryState::NeedShipping)
        .await
        .unwrap();

    let events: Vec<Event> = sqlx::query_as(
        "select from_state::text, to_state::text, reason, \
                occurred_at = '2025-03-01 10:00+00' \
         from products.inventory_events e where inventory_id = $1 \
         order by e.to_state",
    )
    .bind(id)
    .fetch_all(&mut conn)
    .await
    .unwrap();
    let s = |v: &str| Some(v.to_owned());
    assert_eq!(
        events,
        [
            (None, s("incoming"), None, false),
            (s("incoming"), s("available"), s("arrived, checked"), true),
            (s("available"), s("need_shipping"), None, false),
        ]
    );
    let status: String = sqlx::query_scalar("select status from products.inventory where id = $1")
        .bind(id)
        .fetch_one(&mut conn)
        .await
        .unwrap();
    assert_eq!(status, "need_shipping", "the text follows the state");
}

#[tokio::test]
async fn events_cannot_be_changed_or_deleted_but_go_with_their_pair() {
    let db = migrated_db().await;
    let mut conn = db.connect().await;
    shop(&mut conn).await;
    let id = pair(&mut conn, InventoryState::Available).await;

    let update = sqlx::raw_sql("update products.inventory_events set reason = 'rewritten'")
        .execute(&mut conn)
        .await
        .unwrap_err();
    let delete = sqlx::raw_sql("delete from products.inventory_events")
        .execute(&mut conn)
        .await
        .unwrap_err();
    sqlx::query("delete from products.inventory where id = $1")
        .bind(id)
        .execute(&mut conn)
        .await
        .unwrap();

    assert!(update.to_string().contains("append-only"), "{update}");
    assert!(delete.to_string().contains("append-only"), "{delete}");
    let left: i64 = sqlx::query_scalar("select count(*) from products.inventory_events")
        .fetch_one(&mut conn)
        .await
        .unwrap();
    assert_eq!(left, 0);
}

/// An order of `sale` with `payout` and the given fee lines, committed in one transaction.
async fn order(
    conn: &mut PgConnection,
    sale: &str,
    payout: &str,
    fees: &[&str],
) -> Result<(), sqlx::Error> {
    let mut tx = conn.begin().await?;
    let id: Uuid = sqlx::query_scalar(
        "insert into transactions.orders (platform_id, sale_price, payout, currency, sold_at) \
         select id, $1::numeric, $2::numeric, 'EUR', now() from core.platforms \
         where slug = 'stockx' returning id",
    )
    .bind(sale)
    .bind(payout)
    .fetch_one(&mut *tx)
    .await?;
    for fee in fees {
        sqlx::query(
            "insert into transactions.order_fee_lines (order_id, kind, amount, currency, source) \
             values ($1, 'transaction_fee', $2::numeric, 'EUR', 'reported')",
        )
        .bind(id)
        .bind(fee)
        .execute(&mut *tx)
        .await?;
    }
    tx.commit().await
}

#[tokio::test]
async fn an_order_commits_only_when_sale_price_minus_its_fee_lines_is_its_payout_to_the_cent() {
    let db = migrated_db().await;
    let mut conn = db.connect().await;

    // 120.00 - 10.80 - 3.60 = 105.60 (StockX level 1, EU)
    let balanced = order(&mut conn, "120.00", "105.60", &["10.80", "3.60"]).await;
    let a_cent_off = order(&mut conn, "120.00", "105.61", &["10.80", "3.60"])
        .await
        .unwrap_err();
    let no_lines = order(&mut conn, "50.00", "50.00", &[]).await;

    balanced.unwrap();
    no_lines.unwrap();
    assert!(
        a_cent_off
            .to_string()
            .contains("sale price 120.00 - fee lines 14.40 = 105.60, but the payout is 105.61"),
        "{a_cent_off}"
    );
    let orders: i64 = sqlx::query_scalar("select count(*) from transactions.orders")
        .fetch_one(&mut conn)
        .await
        .unwrap();
    assert_eq!(orders, 2, "the unbalanced order was rolled back whole");
}

#[tokio::test]
async fn removing_a_fee_line_from_a_balanced_order_is_refused_at_commit() {
    let db = migrated_db().await;
    let mut conn = db.connect().await;
    order(&mut conn, "100.00", "91.00", &["6.00", "3.00"])
        .await
        .unwrap();

    let err = sqlx::raw_sql(
        "delete from transactions.order_fee_lines where id = \
         (select id from transactions.order_fee_lines order by amount limit 1)",
    )
    .execute(&mut conn)
    .await
    .unwrap_err();

    assert!(err.to_string().contains("but the payout is 91.00"), "{err}");
}

#[tokio::test]
async fn a_pair_has_exactly_one_first_event() {
    let db = migrated_db().await;
    let mut conn = db.connect().await;
    shop(&mut conn).await;
    let id = pair(&mut conn, InventoryState::Available).await;

    let second = sqlx::query(
        "insert into products.inventory_events (inventory_id, from_state, to_state) \
         values ($1, null, 'available')",
    )
    .bind(id)
    .execute(&mut conn)
    .await
    .unwrap_err();

    assert!(
        second.to_string().contains("uq_inventory_events_first"),
        "{second}"
    );
}
