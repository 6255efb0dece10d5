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
cd "$(dirname "${BASH_SOURCE[0]}")/.."
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$HOME/.cache/fanxing/target}"
if [ -z "${BENCH_SKIP_BUILD:-}" ]; then
  cargo build --release -p fanxing --bin fanxing -p fanxing-bench --bin search-bench
fi
BIN="$CARGO_TARGET_DIR/release/search-bench"
args=("$@")
if [[ " ${args[*]} " != *" --docs "* ]]; then
  args+=(--docs 100000)
fi

DIR="$(mktemp -d "${TMPDIR:-/tmp}/fanxing-search.XXXXXX")"
BENCH=""
stop_pid() {
  # Stops process $1 with SIGTERM, then SIGKILL after 15 s.
  local pid="$1" i
  kill -0 "$pid" 2>/dev/null || return 0
  kill -TERM "$pid" 2>/dev/null || true
  for i in $(seq 1 150); do
    kill -0 "$pid" 2>/dev/null || return 0
    sleep 0.1
  done
  kill -KILL "$pid" 2>/dev/null || true
}
cleanup() {
  if [ -n "$BENCH" ]; then stop_pid "$BENCH"; fi
  # The benchmark stops its server itself; this is for an interrupted run.
  if [ -f "$DIR/data/server.pid" ]; then
    local pid
    pid="$(cat "$DIR/data/server.pid")"
    if [ -n "$pid" ] && grep -qa "serve" "/proc/$pid/cmdline" 2>/dev/null; then
      stop_pid "$pid"
    fi
  fi
  rm -rf "$DIR"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

"$BIN" --dir "$DIR" "${args[@]}" &
BENCH=$!
status=0
wait "$BENCH" || status=$?
BENCH=""
exit "$status"
