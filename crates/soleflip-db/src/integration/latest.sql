-- The latest in-stock price per size and source of one product (integration.latest_prices),
-- optionally only some sizes ($2: size ids) and one source ($3). Rows without a size first,
-- then by standardized size.
-- (The quoted aliases tell sqlx's query macros which columns may be null: a view's columns
-- are not known to be non-null, and those of the outer-joined size may be.)
select lp.source_type::text as "source!", lp.source_name::text as "source_name?",
       lp.source_product_id::text as "source_product_id!", lp.price_type::text as "price_type!",
       lp.price_cents as "price_cents!", lp.currency::text as "currency!",
       lp.stock_quantity as "stock_quantity?", lp.in_stock as "in_stock!",
       lp.condition::text as "condition?",
       to_char(lp.last_updated at time zone 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS"Z"') as "last_updated?",
       lp.size_id as "size_id?", s.value::text as "size_value?", s.region::text as "size_region?",
       s.standardized_value::text as "size_standardized?"
from integration.latest_prices lp
left join products.sizes s on s.id = lp.size_id
where lp.product_id = $1
  and ($2::uuid[] is null or lp.size_id = any($2::uuid[]))
  and ($3::text is null or lp.source_type::text = $3::text)
order by lp.size_id is not null, s.standardized_value, s.value, lp.source_type
