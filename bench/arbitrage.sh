#!/usr/bin/env bash
# `soleflip arbitrage list` over OFFERS retail offers (default 1,000,000) matched to 200,000
# variants, 100,000 of which have a StockX lowest ask and highest bid (200,000 resale prices),
# a tenth of the offers in GBP (converted at an ECB rate). The floor: the same question written
# by hand as one SQL statement (StockX EU level 1 fees inline: 9 % with a 5.00 minimum, 3 %
# processing), run through psql on the same database in the same run. Medians of RUNS
# (default 5) runs each; the ratio of the command to the floor. Target: <= 2x the floor.
. "$(dirname "$0")/common.sh"
OFFERS="${OFFERS:-1000000}"
RUNS="${RUNS:-5}"
MIN_PROFIT="${MIN_PROFIT:-40}"

home="$WORK/server"; mkdir -p "$home"
"$SOLEFLIP" --home "$home" db up >/dev/null
URL="$("$SOLEFLIP" --home "$home" pg url)"
sql() { psql -X -q -v ON_ERROR_STOP=1 "$URL" "$@"; }

g0=$(now_ms)
sql <<SQL
insert into products.products (sku, name, brand_id, category_id)
select 'BX' || lpad(i::text, 5, '0') || '-' || lpad((i % 1000)::text, 3, '0'),
       'Bench Sneaker ' || i, b.id, (select id from core.categories order by id limit 1)
  from generate_series(1, 20000) i, core.brands b where b.slug = 'nike';
insert into products.sizes (brand_id, cohort, region, value, standardized_value)
select b.id, 'M', 'US', v.us, v.eu from core.brands b,
       (values ('7.0', 40.0), ('7.5', 40.5), ('8.0', 41.0), ('8.5', 42.0), ('9.0', 42.5),
               ('9.5', 43.0), ('10.0', 44.0), ('10.5', 44.5), ('11.0', 45.0), ('11.5', 45.5)) v(us, eu)
 where b.slug = 'nike';
insert into products.variants (product_id, size_key, cohort, size_id)
select p.id, integration.variant_size_key(s.region, s.value, s.standardized_value), 'M', s.id
  from products.products p cross join products.sizes s
 where p.sku like 'BX%' and s.brand_id = p.brand_id;
-- StockX quotes for half the variants: whole euros, ask above bid.
insert into integration.price_sources
    (product_id, size_id, source_type, source_product_id, price_type, price_cents, currency,
     in_stock, last_updated)
select v.product_id, v.size_id, 'stockxapi', v.id || q.side, 'resale',
       (100 + (hashtext(v.id::text) & 511) + q.extra) * 100, 'EUR', true, now() - interval '3 hours'
  from (select * from products.variants order by id limit 100000) v,
       (values (':highest_bid', 0), (':lowest_ask', 25)) q(side, extra);
insert into core.fx_rates (source, rate_date, currency, rate)
values ('ecb', current_date - 1, 'GBP', 0.8500), ('ecb', current_date - 1, 'USD', 1.0500);
-- The offers: five retailers per variant, a tenth in GBP, one in seven out of stock.
insert into integration.awin_products
    (merchant_product_id, merchant_id, merchant_name, product_name, search_price, delivery_cost,
     currency, in_stock, size, last_seen_at)
select lpad(i::text, 8, '0'), 1 + i % 5, 'Bench Shop ' || (1 + i % 5), 'Bench Sneaker offer ' || i,
       (60 + (i::bigint * 7919) % 400) + 0.99, case when i % 2 = 0 then 4.95 else 0 end,
       case when i % 10 = 0 then 'GBP' else 'EUR' end, i % 7 <> 0, 'EU 42.5', now() - interval '1 day'
  from generate_series(1, $OFFERS) i;
insert into integration.offer_matches (offer_id, variant_id, status, method)
select o.id, v.id, 'matched', 'gtin'
  from (select id, row_number() over (order by id) as n from integration.awin_products) o
  join (select id, row_number() over (order by id) as n from products.variants) v
    on v.n = 1 + o.n % 200000;
vacuum analyze;
SQL
g1=$(now_ms)

