#!/usr/bin/env bash
# Writes the offline query data in .sqlx/ (with --check: fails if it is stale) from a scratch
# database at the latest migration: builds soleflip, migrates a throwaway embedded cluster in a
# temporary home, runs `cargo sqlx prepare --workspace [--check]` against it, then stops the
# cluster and removes the home. Installs sqlx-cli when it is missing.
set -euo pipefail
cd "$(dirname "$0")/.."
. scripts/lib.sh
ensure_rust
ensure_postgres

check=()
case "${1:-}" in
    --check) check=(--check) ;;
    "") ;;
    *) die "usage: scripts/sqlx-prepare.sh [--check]" ;;
esac

if ! cargo sqlx --version >/dev/null 2>&1; then
    echo "soleflip setup: installing sqlx-cli (cargo install sqlx-cli)" >&2
    cargo install sqlx-cli --locked --version '^0.8' --no-default-features --features postgres,rustls
fi

# soleflip itself compiles from the committed .sqlx/ (.cargo/config.toml sets SQLX_OFFLINE). When
# a query changed, it does not: --check fails there, and regenerating falls back on the soleflip
# built before, once it is shown to know every migration in migrations/.
soleflip="$PWD/target/debug/soleflip"
built_before=
if ! cargo build -q --bin soleflip; then
    [ ${#check[@]} -eq 0 ] || die ".sqlx/ is stale: soleflip does not build from it (run scripts/sqlx-prepare.sh)"
    [ -x "$soleflip" ] || die "soleflip does not build from .sqlx/ and none was built before: point DATABASE_URL at a database at the latest migration and run cargo sqlx prepare --workspace"
    echo "soleflip setup: soleflip does not build from .sqlx/ (a query changed): migrating with the one built before" >&2
    built_before=1
fi

home=$(mktemp -d "${TMPDIR:-/tmp}/soleflip-sqlx.XXXXXX")
# As root the cluster runs as the postgres user, who must be able to enter the home.
chmod 0755 "$home"
cleanup() {
    (cd "$home" && env -u DATABASE_URL "$soleflip" --home "$home" pg stop >/dev/null 2>&1) || true
    rm -rf "$home"
}
trap cleanup EXIT

# Run from the home, with no DATABASE_URL, so that neither the environment nor a ./.env of
# the project points soleflip at another server.
(cd "$home" && env -u DATABASE_URL "$soleflip" --home "$home" db up >/dev/null)
url=$(cd "$home" && env -u DATABASE_URL "$soleflip" --home "$home" pg url)
if [ -n "$built_before" ]; then
    status=$(cd "$home" && env -u DATABASE_URL "$soleflip" --home "$home" db status --format json)
    for f in migrations/[0-9]*.sql; do
        name=$(basename "$f" .sql)
        grep -q "\"name\": \"${name#*_}\"" <<<"$status" \
            || die "the soleflip built before does not know $f: point DATABASE_URL at a database at the latest migration and run cargo sqlx prepare --workspace"
    done
fi
DATABASE_URL="$url" cargo sqlx prepare --workspace "${check[@]}" 2>&1 | tee "$home/prepare.log"
# sqlx only warns about data no query uses any more; stale is stale.
if [ ${#check[@]} -gt 0 ] && grep -q "potentially unused queries" "$home/prepare.log"; then
    die ".sqlx/ holds data of queries that no longer exist: run scripts/sqlx-prepare.sh"
fi
