-- The matched pairs move to sold along the lifecycle: shipped when sold, completed when paid
-- out (a consigned pair completes at once); their listing on the platform is sold, their
-- other listings end.
delete from pg_temp.inventory_event_rows;
select set_config('soleflip.event_rows', 'on', true);
insert into pg_temp.inventory_event_rows (inventory_id, occurred_at, reason, order_id)
select s.pair_id, s.sold_at, format('sold on %s (order %s)', r.platform, s.order_number),
       s.order_id
  from pg_temp.import_sales s cross join pg_temp.import_run r
 where s.outcome is null and s.pair_state is not null;
update products.inventory i set detailed_status = 'need_shipping'
  from pg_temp.import_sales s
 where s.outcome is null and s.pair_id = i.id and s.pair_state in ('incoming', 'available');
update products.inventory i set detailed_status = 'outgoing'
  from pg_temp.import_sales s
 where s.outcome is null and s.pair_id = i.id and s.pair_state in ('incoming', 'available');
update pg_temp.inventory_event_rows c set occurred_at = greatest(s.payout_at, s.sold_at)
  from pg_temp.import_sales s
 where s.pair_id = c.inventory_id and s.payout_at is not null;
update products.inventory i set detailed_status = 'sale_completed'
  from pg_temp.import_sales s
 where s.outcome is null and s.pair_id = i.id and s.pair_state is not null;
update platforms.listings l
   set status = case when l.id = s.listing_id then 'sold' else 'ended' end,
       ended_at = s.sold_at
  from pg_temp.import_sales s
 where s.outcome is null and s.pair_state is not null
   and l.inventory_id = s.pair_id and l.status = 'active';
select set_config('soleflip.event_rows', '', true)
