-- (The bulk variant of 08_new_pairs, for a session that may bypass triggers.) From here to
-- the fee lines, the rows are written with triggers and foreign-key checks off
-- (session_replication_role = replica): every reference is to a row found or written in this
-- transaction, each new pair is written with its state's label, its one event is written
-- here, and the balance of every order is checked when the batch completes (triggers are on
-- again by then). A new pair of unknown cost enters the books when it was sold.
set local session_replication_role = replica;
insert into products.inventory (id, product_id, size_id, quantity, status, detailed_status,
                                currency, import_batch_id, notes)
select s.pair_id, s.product_id, s.size_id, 1, 'sale_completed', 'sale_completed', s.currency,
       r.batch_id,
       format('created by the import of %s order %s: cost unknown', r.platform, s.order_number)
  from pg_temp.import_sales s cross join pg_temp.import_run r
 where s.outcome is null and s.pair_state is null;
insert into products.inventory_events (inventory_id, from_state, to_state, occurred_at, reason)
select s.pair_id, null, 'sale_completed', s.sold_at,
       format('sold on %s (order %s); not bought through SoleFlip: cost unknown',
              r.platform, s.order_number)
  from pg_temp.import_sales s cross join pg_temp.import_run r
 where s.outcome is null and s.pair_state is null
