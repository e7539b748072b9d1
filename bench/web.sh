#!/usr/bin/env bash
# The web page against its floor: server time to first byte of the dashboard and of the
# inventory page for a business of PAIRS pairs (default 10,000), median of RUNS (default 20),
# against the API calls that return the same data, timed in the same run (the floor: for the
# dashboard the stock report and the two P&L reports it draws, for the inventory page one page of
# /api/v1/inventory). Targets: each page <= 1.5x its floor; the dashboard with its stylesheet and
# script <= 200 KB.
. "$(dirname "$0")/common.sh"
PAIRS="${PAIRS:-10000}"
RUNS="${RUNS:-20}"

home="$WORK/server"; mkdir -p "$home"
"$SOLEFLIP" --home "$home" db up >/dev/null
URL="$("$SOLEFLIP" --home "$home" pg url)"

# The business, generated set-based; triggers are bypassed for the load (session_replication_role
# = replica), the rows consistent by construction: 60 % sold with an order and three fee lines,
# 10 % consigned, 20 % available, 10 % incoming; each pair's events follow the lifecycle.
psql -X -q -v ON_ERROR_STOP=1 -v pairs="$PAIRS" "$URL" <<'SQL'
set session_replication_role = replica;
insert into products.products (sku, name, brand_id, category_id)
select 'WEB-' || n, 'Web bench shoe ' || n, (select id from core.brands where slug = 'nike'),
       (select id from core.categories where slug = 'sneakers')
from generate_series(1, 200) n;
insert into products.sizes (category_id, value, region)
select (select id from core.categories where slug = 'sneakers'), (36 + n)::text, 'EU'
from generate_series(0, 12) n;
create temporary table w_pair as
select gen_random_uuid() as id, n,
       now() - make_interval(days => (1 + (n * 7919) % 365)::int) as bought_at,
       (60 + (n * 31) % 140)::numeric(12,2) as cost,
       case when n % 10 < 6 then 'sale_completed' when n % 10 = 6 then 'consigned'
            when n % 10 < 9 then 'available' else 'incoming' end as state
from generate_series(1, (:pairs)::bigint) n;
insert into products.inventory (id, product_id, size_id, quantity, status, detailed_status,
                                cost_basis, purchase_price, currency, purchase_date)
select w.id, p.id, s.id, 1, w.state, w.state::products.inventory_status, w.cost, w.cost, 'EUR',
       w.bought_at
from w_pair w
join (select id, row_number() over (order by id) - 1 as k from products.products
      where sku like 'WEB-%') p on p.k = w.n % 200
join (select id, row_number() over (order by id) - 1 as k from products.sizes
      where region = 'EU') s on s.k = w.n % 13;
create temporary table w_order as
select gen_random_uuid() as id, w.id as pair, w.n,
       w.bought_at + make_interval(days => (3 + w.n % 60)::int) as sold_at,
       (w.cost * 1.4)::numeric(12,2) as price
from w_pair w where w.state = 'sale_completed';
insert into transactions.orders (id, inventory_id, platform_id, sale_price, payout, currency,
                                 sold_at, order_status)
select o.id, o.pair, (select id from core.platforms order by slug offset o.n % 8 limit 1),
       o.price, o.price - round(o.price * 0.09, 2) - round(o.price * 0.03, 2) - 5.00, 'EUR',
       least(o.sold_at, now()), 'completed'
from w_order o;
insert into transactions.order_fee_lines (order_id, kind, amount, currency, source)
select o.id, f.kind, f.amount, 'EUR', 'schedule'
from w_order o
cross join lateral (values ('transaction_fee', round(o.price * 0.09, 2)),
                           ('payment_processing', round(o.price * 0.03, 2)),
                           ('shipping', 5.00)) f(kind, amount);
insert into products.inventory_events (inventory_id, from_state, to_state, occurred_at, reason)
select w.id, e.f::products.inventory_status, e.t::products.inventory_status,
       w.bought_at + make_interval(hours => e.h), 'bench'
from w_pair w
cross join lateral (
    select * from (values
        (null, 'incoming', 0, true),
        ('incoming', 'available', 48, w.state <> 'incoming'),
        ('available', 'consigned', 60, w.state = 'consigned'),
        ('available', 'need_shipping', 72, w.state = 'sale_completed'),
        ('need_shipping', 'outgoing', 96, w.state = 'sale_completed'),
        ('outgoing', 'sale_completed', 120, w.state = 'sale_completed')
    ) v(f, t, h, keep) where keep
) e;
set session_replication_role = origin;
vacuum analyze;
SQL

