#!/usr/bin/env bash
# `soleflip import awin` on a generated feed of ROWS rows (default 1,000,000) in the publisher
# CSV's 92-column layout (the header of the test fixture), about 30 columns filled as in a real
# fashion feed (one row per size, a valid EAN-13 each), then a re-import of the same feed with
# 5 % of the prices changed. The floor: `COPY` of the same file into an unlogged table of 92
# text columns, through psql on the same database in the same run. rows/s for each, and the
# ratio of each import to the floor. Target: <= 3x the floor.
. "$(dirname "$0")/common.sh"
ROWS="${ROWS:-1000000}"

home="$WORK/server"; mkdir -p "$home"
"$SOLEFLIP" --home "$home" db up >/dev/null
URL="$("$SOLEFLIP" --home "$home" pg url)"

# The generator: awk, deterministic. CHANGE=1 raises every 20th price by 1.00 (5 %).
header="$(head -1 crates/soleflip-app/tests/fixtures/awin/feed.csv)"
generate() {
    awk -v rows="$ROWS" -v change="$1" -v header="$header" 'BEGIN {
        n = split(header, name, ",")
        for (i = 1; i <= n; i++) col[name[i]] = i
        print header
        split("39 40 40.5 41 42 42.5 43 44 44.5 45 46", sizes, " ")
        for (r = 1; r <= rows; r++) {
            for (i = 1; i <= n; i++) f[i] = ""
            model = int((r - 1) / 11); size = sizes[(r - 1) % 11 + 1]
            price = 60 + (model % 180) + ((change && r % 20 == 0) ? 1 : 0)
            data = sprintf("400%09d", r); s = 0
            for (i = 12; i >= 1; i--) s += substr(data, i, 1) * ((12 - i) % 2 == 0 ? 3 : 1)
            f[col["aw_deep_link"]] = "https://www.awin1.com/pclick.php?p=" (5000000 + r) "&a=1&m=10"
            f[col["product_name"]] = "Bench Sneaker " model " Weiss " size
            f[col["aw_product_id"]] = 5000000 + r
            f[col["merchant_product_id"]] = sprintf("%08d", r)
            f[col["merchant_image_url"]] = "https://shop.example/img/" model ".jpg"
            f[col["description"]] = "Sneaker aus Leder mit Gummisohle Modell " model
            f[col["merchant_category"]] = "Herren > Schuhe > Sneaker"
            f[col["search_price"]] = sprintf("%d.99", price)
            f[col["merchant_name"]] = "Bench Laden"
            f[col["merchant_id"]] = 10
            f[col["category_name"]] = "Trainers"
            f[col["category_id"]] = 189
            f[col["currency"]] = "EUR"
            f[col["delivery_cost"]] = (model % 2) ? "4.00" : "0.00"
            f[col["merchant_deep_link"]] = "https://shop.example/p/" r
            f[col["language"]] = "de"
            f[col["display_price"]] = sprintf("EUR%d.99", price)
            f[col["data_feed_id"]] = 9001
            f[col["brand_name"]] = "Nike"
            f[col["brand_id"]] = 412
            f[col["colour"]] = "Weiss/Schwarz"
            f[col["in_stock"]] = (r % 7 == 0) ? 0 : 1
            f[col["stock_quantity"]] = r % 13
            f[col["is_for_sale"]] = 1
            f[col["aw_thumb_url"]] = "https://images2.productserve.com/?w=70&h=70&url=" model
            f[col["ean"]] = data ((10 - s % 10) % 10)
            f[col["parent_product_id"]] = "P" model
            f[col["Fashion:suitable_for"]] = "Herren"
            f[col["Fashion:size"]] = size
            line = f[1]
            for (i = 2; i <= n; i++) line = line "," f[i]
            print line
        }
    }'
}
g0=$(now_ms)
generate 0 > "$WORK/feed.csv"
generate 1 > "$WORK/feed_changed.csv"
g1=$(now_ms)
size_mb=$(( $(stat -c %s "$WORK/feed.csv") / 1048576 ))

cols="$(echo "$header" | awk -F, '{ for (i = 1; i <= NF; i++) printf "%sc%d text", (i > 1 ? ", " : ""), i }')"
psql -X -q -v ON_ERROR_STOP=1 "$URL" -c "create unlogged table public.bench_floor ($cols)"

