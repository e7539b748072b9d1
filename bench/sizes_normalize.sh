#!/usr/bin/env bash
# `soleflip sizes normalize --all` over 1,000,000 size rows (target <= 10 s), against the floor
# of rewriting the same column of the same rows with one plain SQL UPDATE (a naive numeric cast,
# no parsing), on an identical copy, in the same run.
. "$(dirname "$0")/common.sh"
ROWS_NOTE="250 categories x 10 brands x 6 cohorts x 69 labels = 1,035,000 rows"

home="$WORK/server"; mkdir -p "$home"
"$SOLEFLIP" --home "$home" pg start >/dev/null
url_of() { "$SOLEFLIP" --home "$home" pg url | sed "s|/soleflip?|/$1?|"; }
"$SOLEFLIP" --database-url "$(url_of sizes_a)" db up >/dev/null
psql -X -q -v ON_ERROR_STOP=1 "$(url_of sizes_a)" <<'SQL'
insert into core.categories (name, slug) select 'Category ' || n, 'cat-' || n from generate_series(1, 249) n;
insert into products.sizes (category_id, brand_id, cohort, region, value)
select c.id, b.id, h.cohort, l.region, l.value
from core.categories c
cross join core.brands b
cross join (values ('M'), ('W'), ('GS'), ('PS'), ('TD'), ('unisex')) h(cohort)
cross join (
    select 'US', trim(to_char(4 + n * 0.5, 'FM99.9'), '.') from generate_series(0, 22) n
    union all select 'UK', trim(to_char(3.5 + n * 0.5, 'FM99.9'), '.') from generate_series(0, 22) n
    union all select 'EU', trim(to_char(36 + n * 0.5, 'FM99.9'), '.') from generate_series(0, 22) n
) l(region, value);
vacuum analyze products.sizes;
SQL
rows=$(psql -X -At "$(url_of sizes_a)" -c "select count(*) from products.sizes")
psql -X -q "$(url_of postgres)" -c "create database sizes_b template sizes_a"

t0=$(now_ms)
SOLEFLIP_LOG=soleflip_db=info "$SOLEFLIP" --database-url "$(url_of sizes_a)" sizes normalize --all > "$WORK/normalize.txt"
t1=$(now_ms)
t2=$(now_ms)
psql -X -q -v ON_ERROR_STOP=1 "$(url_of sizes_b)" -c \
  "update products.sizes set standardized_value = nullif(regexp_replace(value, '[^0-9.]', '', 'g'), '')::numeric(4,1)"
t3=$(now_ms)
"$SOLEFLIP" --home "$home" pg stop >/dev/null

a=$((t1 - t0)); b=$((t3 - t2))
echo "size rows: $rows ($ROWS_NOTE)"
head -1 "$WORK/normalize.txt"
echo "soleflip sizes normalize --all     : $a ms  (target <= 10000)"
echo "plain UPDATE of the same column    : $b ms  (floor: no parsing)"
echo "ratio normalize/floor              : $(ratio "$a" "$b")"
