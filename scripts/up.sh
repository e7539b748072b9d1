#!/usr/bin/env bash
# The main job: build soleflip, start its embedded PostgreSQL (unless DATABASE_URL names a
# server), create, migrate and verify the database (printing the report), then serve the web
# page and the API on 127.0.0.1:8080 (arguments go to `soleflip serve`, e.g. --bind) until
# Ctrl-C or SIGTERM. On a first start it prints the one-time link that creates the first admin.
# A second run reuses the build, the cluster and the database.
set -euo pipefail
cd "$(dirname "$0")/.."
. scripts/lib.sh
ensure_rust
[ -n "${DATABASE_URL:-}" ] || ensure_postgres
cargo build --release --quiet --bin soleflip
target/release/soleflip db up
exec target/release/soleflip serve "$@"
