-- The variants of products in the sizes read (product ids, regions, values, standardized EU
-- values, cohorts as parallel arrays), created when missing with the size row of that label on
-- the product's brand chart when one exists; returns each input's variant id in input order.
with wanted as (
    select w.ord, w.product_id, w.region, w.value, w.standardized, w.cohort,
           integration.variant_size_key(w.region, w.value, w.standardized) as size_key
      from unnest($1::uuid[], $2::text[], $3::text[], $4::numeric[], $5::text[])
           with ordinality as w(product_id, region, value, standardized, cohort, ord)
), created as (
    insert into products.variants (product_id, size_key, cohort, size_id)
    select distinct on (w.product_id, w.size_key) w.product_id, w.size_key, w.cohort,
           (select s.id from products.sizes s
             where s.brand_id is not distinct from p.brand_id and s.region = w.region
               and s.value = w.value
             order by (s.cohort = w.cohort) desc, s.created_at
             limit 1)
      from wanted w
      join products.products p on p.id = w.product_id
     order by w.product_id, w.size_key
    on conflict (product_id, size_key) do nothing
    returning id, product_id, size_key
)
select w.ord, coalesce(c.id, v.id) as variant_id
  from wanted w
  left join created c on c.product_id = w.product_id and c.size_key = w.size_key
  left join products.variants v on v.product_id = w.product_id and v.size_key = w.size_key
 order by w.ord
