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

# soleflip itself compiles from the committed .sqlx/ (.cargo/config.toml sets SQLX_OFFLINE).
cargo build -q --bin soleflip \
    || die "soleflip does not build from the committed .sqlx/ (a query changed?): run
    cargo sqlx prepare --workspace against a database at the latest migration instead
    (README, \"Compile-checked queries\")"
soleflip="$PWD/target/debug/soleflip"

home=$(mktemp -d "${TMPDIR:-/tmp}/soleflip-sqlx.XXXXXX")
# As root the cluster runs as the postgres user, who must be able to enter the home.
chmod 0755 "$home"
cleanup() {
    "$soleflip" --home "$home" pg stop >/dev/null 2>&1 || true
    rm -rf "$home"
}
trap cleanup EXIT

# Run from the home, with no DATABASE_URL, so that neither the environment nor a ./.env of
# the project points soleflip at another server.
(cd "$home" && env -u DATABASE_URL "$soleflip" --home "$home" db up >/dev/null)
url=$(cd "$home" && env -u DATABASE_URL "$soleflip" --home "$home" pg url)
DATABASE_URL="$url" cargo sqlx prepare --workspace "${check[@]}" 2>&1 | tee "$home/prepare.log"
# sqlx only warns about data no query uses any more; stale is stale.
if [ ${#check[@]} -gt 0 ] && grep -q "potentially unused queries" "$home/prepare.log"; then
    die ".sqlx/ holds data of queries that no longer exist: run scripts/sqlx-prepare.sh"
fi
