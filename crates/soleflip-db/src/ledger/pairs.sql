-- Pairs with their product, size and age, filtered: $1 id (NULL: any), $2 state label (NULL:
-- any; 'unknown': no state; 'in_stock': incoming, available or consigned), $3 SKU (NULL: any), $4 minimum age in days (NULL: any), $5 limit.
-- The age is the whole days since the pair's first event (when it entered the books).
select i.id, p.sku::text as sku, p.name::text as product_name, b.name::text as brand,
       s.region::text || ' ' || s.value::text as size,
       i.detailed_status::text as state, i.currency,
       coalesce(i.cost_basis, i.purchase_price) as cost,
       i.purchase_line_id, i.location::text as location,
       to_char(f.entered at time zone 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS"Z"') as entered_at,
       floor(extract(epoch from now() - f.entered) / 86400)::integer as age_days
from products.inventory i
join products.products p on p.id = i.product_id
join products.sizes s on s.id = i.size_id
left join core.brands b on b.id = p.brand_id
left join lateral (select e.occurred_at as entered from products.inventory_events e
                   where e.inventory_id = i.id and e.from_state is null) f on true
where ($1::uuid is null or i.id = $1)
  and ($2::text is null or i.detailed_status::text = $2
       or ($2 = 'unknown' and i.detailed_status is null)
       or ($2 = 'in_stock' and i.detailed_status in ('incoming', 'available', 'consigned')))
  and ($3::text is null or p.sku = $3)
  and ($4::integer is null or f.entered <= now() - make_interval(days => $4))
order by f.entered nulls first, i.id
limit $5
