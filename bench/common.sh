# Shared by the bench scripts: build the release binary, find PostgreSQL, time and summarise.
set -euo pipefail
cd "$(dirname "$0")/.."
. scripts/lib.sh
ensure_rust
ensure_postgres
cargo build --release --quiet --bin soleflip
SOLEFLIP="${CARGO_TARGET_DIR:-$PWD/target}/release/soleflip"
BINDIR="$(pg_bindir)"
export PATH="$BINDIR:$PATH"
WORK="$(mktemp -d "${TMPDIR:-/tmp}/sf-bench.XXXXXX")"
chmod 755 "$WORK"
trap 'cleanup_bench' EXIT

# As root, PostgreSQL's own programs run as the postgres user, as soleflip does.
as_server_user() {
    if [ "$(id -u)" = 0 ]; then setpriv --reuid=postgres --regid=postgres --init-groups -- "$@"
    else "$@"; fi
}

now_ms() { date +%s%3N; }

# median of the numbers given as arguments
median() { printf '%s\n' "$@" | sort -n | awk '{a[NR]=$1} END {m=int((NR+1)/2); if (NR%2) print a[m]; else print (a[m]+a[m+1])/2}'; }

ratio() { awk -v a="$1" -v b="$2" 'BEGIN { if (b > 0) printf "%.2f", a/b; else print "n/a" }'; }

cleanup_bench() {
    for pidfile in "$WORK"/*/pg/data/postmaster.pid "$WORK"/*/data/postmaster.pid; do
        [ -f "$pidfile" ] && kill -QUIT "$(head -1 "$pidfile")" 2>/dev/null || true
    done
    sleep 0.2
    rm -rf "$WORK"
}
