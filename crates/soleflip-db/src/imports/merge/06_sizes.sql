-- The size row of each sale on its product's brand chart, created when missing.
insert into products.sizes (brand_id, category_id, cohort, region, value, parsed,
                            standardized_value)
select distinct on (p.brand_id, p.category_id, s.cohort, s.region, s.value)
       p.brand_id, p.category_id, s.cohort, s.region, s.value, s.parsed, s.standardized
  from pg_temp.import_sales s
  join products.products p on p.id = s.product_id
 where s.outcome is null
 order by p.brand_id, p.category_id, s.cohort, s.region, s.value, s.line_no
on conflict ((coalesce(brand_id, '00000000-0000-0000-0000-000000000000'::uuid)),
             (coalesce(category_id, '00000000-0000-0000-0000-000000000000'::uuid)),
             cohort, region, value) do nothing;
update pg_temp.import_sales s set size_id = z.id
  from products.products p, products.sizes z
 where s.outcome is null and p.id = s.product_id
   and coalesce(z.brand_id, '00000000-0000-0000-0000-000000000000'::uuid)
       = coalesce(p.brand_id, '00000000-0000-0000-0000-000000000000'::uuid)
   and coalesce(z.category_id, '00000000-0000-0000-0000-000000000000'::uuid)
       = coalesce(p.category_id, '00000000-0000-0000-0000-000000000000'::uuid)
   and z.cohort = s.cohort and z.region = s.region and z.value = s.value
