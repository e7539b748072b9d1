-- Every older observation of a key is recorded as a history row of the key's price source,
-- stamped with when it was observed.
insert into integration.price_history
    (id, price_source_id, price_cents, currency, in_stock, stock_quantity, recorded_at)
select history_id, landing_id, price_cents::integer, currency, in_stock, stock_quantity,
       observed_at
from legacy_stage
where outcome = 'merged'
