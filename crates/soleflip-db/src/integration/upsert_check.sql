-- The first staged row (by seq) that names a currency, product or size that does not exist,
-- and which: refused before anything is written, with the row named.
select seq, problem
from (
    select s.seq, format('currency %s is not in core.currencies', s.currency) as problem
    from price_staging s
    where not exists (select 1 from core.currencies c where c.code = s.currency)
    union all
    select s.seq, format('product %s does not exist', s.product_id)
    from price_staging s
    where not exists (select 1 from products.products p where p.id = s.product_id)
    union all
    select s.seq, format('size %s does not exist', s.size_id)
    from price_staging s
    where s.size_id is not null
      and not exists (select 1 from products.sizes z where z.id = s.size_id)
) bad
order by seq
limit 1
