-- Match decisions of one status (or all), newest first, a page at a time (keyset on
-- created_at, id), with the offer and the variant they join.
select m.id, m.status, m.method, m.reason, m.created_at, m.decided_at,
       o.id as offer_id, o.merchant_id, o.merchant_name, o.merchant_product_id, o.product_name,
       o.size as offer_size, o.gtin, o.search_price, o.currency,
       v.id as variant_id, v.size_key, coalesce(p.id, pp.id) as product_id,
       coalesce(p.sku, pp.sku) as sku, coalesce(p.name, pp.name) as product_title
  from integration.offer_matches m
  join integration.awin_products o on o.id = m.offer_id
  left join products.variants v on v.id = m.variant_id
  left join products.products p on p.id = v.product_id
  left join products.products pp on pp.id = m.product_id
 where ($1::text is null or m.status = $1)
   and ($2::timestamptz is null or (m.created_at, m.id) < ($2, $3::uuid))
 order by m.created_at desc, m.id desc
 limit $4
