-- The distinct resale quotes (in cents) of the currency asked for: the application prices each
-- one once through the fee schedule, and arbitrage.sql joins the payouts back.
select distinct ps.price_cents::bigint
  from integration.price_sources ps
 where ps.source_type = 'stockxapi' and ps.price_type = 'resale' and ps.in_stock
   and ps.currency = $1
   and (ps.source_product_id like '%:lowest_ask' or ps.source_product_id like '%:highest_bid')
