-- The product of each sale: by style code (its first part, then the second part of a compound
-- one), else, without a style code, the one product of that name.
update pg_temp.import_sales s set product_id = p.id
  from products.products p
 where s.outcome is null and s.style is not null and p.sku = s.style;
update pg_temp.import_sales s set product_id = p.id
  from products.products p
 where s.outcome is null and s.product_id is null and s.style_alt is not null
   and p.sku = s.style_alt;
update pg_temp.import_sales s set product_id = m.id
  from (select lower(p.name) as name, (array_agg(p.id order by p.id))[1] as id, count(*) as n
          from products.products p
         where lower(p.name) in (select lower(item) from pg_temp.import_sales
                                  where outcome is null and style is null)
         group by lower(p.name)) m
 where s.outcome is null and s.style is null and lower(s.item) = m.name and m.n = 1;
update pg_temp.import_sales
   set outcome = 'rejected',
       rejected = format('no style code, and no single product is named `%s`: add the product '
                         'or the style code first', item)
 where outcome is null and style is null and product_id is null
