insert into transactions.orders
    (id, platform_id, order_number, inventory_id, pair_listing_id, sale_price, payout, currency,
     payout_flagged, sold_at, payout_date, payout_received, order_status, completed_at,
     buyer_destination_country, buyer_destination_city, import_batch_id)
select s.order_id, r.platform_id, s.order_number, s.pair_id, s.listing_id, s.price, s.payout,
       s.currency, s.flagged, s.sold_at, s.payout_at, s.payout_at is not null, 'completed',
       s.payout_at, left(s.buyer_country, 100), left(s.buyer_city, 200), r.batch_id
  from pg_temp.import_sales s cross join pg_temp.import_run r
 where s.outcome is null
