-- Pairs in stock (incoming, available, consigned) by state and age band, with the capital tied
-- up in them (cost basis; adopted pairs: purchase_price) per currency. A pair's age is the
-- whole days since its first event (when it entered our books), as of now().
with pairs as (
    select i.detailed_status, i.currency, coalesce(i.cost_basis, i.purchase_price) as cost,
           floor(extract(epoch from now() - e.occurred_at) / 86400)::integer as age_days
    from products.inventory i
    left join products.inventory_events e on e.inventory_id = i.id and e.from_state is null
    where i.detailed_status in ('incoming', 'available', 'consigned')
)
select detailed_status::text as state,
       case
           when age_days is null or age_days <= 30 then '0-30'
           when age_days <= 60 then '31-60'
           when age_days <= 90 then '61-90'
           else '90+'
       end as age_band,
       currency,
       count(*) as pairs,
       coalesce(sum(cost), 0) as capital,
       count(*) filter (where cost is null) as pairs_without_cost
from pairs
group by 1, 2, 3
order by 1, 2, 3
