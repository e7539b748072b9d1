#!/usr/bin/env bash
# `soleflip report pnl` and `soleflip report stock` over PAIRS inventory rows (default 1,000,000)
# with about 5 events per pair and 0.6 orders per pair (3 fee lines each), against the floor: the same
# aggregate written by hand as one plain SQL query, run through psql on the same database in the
# same run. RUNS (default 3) interleaved rounds, medians. Targets: each report <= 1.5x its floor,
# and under a second for a 10,000-pair business (PAIRS=10000).
. "$(dirname "$0")/common.sh"
PAIRS="${PAIRS:-1000000}"
RUNS="${RUNS:-3}"

home="$WORK/server"; mkdir -p "$home"
"$SOLEFLIP" --home "$home" db up >/dev/null
URL="$("$SOLEFLIP" --home "$home" pg url)"

# The business, generated set-based. Triggers (lifecycle, events, balance) are bypassed for the
# load with session_replication_role = replica: the rows are made consistent by construction
# (every order balances; each pair's events follow the lifecycle).
g0=$(now_ms)
psql -X -q -v ON_ERROR_STOP=1 -v pairs="$PAIRS" "$URL" <<'SQL'
set session_replication_role = replica;
insert into products.products (sku, name, brand_id, category_id)
select 'BENCH-' || n, 'Bench shoe ' || n, (select id from core.brands order by slug offset n % 10 limit 1),
       (select id from core.categories where slug = 'sneakers')
from generate_series(1, 1000) n;
insert into products.sizes (category_id, value, region)
select (select id from core.categories where slug = 'sneakers'), (36 + n)::text, 'EU'
from generate_series(0, 12) n;
create temporary table bench_pair as
select gen_random_uuid() as id, n,
       now() - make_interval(days => (1 + (n * 7919) % 720)::int) as bought_at,
       (60 + (n * 31) % 140)::numeric(12,2) as cost,
       n % 10 < 6 as sold
from generate_series(1, (:pairs)::bigint) n;
insert into products.inventory (id, product_id, size_id, quantity, status, detailed_status,
                                cost_basis, purchase_price, currency, purchase_date)
select b.id, p.id, s.id, 1,
       case when b.sold then 'sale_completed' when b.n % 10 = 6 then 'consigned' else 'available' end,
       (case when b.sold then 'sale_completed' when b.n % 10 = 6 then 'consigned'
             else 'available' end)::products.inventory_status,
       b.cost, b.cost, 'EUR', b.bought_at
from bench_pair b
join (select id, row_number() over (order by id) - 1 as k from products.products) p on p.k = b.n % 1000
join (select id, row_number() over (order by id) - 1 as k from products.sizes) s on s.k = b.n % 13;
-- orders: the sold 60 %, 1 to 60 days after the purchase
create temporary table bench_order as
select gen_random_uuid() as id, b.id as pair, b.n, b.bought_at,
       b.bought_at + make_interval(days => (1 + b.n % 60)::int) as sold_at,
       (b.cost * 1.4)::numeric(12,2) as price
from bench_pair b where b.sold;
insert into transactions.orders (id, inventory_id, platform_id, sale_price, payout, currency,
                                 sold_at, order_status)
select o.id, o.pair, (select id from core.platforms order by slug offset o.n % 8 limit 1),
       o.price, o.price - round(o.price * 0.09, 2) - round(o.price * 0.03, 2) - 5.00, 'EUR',
       o.sold_at, 'completed'
from bench_order o;
insert into transactions.order_fee_lines (order_id, kind, amount, currency, source)
select o.id, f.kind, f.amount, 'EUR', 'schedule'
from bench_order o
cross join lateral (values ('transaction_fee', round(o.price * 0.09, 2)),
                           ('payment_processing', round(o.price * 0.03, 2)),
                           ('shipping', 5.00)) f(kind, amount);
-- events, about 5 per pair (4.7): sold pairs incoming, available, need_shipping, outgoing,
-- sale_completed; unsold ones incoming, available, consigned, available, and consigned again
-- for the consigned tenth
insert into products.inventory_events (inventory_id, from_state, to_state, occurred_at, reason)
select b.id, e.f::products.inventory_status, e.t::products.inventory_status,
       b.bought_at + make_interval(hours => e.h), 'bench'
