#!/usr/bin/env bash
# Learning-paths benchmark: builds the release binaries and runs
# bench/src/bin/paths.rs, which seeds the Jiangsu demo at its default size
# (about 30,000 people), its programme and 43,000 synthetic live rooms over
# six months (about 3.3 million sessions) into a fresh data directory, and
# prints, in one run,
#   1. the time to compute every trainee's path
#      (PathService::read_every_input + compute_every_path) beside the
#      reads alone (read_every_input), best and median of 5, the ratio
#      against the goal (<= 3x) and the peak heap of each;
#   2. p50/p99 and requests/s of the trainee's home page (GET / with the
#      demo `trainee`'s session cookie, the path card on it) over HTTP from
#      200 clients beside the no-op GET /healthz, on `fanxing serve`
#      started on that data directory; home p99 against the goal (<= 50 ms),
#      the server's CPU per request, and the path alone through the API
#      (GET /api/v1/me/path) as a diagnostic.
# Extra arguments go to the benchmark (e.g. --part compute|http,
# --requests 5000, --runs 5, --months 6, --rooms 5000 for a quicker run).
# DATABASE_URL=postgres://... runs it on PostgreSQL (use an empty database).
# BENCH_SKIP_BUILD=1 uses the binaries already built.
#
# The data directory and the server's log go to a temporary directory
# removed on exit; a server left running by an interrupted benchmark is
# stopped (SIGTERM, SIGKILL after 15 s).
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
if [ -z "${BENCH_SKIP_BUILD:-}" ]; then
  cargo build --release -p fanxing --bin fanxing -p fanxing-bench --bin paths-bench
fi
BIN="$CARGO_TARGET_DIR/release/paths-bench"

bench_tmpdir paths

bench_exec "$BIN" --dir "$DIR" "$@"
