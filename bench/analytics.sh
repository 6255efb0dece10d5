#!/usr/bin/env bash
# Analytics benchmark: generates the synthetic live-commerce data set
# (`--scale full`: 43,000 rooms, ~7.3 million sessions), times Fanxing's
# import, then asks the dashboard's questions of Fanxing (over HTTP) and of
# DuckDB (over the same export files) and prints both with their ratios.
# Usage: bash bench/analytics.sh [full|small] [sqlite|postgres]
# With `postgres`, a fresh database is made on the local server
# (BENCH_PG_ADMIN_URL, default postgres://postgres@127.0.0.1:5432/postgres)
# and dropped afterwards.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$HOME/.cache/fanxing/target}"
SCALE="${1:-full}"
ENGINE="${2:-sqlite}"
PG_ADMIN="${BENCH_PG_ADMIN_URL:-postgres://postgres@127.0.0.1:5432/postgres}"
VENV="${FANXING_BENCH_VENV:-$HOME/.cache/fanxing/bench-venv}"

cargo build --release --bin fanxing
BIN="$CARGO_TARGET_DIR/release/fanxing"

if ! "$VENV/bin/python" -c 'import duckdb' 2>/dev/null; then
  python3 -m venv "$VENV"
  "$VENV/bin/pip" install --quiet 'duckdb==1.5.6'
fi

DIR="$(mktemp -d)"
SERVER=""
BENCH_DB=""
cleanup() {
  [ -n "$SERVER" ] && kill "$SERVER" 2>/dev/null || true
  sleep 0.5
  [ -n "$BENCH_DB" ] && psql "$PG_ADMIN" -X -q -c "drop database if exists $BENCH_DB" >/dev/null 2>&1 || true
  rm -rf "$DIR"
}
trap cleanup EXIT
case "$ENGINE" in
  sqlite) unset DATABASE_URL ;;
  postgres)
    BENCH_DB="fanxing_bench_$$"
    psql "$PG_ADMIN" -X -q -c "create database $BENCH_DB" >/dev/null
    export DATABASE_URL="${PG_ADMIN%/*}/$BENCH_DB"
    ;;
  *) echo "unknown engine $ENGINE (sqlite or postgres)" >&2; exit 2 ;;
esac
echo "engine: $ENGINE"

echo "== generating and importing ($SCALE) =="
# The demo people and programme first, so that some rooms are run by trained
# people and the impact estimate has cohorts to measure.
/usr/bin/time -f "%e %M" -o "$DIR/time" \
  "$BIN" demo analytics --scale "$SCALE" --with-programme --data-dir "$DIR/data" \
  --dir "$DIR/exports" | tee "$DIR/demo.out"
read -r SECS PEAK_KB < "$DIR/time"
IMPORT_SECS="$(sed -n 's/.*imported in \([0-9.]*\) s.*/\1/p' "$DIR/demo.out")"
echo "Fanxing whole command: ${SECS} s (demo programme, generation, import); import alone: ${IMPORT_SECS} s; peak RSS $((PEAK_KB / 1024)) MB"

PORT="$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')"
"$BIN" serve --data-dir "$DIR/data" --port "$PORT" >"$DIR/server.log" 2>&1 &
SERVER=$!
for _ in $(seq 1 300); do
  curl -fsS "http://127.0.0.1:$PORT/healthz" >/dev/null 2>&1 && break
  sleep 0.2
done
echo 'bench-password-1234' | "$BIN" user create --username bench \
  --role programme_office --region 320000 --data-dir "$DIR/data" >/dev/null
TOKEN="$("$BIN" token create --user bench --data-dir "$DIR/data" | tail -1)"

echo "== questions =="
"$VENV/bin/python" bench/analytics/compare.py --base "http://127.0.0.1:$PORT" \
  --token "$TOKEN" --exports "$DIR/exports" --import-seconds "$IMPORT_SECS"
echo "Fanxing server peak RSS: $(awk '/VmHWM/ {print int($2/1024)}' "/proc/$SERVER/status") MB"
