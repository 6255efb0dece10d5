#!/usr/bin/env bash
# Resource-matching benchmark: builds the release binaries and runs
# bench/src/bin/matching.rs, which seeds a small Jiangsu demo (regions and
# accounts), 43,000 enterprises with four facts and an open loan need each,
# and 300 loan offers of ten banks with five rules each, into a fresh data
# directory, and prints, in one run,
#   1. re-evaluating one offer after a rule change (MatchingService::
#      save_offer: every open need evaluated, explained and stored) beside
#      one plain SQL query applying the same hard rules, best and median of
#      5, the ratio against the goal (<= 2x); both must agree on the count;
#   2. p50/p99 and requests/s of one need's ranked matches
#      (GET /api/v1/match/needs/{id}/matches with the demo trainee's API
#      token) from 200 clients beside the no-op GET /healthz, on
#      `fanxing serve` started on that data directory; p99 against the goal
#      (<= 50 ms).
# Extra arguments go to the benchmark (e.g. --part evaluate|http,
# --enterprises 5000, --offers 50, --requests 2000, --runs 3).
# DATABASE_URL=postgres://... runs it on PostgreSQL (use an empty database).
# BENCH_SKIP_BUILD=1 uses the binaries already built.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
if [ -z "${BENCH_SKIP_BUILD:-}" ]; then
  cargo build --release -p fanxing --bin fanxing -p fanxing-bench --bin matching-bench
fi
BIN="$CARGO_TARGET_DIR/release/matching-bench"

bench_tmpdir matching

bench_exec "$BIN" --dir "$DIR" "$@"
