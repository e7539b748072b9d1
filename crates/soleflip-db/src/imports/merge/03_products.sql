-- The product of each sale, resolved once per distinct key (style code, its compound twin,
-- and for a line without a style code the product name): by style code, then by the second
-- part of a compound one, else the one product of that name; a new style code becomes a new
-- product, named as the report names it, with the brand its style code names.
create temp table import_products on commit drop as
select coalesce(style, '') as style_key, coalesce(style_alt, '') as alt_key,
       case when style is null then lower(item) else '' end as name_key,
       min(line_no) as first_line, null::uuid as product_id
  from pg_temp.import_sales
 where outcome is null
 group by 1, 2, 3;
update pg_temp.import_products k set product_id = p.id
  from products.products p
 where k.style_key <> '' and p.sku = k.style_key;
update pg_temp.import_products k set product_id = p.id
  from products.products p
 where k.product_id is null and k.alt_key <> '' and p.sku = k.alt_key;
update pg_temp.import_products k set product_id = m.id
  from (select lower(p.name) as name, (array_agg(p.id order by p.id))[1] as id, count(*) as n
          from products.products p
         where lower(p.name) in (select name_key from pg_temp.import_products
                                  where name_key <> '')
         group by lower(p.name)) m
 where k.name_key <> '' and k.name_key = m.name and m.n = 1;
update pg_temp.import_sales s
   set outcome = 'rejected',
       rejected = format('no style code, and no single product is named `%s`: add the product '
                         'or the style code first', s.item)
  from pg_temp.import_products k
 where s.outcome is null and s.style is null and k.style_key = '' and k.name_key = lower(s.item)
   and k.product_id is null
