-- The latest observation of a key that no price source has yet becomes one, with the legacy
-- row's id and created_at (legacy_stage.sql).
insert into integration.price_sources
    (id, product_id, size_id, source_type, source_product_id, source_name, price_type,
     price_cents, currency, stock_quantity, in_stock, condition, source_url, supplier_id,
     metadata, last_updated, created_at)
select new_id, product_id, size_id, source_type, source_product_id, source_name, price_type,
       price_cents::integer, currency, stock_quantity, in_stock, condition, source_url,
       supplier_id, metadata, observed_at, legacy_created_at
from legacy_stage
where outcome = 'inserted'
