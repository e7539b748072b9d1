-- Step 2 of the cascade, its first half: the offers without a decision whose style code (the
-- feed's mpn, product_model, or a style-code token of the product name) names a catalog
-- product, compared on upper-case letters and digits only (DD1391-100 = DD1391 100 =
-- DD1391100). Each offer comes with every product it names, the product's brand and the
-- offer's size text; the application reads the size on the brand's chart.
with open_offers as (
    select o.id, o.mpn, o.product_model, o.product_name, o.size
      from integration.awin_products o
     where not exists (select 1 from integration.offer_matches m
                        where m.offer_id = o.id and m.status in ('matched', 'review'))
), keys as (
    select distinct oo.id as offer_id, oo.size,
           regexp_replace(upper(k.raw), '[^A-Z0-9]', '', 'g') as style_key
      from open_offers oo
     cross join lateral (values (oo.mpn), (oo.product_model),
                                (substring(upper(oo.product_name)
                                           from '([A-Z0-9]{5,7}[- ]?[0-9]{3})'))) k(raw)
     where k.raw is not null
), catalog as (
    select p.id, p.brand_id, regexp_replace(upper(p.sku), '[^A-Z0-9]', '', 'g') as style_key
      from products.products p
)
select distinct k.offer_id, c.id as product_id, b.slug as brand_slug, b.name as brand_name,
       k.size as size_text
  from keys k
  join catalog c on c.style_key = k.style_key
  left join core.brands b on b.id = c.brand_id
 where length(k.style_key) between 6 and 15 and k.style_key ~ '[A-Z]'
   and not exists (select 1 from integration.offer_matches r
                    where r.offer_id = k.offer_id and r.status = 'rejected'
                      and r.variant_id is null and r.product_id = c.id)
 order by k.offer_id, c.id
