#!/usr/bin/env bash
# Search benchmark: builds the release binary and runs
# bench/src/bin/search.rs, which prints, in one run,
#   1. relevance on the demo corpus and the judged queries of
#      tests/search/queries.jsonl: nDCG@10 and MRR for Fanxing's search,
#      plain SQL LIKE and SQLite FTS5 (trigram), overall and per style;
#   2. indexing N synthetic documents of about 2 KB (default 100,000):
#      time, size on disk and peak memory beside FTS5 trigram.
# Extra arguments go to the benchmark (e.g. --docs 20000).
# BENCH_SKIP_BUILD=1 uses the binary already built.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$HOME/.cache/fanxing/target}"
if [ -z "${BENCH_SKIP_BUILD:-}" ]; then
  cargo build --release -p fanxing-bench --bin search-bench
fi
args=("$@")
if [[ " ${args[*]} " != *" --docs "* ]]; then
  args+=(--docs 100000)
fi
exec "$CARGO_TARGET_DIR/release/search-bench" "${args[@]}"