from bench_pair b
cross join lateral (
    select * from (values
        (null, 'incoming', 0, true), ('incoming', 'available', 48, true),
        ('available', 'need_shipping', 72, b.sold), ('need_shipping', 'outgoing', 96, b.sold),
        ('outgoing', 'sale_completed', 120, b.sold),
        ('available', 'consigned', 72, not b.sold), ('consigned', 'available', 96, not b.sold),
        ('available', 'consigned', 120, b.n % 10 = 6)
    ) v(f, t, h, keep) where keep
) e;
set session_replication_role = origin;
vacuum analyze;
SQL
g1=$(now_ms)
counts=$(psql -X -At "$URL" -c "select (select count(*) from products.inventory) || ' pairs, ' ||
    (select count(*) from products.inventory_events) || ' events, ' ||
    (select count(*) from transactions.orders) || ' orders, ' ||
    (select count(*) from transactions.order_fee_lines) || ' fee lines'")

# The floors: the same figures, written by hand as one query each (a pair's age and days to
# sell count from its first event, the one with from_state NULL, as the reports do).
cat > "$WORK/pnl_floor.sql" <<'SQL'
select to_char(o.sold_at at time zone 'UTC', 'YYYY-MM') as month, o.currency, count(*),
       sum(o.sale_price), sum(f.tx), sum(f.pp), sum(f.sh), sum(f.other), sum(o.payout),
       sum(i.cost_basis), sum(o.payout - i.cost_basis),
       round(sum(o.payout - i.cost_basis) * 100 / sum(i.cost_basis), 2),
       round(avg(extract(epoch from o.sold_at - e.occurred_at) / 86400)::numeric, 1)
from transactions.orders o
join products.inventory i on i.id = o.inventory_id
join (select order_id, sum(amount) filter (where kind = 'transaction_fee') as tx,
             sum(amount) filter (where kind = 'payment_processing') as pp,
             sum(amount) filter (where kind = 'shipping') as sh,
             sum(amount) filter (where kind not in ('transaction_fee', 'payment_processing',
                                                    'shipping')) as other
      from transactions.order_fee_lines group by order_id) f on f.order_id = o.id
join products.inventory_events e on e.inventory_id = o.inventory_id and e.from_state is null
where o.order_status is distinct from 'cancelled'
group by 1, 2 order by 1, 2;
SQL
cat > "$WORK/stock_floor.sql" <<'SQL'
select i.detailed_status, case when a <= 30 then '0-30' when a <= 60 then '31-60'
                               when a <= 90 then '61-90' else '90+' end, i.currency,
       count(*), sum(i.cost_basis)
from products.inventory i
join (select inventory_id, floor(extract(epoch from now() - occurred_at) / 86400) as a
      from products.inventory_events where from_state is null) e on e.inventory_id = i.id
where i.detailed_status in ('incoming', 'available', 'consigned')
group by 1, 2, 3 order by 1, 2, 3;
SQL

pnl=(); pnl_floor=(); stock=(); stock_floor=()
for _ in $(seq "$RUNS"); do
    t0=$(now_ms); "$SOLEFLIP" --database-url "$URL" report pnl --by month --format json > "$WORK/pnl.json"
    t1=$(now_ms); pnl+=($((t1 - t0)))
    t0=$(now_ms); psql -X -q -At "$URL" -f "$WORK/pnl_floor.sql" > /dev/null
    t1=$(now_ms); pnl_floor+=($((t1 - t0)))
    t0=$(now_ms); "$SOLEFLIP" --database-url "$URL" report stock --format json > "$WORK/stock.json"
    t1=$(now_ms); stock+=($((t1 - t0)))
    t0=$(now_ms); psql -X -q -At "$URL" -f "$WORK/stock_floor.sql" > /dev/null
    t1=$(now_ms); stock_floor+=($((t1 - t0)))
done
"$SOLEFLIP" --home "$home" pg stop >/dev/null

a=$(median "${pnl[@]}"); b=$(median "${pnl_floor[@]}")
c=$(median "${stock[@]}"); d=$(median "${stock_floor[@]}")
echo "data: $counts (generated in $((g1 - g0)) ms); $RUNS runs each, interleaved; load average: $(cut -d' ' -f1-3 /proc/loadavg)"
echo "soleflip report pnl --by month     : median $a ms of ${pnl[*]}"
echo "hand-written P&L query (psql)      : median $b ms of ${pnl_floor[*]}  (floor)"
echo "ratio pnl/floor                    : $(ratio "$a" "$b")  (target <= 1.5)"
echo "soleflip report stock              : median $c ms of ${stock[*]}"
echo "hand-written stock query (psql)    : median $d ms of ${stock_floor[*]}  (floor)"
echo "ratio stock/floor                  : $(ratio "$c" "$d")  (target <= 1.5)"
