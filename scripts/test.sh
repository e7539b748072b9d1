#!/usr/bin/env bash
# The whole test suite, on real PostgreSQL: each test process starts a throwaway cluster from
# the installed server binaries (or uses the server in DATABASE_URL, whose role may create
# databases).
set -euo pipefail
cd "$(dirname "$0")/.."
. scripts/lib.sh
ensure_rust
[ -n "${DATABASE_URL:-}" ] || ensure_postgres
ensure_chromium
ensure_axe
exec cargo test --workspace "$@"
