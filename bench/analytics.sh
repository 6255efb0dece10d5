#!/usr/bin/env bash
# Analytics benchmark: generates the synthetic live-commerce data set
# (`--scale full`: 43,000 rooms, ~7.3 million sessions), times Fanxing's
# import, then asks the dashboard's questions of Fanxing (over HTTP) and of
# DuckDB (over the same export files) and prints both with their ratios.
# Usage: bash bench/analytics.sh [full|small]
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$HOME/.cache/fanxing/target}"
SCALE="${1:-full}"
VENV="${FANXING_BENCH_VENV:-$HOME/.cache/fanxing/bench-venv}"

cargo build --release --bin fanxing
BIN="$CARGO_TARGET_DIR/release/fanxing"

if ! "$VENV/bin/python" -c 'import duckdb' 2>/dev/null; then
  python3 -m venv "$VENV"
  "$VENV/bin/pip" install --quiet 'duckdb==1.5.6'
fi

DIR="$(mktemp -d)"
SERVER=""
cleanup() {
  [ -n "$SERVER" ] && kill "$SERVER" 2>/dev/null || true
  rm -rf "$DIR"
}
trap cleanup EXIT

echo "== generating and importing ($SCALE) =="
/usr/bin/time -f "%e %M" -o "$DIR/time" env -u DATABASE_URL \
  "$BIN" demo analytics --scale "$SCALE" --data-dir "$DIR/data" --dir "$DIR/exports"
read -r SECS PEAK_KB < "$DIR/time"
echo "Fanxing generate + import: ${SECS} s, peak RSS $((PEAK_KB / 1024)) MB"

PORT="$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')"
env -u DATABASE_URL "$BIN" serve --data-dir "$DIR/data" --port "$PORT" >"$DIR/server.log" 2>&1 &
SERVER=$!
for _ in $(seq 1 300); do
  curl -fsS "http://127.0.0.1:$PORT/healthz" >/dev/null 2>&1 && break
  sleep 0.2
done
echo 'bench-password-1234' | env -u DATABASE_URL "$BIN" user create --username bench \
  --role programme_office --region 320000 --data-dir "$DIR/data" >/dev/null
TOKEN="$(env -u DATABASE_URL "$BIN" token create --user bench --data-dir "$DIR/data" | tail -1)"

echo "== questions =="
"$VENV/bin/python" bench/analytics/compare.py --base "http://127.0.0.1:$PORT" \
  --token "$TOKEN" --exports "$DIR/exports" --import-seconds "$SECS"
echo "Fanxing server peak RSS: $(awk '/VmHWM/ {print int($2/1024)}' "/proc/$SERVER/status") MB"
