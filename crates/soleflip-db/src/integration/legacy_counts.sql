-- Per legacy table, before staging: its rows, and how many of them earlier runs recorded.
-- (The quoted aliases tell sqlx's query macros that no column is null.)
select 'integration.market_prices' as "legacy_table!", count(*) as "total!",
       count(*) filter (where exists (
           select 1 from integration.legacy_price_migrations l
           where l.legacy_table = 'integration.market_prices' and l.legacy_id = m.id))
           as "recorded!"
from integration.market_prices m
union all
select 'pricing.market_prices', count(*),
       count(*) filter (where exists (
           select 1 from integration.legacy_price_migrations l
           where l.legacy_table = 'pricing.market_prices' and l.legacy_id = m.id))
from pricing.market_prices m