# The same question by hand: fees inline, both ways of selling, FX, the same filter and order.
cat > "$WORK/floor.sql" <<SQL
with fx as (
    select distinct on (currency) currency, rate from core.fx_rates
     where source = 'ecb' and base_currency = 'EUR' and rate_date <= current_date
     order by currency, rate_date desc
), resale as (
    select ps.product_id, integration.variant_size_key(s.region, s.value, s.standardized_value) as size_key,
           min(ps.price_cents) filter (where ps.source_product_id like '%:lowest_ask') / 100.0 as ask,
           max(ps.price_cents) filter (where ps.source_product_id like '%:highest_bid') / 100.0 as bid
      from integration.price_sources ps join products.sizes s on s.id = ps.size_id
     where ps.source_type = 'stockxapi' and ps.price_type = 'resale' and ps.in_stock and ps.currency = 'EUR'
     group by 1, 2
), x as (
    select o.id, o.merchant_id, v.id as variant_id,
           round((o.search_price + coalesce(o.delivery_cost, 0))
                 * case when o.currency = 'EUR' then 1 else round(1 / fx.rate, 10) end, 2) as cost,
           r.bid - greatest(round(r.bid * 0.09, 2), 5.00) - round(r.bid * 0.03, 2) as pay_now,
           r.ask - greatest(round(r.ask * 0.09, 2), 5.00) - round(r.ask * 0.03, 2) as pay_list
      from integration.awin_products o
      join integration.offer_matches m on m.offer_id = o.id and m.status = 'matched'
      join products.variants v on v.id = m.variant_id
      join resale r on r.product_id = v.product_id and r.size_key = v.size_key
      left join fx on fx.currency = o.currency
     where o.in_stock and o.search_price is not null
)
select id, merchant_id, variant_id, cost, pay_now - cost as profit_now, pay_list - cost as profit_list
  from x
 where greatest(pay_now - cost, pay_list - cost) >= $MIN_PROFIT
 order by greatest(pay_now - cost, pay_list - cost) desc, id
 limit 200;
SQL

floor=(); cmd=()
for run in $(seq "$RUNS"); do
    t0=$(now_ms); sql -A -t -f "$WORK/floor.sql" > "$WORK/floor.out"; t1=$(now_ms)
    floor+=($((t1 - t0)))
    t0=$(now_ms)
    "$SOLEFLIP" --database-url "$URL" arbitrage list --min-profit "$MIN_PROFIT" --limit 50 --format json > "$WORK/list.json"
    t1=$(now_ms)
    cmd+=($((t1 - t0)))
done
floor_rows=$(grep -c . "$WORK/floor.out" || true)
shown=$(grep -o '"merchant_product_id"' "$WORK/list.json" | wc -l)
quoted=$(grep -o '"prices_quoted": *[0-9]*' "$WORK/list.json" | grep -o '[0-9]*$')
# Both must agree on the best profit: the floor's first row, and the command's first
# opportunity (its sell-now and listed profits are the first two "profit" fields).
best_floor=$(head -1 "$WORK/floor.out" | awk -F'|' '{ a = $5 + 0; b = $6 + 0; printf "%.2f", (a > b ? a : b) }')
best_cmd=$(grep -o '"profit": *"*-*[0-9.]*' "$WORK/list.json" | head -2 | grep -o -- '-*[0-9.]*$' \
    | awk 'NR == 1 || $1 > m { m = $1 } END { printf "%.2f", m }')
"$SOLEFLIP" --home "$home" pg stop >/dev/null

fm=$(median "${floor[@]}"); cm=$(median "${cmd[@]}")
echo "data: $OFFERS offers, 200000 variants, 200000 resale prices (generated in $((g1 - g0)) ms); load average: $(cut -d' ' -f1-3 /proc/loadavg)"
echo "hand-written SQL (psql)          : median $fm ms of ${floor[*]}  (floor; $floor_rows rows, best profit $best_floor)"
echo "soleflip arbitrage list          : median $cm ms of ${cmd[*]}  ($shown shown, $quoted prices quoted)"
echo "best profit                      : floor $best_floor, command $best_cmd ($( [ "$best_floor" = "$best_cmd" ] && echo agree || echo DIFFER))"
r=$(ratio "$cm" "$fm")
echo "ratio command/floor              : $r  (target <= 2)"
awk -v r="$r" 'BEGIN { exit !(r <= 2) }' && [ "$best_floor" = "$best_cmd" ] && echo "target met" || echo "target NOT met"
