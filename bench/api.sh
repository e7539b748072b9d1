#!/usr/bin/env bash
# `GET /api/v1/inventory?limit=50` of `soleflip serve` over PAIRS pairs (default 100,000) with a
# readonly user's API token, CONNECTIONS connections (default 32) for DURATION seconds (default
# 30), measured with wrk; against the floor: pgbench running the route's own SQL with as many
# clients for as long, on the same database in the same run: the Bearer token's check and the
# pair list's first page, as the server runs them (and, for reference, the page alone). Then a
# run of OUTAGE_DURATION seconds (default 60) during which the database is stopped and started
# again: how many answers were 503, and whether the server answers 200 again without a restart.
# Targets: >= 50 % of the floor's requests/s, p99 <= 50 ms, 0 errors; 503 (never 500) while the
# database is down, and 200 again after it is back.
# Needs wrk (Debian: apt-get install -y wrk; installed here when missing and root) and pgbench
# (PostgreSQL's, beside the server binaries). The release build goes to CARGO_TARGET_DIR
# (default ./target). The token reaches wrk through the environment, never argv.
# SOLEFLIP_POOL_SIZE, when set, sizes the server's connection pool; OUTAGE_DURATION=0 skips
# the outage run.
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$PWD/target}"
. "$(dirname "$0")/common.sh"
PAIRS="${PAIRS:-100000}"
CONNECTIONS="${CONNECTIONS:-32}"
DURATION="${DURATION:-30}"
OUTAGE_DURATION="${OUTAGE_DURATION:-60}"
THREADS="${THREADS:-2}"
PORT="${PORT:-18080}"

if ! command -v wrk >/dev/null 2>&1; then
    if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
        echo "bench: installing wrk (apt-get install -y wrk)" >&2
        DEBIAN_FRONTEND=noninteractive apt-get install -y -qq wrk >&2 \
            || { DEBIAN_FRONTEND=noninteractive apt-get update -qq >&2 \
                 && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq wrk >&2; } \
            || die "apt-get install -y wrk failed"
    else
        die "wrk not found: install it (Debian/Ubuntu: sudo apt-get install -y wrk)"
    fi
fi
command -v pgbench >/dev/null 2>&1 || die "pgbench not found in $BINDIR: install PostgreSQL's client programs (Debian: sudo apt-get install -y postgresql-client)"

home="$WORK/server"; mkdir -p "$home"
"$SOLEFLIP" --home "$home" db up >/dev/null
URL="$("$SOLEFLIP" --home "$home" pg url)"

# The pairs, generated set-based with their first event (triggers bypassed for the load, the
# rows consistent by construction): 1,000 products, 13 sizes, entered over the last two years.
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
       now() - make_interval(days => (1 + (n * 7919) % 720)::int, secs => (n % 86400)) as bought_at,
       (60 + (n * 31) % 140)::numeric(12,2) as cost
from generate_series(1, (:pairs)::bigint) n;
insert into products.inventory (id, product_id, size_id, quantity, status, detailed_status,
                                cost_basis, purchase_price, currency, purchase_date)
select b.id, p.id, s.id, 1, case when b.n % 3 = 0 then 'consigned' else 'available' end,
       (case when b.n % 3 = 0 then 'consigned' else 'available' end)::products.inventory_status,
       b.cost, b.cost, 'EUR', b.bought_at
from bench_pair b
join (select id, row_number() over (order by id) - 1 as k from products.products) p on p.k = b.n % 1000
join (select id, row_number() over (order by id) - 1 as k from products.sizes) s on s.k = b.n % 13;
insert into products.inventory_events (inventory_id, from_state, to_state, occurred_at, reason)
select b.id, null, 'incoming', b.bought_at, 'bench' from bench_pair b;
insert into products.inventory_events (inventory_id, from_state, to_state, occurred_at, reason)
select b.id, 'incoming', 'available', b.bought_at + interval '2 days', 'bench' from bench_pair b;
set session_replication_role = origin;
vacuum analyze;
SQL
g1=$(now_ms)

