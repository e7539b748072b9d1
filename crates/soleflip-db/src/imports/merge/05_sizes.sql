-- New products linked; then the size row of each sale on its product's brand chart, resolved
-- once per distinct product and size, created when missing; then each line gets its product
-- and size in one pass.
update pg_temp.import_products k set product_id = p.id
  from products.products p
 where k.product_id is null and k.style_key <> '' and p.sku = k.style_key;
create temp table import_sizes on commit drop as
select k.product_id, p.brand_id, p.category_id, s.cohort, s.region, s.value,
       min(s.parsed) as parsed, min(s.standardized) as standardized, null::uuid as size_id
  from pg_temp.import_sales s
  join pg_temp.import_products k
    on k.style_key = coalesce(s.style, '') and k.alt_key = coalesce(s.style_alt, '')
   and k.name_key = case when s.style is null then lower(s.item) else '' end
  join products.products p on p.id = k.product_id
 where s.outcome is null
 group by 1, 2, 3, 4, 5, 6;
insert into products.sizes (brand_id, category_id, cohort, region, value, parsed,
                            standardized_value)
select distinct on (brand_id, category_id, cohort, region, value)
       brand_id, category_id, cohort, region, value, parsed, standardized
  from pg_temp.import_sizes
 order by brand_id, category_id, cohort, region, value
on conflict ((coalesce(brand_id, '00000000-0000-0000-0000-000000000000'::uuid)),
             (coalesce(category_id, '00000000-0000-0000-0000-000000000000'::uuid)),
             cohort, region, value) do nothing;
update pg_temp.import_sizes k set size_id = z.id
  from products.sizes z
 where coalesce(z.brand_id, '00000000-0000-0000-0000-000000000000'::uuid)
       = coalesce(k.brand_id, '00000000-0000-0000-0000-000000000000'::uuid)
   and coalesce(z.category_id, '00000000-0000-0000-0000-000000000000'::uuid)
       = coalesce(k.category_id, '00000000-0000-0000-0000-000000000000'::uuid)
   and z.cohort = k.cohort and z.region = k.region and z.value = k.value;
update pg_temp.import_sales s set product_id = k.product_id, size_id = z.size_id
  from pg_temp.import_products k, pg_temp.import_sizes z
 where s.outcome is null
   and k.style_key = coalesce(s.style, '') and k.alt_key = coalesce(s.style_alt, '')
   and k.name_key = case when s.style is null then lower(s.item) else '' end
   and z.product_id = k.product_id and z.cohort = s.cohort and z.region = s.region
   and z.value = s.value
