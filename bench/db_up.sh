#!/usr/bin/env bash
# On one server (an embedded cluster, fsync on), interleaved, N runs each:
#   (a) soleflip db up on a new empty database (migrate + verify + report),
#   (b) psql -1 -q -f of a plain pg_dump of the resulting database into a new empty database.
# Prints medians and a/b (target <= 1.2; the old Alembic tool measured 3.0x).
#   (c) the newcomer path: embedded cluster from nothing to a verified database (target <= 3 s).
. "$(dirname "$0")/common.sh"
RUNS="${RUNS:-7}"

home="$WORK/server"; mkdir -p "$home"
"$SOLEFLIP" --home "$home" pg start >/dev/null
url_of() { "$SOLEFLIP" --home "$home" pg url | sed "s|/soleflip?|/$1?|"; }
admin="$(url_of postgres)"

"$SOLEFLIP" --database-url "$(url_of reference)" db up >/dev/null
pg_dump --no-owner --no-privileges -f "$WORK/reference.sql" "$(url_of reference)"

declare -a up replay newcomer
for i in $(seq 1 "$RUNS"); do
    psql -X -q "$admin" -c "create database up_$i" -c "create database replay_$i"
    t0=$(now_ms); "$SOLEFLIP" --database-url "$(url_of "up_$i")" db up >/dev/null; t1=$(now_ms)
    up+=($((t1 - t0)))
    t0=$(now_ms); psql -X -q -1 -v ON_ERROR_STOP=1 -f "$WORK/reference.sql" "$(url_of "replay_$i")" >/dev/null; t1=$(now_ms)
    replay+=($((t1 - t0)))
done
"$SOLEFLIP" --home "$home" pg stop >/dev/null

for i in $(seq 1 5); do
    h="$WORK/newcomer$i"; mkdir -p "$h"
    t0=$(now_ms); "$SOLEFLIP" --home "$h" db up >/dev/null; t1=$(now_ms)
    newcomer+=($((t1 - t0)))
    "$SOLEFLIP" --home "$h" pg stop >/dev/null
done

a=$(median "${up[@]}"); b=$(median "${replay[@]}"); c=$(median "${newcomer[@]}")
echo "PostgreSQL binaries: $BINDIR; times in ms"
echo "(a) soleflip db up, new empty db : median $a  (runs: ${up[*]})"
echo "(b) psql -1 -f of its pg_dump    : median $b  (runs: ${replay[*]})"
echo "    ratio a/b                    : $(ratio "$a" "$b")  (target <= 1.2)"
echo "(c) newcomer, nothing -> verified: median $c  (runs: ${newcomer[*]}; target <= 3000)"
