#!/usr/bin/env bash
# On one server (an embedded cluster, fsync on), interleaved, N runs each:
#   (a) soleflip db up on a new empty database (migrate + verify + report),
#   (b) psql -1 -q -f of a plain pg_dump of the resulting database into a new empty database,
# once for consolidated_v1 alone (db up --to 1: the build the old Alembic tool measured 3.0x
# on; target a/b <= 1.2) and once for every migration (the history replayed vs its end state).
#   (c) the newcomer path: embedded cluster from nothing to a verified database (target <= 3 s).
. "$(dirname "$0")/common.sh"
RUNS="${RUNS:-7}"

home="$WORK/server"; mkdir -p "$home"
"$SOLEFLIP" --home "$home" pg start >/dev/null
url_of() { "$SOLEFLIP" --home "$home" pg url | sed "s|/soleflip?|/$1?|"; }
admin="$(url_of postgres)"

# $1: label, $2: extra db up arguments ("--to 1" or "")
measure() {
    local label=$1 extra=$2
    "$SOLEFLIP" --database-url "$(url_of "ref_$label")" db up $extra >/dev/null
    pg_dump --no-owner --no-privileges -f "$WORK/ref_$label.sql" "$(url_of "ref_$label")"
    up=(); replay=()
    for i in $(seq 1 "$RUNS"); do
        psql -X -q "$admin" -c "create database up_${label}_$i" -c "create database replay_${label}_$i"
        t0=$(now_ms); "$SOLEFLIP" --database-url "$(url_of "up_${label}_$i")" db up $extra >/dev/null; t1=$(now_ms)
        up+=($((t1 - t0)))
        t0=$(now_ms); psql -X -q -1 -v ON_ERROR_STOP=1 -f "$WORK/ref_$label.sql" "$(url_of "replay_${label}_$i")" >/dev/null; t1=$(now_ms)
        replay+=($((t1 - t0)))
    done
    a=$(median "${up[@]}"); b=$(median "${replay[@]}")
    echo "[$label] (a) soleflip db up $extra: median $a ms  (runs: ${up[*]})"
    echo "[$label] (b) psql -1 -f of its dump: median $b ms  (runs: ${replay[*]})"
    echo "[$label]     ratio a/b: $(ratio "$a" "$b")"
}
echo "PostgreSQL binaries: $BINDIR; $RUNS interleaved runs each"
measure consolidated_v1 "--to 1"
echo "    (target for consolidated_v1: a/b <= 1.2)"
measure all_migrations ""
"$SOLEFLIP" --home "$home" pg stop >/dev/null

declare -a newcomer
for i in $(seq 1 5); do
    h="$WORK/newcomer$i"; mkdir -p "$h"
    t0=$(now_ms); "$SOLEFLIP" --home "$h" db up >/dev/null; t1=$(now_ms)
    newcomer+=($((t1 - t0)))
    "$SOLEFLIP" --home "$h" pg stop >/dev/null
done

c=$(median "${newcomer[@]}")
echo "(c) newcomer, nothing -> verified: median $c ms  (runs: ${newcomer[*]}; target <= 3000)"
