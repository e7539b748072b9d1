-- The $1 pairs in stock (incoming, available, consigned) that entered the books first (their
-- first event, read in the order of idx_inventory_events_first_at, so only as many pairs are
-- read as are shown), with the columns of pairs.sql.
select i.id, p.sku::text as sku, p.name::text as product_name, b.name::text as brand,
       s.region::text || ' ' || s.value::text as size,
       i.detailed_status::text as state, i.currency,
       coalesce(i.cost_basis, i.purchase_price) as cost,
       i.purchase_line_id, i.location::text as location,
       to_char(e.occurred_at at time zone 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS"Z"') as entered_at,
       floor(extract(epoch from now() - e.occurred_at) / 86400)::integer as age_days,
       e.occurred_at as entered
from products.inventory_events e
join products.inventory i on i.id = e.inventory_id
join products.products p on p.id = i.product_id
join products.sizes s on s.id = i.size_id
left join core.brands b on b.id = p.brand_id
where e.from_state is null
  and i.detailed_status in ('incoming', 'available', 'consigned')
order by e.occurred_at, e.inventory_id
limit $1
