#!/usr/bin/env bash
# soleflip db backup against plain pg_dump -Fc of the same database, on one embedded server
# (fsync on). The database is migrated and loaded with 1,000,000 integration.price_sources rows
# (20,000 products, 40 sizes, json metadata), vacuumed and analyzed. Then, interleaved (which
# goes first alternates), RUNS times each (default 5):
#   (a) soleflip db backup --dir DIR   exported snapshot, pg_dump -Fc of it, row counts of every
#                                       table in the same snapshot, sha256, manifest
#   (b) pg_dump -Fc -f FILE            the same database, nothing else
# Prints medians and a/b (target <= 1.1), then the time of one `soleflip db backup verify`
# (sha256, restore into a scratch database in one transaction, verify, count, drop).
. "$(dirname "$0")/common.sh"
RUNS="${RUNS:-5}"
PRICE_ROWS="${PRICE_ROWS:-1000000}"

home="$WORK/server"; mkdir -p "$home"
"$SOLEFLIP" --home "$home" pg start >/dev/null
url_of() { "$SOLEFLIP" --home "$home" pg url | sed "s|/soleflip?|/$1?|"; }
admin="$(url_of postgres)"
sql() { psql -X -q -v ON_ERROR_STOP=1 "$@" >/dev/null; }
db=bench_backup
url="$(url_of "$db")"

sql "$admin" -c "create database $db"
"$SOLEFLIP" --database-url "$url" db up >/dev/null
t0=$(now_ms)
sql -1 -f - "$url" -v price_rows="$PRICE_ROWS" <<'SQL'
create temp table tp (n int primary key, id uuid not null);
create temp table tz (n int primary key, id uuid not null);

insert into products.products (sku, brand_id, category_id, name, retail_price, style_code)
select 'SKU-' || g,
       (select id from core.brands order by slug offset g % 10 limit 1),
       (select id from core.categories order by slug limit 1),
       'Runner ' || g, 80 + g % 150,
       'DZ' || lpad((g % 9999)::text, 4, '0') || '-' || lpad((g % 999)::text, 3, '0')
from generate_series(1, 20000) g;
insert into tp select row_number() over (order by sku), id from products.products;

insert into products.sizes (category_id, value, region, standardized_value)
select (select id from core.categories order by slug limit 1), (36 + g * 0.5)::text, 'EU',
       36 + g * 0.5
from generate_series(0, 39) g;
insert into tz select row_number() over (order by standardized_value), id from products.sizes;

insert into integration.price_sources
    (product_id, size_id, source_type, source_product_id, source_name, price_type, price_cents,
     stock_quantity, in_stock, source_url, metadata, last_updated)
select p.id,
       case when g % 10 <> 0 then z.id end,
       (array['stockx', 'awin', 'ebay', 'goat', 'klekt', 'restocks', 'stockxapi'])[1 + g % 7]
           ::integration.source_type_enum,
       'sp-' || g,
       (array['StockX', 'Awin', 'eBay', 'GOAT', 'Klekt', 'Restocks', 'StockX API'])[1 + g % 7],
       (case when g % 3 = 0 then 'retail' else 'resale' end)::integration.price_type_enum,
       5000 + (g::bigint * 7919 % 40000)::integer,
       g % 12,
       g % 5 <> 0,
       'https://example.com/p/' || g,
       jsonb_build_object('variant_id', md5('v' || g)::uuid, 'currency', 'EUR',
                          'lowest_ask', 100 + g % 300, 'highest_bid', 90 + g % 250),
       now() - (g % 100000) * interval '1 minute'
from generate_series(1, :price_rows) g
join tp p on p.n = 1 + g % 20000
join tz z on z.n = 1 + (g / 20000) % 40;
SQL
sql "$url" -c "vacuum analyze"
t1=$(now_ms)
echo "loaded $PRICE_ROWS price_sources rows in $((t1 - t0)) ms"

declare -a ours plain
run_ours() {
    local t0 t1
    rm -rf "$WORK/ours"
    t0=$(now_ms); "$SOLEFLIP" --database-url "$url" db backup --dir "$WORK/ours" >/dev/null; t1=$(now_ms)
    ours+=($((t1 - t0)))
}
run_plain() {
    local t0 t1
    rm -f "$WORK/plain.dump"
    t0=$(now_ms); pg_dump -Fc -f "$WORK/plain.dump" "$url"; t1=$(now_ms)
    plain+=($((t1 - t0)))
}
for i in $(seq 1 "$RUNS"); do
    if [ $((i % 2)) = 1 ]; then run_ours; run_plain; else run_plain; run_ours; fi
done

dump="$(ls "$WORK"/ours/*.dump)"
t0=$(now_ms); "$SOLEFLIP" --database-url "$url" db backup verify "$dump" >/dev/null; t1=$(now_ms)
verify=$((t1 - t0))
"$SOLEFLIP" --home "$home" pg stop >/dev/null

a=$(median "${ours[@]}"); b=$(median "${plain[@]}")
echo "PostgreSQL binaries: $BINDIR; $PRICE_ROWS price_sources rows; times in ms"
echo "(a) soleflip db backup : median $a  (runs: ${ours[*]}; $(stat -c %s "$dump") bytes)"
echo "(b) pg_dump -Fc        : median $b  (runs: ${plain[*]}; $(stat -c %s "$WORK/plain.dump") bytes)"
echo "    ratio a/b          : $(ratio "$a" "$b")  (target <= 1.1)"
echo "(c) soleflip db backup verify: $verify"
