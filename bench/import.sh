#!/usr/bin/env bash
# `soleflip import stockx-sales` of a generated ROWS-row StockX "historical seller sales report"
# (default 1,000,000; the 44 columns, quoting and row shape of the hand-written fixture
# crates/soleflip-app/tests/fixtures/imports/stockx_sales.csv; 20,000 products) into an empty
# ledger, against the floor: COPY of the same file (csv, header) into an UNLOGGED table of 44
# text columns on the same cluster, in the same run. RUNS (default 3) rounds, each a floor then
# an import after `db reset --yes`, medians. The import's max RSS is GNU time's (the client only;
# the server's memory is not in it). Targets: import <= 3x the floor, max RSS <= 200 MB.
# A second floor shows what the schema itself costs: the rows the import wrote, copied out and
# COPY'd back into the same tables (emptied, triggers and foreign keys off, indexes kept).
# Each import is checked: every row imported, none rejected or present, the report's file sums
# equal to the generated columns' sums. The steps' times come from the server log
# (log_min_duration_statement = 0), so a slow merge step shows by name.
#
# The products without a style code (11 %) are found by name only, so the catalog gets them
# (one name each) before every import, untimed; everything else the import creates.
# Disk: about 4 KB per row in the work directory (mktemp under TMPDIR, default /tmp).
#
# PROFILE=1 also loads auto_explain (analyze, triggers, nested statements) and prints, per
# statement of the import over 100 ms, its plan's top node, the time of each trigger (foreign
# keys, lifecycle, events) and of JIT compilation: slower, so not a figure to compare.
#
# PROFILE_LOG=FILE keeps the server log of the (last) import there, plans and all.
#
# Usage: bench/import.sh     (env: ROWS=1000000 RUNS=3 TMPDIR=/tmp PROFILE=0 PROFILE_LOG=)
. "$(dirname "$0")/common.sh"
ROWS="${ROWS:-1000000}"
RUNS="${RUNS:-3}"
PROFILE="${PROFILE:-0}"

if [ ! -x /usr/bin/time ]; then
    if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
        echo "bench: installing GNU time (apt-get install -y time)" >&2
        DEBIAN_FRONTEND=noninteractive apt-get install -y -qq time >&2 \
            || { DEBIAN_FRONTEND=noninteractive apt-get update -qq >&2 \
                 && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq time >&2; } \
            || { echo "bench: apt-get install -y time failed" >&2; exit 1; }
    else
        echo "bench: /usr/bin/time (GNU time) is missing: sudo apt-get install -y time" >&2; exit 1
    fi
fi
need_kb=$((ROWS * 4))
free_kb=$(df -Pk "$WORK" | awk 'NR == 2 {print $4}')
if [ "$free_kb" -lt "$need_kb" ]; then
    echo "bench: $ROWS rows need about $((need_kb / 1024)) MB in $WORK, $((free_kb / 1024)) MB are free:" \
         "point TMPDIR at a roomier file system" >&2
    exit 1
fi

# The report, generated (deterministic; the column sums on stdout as key=value).
cat > "$WORK/gen.py" <<'PY'
"""A StockX "historical seller sales report" (EU) of ROWS rows, in the shape
DOMAIN.md section 9.1 describes and crates/soleflip-app/tests/fixtures/imports/stockx_sales.csv
shows: 44 columns, LF line ends, RFC 4180 quoting, addresses wrapped in literal quotes, a two-line
`Special references` field on every row, now and then a Sku Name ending in a newline.

Usage: gen.py ROWS REPORT.csv NO_STYLE_NAMES.txt

Deterministic (fixed seed). Sales of 20,000 products, a few sold far more often than most:
Nike `AA9999-999` and `999999-999`, adidas `AA9999`, ASICS `9999A999-999`, compound Nike codes
`A/B`, and products without a style code (`N/A`, apparel and accessories), whose unique names go
to NO_STYLE_NAMES.txt: the import finds those by name only, so the bench puts them in the
catalog first. Sizes: US 4 to 15 in halves, women's `W`, grade school `Y`, kids `C`, apparel
(`S` ... `XL`, `S/M`, `L/XL`) and `N/A`. Sale dates over 2023 and 2024, the payout four days
later. Money in whole cents: Listing Price whole euros; Seller Fee 7 %, or, on about a third of
the 2023 sales, empty with the payout EUR 8.00 short (StockX's unreported minimum seller fee in
2023); Payment Processing 3 %; on a fifth of the rows a Shipping Fee (one label split, 5/n, or a
tiny negative rounding value); on about one row in seven the payout off by +-0.01. No row is
invalid. Prints the rows and the column sums on stdout as `key=value` pairs.
"""

