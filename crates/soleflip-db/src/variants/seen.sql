-- What --new last reported for these retailers, variants and platform.
select s.merchant_id, s.variant_id, s.buy_cost, s.profit_now, s.profit_list
  from integration.arbitrage_seen s
  join unnest($1::int[], $2::uuid[]) as k(merchant_id, variant_id)
    on k.merchant_id = s.merchant_id and k.variant_id = s.variant_id
 where s.platform = $3
