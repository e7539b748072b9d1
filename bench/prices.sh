#!/usr/bin/env bash
# Unified prices, on one embedded cluster (fsync on), in two parts:
#
# 1. prices migrate-legacy on ROWS legacy rows (half integration.market_prices, half
#    pricing.market_prices; 20,000 products of the ten seeded brands with their US sizes;
#    duplicate keys, several currencies, unknown sizes, sources and currencies among them):
#    (a) `soleflip prices migrate-legacy`, the whole command: map, write, validate, commit;
#    (b) the floor: a plain INSERT ... SELECT of the rows it wrote into price_sources into an
#        empty copy of price_sources (same columns, indexes, checks and foreign keys);
#    (b') for reference: a plain INSERT ... SELECT of all ROWS legacy rows, mapped column for
#        column without lookups, de-duplication or validation, into another empty copy.
#    Prints the times and a/b (target <= 2.5; and (a) <= 20 s).
# 2. the upsert path (crates/soleflip-db/examples/prices_upsert_bench.rs) on ROWS price rows:
#    upsert into an empty price_sources against COPY of the same rows into an empty copy (the
#    floor), then the same rows with 10% changed (history appended) and unchanged (nothing
#    written). Prints rows per second and the ratio.
#
# Usage: bench/prices.sh            (env: ROWS=1000000)
. "$(dirname "$0")/common.sh"
ROWS="${ROWS:-1000000}"
HALF=$((ROWS / 2))
TARGET_DIR="${CARGO_TARGET_DIR:-$PWD/target}"
SOLEFLIP="$TARGET_DIR/release/soleflip"
cargo build --release --quiet -p soleflip-db --example prices_upsert_bench
UPSERT="$TARGET_DIR/release/examples/prices_upsert_bench"

home="$WORK/server"; mkdir -p "$home"
"$SOLEFLIP" --home "$home" pg start >/dev/null
url_of() { "$SOLEFLIP" --home "$home" pg url | sed "s|/soleflip?|/$1?|"; }
psql -X -q "$(url_of postgres)" -c "create database legacy" -c "create database upsert"
LEGACY="$(url_of legacy)"; UPSERT_DB="$(url_of upsert)"
"$SOLEFLIP" --database-url "$LEGACY" db up >/dev/null
"$SOLEFLIP" --database-url "$UPSERT_DB" db up >/dev/null

# The catalog both parts point at: 20,000 products, US 4 to 15 for each brand.
CATALOG_SQL="
insert into products.products (sku, brand_id, category_id, name)
select 'BENCH-' || g, b.ids[1 + g % array_length(b.ids, 1)], c.id, 'Bench product ' || g
from generate_series(1, 20000) g,
     (select array_agg(id order by slug) ids from core.brands) b,
     (select id from core.categories order by slug limit 1) c;
insert into products.sizes (category_id, value, region, brand_id, cohort, parsed)
select c.id, v, 'US', b.id, 'unisex', 'US ' || v
from core.brands b, (select id from core.categories order by slug limit 1) c,
     (select trim_scale((4 + 0.5 * g)::numeric)::text as v from generate_series(0, 22) g) s;
analyze products.products; analyze products.sizes;"

# Legacy rows, deterministic. pricing: StockX/GOAT/eBay (2% Alias: unknown source), US sizes
# (2% none, 0.5% N/A, 0.5% '99': unreadable), a 90-day window of dates (keys repeat: older
# observations become history), 10% without an ask. integration: awin/ebay/goat offers of 50
# suppliers, external ids repeating, 5 currencies (0.1% XYZ: unknown), 5% NULL last_updated.
LEGACY_SQL="
create temporary table pids as
select row_number() over (order by id) as n, id from products.products where sku like 'BENCH-%';
insert into pricing.market_prices (product_id, platform_name, size_value, condition, price_date,
    lowest_ask, highest_bid, last_sale, average_price, sales_volume, created_at)
select p.id,
       case when g % 50 = 0 then 'Alias' else (array['StockX','GOAT','eBay','StockX'])[1 + g % 4] end,
       case when g % 50 = 1 then null when g % 200 = 2 then 'N/A' when g % 200 = 3 then '99'
            else trim_scale((4 + 0.5 * (g * 7 % 23))::numeric)::text end,
       'new', current_date - (g * 13 % 90)::int,
       case when g % 10 = 0 then null else 50 + (g * 7919 % 45000) / 100.0 end,
       40 + (g * 104729 % 40000) / 100.0,
       45 + (g * 1299709 % 42000) / 100.0,
       45 + (g * 15485863 % 42000) / 100.0,
       (g % 100)::int,
       now() - interval '1 day' * (g * 13 % 90)
from generate_series(1::bigint, $HALF) g join pids p on p.n = 1 + (g * 7919) % 20000;
insert into integration.market_prices (product_id, source, supplier_name, external_id, buy_price,
    currency, availability, stock_qty, product_url, last_updated, created_at, raw_data)
select p.id,
       (array['awin','awin','ebay','goat'])[1 + g % 4],
       'Supplier ' || (g % 50),
       'EXT-' || (g * 31 % ($HALF * 4 / 5)),
       30 + (g * 7919 % 30000) / 100.0,
       case when g % 1000 = 0 then 'XYZ' when g % 10 = 1 then 'GBP' when g % 10 = 2 then 'CHF'
            when g % 20 = 3 then 'USD' else 'EUR' end,
       case when g % 3 = 0 then 'out of stock' else 'in stock' end,
       (g % 13)::int,
       'https://shop.example/p/' || g,
       case when g % 20 = 0 then null else now() - interval '1 hour' * (g % 2000) end,
       now() - interval '1 hour' * (g % 2000) - interval '1 minute',
       case when g % 5 = 0 then jsonb_build_object('feed', 'awin', 'row', g) end
