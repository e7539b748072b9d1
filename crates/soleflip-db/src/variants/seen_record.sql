-- Remembers what --new reported (one row per retailer, variant and platform).
insert into integration.arbitrage_seen
    (merchant_id, variant_id, platform, offer_id, buy_cost, profit_now, profit_list)
select merchant_id, variant_id, $3, offer_id, buy_cost, profit_now, profit_list
  from unnest($1::int[], $2::uuid[], $4::uuid[], $5::numeric[], $6::numeric[], $7::numeric[])
       as r(merchant_id, variant_id, offer_id, buy_cost, profit_now, profit_list)
on conflict (merchant_id, variant_id, platform) do update
   set offer_id = excluded.offer_id, buy_cost = excluded.buy_cost,
       profit_now = excluded.profit_now, profit_list = excluded.profit_list,
       last_reported_at = now()
