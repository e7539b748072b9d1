-- A style code the catalog does not know: a new product, named as the report names it, with
-- the brand its style code names.
insert into products.products (sku, name, brand_id, category_id, style_code)
select distinct on (s.style) s.style, left(s.item, 255), b.id, r.category_id, s.style
  from pg_temp.import_sales s
 cross join pg_temp.import_run r
  left join core.brands b on b.slug = s.brand_slug
 where s.outcome is null and s.product_id is null
 order by s.style, s.line_no
on conflict (sku) do nothing
