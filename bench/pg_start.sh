#!/usr/bin/env bash
# `soleflip pg start` on a new home (initdb + start) against initdb + pg_ctl start by hand with
# the same settings, interleaved, median of N runs each; then the warm start (cluster exists).
# Target: cold ratio soleflip / by-hand <= 1.2.
. "$(dirname "$0")/common.sh"
RUNS="${RUNS:-5}"

settings() {  # the lines soleflip appends to postgresql.conf
    printf "listen_addresses = ''\nunix_socket_permissions = 0700\nfsync = on\nsynchronous_commit = on\nfull_page_writes = on\n"
    if [ -f "$BINDIR/../lib/pg_stat_statements.so" ]; then
        printf "shared_preload_libraries = 'pg_stat_statements'\npg_stat_statements.track = all\n"
    fi
}

by_hand_cold() {  # $1: directory
    mkdir -p "$1" && chmod 700 "$1" && mkdir -p "$1/run"
    [ "$(id -u)" = 0 ] && chown -R postgres:postgres "$1"
    as_server_user initdb -D "$1/data" -U postgres -E UTF8 --locale=C \
        --auth-local=trust --auth-host=scram-sha-256 >/dev/null
    settings | as_server_user tee -a "$1/data/postgresql.conf" >/dev/null
    as_server_user pg_ctl -D "$1/data" -l "$1/postgres.log" -o "-k $1/run -p 5432" -w -s start >/dev/null
}
by_hand_stop() { as_server_user pg_ctl -D "$1/data" -m fast -w -s stop >/dev/null; }
by_hand_warm() { as_server_user pg_ctl -D "$1/data" -l "$1/postgres.log" -o "-k $1/run -p 5432" -w -s start >/dev/null; }

declare -a sf_cold hand_cold sf_warm hand_warm
for i in $(seq 1 "$RUNS"); do
    h="$WORK/sf$i"; mkdir -p "$h"
    t0=$(now_ms); "$SOLEFLIP" --home "$h" pg start >/dev/null; t1=$(now_ms)
    sf_cold+=($((t1 - t0)))
    "$SOLEFLIP" --home "$h" pg stop >/dev/null
    t0=$(now_ms); "$SOLEFLIP" --home "$h" pg start >/dev/null; t1=$(now_ms)
    sf_warm+=($((t1 - t0)))
    "$SOLEFLIP" --home "$h" pg stop >/dev/null

    d="$WORK/hand$i"
    t0=$(now_ms); by_hand_cold "$d"; t1=$(now_ms)
    hand_cold+=($((t1 - t0)))
    by_hand_stop "$d"
    t0=$(now_ms); by_hand_warm "$d"; t1=$(now_ms)
    hand_warm+=($((t1 - t0)))
    by_hand_stop "$d"
done

a=$(median "${sf_cold[@]}"); b=$(median "${hand_cold[@]}")
c=$(median "${sf_warm[@]}"); d=$(median "${hand_warm[@]}")
echo "PostgreSQL binaries: $BINDIR; $RUNS runs each, interleaved; times in ms"
echo "cold  soleflip pg start      : median $a  (runs: ${sf_cold[*]})"
echo "cold  initdb + pg_ctl start  : median $b  (runs: ${hand_cold[*]})"
echo "cold  ratio soleflip/by-hand : $(ratio "$a" "$b")  (target <= 1.2)"
echo "warm  soleflip pg start      : median $c  (runs: ${sf_warm[*]})"
echo "warm  pg_ctl start           : median $d  (runs: ${hand_warm[*]})"
echo "warm  ratio soleflip/by-hand : $(ratio "$c" "$d")"
