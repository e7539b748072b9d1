#!/usr/bin/env bash
# The main job: build soleflip, start its embedded PostgreSQL (unless DATABASE_URL names a
# server), create, migrate and verify the database, and print the verification report.
set -euo pipefail
cd "$(dirname "$0")/.."
. scripts/lib.sh
ensure_rust
[ -n "${DATABASE_URL:-}" ] || ensure_postgres
cargo build --release --quiet --bin soleflip
exec target/release/soleflip db up "$@"
