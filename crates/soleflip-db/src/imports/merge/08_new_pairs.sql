-- A sale with no pair in stock: a new pair of unknown cost, sold, entering the books when it
-- was sold (its id was drawn when the line was staged).
insert into pg_temp.inventory_event_rows (inventory_id, occurred_at, reason)
select s.pair_id, s.sold_at,
       format('sold on %s (order %s); not bought through SoleFlip: cost unknown',
              r.platform, s.order_number)
  from pg_temp.import_sales s cross join pg_temp.import_run r
 where s.outcome is null and s.pair_state is null;
select set_config('soleflip.event_rows', 'on', true);
insert into products.inventory (id, product_id, size_id, quantity, status, detailed_status,
                                currency, import_batch_id, notes)
select s.pair_id, s.product_id, s.size_id, 1, 'sale_completed', 'sale_completed', s.currency,
       r.batch_id,
       format('created by the import of %s order %s: cost unknown', r.platform, s.order_number)
  from pg_temp.import_sales s cross join pg_temp.import_run r
 where s.outcome is null and s.pair_state is null
