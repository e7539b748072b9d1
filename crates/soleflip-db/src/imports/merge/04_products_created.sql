insert into products.products (sku, name, brand_id, category_id, style_code)
select distinct on (k.style_key) k.style_key, left(s.item, 255), b.id, r.category_id, k.style_key
  from pg_temp.import_products k
  join pg_temp.import_sales s on s.line_no = k.first_line
 cross join pg_temp.import_run r
  left join core.brands b on b.slug = s.brand_slug
 where k.product_id is null and k.style_key <> ''
 order by k.style_key, k.first_line
on conflict (sku) do nothing
