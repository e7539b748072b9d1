-- Profit and loss of the orders sold in [$1, $2) (NULL: open), grouped by $3: 'month',
-- 'platform', 'brand', or anything else for one total; one row per group and sale currency.
-- Cancelled orders do not count. Cost of goods sold is the pair's cost basis (adopted pairs:
-- purchase_price); profit and ROI are over the orders whose cost is known in the sale's
-- currency, and the orders without one are counted. Days to sell run from the pair's first event (when it entered the books) to the sale.
with sold as (
    select o.id, o.sale_price, o.payout, o.currency, o.sold_at, o.inventory_id,
           case $3
               when 'month' then to_char(o.sold_at at time zone 'UTC', 'YYYY-MM')
               when 'platform' then p.slug::text
               when 'brand' then coalesce(b.name::text, '(no brand)')
               else 'all'
           end as grp,
           -- no FX conversion: a pair bought in another currency than it sold in has no
           -- comparable cost here
           case when i.currency = o.currency then coalesce(i.cost_basis, i.purchase_price) end
               as cost,
           i.id as pair_id
    from transactions.orders o
    join core.platforms p on p.id = o.platform_id
    left join products.inventory i on i.id = o.inventory_id
    left join products.products pr on pr.id = i.product_id
    left join core.brands b on b.id = pr.brand_id
    where o.order_status is distinct from 'cancelled'
      and ($1::timestamptz is null or o.sold_at >= $1)
      and ($2::timestamptz is null or o.sold_at < $2)
), fees as (
    select f.order_id,
           sum(f.amount) filter (where f.kind = 'transaction_fee') as transaction_fee,
           sum(f.amount) filter (where f.kind = 'payment_processing') as payment_processing,
           sum(f.amount) filter (where f.kind = 'shipping') as shipping,
           sum(f.amount) filter (where f.kind = 'minimum_fee_topup') as minimum_fee_topup,
           sum(f.amount) filter (where f.kind = 'cash_out') as cash_out,
           sum(f.amount) filter (where f.kind = 'other') as other
    from transactions.order_fee_lines f
    group by f.order_id
)
select s.grp as "group", s.currency,
       count(*) as orders,
       sum(s.sale_price) as revenue,
       coalesce(sum(f.transaction_fee), 0) as fee_transaction,
       coalesce(sum(f.payment_processing), 0) as fee_payment_processing,
       coalesce(sum(f.shipping), 0) as fee_shipping,
       coalesce(sum(f.minimum_fee_topup), 0) as fee_minimum_topup,
       coalesce(sum(f.cash_out), 0) as fee_cash_out,
       coalesce(sum(f.other), 0) as fee_other,
       coalesce(sum(s.payout), 0) as payouts,
       coalesce(sum(s.cost) filter (where s.payout is not null), 0) as cogs,
       coalesce(sum(s.payout - s.cost), 0) as gross_profit,
       round(sum(s.payout - s.cost) * 100 / nullif(sum(s.cost) filter (where s.payout is not null), 0), 2) as roi_pct,
       count(*) filter (where s.cost is null) as orders_without_cost,
       round(avg(extract(epoch from s.sold_at - fe.occurred_at) / 86400)::numeric, 1) as avg_days_to_sell
from sold s
left join fees f on f.order_id = s.id
left join products.inventory_events fe on fe.inventory_id = s.pair_id and fe.from_state is null
group by s.grp, s.currency
order by s.grp, s.currency