from generate_series(1::bigint, $HALF) g join pids p on p.n = 1 + (g * 104729) % 20000;"

# An empty copy of price_sources: columns, defaults, checks, indexes, and its foreign keys.
copy_of_price_sources() {
    echo "create table bench.$1 (like integration.price_sources including all);
          alter table bench.$1
              add foreign key (product_id) references products.products (id) on delete cascade,
              add foreign key (size_id) references products.sizes (id) on delete set null,
              add foreign key (supplier_id) references core.suppliers (id) on delete set null;"
}

echo "loading the catalog and $ROWS legacy rows..." >&2
psql -X -q -v ON_ERROR_STOP=1 "$LEGACY" -c "$CATALOG_SQL" -c "$LEGACY_SQL" \
    -c "vacuum analyze integration.market_prices" -c "vacuum analyze pricing.market_prices" >/dev/null
psql -X -q -v ON_ERROR_STOP=1 "$UPSERT_DB" -c "$CATALOG_SQL" >/dev/null
psql -X -q "$LEGACY" -c "create schema bench" -c "$(copy_of_price_sources floor)" \
    -c "$(copy_of_price_sources plain)"

# (a) the migration, the whole command
echo "migrating..." >&2
t0=$(now_ms)
"$SOLEFLIP" --database-url "$LEGACY" prices migrate-legacy --format json >"$WORK/report.json"
t1=$(now_ms); a=$((t1 - t0))
summary=$(python3 -c '
import json, sys
r = json.load(open(sys.argv[1]))
t = lambda k: sum(x[k] for x in r["tables"])
ok = all(x["legacy_rows"] == x["migrated_rows"] and x["legacy_cents"] == x["migrated_cents"] for x in r["totals"])
print("status %s: inserted %d, merged %d into history, rejected %d; totals per source and currency equal: %s"
      % (r["status"], t("inserted"), t("merged"), t("rejected"), ok))
' "$WORK/report.json")
written=$(psql -X -qAt "$LEGACY" -c "select count(*) from integration.price_sources")

# (b) the floor: the same rows, plain INSERT ... SELECT into the empty copy
t0=$(now_ms)
psql -X -q "$LEGACY" -c "insert into bench.floor select * from integration.price_sources" >/dev/null
t1=$(now_ms); b=$((t1 - t0))

# (b') all legacy rows, mapped column for column, no lookups, de-duplication or validation
t0=$(now_ms)
psql -X -q "$LEGACY" -c "
insert into bench.plain (product_id, source_type, source_product_id, source_name, price_type,
    price_cents, currency, stock_quantity, in_stock, source_url, metadata, last_updated, created_at)
select product_id, 'awin'::integration.source_type_enum, id::text, supplier_name,
       'retail'::integration.price_type_enum, round(buy_price * 100), 'EUR', stock_qty, true,
       product_url, jsonb_build_object('legacy_table', 'integration.market_prices', 'legacy_id', id),
       coalesce(last_updated, created_at), created_at
from integration.market_prices
union all
select product_id, 'stockx', id::text, platform_name, 'resale',
       round(coalesce(lowest_ask, last_sale, average_price, highest_bid) * 100), 'EUR', null,
       lowest_ask is not null, null,
       jsonb_build_object('legacy_table', 'pricing.market_prices', 'legacy_id', id),
       price_date::timestamp at time zone 'UTC', created_at
from pricing.market_prices" >/dev/null
t1=$(now_ms); p=$((t1 - t0))

echo "upserting $ROWS price rows..." >&2
"$UPSERT" --url "$UPSERT_DB" --rows "$ROWS" >"$WORK/upsert.txt"
val() { sed -n "s/.*$1=\([0-9]*\).*/\1/p" "$WORK/upsert.txt"; }
copy=$(val copy_ms); ins=$(val insert_ms); chg=$(val change_ms); unch=$(val unchanged_ms)
hist=$(val history_rows)
rps() { awk -v n="$ROWS" -v ms="$1" 'BEGIN { if (ms > 0) printf "%d", n * 1000 / ms; else print "n/a" }'; }
"$SOLEFLIP" --home "$home" pg stop >/dev/null

echo "PostgreSQL binaries: $BINDIR; times in ms; load average at the end: $(cut -d' ' -f1-3 /proc/loadavg)"
echo "1. prices migrate-legacy, $ROWS legacy rows ($HALF per table)"
echo "   (a) soleflip prices migrate-legacy (map, write, validate, commit): $a"
echo "       $summary"
echo "   (b) floor: INSERT ... SELECT of the $written rows it wrote, into a copy: $b"
echo "       ratio a/b: $(ratio "$a" "$b")  (target <= 2.5; target (a) <= 20000)"
echo "   (b') INSERT ... SELECT of all $ROWS legacy rows mapped 1:1, into a copy: $p"
echo "       ratio a/b': $(ratio "$a" "$p")"
echo "2. upsert path, $ROWS price rows"
echo "   COPY into an empty copy of price_sources (floor): $copy  ($(rps "$copy") rows/s)"
echo "   upsert into empty price_sources                 : $ins  ($(rps "$ins") rows/s), ratio $(ratio "$ins" "$copy")"
echo "   upsert again, 10% changed                        : $chg  ($(rps "$chg") rows/s), $hist history rows appended"
echo "   upsert again, unchanged                          : $unch  ($(rps "$unch") rows/s)"
