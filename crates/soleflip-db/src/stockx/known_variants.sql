-- The StockX variants the catalog knows (products.variant_ids, source 'stockx', scope empty:
-- external_id is StockX's variantId) of products with a StockX product id
-- (products.products.stockx_product_id, set by the catalog sync), for the StockX products after
-- $1, the first $2 of them; with the product and size their prices are stored on.
with page as (
    select p.id, p.stockx_product_id
      from products.products p
     where p.stockx_product_id > $1
       and exists (select 1
                     from products.variants v
                     join products.variant_ids vi on vi.variant_id = v.id
                    where v.product_id = p.id and vi.source = 'stockx' and vi.scope = '')
     order by p.stockx_product_id
     limit $2
)
select page.stockx_product_id, k.stockx_variant_id, k.product_id, k.size_id
  from page
  cross join lateral (
      -- Per product of the page (lateral; `offset 0` keeps it from being flattened), so the
      -- variants are found by product even when the statistics of freshly filled tables are
      -- stale (a nested loop over every variant otherwise).
      select vi.external_id as stockx_variant_id, v.product_id, v.size_id
        from products.variants v
        join products.variant_ids vi
          on vi.variant_id = v.id and vi.source = 'stockx' and vi.scope = ''
       where v.product_id = page.id
      offset 0
  ) k
 order by page.stockx_product_id, k.stockx_variant_id