# A readonly user and its token; the secret stays in a file of this run and the environment.
"$SOLEFLIP" --home "$home" user add bench --role readonly >/dev/null
umask 077
"$SOLEFLIP" --home "$home" token create --user bench --name wrk --format json > "$WORK/token.json"
SF_TOKEN="$(sed -n 's/.*"token": *"\([^"]*\)".*/\1/p' "$WORK/token.json" | head -1)"
[ -n "$SF_TOKEN" ] || die "no token in the output of token create"
export SF_TOKEN
umask 022

"$SOLEFLIP" --home "$home" serve --bind "127.0.0.1:$PORT" > "$WORK/serve.log" 2>&1 &
server_pid=$!
trap 'kill -TERM "$server_pid" 2>/dev/null || true; wait "$server_pid" 2>/dev/null || true; cleanup_bench' EXIT
for _ in $(seq 100); do
    curl -fsS "http://127.0.0.1:$PORT/readyz" >/dev/null 2>&1 && break
    sleep 0.1
done
curl -fsS "http://127.0.0.1:$PORT/readyz" >/dev/null || die "the server did not become ready: $(tail -5 "$WORK/serve.log")"

# wrk: the Bearer header from the environment, latency percentiles and errors (status: answers
# other than 2xx/3xx). The outage run also counts every status per thread (a Lua call per
# answer, which costs wrk CPU: the throughput run goes without it).
cat > "$WORK/api.lua" <<'LUA'
local token = os.getenv("SF_TOKEN")
wrk.headers["Authorization"] = "Bearer " .. token
local threads = {}
function setup(thread) table.insert(threads, thread) end
function done(summary, latency, requests)
    local total = {}
    for _, t in ipairs(threads) do
        for status, n in pairs(t:get("statuses") or {}) do total[status] = (total[status] or 0) + n end
    end
    local line = "statuses:"
    for status, n in pairs(total) do line = line .. " " .. status .. "=" .. n end
    if line ~= "statuses:" then io.write(line .. "\n") end
    io.write(string.format("p50_ms=%.2f p99_ms=%.2f\n", latency:percentile(50) / 1000, latency:percentile(99) / 1000))
    io.write(string.format("errors: connect=%d read=%d write=%d timeout=%d status=%d\n",
        summary.errors.connect, summary.errors.read, summary.errors.write, summary.errors.timeout, summary.errors.status))
end
LUA
{ cat "$WORK/api.lua"; cat <<'LUA'
function init(args) statuses = {} end
function response(status, headers, body)
    statuses[status] = (statuses[status] or 0) + 1
end
LUA
} > "$WORK/count.lua"

# The floor: the route's own SQL (pairs.sql as the first page runs it: no filter, no cursor,
# limit 51) as pgbench runs it, prepared, with as many clients as wrk has connections. The
# colons of the to_char pattern become dots: pgbench would read `:MI` and `:SS` as variables.
sed -e 's/^limit LIMIT$/limit 51/' -e '/^--/d' -e 's/HH24:MI:SS/HH24.MI.SS/g' \
    crates/soleflip-db/src/ledger/pairs.sql > "$WORK/floor.sql"
echo ";" >> "$WORK/floor.sql"
# The route's whole SQL: the Bearer token's check (as the server runs it, with the token's
# SHA-256, which the database stores anyway) and then the page.
token_hash=$(printf %s "$SF_TOKEN" | sha256sum | cut -d' ' -f1)
{ sed -e '/^--/d' -e "s/\$1/decode('$token_hash', 'hex')/" \
      crates/soleflip-db/src/auth/token_principal.sql
  echo ";"
  cat "$WORK/floor.sql"; } > "$WORK/floor_route.sql"
psql -X -q -At -v ON_ERROR_STOP=1 "$URL" -f "$WORK/floor.sql" | wc -l | grep -qx 51 \
    || die "the floor's SQL does not give a page of 51 pairs"
curl -fsS -H "Authorization: Bearer $SF_TOKEN" "http://127.0.0.1:$PORT/api/v1/inventory?limit=50" \
    | grep -q '"next_cursor":"' || die "the route does not answer a page with a next cursor"

wrk -t "$THREADS" -c "$CONNECTIONS" -d "${DURATION}s" --timeout 10s -s "$WORK/api.lua" \
    "http://127.0.0.1:$PORT/api/v1/inventory?limit=50" > "$WORK/wrk.txt" 2>&1
pgbench -n -M prepared -c "$CONNECTIONS" -j "$THREADS" -T "$DURATION" -f "$WORK/floor.sql" \
    "$URL" > "$WORK/pgbench.txt" 2>&1 || die "pgbench failed: $(tail -5 "$WORK/pgbench.txt")"
pgbench -n -M prepared -c "$CONNECTIONS" -j "$THREADS" -T "$DURATION" -f "$WORK/floor_route.sql" \
    "$URL" > "$WORK/pgbench_route.txt" 2>&1 || die "pgbench failed: $(tail -5 "$WORK/pgbench_route.txt")"

api_rps=$(awk '/^Requests\/sec:/ {print $2}' "$WORK/wrk.txt")
floor_tps=$(awk '/^tps = / {print $3; exit}' "$WORK/pgbench.txt")
route_tps=$(awk '/^tps = / {print $3; exit}' "$WORK/pgbench_route.txt")
floor_lat=$(awk '/^latency average/ {print $4; exit}' "$WORK/pgbench.txt")
p50=$(sed -n 's/^p50_ms=\([0-9.]*\) .*/\1/p' "$WORK/wrk.txt")
p99=$(sed -n 's/.* p99_ms=\([0-9.]*\)$/\1/p' "$WORK/wrk.txt")
statuses="$(grep -q '^Non-2xx' "$WORK/wrk.txt" && grep '^Non-2xx' "$WORK/wrk.txt" || echo "all answers 2xx/3xx")"
errors=$(grep '^errors:' "$WORK/wrk.txt" || echo "errors: unknown")

echo "data: $PAIRS pairs (generated in $((g1 - g0)) ms); $CONNECTIONS connections, $THREADS threads, ${DURATION} s; server pool ${SOLEFLIP_POOL_SIZE:-default}; load average: $(cut -d' ' -f1-3 /proc/loadavg); $(nproc) cores"
echo "GET /api/v1/inventory?limit=50 (wrk)   : $api_rps requests/s, p50 $p50 ms, p99 $p99 ms (target <= 50)"
echo "  $(awk '/requests in/ {print $1}' "$WORK/wrk.txt") requests, $statuses; $errors  (target: 0 errors)"
echo "the route's SQL, first page (pgbench)  : $floor_tps transactions/s, latency average $floor_lat ms  (floor)"
echo "  and with the token check before it     : $route_tps transactions/s  (the route's whole SQL)"
echo "ratio api/floor (page only)            : $(ratio "$api_rps" "$floor_tps")"
echo "ratio api/floor (the route's whole SQL): $(ratio "$api_rps" "$route_tps")  (target >= 0.50)"
[ "$OUTAGE_DURATION" -gt 0 ] || exit 0

# The outage: the database stops a third of the way in and starts again a third later. Beside
# the readers, a writer records a purchase over the API every 50 ms and keeps the id of every
# one the server acknowledged (200); afterwards each of them must be in the database.
"$SOLEFLIP" --home "$home" user add bench-writer --role user >/dev/null
umask 077
"$SOLEFLIP" --home "$home" token create --user bench-writer --name writer --format json > "$WORK/writer.json"
SF_WRITER="$(sed -n 's/.*"token": *"\([^"]*\)".*/\1/p' "$WORK/writer.json" | head -1)"
umask 022
printf 'header = "Authorization: Bearer %s"\n' "$SF_WRITER" > "$WORK/writer.curl"
chmod 600 "$WORK/writer.curl"
writer() {
    local i=0 end=$(( $(now_ms) + OUTAGE_DURATION * 1000 ))
    while [ "$(now_ms)" -lt "$end" ]; do
        i=$((i + 1))
        code=$(curl -s -o "$WORK/w.json" -w '%{http_code}' -K "$WORK/writer.curl" \
            -H 'content-type: application/json' -X POST \
            -d "{\"invoice\":\"OUTAGE-$i\",\"lines\":[{\"sku\":\"BENCH-1\",\"size\":\"EU 40\",\"price\":\"50.00\"}]}" \
            "http://127.0.0.1:$PORT/api/v1/purchases" || true)
        echo "$code" >> "$WORK/writes.txt"
        # (The answer has no final newline, which sed would keep: echo adds one.)
        [ "$code" = 200 ] && echo "$(sed -n 's/.*"purchase_id": *"\([^"]*\)".*/\1/p' "$WORK/w.json")" >> "$WORK/acked.txt"
        sleep 0.05
    done
}
: > "$WORK/acked.txt"; : > "$WORK/writes.txt"
writer &
writer_pid=$!
third=$((OUTAGE_DURATION / 3))
wrk -t "$THREADS" -c "$CONNECTIONS" -d "${OUTAGE_DURATION}s" --timeout 15s -s "$WORK/count.lua" \
    "http://127.0.0.1:$PORT/api/v1/inventory?limit=50" > "$WORK/wrk-outage.txt" 2>&1 &
wrk_pid=$!
sleep "$third"
"$SOLEFLIP" --home "$home" pg stop >/dev/null
down_at=$(now_ms)
sleep "$third"
during=$(curl -s -o /dev/null -w '%{http_code}' -H "Authorization: Bearer $SF_TOKEN" \
    "http://127.0.0.1:$PORT/api/v1/inventory?limit=50" || true)
ready_during=$(curl -s -o /dev/null -w '%{http_code}' "http://127.0.0.1:$PORT/readyz" || true)
"$SOLEFLIP" --home "$home" pg start >/dev/null
up_at=$(now_ms)
wait "$wrk_pid" || true
wait "$writer_pid" || true
after=$(curl -s -o /dev/null -w '%{http_code}' -H "Authorization: Bearer $SF_TOKEN" \
    "http://127.0.0.1:$PORT/api/v1/inventory?limit=50" || true)
outage_statuses=$(grep '^statuses:' "$WORK/wrk-outage.txt" || echo "statuses: none")
outage_errors=$(grep '^errors:' "$WORK/wrk-outage.txt" || echo "errors: unknown")
outage_rps=$(awk '/^Requests\/sec:/ {print $2}' "$WORK/wrk-outage.txt")
kill -0 "$server_pid" 2>/dev/null && alive=yes || alive=no
acked=$(grep -c . "$WORK/acked.txt" || true)
ids=$(awk 'NF { printf "%s'"'"'%s'"'"'", (NR > 1 ? "," : ""), $1 }' "$WORK/acked.txt")
kept=$(psql -X -q -At "$URL" -c "select count(*) from transactions.purchases where id in (${ids:-null})")
write_codes=$(sort "$WORK/writes.txt" | uniq -c | awk '{ printf "%s=%s ", $2, $1 }')

echo "outage run, ${OUTAGE_DURATION} s, database down $(( (up_at - down_at) / 1000 )) s: $outage_rps requests/s over the run"
echo "  $outage_statuses; $outage_errors"
echo "  while down: the route answered $during, /readyz $ready_during (target 503); after: $after (target 200); server process still running: $alive"
echo "  writes: $write_codes; acknowledged $acked, found in the database $kept (target: all)"
if grep -q '^500$' "$WORK/writes.txt"; then
    echo "  the server's log of its 500 answers:"; grep -i 'error' "$WORK/serve.log" | grep -v ' 503 ' | head -5 | sed 's/^/    /'
fi
