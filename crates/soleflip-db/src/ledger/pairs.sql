-- Pairs with their product, size and age, oldest first, at most LIMIT. The age is the whole days
-- since the pair's first event (when it entered the books). Every pair has exactly one first
-- event (the insert trigger writes it, migration 0006 wrote those of the adopted pairs,
-- uq_inventory_events_first keeps it unique, and events go only with their pair), so the list
-- is read from the first events in their order: the partial index idx_inventory_events_first_at
-- gives the oldest pairs, or those after a cursor, without reading every pair.
-- ledger.rs adds the filters asked for (id, state, SKU, age, cursor) before the ORDER BY, as
-- binds $1, $2, ..., and writes the limit in (a number): each combination is its own statement,
-- so a prepared one keeps a plan made for its filters and its limit. (A generic plan of `$n is
-- null or ...` reads every pair, 1.5 s for 100,000; one of `limit $n` plans for 10 % of them in
-- parallel, 27 ms; custom plans instead cost a planning of about 2 ms on every request.)
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
order by f.occurred_at, f.inventory_id
limit LIMIT
