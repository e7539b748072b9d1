update pg_temp.import_sales s set product_id = p.id
  from products.products p
 where s.outcome is null and s.product_id is null and p.sku = s.style
