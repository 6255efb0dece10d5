#!/usr/bin/env bash
# Imports benchmark: builds the release binaries and runs bench/src/bin/imports.rs.
# Extra arguments go to the benchmark (e.g. --clients 50 --max-scans 10000).
# DATABASE_URL=postgres://... runs it on PostgreSQL (use an empty database).
# BENCH_KEEP_FILES=DIR keeps the generated roster and export files in DIR.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$HOME/.cache/fanxing/target}"
cargo build --release --workspace --bins
exec "$CARGO_TARGET_DIR/release/imports-bench" "$@"
