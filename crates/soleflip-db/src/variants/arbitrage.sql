-- Arbitrage: every in-stock retail offer matched to a variant that has a StockX quote in the
-- resale currency ($3), with its buy cost (price + delivery, converted at the latest ECB
-- reference rate when the currencies differ) and the payout and profit of selling now (to the
-- highest bid) and of listing (at the lowest ask). Payouts come from the fee schedule, priced
-- once per distinct quote by the application ($1 quote cents, $2 payout cents).
-- Quotes: StockX market data is stored as two price series per variant (docs/prices-mapping.md):
-- source_product_id `<variantId>:lowest_ask` and `<variantId>:highest_bid`.
-- Filters: $4 least profit (the better of the two ways), $5 least ROI (fraction), $6 limit.
with payouts as (
    select q.cents, q.payout
      from unnest($1::bigint[], $2::bigint[]) as q(cents, payout)
), fx as (
    select distinct on (r.currency) r.currency, r.rate, r.rate_date
      from core.fx_rates r
     where r.source = 'ecb' and r.base_currency = 'EUR' and r.rate_date <= current_date
     order by r.currency, r.rate_date desc
), resale as (
    select ps.product_id,
           integration.variant_size_key(s.region, s.value, s.standardized_value) as size_key,
           min(ps.price_cents) filter (where ps.source_product_id like '%:lowest_ask') as ask,
           max(ps.price_cents) filter (where ps.source_product_id like '%:highest_bid') as bid,
           max(coalesce(ps.last_updated, ps.updated_at))
               filter (where ps.source_product_id like '%:lowest_ask') as ask_at,
           max(coalesce(ps.last_updated, ps.updated_at))
               filter (where ps.source_product_id like '%:highest_bid') as bid_at
      from integration.price_sources ps
      join products.sizes s on s.id = ps.size_id
     where ps.source_type = 'stockxapi' and ps.price_type = 'resale' and ps.in_stock
       and ps.currency = $3
     group by 1, 2
), offers as (
    select o.id as offer_id, o.merchant_id, o.merchant_name, o.merchant_product_id,
           o.product_name, o.size as offer_size, o.search_price, o.delivery_cost, o.currency,
           coalesce(o.last_seen_at, o.updated_at) as offer_at, o.affiliate_link,
           m.method, v.id as variant_id, v.product_id, v.size_key,
           case when o.currency = $3 then 1::numeric
                else round((case when $3 = 'EUR' then 1 else tx.rate end)
                           / (case when o.currency = 'EUR' then 1 else ofx.rate end), 10)
           end as factor,
           case when o.currency = $3 then null
                else least(case when $3 = 'EUR' then null else tx.rate_date end,
                           case when o.currency = 'EUR' then null else ofx.rate_date end)
           end as fx_date
      from integration.awin_products o
      join integration.offer_matches m on m.offer_id = o.id and m.status = 'matched'
      join products.variants v on v.id = m.variant_id
      left join fx ofx on ofx.currency = o.currency
      left join fx tx on tx.currency = $3
     where o.in_stock and o.search_price is not null
), priced as (
    select f.*, r.ask, r.bid, r.ask_at, r.bid_at,
           round((f.search_price + coalesce(f.delivery_cost, 0)) * f.factor, 2) as buy_cost,
           pb.payout as bid_payout, pa.payout as ask_payout
      from offers f
      join resale r on r.product_id = f.product_id and r.size_key = f.size_key
      left join payouts pb on pb.cents = r.bid
      left join payouts pa on pa.cents = r.ask
     where f.factor is not null
), profits as (
    select p.*,
           round(p.bid_payout / 100.0, 2) - p.buy_cost as profit_now,
           round(p.ask_payout / 100.0, 2) - p.buy_cost as profit_list
      from priced p
)
select x.offer_id, x.merchant_id, x.merchant_name, x.merchant_product_id, x.product_name,
       x.offer_size, x.search_price, x.delivery_cost, x.currency, x.offer_at, x.affiliate_link,
       x.method, x.variant_id, pr.sku, pr.name as product_title, x.size_key, x.factor, x.fx_date,
       x.buy_cost, x.bid::bigint, x.ask::bigint, x.bid_at, x.ask_at,
       x.bid_payout, x.ask_payout, x.profit_now, x.profit_list
  from profits x
  join products.products pr on pr.id = x.product_id
 where greatest(x.profit_now, x.profit_list) >= $4
   and x.buy_cost > 0
   and greatest(x.profit_now, x.profit_list) / x.buy_cost >= $5
 order by greatest(x.profit_now, x.profit_list) desc, x.offer_id
 limit $6