# A user with a password (for the page's cookie) and an API token (for the floor).
PW="bench password 12345"
printf '%s\n' "$PW" | "$SOLEFLIP" --home "$home" user add bench --role user --stdin >/dev/null
TOKEN="$("$SOLEFLIP" --home "$home" token create --user bench --name bench | grep -o 'sfp_[A-Za-z0-9_-]*' | head -1)"
[ -n "$TOKEN" ] || { echo "bench: no API token was printed" >&2; exit 1; }

"$SOLEFLIP" --home "$home" serve --bind 127.0.0.1:0 >"$WORK/serve.log" 2>&1 &
SERVER=$!
trap 'kill -TERM "$SERVER" 2>/dev/null || true; wait "$SERVER" 2>/dev/null || true; cleanup_bench' EXIT
for _ in $(seq 1 300); do
    ADDR="$(sed -n 's|.*serving http://\([0-9.:]*\).*|\1|p' "$WORK/serve.log" | head -1)"
    [ -n "$ADDR" ] && break
    sleep 0.1
done
[ -n "${ADDR:-}" ] || { echo "bench: the server did not start:" >&2; cat "$WORK/serve.log" >&2; exit 1; }
BASE="http://$ADDR"

COOKIE="$(curl -s -o /dev/null -D - -H "Origin: $BASE" \
    --data-urlencode "username=bench" --data-urlencode "password=$PW" "$BASE/login" \
    | tr -d '\r' | sed -n 's/^[Ss]et-[Cc]ookie: \(soleflip_session=[^;]*\).*/\1/p' | head -1)"
[ -n "$COOKIE" ] || { echo "bench: logging in through /login failed" >&2; exit 1; }

# ms to first byte of one GET
page_ms() { curl -s -o /dev/null -H "Cookie: $COOKIE" -H 'Accept: text/html' -w '%{time_starttransfer}' "$BASE$1" | awk '{printf "%.2f", $1 * 1000}'; }
api_ms() { curl -s -o /dev/null -H "Authorization: Bearer $TOKEN" -w '%{time_starttransfer}' "$BASE$1" | awk '{printf "%.2f", $1 * 1000}'; }

# warm up (pools, caches)
for _ in 1 2 3; do page_ms / >/dev/null; page_ms /inventory >/dev/null; api_ms /api/v1/reports/stock >/dev/null; done

since="$(date -u -d "$(date -u +%Y-%m-01) -11 months" +%Y-%m-%d)"
dash=(); inv=(); floor_dash=(); floor_inv=()
for _ in $(seq 1 "$RUNS"); do
    dash+=("$(page_ms /)")
    inv+=("$(page_ms /inventory)")
    a="$(api_ms /api/v1/reports/stock)"; b="$(api_ms '/api/v1/reports/pnl?by=all')"
    c="$(api_ms "/api/v1/reports/pnl?by=month&from=$since")"
    floor_dash+=("$(awk -v a="$a" -v b="$b" -v c="$c" 'BEGIN { printf "%.2f", a + b + c }')")
    floor_inv+=("$(api_ms '/api/v1/inventory?limit=25')")
done
md="$(median "${dash[@]}")"; mi="$(median "${inv[@]}")"
fd="$(median "${floor_dash[@]}")"; fi_="$(median "${floor_inv[@]}")"
bytes=0
for p in / /assets/app.css /assets/app.js; do
    n="$(curl -s -o /dev/null -H "Cookie: $COOKIE" -H 'Accept: text/html' -w '%{size_download}' "$BASE$p")"
    bytes=$((bytes + n))
done
rd="$(ratio "$md" "$fd")"; ri="$(ratio "$mi" "$fi_")"
printf 'web page over %s pairs, median of %s (ms to first byte):\n' "$PAIRS" "$RUNS"
printf '  dashboard   %8s  floor (stock + pnl all + pnl by month via the API) %8s  ratio %s (target <= 1.5)\n' "$md" "$fd" "$rd"
printf '  inventory   %8s  floor (GET /api/v1/inventory?limit=25)              %8s  ratio %s (target <= 1.5)\n' "$mi" "$fi_" "$ri"
printf '  dashboard transfer with stylesheet and script: %s bytes (target <= 204800)\n' "$bytes"
ok=1
awk -v r="$rd" 'BEGIN { exit !(r <= 1.5) }' || ok=0
awk -v r="$ri" 'BEGIN { exit !(r <= 1.5) }' || ok=0
[ "$bytes" -le 204800 ] || ok=0
[ "$ok" = 1 ] && echo "targets met" || { echo "targets NOT met"; exit 1; }