t0=$(now_ms)
psql -X -q -v ON_ERROR_STOP=1 "$URL" -c "\\copy public.bench_floor from '$WORK/feed.csv' with (format csv, header true)"
t1=$(now_ms); floor_ms=$((t1 - t0))

# The schema floor: what storing the file's offers costs in this table at all, with no
# matching, no history and no report: one INSERT ... SELECT of the copied text, cast, into an
# empty logged table with the same columns, constraints, indexes and fillfactor.
col() { echo "$header" | awk -F, -v n="$1" '{ for (i = 1; i <= NF; i++) if ($i == n) print "c" i }'; }
psql -X -q -v ON_ERROR_STOP=1 "$URL" -c "create table public.bench_schema (like integration.awin_products including defaults including constraints including indexes) with (fillfactor = 50)"
t0=$(now_ms)
psql -X -q -v ON_ERROR_STOP=1 "$URL" -c "insert into public.bench_schema
    (merchant_id, merchant_product_id, awin_product_id, merchant_name, data_feed_id, product_name,
     brand_name, brand_id, ean, gtin, search_price, delivery_cost, currency, description, colour,
     size, in_stock, stock_quantity, thumbnail_url, affiliate_link, merchant_link,
     parent_product_id, last_seen_at, feed_import_date)
  select $(col merchant_id)::int, $(col merchant_product_id), $(col aw_product_id), $(col merchant_name),
         $(col data_feed_id)::int, $(col product_name), $(col brand_name), $(col brand_id)::int, $(col ean),
         lpad($(col ean), 14, '0'), $(col search_price)::numeric, $(col delivery_cost)::numeric,
         $(col currency), $(col description), $(col colour), $(col Fashion:size), $(col in_stock) = '1',
         $(col stock_quantity)::int, $(col aw_thumb_url), $(col aw_deep_link), $(col merchant_deep_link),
         $(col parent_product_id), now(), now()
    from public.bench_floor"
t1=$(now_ms); schema_ms=$((t1 - t0))

t0=$(now_ms)
"$SOLEFLIP" --database-url "$URL" import awin "$WORK/feed.csv" --format json > "$WORK/first.json"
t1=$(now_ms); first_ms=$((t1 - t0))

t0=$(now_ms)
"$SOLEFLIP" --database-url "$URL" import awin "$WORK/feed_changed.csv" --format json > "$WORK/again.json"
t1=$(now_ms); again_ms=$((t1 - t0))

summary() { awk 'BEGIN { ORS = "" } /"(rows_read|new|changed|unchanged|rejected|history_rows)":/ { gsub(/[ ,"]/, ""); print $0 " " }' "$1"; }
"$SOLEFLIP" --home "$home" pg stop >/dev/null

rate() { awk -v r="$ROWS" -v ms="$1" 'BEGIN { if (ms > 0) printf "%d", r * 1000 / ms; else print "n/a" }'; }
echo "feed: $ROWS rows x 92 columns, $size_mb MB (generated in $((g1 - g0)) ms); load average: $(cut -d' ' -f1-3 /proc/loadavg)"
echo "COPY into an unlogged text table (psql) : $floor_ms ms, $(rate "$floor_ms") rows/s  (floor)"
echo "soleflip import awin (first)            : $first_ms ms, $(rate "$first_ms") rows/s; $(summary "$WORK/first.json")"
echo "soleflip import awin (5 % prices)       : $again_ms ms, $(rate "$again_ms") rows/s; $(summary "$WORK/again.json")"
echo "schema floor (INSERT of the same offers): $schema_ms ms, $(rate "$schema_ms") rows/s; (COPY + it: $(ratio $((floor_ms + schema_ms)) "$floor_ms")x the floor)"
echo "ratio first/floor                       : $(ratio "$first_ms" "$floor_ms")  (target <= 3)"
echo "ratio re-import/floor                   : $(ratio "$again_ms" "$floor_ms")  (target <= 3)"
echo "ratio first/(floor + schema floor)      : $(ratio "$first_ms" $((floor_ms + schema_ms)))"
