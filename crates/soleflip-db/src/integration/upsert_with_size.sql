-- The upsert of the staged prices with a size: matches uq_price_source_with_size.
-- One statement per partial unique index, because ON CONFLICT infers its arbiter from the
-- columns and the predicate given here, and a row can only meet the index whose predicate it
-- satisfies (migration 1's single upsert named the columns without a predicate and matched
-- neither). Within the batch the last row of a key wins (highest seq).
-- A stored price is updated only when something differs, so an unchanged re-import writes
-- nothing (and appends no history), and never by an older observation (last_updated).
with incoming as (
    select distinct on (product_id, source_type, source_product_id, size_id) *
    from price_staging
    where size_id is not null
    order by product_id, source_type, source_product_id, size_id, seq desc
), written as (
    insert into integration.price_sources as ps
        (product_id, size_id, source_type, source_product_id, source_name, price_type,
         price_cents, currency, stock_quantity, in_stock, condition, source_url,
         affiliate_link, supplier_id, metadata, last_updated)
    select product_id, size_id, source_type::integration.source_type_enum, source_product_id,
           source_name, price_type::integration.price_type_enum, price_cents, currency,
           stock_quantity, in_stock, condition::integration.condition_enum, source_url,
           affiliate_link, supplier_id, metadata, last_updated
    from incoming
    on conflict (product_id, source_type, source_product_id, size_id) where size_id is not null
    do update set
        source_name = excluded.source_name,
        price_type = excluded.price_type,
        price_cents = excluded.price_cents,
        currency = excluded.currency,
        stock_quantity = excluded.stock_quantity,
        in_stock = excluded.in_stock,
        condition = excluded.condition,
        source_url = excluded.source_url,
        affiliate_link = excluded.affiliate_link,
        supplier_id = excluded.supplier_id,
        metadata = excluded.metadata,
        last_updated = excluded.last_updated
    where (ps.source_name, ps.price_type, ps.price_cents, ps.currency, ps.stock_quantity,
           ps.in_stock, ps.condition, ps.source_url, ps.affiliate_link, ps.supplier_id,
           ps.metadata, ps.last_updated)
          is distinct from
          (excluded.source_name, excluded.price_type, excluded.price_cents, excluded.currency,
           excluded.stock_quantity, excluded.in_stock, excluded.condition, excluded.source_url,
           excluded.affiliate_link, excluded.supplier_id, excluded.metadata,
           excluded.last_updated)
      and (excluded.last_updated is null or ps.last_updated is null
           or excluded.last_updated >= ps.last_updated)
    returning (xmax = 0) as inserted
)
select (select count(*) from incoming) as distinct_rows,
       count(*) filter (where inserted) as inserted,
       count(*) filter (where not inserted) as updated
from written
