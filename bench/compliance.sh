#!/usr/bin/env bash
# Compliance benchmark: builds the release binaries and runs
# bench/src/bin/compliance.rs, which prints
#   1. the matcher's throughput over synthetic live transcripts (100 MB by
#      default) beside ripgrep's (`rg -F -f terms.txt --count`) on the same
#      file, one thread and every core each;
#   2. p50/p99 and requests/s of a 2,000-character check over HTTP from 200
#      clients beside the no-op GET /healthz, on `fanxing serve` (SQLite).
# Extra arguments go to the benchmark (e.g. --mb 20 --requests 5000
# --runs 1 --part throughput|http). DATABASE_URL=postgres://... runs the
# HTTP part on PostgreSQL (use an empty database). BENCH_SKIP_BUILD=1 uses
# the binaries already built.
#
# Installs ripgrep (Debian package `ripgrep`) with apt-get when `rg` is
# missing. Files (transcripts, terms, the server's data directory) go to a
# temporary directory removed on exit; a server left running by an
# interrupted benchmark is stopped (SIGTERM, SIGKILL after 15 s).
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
export DEBIAN_FRONTEND=noninteractive

SUDO=()
if [ "$(id -u)" -ne 0 ] && command -v sudo >/dev/null 2>&1; then
  SUDO=(sudo)
fi
if ! command -v rg >/dev/null 2>&1; then
  if ! command -v apt-get >/dev/null 2>&1; then
    echo "compliance.sh: ripgrep (rg) not found and no apt-get; please install ripgrep" >&2
    exit 1
  fi
  echo "installing ripgrep …" >&2
  "${SUDO[@]}" apt-get update >&2
  "${SUDO[@]}" env DEBIAN_FRONTEND=noninteractive apt-get install -y ripgrep >&2
fi
RG="$(command -v rg)"

if [ -z "${BENCH_SKIP_BUILD:-}" ]; then
  cargo build --release --workspace --bins
fi
BIN="$CARGO_TARGET_DIR/release/compliance-bench"

bench_tmpdir compliance

bench_exec "$BIN" --dir "$DIR" --rg "$RG" "$@"
