-- One match row with what accepting it needs: its product (the variant's or the proposal's)
-- and that product's brand.
select m.id, m.status, m.variant_id, coalesce(v.product_id, m.product_id) as product_id,
       b.slug as brand_slug, b.name as brand_name
  from integration.offer_matches m
  left join products.variants v on v.id = m.variant_id
  left join products.products p on p.id = coalesce(v.product_id, m.product_id)
  left join core.brands b on b.id = p.brand_id
 where m.id = $1
