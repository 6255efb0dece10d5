#!/usr/bin/env bash
# Search benchmark: builds the release binaries and runs
# bench/src/bin/search.rs, which prints, in one run,
#   1. relevance on the demo corpus and the judged queries of
#      tests/search/queries.jsonl: nDCG@10 and MRR for Fanxing's search,
#      plain SQL LIKE and SQLite FTS5 (trigram), overall and per style;
#   2. indexing N synthetic documents of about 2 KB (default 100,000):
#      time, size on disk and peak memory beside FTS5 trigram;
#   3. p50/p99 and requests/s of GET /api/v1/knowledge/search (the judged
#      queries in turn, as the demo's trainee) over HTTP from 200 clients
#      beside the no-op GET /healthz, on `fanxing serve` (SQLite) holding
#      the demo knowledge library.
# Extra arguments go to the benchmark (e.g. --docs 20000 --requests 5000
# --part relevance|indexing|http). DATABASE_URL=postgres://... runs the
# HTTP part on PostgreSQL (use an empty database). BENCH_SKIP_BUILD=1 uses
# the binaries already built.
#
# The server's data directory and log go to a temporary directory removed
# on exit; a server left running by an interrupted benchmark is stopped
# (SIGTERM, SIGKILL after 15 s).
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
if [ -z "${BENCH_SKIP_BUILD:-}" ]; then
  cargo build --release -p fanxing --bin fanxing -p fanxing-bench --bin search-bench
fi
BIN="$CARGO_TARGET_DIR/release/search-bench"
args=("$@")
if [[ " ${args[*]} " != *" --docs "* ]]; then
  args+=(--docs 100000)
fi

bench_tmpdir search

bench_exec "$BIN" --dir "$DIR" "${args[@]}"
