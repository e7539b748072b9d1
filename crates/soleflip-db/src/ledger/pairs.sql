-- Pairs with their product, size and age, filtered: $1 id (NULL: any), $2 state label (NULL:
-- any; 'unknown': no state; 'in_stock': incoming, available or consigned), $3 SKU (NULL: any),
-- $4 minimum age in days (NULL: any), $5 limit, $6/$7 keyset cursor: only the pairs after
-- (entered $6, id $7) in the order below (NULL: from the start).
-- The age is the whole days since the pair's first event (when it entered the books). Every
-- pair has exactly one first event (the insert trigger writes it, migration 0006 wrote those of
-- the adopted pairs, uq_inventory_events_first keeps it unique, and events go only with their
-- pair), so the list is read from the first events in their order: the partial index
-- idx_inventory_events_first_at gives the oldest pairs, or those after a cursor, without
-- reading every pair.
select i.id, p.sku::text as sku, p.name::text as product_name, b.name::text as brand,
       s.region::text || ' ' || s.value::text as size,
       i.detailed_status::text as state, i.currency,
       coalesce(i.cost_basis, i.purchase_price) as cost,
       i.purchase_line_id, i.location::text as location,
       to_char(f.occurred_at at time zone 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS"Z"') as entered_at,
       floor(extract(epoch from now() - f.occurred_at) / 86400)::integer as age_days,
       f.occurred_at as entered
from products.inventory_events f
join products.inventory i on i.id = f.inventory_id
join products.products p on p.id = i.product_id
join products.sizes s on s.id = i.size_id
left join core.brands b on b.id = p.brand_id
where f.from_state is null
  and ($1::uuid is null or i.id = $1)
  and ($2::text is null or i.detailed_status::text = $2
       or ($2 = 'unknown' and i.detailed_status is null)
       or ($2 = 'in_stock' and i.detailed_status in ('incoming', 'available', 'consigned')))
  and ($3::text is null or p.sku = $3)
  and ($4::integer is null or f.occurred_at <= now() - make_interval(days => $4))
  and ($6::timestamptz is null
       or (f.occurred_at >= $6 and (f.occurred_at > $6 or f.inventory_id > $7::uuid)))
order by f.occurred_at, f.inventory_id
limit $5
