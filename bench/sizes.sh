#!/usr/bin/env bash
# Size parsing benchmark: builds the release example, writes a deterministic corpus of
# 1,000,000 size strings mixed like the StockX sales reports and AWIN feeds (DOMAIN.md §9),
# and times, single-threaded in one process, reading + splitting it (the floor) against
# reading + splitting + parsing + standardizing it. Prints medians, throughput and the ratio.
#
# Usage: bench/sizes.sh            (env: SIZES_BENCH_LINES=1000000 SIZES_BENCH_RUNS=7)
set -euo pipefail

cd "$(dirname "$0")/.."

lines="${SIZES_BENCH_LINES:-1000000}"
runs="${SIZES_BENCH_RUNS:-7}"
corpus="$(mktemp "${TMPDIR:-/tmp}/soleflip-sizes-corpus.XXXXXX")"
trap 'rm -f "$corpus"' EXIT

echo "building soleflip-domain example sizes_bench (release)..." >&2
cargo build --release --quiet -p soleflip-domain --example sizes_bench

echo "== sizes benchmark =="
cargo run --release --quiet -p soleflip-domain --example sizes_bench -- \
    --corpus "$corpus" --lines "$lines" --runs "$runs"
