#!/usr/bin/env bash
# `soleflip sizes normalize --all` over 1,000,000 size rows (target <= 10 s), against the floor
# of rewriting the same column of the same rows with one plain SQL UPDATE (a naive numeric cast,
# no parsing), on an identical copy, in the same run: RUNS (default 3) interleaved rounds, medians.
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

# RUNS interleaved rounds, each on fresh copies of the same rows, after a checkpoint.
RUNS="${RUNS:-3}"
fresh() {
    psql -X -q "$(url_of postgres)" -c "drop database if exists $1" \
        -c "create database $1 template sizes_a" -c "checkpoint"
}
a_runs=(); b_runs=()
for _ in $(seq "$RUNS"); do
    fresh sizes_n
    t0=$(now_ms)
    "$SOLEFLIP" --database-url "$(url_of sizes_n)" sizes normalize --all > "$WORK/normalize.txt"
    t1=$(now_ms); a_runs+=($((t1 - t0)))
    fresh sizes_p
    t0=$(now_ms)
    psql -X -q -v ON_ERROR_STOP=1 "$(url_of sizes_p)" -c \
      "update products.sizes set standardized_value = nullif(regexp_replace(value, '[^0-9.]', '', 'g'), '')::numeric(4,1)"
    t1=$(now_ms); b_runs+=($((t1 - t0)))
done
"$SOLEFLIP" --home "$home" pg stop >/dev/null

a=$(median "${a_runs[@]}"); b=$(median "${b_runs[@]}")
echo "size rows: $rows ($ROWS_NOTE); $RUNS runs each, interleaved; load average at the end: $(cut -d' ' -f1-3 /proc/loadavg)"
head -1 "$WORK/normalize.txt"
echo "soleflip sizes normalize --all     : median $a ms of ${a_runs[*]}  (target <= 10000)"
echo "plain UPDATE of the same column    : median $b ms of ${b_runs[*]}  (floor: no parsing)"
echo "ratio normalize/floor              : $(ratio "$a" "$b")"
