#!/usr/bin/env bash
# Outputs benchmark: builds the release binaries and runs bench/src/bin/outputs.rs.
# Extra arguments go to the benchmark (e.g. --requests 2000 --clients 100 --attendances 100000).
# DATABASE_URL=postgres://... runs it on PostgreSQL (use an empty database).
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$HOME/.cache/fanxing/target}"
cargo build --release --workspace --bins
exec "$CARGO_TARGET_DIR/release/outputs-bench" "$@"
