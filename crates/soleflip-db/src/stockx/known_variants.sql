-- The StockX variants the catalog knows (products.variant_ids, source 'stockx', scope empty:
-- external_id is StockX's variantId) of products with a StockX product id
-- (products.products.stockx_product_id, set by the catalog sync), for the StockX products after
-- $1, the first $2 of them; with the product and size their prices are stored on.
with page as (
    select distinct p.stockx_product_id
      from products.variant_ids vi
      join products.variants v on v.id = vi.variant_id
      join products.products p on p.id = v.product_id
     where vi.source = 'stockx' and vi.scope = ''
       and p.stockx_product_id is not null and p.stockx_product_id > $1
     order by p.stockx_product_id
     limit $2
)
select p.stockx_product_id,
       vi.external_id as stockx_variant_id,
       v.product_id,
       v.size_id
  from products.variant_ids vi
  join products.variants v on v.id = vi.variant_id
  join products.products p on p.id = v.product_id
 where vi.source = 'stockx' and vi.scope = ''
   and p.stockx_product_id in (select stockx_product_id from page)
 order by p.stockx_product_id, vi.external_id
