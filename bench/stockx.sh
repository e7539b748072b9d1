#!/usr/bin/env bash
# `soleflip stockx sync prices` of VARIANTS variants (default 10,000: 1,000 StockX products of 10
# sizes each) against the fake StockX (crates/soleflip-testkit/examples/fake_stockx.rs, market
# data generated per variant) with the per-second limit lifted, into an empty price table. The
# floor: the same rows written again through `upsert_price_sources` alone, in the same steps
# (crates/soleflip-db/examples/stockx_upsert_floor.rs), on the same database in the same run.
# rows/s for each and the ratio (target <= 1.5x). Then a short run with the limit on (1 request
# per second, LIMITED_SECONDS, default 8) against a second fake, whose request log gives the
# measured rate (target <= 1/s).
. "$(dirname "$0")/common.sh"
VARIANTS="${VARIANTS:-10000}"
PER=10
PRODUCTS=$((VARIANTS / PER))
LIMITED_SECONDS="${LIMITED_SECONDS:-8}"
cargo build --release --quiet -p soleflip-testkit --example fake_stockx
cargo build --release --quiet -p soleflip-db --example stockx_upsert_floor
EXAMPLES="${CARGO_TARGET_DIR:-$PWD/target}/release/examples"

home="$WORK/server"; mkdir -p "$home"
"$SOLEFLIP" --home "$home" db up >/dev/null
URL="$("$SOLEFLIP" --home "$home" pg url)"

# The catalog: PRODUCTS products linked to StockX products bench-p-NNNNN, each with 10 variants
# (EU 38 to 47) whose StockX variant ids are bench-p-NNNNN-K (what the fake generates).
psql -X -q -v ON_ERROR_STOP=1 "$URL" <<SQL
insert into core.brands (name, slug) values ('Bench', 'bench');
insert into products.sizes (brand_id, category_id, cohort, region, value, standardized_value)
select b.id, c.id, 'unisex', 'EU', (38 + k)::text, 38 + k
  from core.brands b, core.categories c, generate_series(0, $PER - 1) k
 where b.slug = 'bench' and c.slug = 'sneakers';
insert into products.products (sku, name, brand_id, category_id, style_code, stockx_product_id)
select 'BN' || lpad(i::text, 5, '0') || '-100', 'Bench ' || i, b.id, c.id,
       'BN' || lpad(i::text, 5, '0') || '-100', 'bench-p-' || lpad(i::text, 5, '0')
  from core.brands b, core.categories c, generate_series(1, $PRODUCTS) i
 where b.slug = 'bench' and c.slug = 'sneakers';
insert into products.variants (product_id, size_key, cohort, size_id)
select p.id, 'EU ' || s.value || '.0', 'unisex', s.id
  from products.products p join products.sizes s on s.brand_id = p.brand_id
 where p.sku like 'BN%';
insert into products.variant_ids (source, scope, external_id, variant_id)
select 'stockx', '', p.stockx_product_id || '-' || (s.value::int - 38), v.id
  from products.variants v join products.products p on p.id = v.product_id
  join products.sizes s on s.id = v.size_id
 where p.sku like 'BN%';
SQL
# What autovacuum does within a minute of a load (the catalog sync does it after a large one).
psql -X -q -v ON_ERROR_STOP=1 "$URL" -c "vacuum analyze products.products, products.variants, products.variant_ids, products.sizes"

start_fake() {  # start_fake NAME: the fake's URL in $FAKE_URL, its pid in $FAKE_PID
    "$EXAMPLES/fake_stockx" 0 "$PER" > "$WORK/$1.url" 2> "$WORK/$1.log" &
    FAKE_PID=$!
    for _ in $(seq 100); do [ -s "$WORK/$1.url" ] && break; sleep 0.05; done
    FAKE_URL="$(head -1 "$WORK/$1.url")"
}
creds() { printf '{"client_id":"%s","client_secret":"%s","api_key":"%s","refresh_token":"%s"}' \
    fake-client-id-7Qx2 fake-client-secret-Zr81mQ0vLk fake-api-key-Hs93nB7pWd fake-refresh-token-Yt45kP2sXa; }
sx() {  # sx FAKE_URL INTERVAL_MS args...
    local url="$1" gap="$2"; shift 2
    SOLEFLIP_STOCKX_API_URL="$url" SOLEFLIP_STOCKX_AUTH_URL="$url" \
    SOLEFLIP_STOCKX_MIN_INTERVAL_MS="$gap" SOLEFLIP_STOCKX_DAILY_LIMIT=1000000 \
        "$SOLEFLIP" --database-url "$URL" --home "$home" stockx "$@"
}

start_fake fast
creds | sx "$FAKE_URL" 0 connect >/dev/null
t0=$(now_ms)
sx "$FAKE_URL" 0 sync prices --format json > "$WORK/sync.json"
t1=$(now_ms); sync_ms=$((t1 - t0))
kill -INT "$FAKE_PID"; wait "$FAKE_PID" || true
rows=$(awk -F': ' '/"inserted"/ { gsub(/[ ,]/, "", $2); print $2; exit }' "$WORK/sync.json")
requests=$(awk -F': ' '/"requests"/ { gsub(/[ ,]/, "", $2); print $2; exit }' "$WORK/sync.json")

floor="$("$EXAMPLES/stockx_upsert_floor" --url "$URL")"
floor_rows=${floor#rows=}; floor_rows=${floor_rows%% *}
floor_ms=${floor##*upsert_ms=}

# With the limit on: a sync killed after LIMITED_SECONDS (its checkpoint is kept), against a
# second fake whose log holds only this run's requests.
start_fake limited
psql -X -q -v ON_ERROR_STOP=1 "$URL" -c "delete from integration.sync_checkpoints"
timeout --signal=KILL "$LIMITED_SECONDS" env SOLEFLIP_STOCKX_API_URL="$FAKE_URL" \
    SOLEFLIP_STOCKX_AUTH_URL="$FAKE_URL" SOLEFLIP_STOCKX_MIN_INTERVAL_MS=1000 \
    "$SOLEFLIP" --database-url "$URL" --home "$home" stockx sync prices >/dev/null 2>&1 || true
kill -INT "$FAKE_PID"; wait "$FAKE_PID" || true
"$SOLEFLIP" --home "$home" pg stop >/dev/null

rate() { awk -v r="$1" -v ms="$2" 'BEGIN { if (ms > 0) printf "%d", r * 1000 / ms; else print "n/a" }'; }
echo "catalog: $PRODUCTS StockX products x $PER variants = $VARIANTS variants; load average: $(cut -d' ' -f1-3 /proc/loadavg)"
echo "upsert_price_sources alone, same rows and steps : $floor_ms ms, $(rate "$floor_rows" "$floor_ms") rows/s  (floor)"
echo "soleflip stockx sync prices (limit lifted)      : $sync_ms ms, $(rate "$rows" "$sync_ms") rows/s; $rows rows, $requests requests"
echo "ratio sync/floor                                : $(ratio "$sync_ms" "$floor_ms")  (target <= 1.5)"
echo "with the limit on ($LIMITED_SECONDS s, killed)              : $(tail -1 "$WORK/limited.log")  (target <= 1/s)"
