-- What a style-and-size match teaches the catalog: the offer's GTIN and the retailer's product
-- id now name the variant (kept when they already name it or another one).
with m as (
    select o.gtin, o.merchant_id, o.merchant_product_id, d.variant_id
      from unnest($1::uuid[], $2::uuid[]) as d(offer_id, variant_id)
      join integration.awin_products o on o.id = d.offer_id
), gtins as (
    insert into products.variant_gtins (gtin, variant_id, source)
    select distinct on (gtin) gtin, variant_id, $3::text from m where gtin is not null
     order by gtin
    on conflict (gtin) do nothing
    returning 1
)
insert into products.variant_ids (source, scope, external_id, variant_id)
select distinct on (merchant_id, merchant_product_id)
       'awin', merchant_id::text, merchant_product_id, variant_id
  from m
 order by merchant_id, merchant_product_id
on conflict (source, scope, external_id) do nothing