import csv
import random
import sys
from datetime import datetime, timedelta

HEADER = (
    "Seller Name,Seller Address (Billing),Seller VAT Number,Sold To Name,Sold To address,"
    "Sold to VAT Number,Fiscal Representative Name,Fiscal Representative Address,"
    "StockX Destination Address,Payout date,Invoice Date,Invoice Number,Item,Sku Name,Sku Size,"
    "Style,Order Number,Sale Date,Seller Tracking Number,Buyer Destination Country,"
    "Buyer Destination City,Buyer Tracking Number,Quantity,Ship From Address,Ship To Address,"
    "Seller Fee,Seller Fee Currency,Payment Processing,Payment Processing Currency,Shipping Fee,"
    "Shipping Fee Currency,VAT Rate,Total Net Amount (Payout Excluding VAT),"
    "Total Net Amount (Payout Excluding VAT) Currency,Listing Price,Listing Price Currency,"
    "Total Gross Amount (Total Payout),Total Gross Amount (Total Payout) Currency,"
    "Total VAT Amount,Total VAT Amount Currency,Payout ID,Special references,"
    "Provider Transaction ID,Total Invoice Amount"
)

PRODUCTS = 20_000
SELLER = '"Beispielweg 7, 10115 Berlin"'
MARKET = '"Example Plaza 1, 1000 AA Amsterdam"'
FISCAL = '"Steuerweg 2, 20095 Hamburg"'
HUB = '"Hub Street 3, 1000 AB Amsterdam"'
SPECIAL = (
    "Self-billing: this invoice is issued by the buyer on behalf of the seller.\n"
    "The seller confirms the goods were supplied as described."
)
CITIES = [
    ("DE", "Berlin"), ("DE", "München"), ("FR", "Lyon"), ("FR", "Paris"), ("AT", "Wien"),
    ("IT", "Milano"), ("NL", "Rotterdam"), ("ES", "Madrid"), ("BE", "Bruxelles"),
    ("PL", "Warszawa"), ("DK", "København"), ("SE", "Göteborg"),
]
COLOURS = [
    "White Black", "Panda", "Triple White", "University Blue", "Mocha", "Bred", "Zebra",
    "Onyx", "Bone", "Grey Fog", "Cream", "Sail Gum", "Chicago", "Olive", "Café", "Pink Foam",
]

def halves(lo, hi):
    """Sizes from lo to hi (in half sizes: 7 is 3.5) as StockX writes them (10, 10.5)."""
    out, v = [], lo
    while v <= hi:
        out.append(str(v // 2) if v % 2 == 0 else f"{v // 2}.5")
        v += 1
    return out

SIZES = {
    "men": halves(8, 30),
    "women": [s + "W" for s in halves(10, 24)],
    "gs": [s + "Y" for s in halves(7, 14)],
    "kids": [s + "C" for s in halves(8, 26)],
    "apparel": ["S", "M", "L", "XL", "S/M", "L/XL"],
    "none": ["N/A"],
}

def cents(c):
    sign = "-" if c < 0 else ""
    c = abs(c)
    return f"{sign}{c // 100}.{c % 100:02d}"

def products(rng):
    """(item, style, size kind) for each product; the names of those without a style."""
    used, out, nameless = set(), [], []

    def code(shape):
        while True:
            c = "".join(
                chr(65 + rng.randrange(26)) if ch == "A"
                else str(rng.randrange(10)) if ch == "9" else ch
                for ch in shape
            )
            if c not in used:
                used.add(c)
                return c

    def shoe_kind():
        r = rng.random()
        return "men" if r < 0.75 else "women" if r < 0.87 else "gs" if r < 0.95 else "kids"

    for n in range(PRODUCTS):
        r = rng.random()
        colour = COLOURS[n % len(COLOURS)]
        if r < 0.50:
            kind = "apparel" if rng.random() < 0.04 else shoe_kind()
            model = "Tech Fleece Hoodie" if kind == "apparel" else rng.choice(
                ["Dunk Low", "Air Force 1 '07", "Air Max 1", "Air Max 90", "Blazer Mid '77"])
            out.append((f"Nike {model} {colour} {n}", code("AA9999-999"), kind))
        elif r < 0.58:
            out.append((f"Jordan 1 Retro High OG {colour} {n}", code("999999-999"), shoe_kind()))
        elif r < 0.61:
            a = code("AA9999-999")
            b = a[:7] + str((int(a[7:]) + 1) % 1000).zfill(3)
            if b in used:
                b = code("AA9999-999")
            used.add(b)
            out.append((f"Jordan 1 Low {colour} (GS) — Kids {n}", f"{a}/{b}", "gs"))
        elif r < 0.84:
            model = rng.choice(["Yeezy Boost 350 V2", "Samba OG", "Gazelle Indoor", "Campus 00s"])
            out.append((f"adidas {model} {colour} {n}", code("AA9999"), shoe_kind()))
        elif r < 0.89:
            out.append((f"ASICS Gel-Kayano 14 {colour} {n}", code("9999A999-999"), shoe_kind()))
        else:
            if rng.random() < 0.5:
                item = f"Essentials Hoodie {colour} {n}"
                kind = "apparel"
            else:
                item = rng.choice([f'Sneaker Book "Vol. {n}"', f"Crep Protect Spray {n}",
                                   f"Stadium Tote Bag, {colour} {n}"])
                kind = "none"
            out.append((item, None, kind))
            nameless.append(item)
    return out, nameless

def main():
    rows, path, nameless_path = int(sys.argv[1]), sys.argv[2], sys.argv[3]
    rng = random.Random(14)
    catalog, nameless = products(rng)
    with open(nameless_path, "w", encoding="utf-8") as f:
        for name in nameless:
            f.write(name + "\n")

    start = datetime(2023, 1, 1)
    span = 2 * 365 * 86400
    sums = {"listing": 0, "seller_fee": 0, "processing": 0, "shipping": 0, "payout": 0,
            "minimum_fee_rows": 0, "rounding_rows": 0, "no_style_rows": 0, "multiline_names": 0}
    rand = rng.random
    with open(path, "w", encoding="utf-8", newline="") as f:
        f.write(HEADER + "\n")
        w = csv.writer(f, lineterminator="\n")
        for i in range(rows):
            item, style, kind = catalog[int(PRODUCTS * rand() ** 1.8)]
            sizes = SIZES[kind]
            size = sizes[int(len(sizes) * (rand() + rand()) / 2)]
            sold = start + timedelta(seconds=int(rand() * span))
            paid = (sold + timedelta(days=4)).replace(hour=8, minute=0, second=0)
            price = 40 + int(560 * rand() ** 2.5)
            fee = None if sold.year == 2023 and rand() < 0.33 else price * 7
            proc = price * 3
            r = rand()
            ship = None
            if r < 0.18:
                ship = round(500 / (1 + int(rand() * 10)))
            elif r < 0.20:
                ship = -1 - int(rand() * 7)
            payout = price * 100 - (fee or 0) - proc - (ship or 0)
            if fee is None:
                payout -= 800
                sums["minimum_fee_rows"] += 1
            elif rand() < 0.15:
                payout += 1 if rand() < 0.5 else -1
                sums["rounding_rows"] += 1
            sums["listing"] += price * 100
            sums["seller_fee"] += fee or 0
            sums["processing"] += proc
            sums["shipping"] += ship or 0
            sums["payout"] += payout
            if style is None:
                sums["no_style_rows"] += 1
            sku_name = item
            if i % 97 == 0:
                sku_name += "\n"
                sums["multiline_names"] += 1
            number = 30_000_000 + i
            country, city = CITIES[i % len(CITIES)]
            paid_text = paid.strftime("%Y-%m-%d %H:%M:%S +00")
            w.writerow((
                "Erika Example", SELLER, "DE000000000", "Marketplace Example B.V.", MARKET,
                "NL000000000B01", "Fiscal Example GmbH", FISCAL, HUB, paid_text, paid_text,
                f"INV-{number}", item, sku_name, size, style or "N/A",
                f"{number}-{number - 100_000 + (i * 7919) % 100_000:08d}",
                sold.strftime("%Y-%m-%d %H:%M:%S +00"), f"1Z{(i * 104729) % 10**15:015d}",
                country, city, "N/A", "1", SELLER, HUB,
                "N/A" if fee is None else cents(fee), "N/A" if fee is None else "EUR",
                cents(proc), "EUR",
                "N/A" if ship is None else cents(ship), "N/A" if ship is None else "EUR",
                "N/A", cents(payout), "EUR", str(price), "EUR", cents(payout), "EUR", "N/A", "N/A",
                f"PO-{paid.strftime('%Y%m%d')}", SPECIAL, f"PT-{number}", cents(payout),
            ))
    out = {"rows": rows, "products_without_style": len(nameless)}
    for k, v in sums.items():
        out[k] = cents(v) if k in ("listing", "seller_fee", "processing", "shipping", "payout") else v
    print(" ".join(f"{k}={v}" for k, v in out.items()))

if __name__ == "__main__":
    main()
PY
g0=$(now_ms)
facts=$(python3 "$WORK/gen.py" "$ROWS" "$WORK/report.csv" "$WORK/no_style.txt")
g1=$(now_ms)
fact() { printf '%s\n' $facts | sed -n "s/^$1=//p"; }
size_mb=$(( $(stat -c %s "$WORK/report.csv") / 1048576 ))

home="$WORK/server"; mkdir -p "$home"
"$SOLEFLIP" --home "$home" db up >/dev/null
URL="$("$SOLEFLIP" --home "$home" pg url)"
url_of() { printf '%s' "$URL" | sed "s|/soleflip?|/$1?|"; }
FLOOR="$(url_of postgres)"
LOG="$home/pg/postgres.log"
psql -X -q -v ON_ERROR_STOP=1 "$FLOOR" -c "alter system set log_min_duration_statement = 0" \
    -c "select pg_reload_conf()" >/dev/null
if [ "$PROFILE" = 1 ]; then
    psql -X -q -v ON_ERROR_STOP=1 "$FLOOR" -c "load 'auto_explain'" \
        -c "alter system set session_preload_libraries = 'auto_explain'" \
        -c "alter system set auto_explain.log_min_duration = 100" \
        -c "alter system set auto_explain.log_analyze = on" \
        -c "alter system set auto_explain.log_triggers = on" \
        -c "alter system set auto_explain.log_nested_statements = on" \
        -c "select pg_reload_conf()" >/dev/null
fi

cols=$(for i in $(seq 44); do printf 'c%02d text, ' "$i"; done)
floor_ddl="set client_min_messages = warning; drop table if exists bench_floor; create unlogged table bench_floor (${cols%, }); checkpoint"
seed_sql="create temporary table bench_names (name text);
copy bench_names from stdin;"
seed() {
    { printf '%s\n' "$seed_sql"; cat "$WORK/no_style.txt"; printf '\\.\n'
      echo "insert into products.products (sku, name, category_id)
            select 'BENCH-NO-STYLE-' || row_number() over (), name,
                   (select id from core.categories where slug = 'sneakers') from bench_names;
            analyze products.products; checkpoint;"; } | psql -X -q -v ON_ERROR_STOP=1 "$URL"
}

floor=(); import=(); rss=(); rows_floor=(); failed=""
for run in $(seq "$RUNS"); do
    psql -X -q -v ON_ERROR_STOP=1 "$FLOOR" -c "$floor_ddl"
    t0=$(now_ms)
    psql -X -q -v ON_ERROR_STOP=1 "$FLOOR" -c "copy bench_floor from stdin (format csv, header)" \
        < "$WORK/report.csv"
    t1=$(now_ms); floor+=($((t1 - t0)))
    copied=$(psql -X -At "$FLOOR" -c "select count(*) from bench_floor")
    [ "$copied" = "$ROWS" ] || failed="$failed floor copied $copied rows;"
    floor_mb=$(psql -X -At "$FLOOR" -c "select pg_total_relation_size('bench_floor') / 1048576")
    psql -X -q "$FLOOR" -c "drop table bench_floor"

    [ "$run" = 1 ] || "$SOLEFLIP" --home "$home" db reset --yes >/dev/null
    seed
    log_from=$(stat -c %s "$LOG")
    t0=$(now_ms)
    /usr/bin/time -v -o "$WORK/time.txt" "$SOLEFLIP" --database-url "$URL" \
        import stockx-sales "$WORK/report.csv" --format json > "$WORK/import.json"
    t1=$(now_ms); import+=($((t1 - t0)))
    rss+=($(awk -F': ' '/Maximum resident set size/ {print int($2 / 1024)}' "$WORK/time.txt"))
    ledger_mb=$(psql -X -At "$URL" -c "select pg_database_size(current_database()) / 1048576")

    # The second floor, the schema's own: the rows this import wrote (pairs, their events,
    # orders, fee lines, import records) copied out, then COPY'd back into the same tables,
    # emptied, with triggers and foreign keys off (session_replication_role = replica): what
    # storing these rows costs in this schema, with its indexes, and nothing else.
    for t in products.inventory products.inventory_events transactions.orders \
             transactions.order_fee_lines integration.import_records; do
        psql -X -q -v ON_ERROR_STOP=1 "$URL" -c "\\copy $t to '$WORK/$t.bin' (format binary)"
    done
    psql -X -q "$URL" -c "checkpoint"
    t0=$(now_ms)
    { echo "begin; set local session_replication_role = replica;"
      echo "truncate products.inventory, products.inventory_events, transactions.orders,"
      echo "         transactions.order_fee_lines, integration.import_records cascade;"
      for t in products.inventory products.inventory_events transactions.orders \
               transactions.order_fee_lines integration.import_records; do
          echo "\\copy $t from '$WORK/$t.bin' (format binary)"
      done
      echo "commit;"; } | psql -X -q -v ON_ERROR_STOP=1 "$URL"
    t1=$(now_ms); rows_floor+=($((t1 - t0)))
    rm -f "$WORK"/*.bin

    # The report against what was generated.
    problems=$(python3 - "$WORK/import.json" "$ROWS" $facts <<'PY'
import json, sys
r = json.load(open(sys.argv[1]))
rows = int(sys.argv[2])
facts = dict(a.split("=", 1) for a in sys.argv[3:])
out = []
for key, want in (("rows_read", rows), ("imported", rows), ("already_present", 0), ("rejected", 0)):
    if r[key] != want:
        out.append(f"{key} {r[key]}, expected {want}")
sums = r["file_sums"]
if len(sums) != 1:
    out.append(f"{len(sums)} currencies in the file sums, expected 1")
else:
    s = sums[0]
    for key, fact in (("sale_price", "listing"), ("transaction_fee", "seller_fee"),
                      ("payment_processing", "processing"), ("shipping", "shipping"),
                      ("payout", "payout")):
        if float(s[key]) != float(facts[fact]):
            out.append(f"{key} {s[key]}, the file says {facts[fact]}")
    topup = int(facts["minimum_fee_rows"]) * 8
    if float(s["minimum_fee_topup"]) != topup:
        out.append(f"minimum_fee_topup {s['minimum_fee_topup']}, expected {topup}")
print("; ".join(out))
PY
)
    [ -z "$problems" ] || failed="$failed run $run: $problems;"

    # The server's time per statement of this import, named by the merge file it comes from.
    echo "run $run: floor ${floor[-1]} ms, import ${import[-1]} ms, max RSS ${rss[-1]} MB; server time per step:"
    tail -c +"$((log_from + 1))" "$LOG" | python3 -c '
import glob, os, re, sys
names = {}
for path in sorted(glob.glob("crates/soleflip-db/src/imports/**/*.sql", recursive=True)):
    with open(path) as f:
        names[f.readline().strip()[:60]] = os.path.relpath(path, "crates/soleflip-db/src/imports")
steps, total = [], 0.0
for line in sys.stdin:
    m = re.search(r"duration: ([0-9.]+) ms  (?:statement|execute [^:]*): (.*)", line)
    if m:
        ms, text = float(m.group(1)), m.group(2).strip()
        total += ms
        steps.append((ms, names.get(text[:60], text[:60])))
for ms, name in steps:
    if ms >= max(50.0, total / 200):
        print(f"    {ms:10.0f} ms  {100 * ms / total:5.1f} %  {name}")
print(f"    {total:10.0f} ms  in all {len(steps)} statements")
'
    if [ -n "${PROFILE_LOG:-}" ]; then tail -c +"$((log_from + 1))" "$LOG" > "$PROFILE_LOG"; fi
    if [ "$PROFILE" = 1 ]; then python3 - "$LOG" "$log_from" <<'PY'
import glob, os, re, sys
names = {}
for path in sorted(glob.glob("crates/soleflip-db/src/imports/**/*.sql", recursive=True)):
    with open(path) as f:
        names[f.readline().strip()[:60]] = os.path.relpath(path, "crates/soleflip-db/src/imports")
log = open(sys.argv[1], encoding="utf-8", errors="replace")
log.seek(int(sys.argv[2]))
plans, cur = [], None
for line in log:
    m = re.search(r"LOG:  duration: ([0-9.]+) ms  plan:", line)
    if m:
        cur = {"ms": float(m.group(1)), "text": None, "top": None, "triggers": [], "jit": 0.0}
        plans.append(cur)
        continue
    if not line.startswith("\t"):
        cur = None
    if cur is None:
        continue
    t = line.strip()
    if t.startswith("Query Text:") and cur["text"] is None:
        cur["text"] = t[len("Query Text:"):].strip()[:70] or "(nested, in a trigger)"
    elif cur["top"] is None and re.match(r"(->  )?[A-Z].*?  \(cost", t):
        cur["top"] = re.sub(r"  \(cost.*", "", t)
    m = re.match(r"Trigger (?:for constraint )?(.*): time=([0-9.]+) calls=([0-9]+)", t)
    if m:
        cur["triggers"].append((m.group(1), float(m.group(2)), int(m.group(3))))
    m = re.search(r"Timing: Generation .* Total ([0-9.]+) ms", t)
    if m:
        cur["jit"] += float(m.group(1))
fk = jit = 0.0
print("  profile (auto_explain, statements over 100 ms; a nested one is inside the one after it):")
for p in plans:
    text = p["text"] or "?"
    print(f"    {p['ms']:8.0f} ms  {names.get(text[:60], text)}  [{p['top'] or '?'}]")
    for name, ms, calls in p["triggers"]:
        print(f"        trigger {name}: {ms:.0f} ms, {calls} calls")
        fk += ms if name.endswith("_fkey") else 0
    if p["jit"]:
        print(f"        JIT compilation: {p['jit']:.0f} ms")
        jit += p["jit"]
print(f"  foreign key checks in all: {fk:.0f} ms; JIT compilation in all: {jit:.0f} ms")
PY
    fi
done
"$SOLEFLIP" --home "$home" pg stop >/dev/null

a=$(median "${import[@]}"); b=$(median "${floor[@]}"); m=$(median "${rss[@]}")
r=$(ratio "$a" "$b")
verdict=PASS
awk -v r="$r" 'BEGIN { exit !(r != "n/a" && r <= 3) }' || verdict=FAIL
awk -v m="$m" 'BEGIN { exit !(m <= 200) }' || verdict=FAIL
[ -z "$failed" ] || verdict=FAIL
echo "data: $ROWS rows, $size_mb MB ($(fact no_style_rows) without a style code, $(fact minimum_fee_rows)" \
     "with the unreported minimum fee, $(fact rounding_rows) off by 0.01, $(fact multiline_names)" \
     "multi-line Sku Names), generated in $((g1 - g0)) ms; floor table $floor_mb MB, ledger" \
     "database after the import $ledger_mb MB; $RUNS runs; load average: $(cut -d' ' -f1-3 /proc/loadavg)"
echo "COPY into an unlogged 44-column text table : median $b ms of ${floor[*]}  (floor)"
echo "soleflip import stockx-sales               : median $a ms of ${import[*]}"
echo "ratio import/floor                         : $r  (target <= 3)"
c=$(median "${rows_floor[@]}")
echo "COPY of the rows the import wrote, back into its emptied tables, triggers off : median $c ms of ${rows_floor[*]}"
echo "  (the schema's floor: ratio to the file floor $(ratio "$c" "$b"), import/schema floor $(ratio "$a" "$c"))"
echo "import max RSS                             : median $m MB of ${rss[*]}  (target <= 200)"
[ -z "$failed" ] || echo "checks failed:$failed"
echo "$verdict"
