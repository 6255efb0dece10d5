#!/usr/bin/env bash
# Start-up benchmark for the fanxing server (release build).
#
# Measures, side by side:
#   A  baseline    empty data dir, no --demo
#   B  demo cold   empty data dir with --demo (includes seeding the demo data)
#   C  demo warm   restart of B on the same data dir
# For each: time from process spawn until GET /healthz answers, and resident
# memory (VmRSS) after 2 s idle. See bench/README.md.
set -euo pipefail

cd "$(dirname "${BASH_SOURCE[0]}")/.."

export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$HOME/.cache/fanxing/target}"
TARGET_READY_S="${TARGET_READY_S:-5}"
TARGET_RSS_MB="${TARGET_RSS_MB:-100}"
READY_TIMEOUT_S=120
IDLE_S=2

die() {
  printf 'startup.sh: ERROR: %s\n' "$*" >&2
  exit 1
}

command -v curl >/dev/null 2>&1 || die "curl is required"
[ -n "${EPOCHREALTIME:-}" ] || die "bash 5 or newer is required (EPOCHREALTIME)"

if [ -z "${BENCH_SKIP_BUILD:-}" ]; then
  echo "==== cargo build --release --bin fanxing ====" >&2
  cargo build --release --bin fanxing >&2
fi
BIN="$CARGO_TARGET_DIR/release/fanxing"
[ -x "$BIN" ] || die "binary not found at $BIN"

WORK_DIR="$(mktemp -d)"
SERVER_PID=""

stop_server() {
  local pid="$SERVER_PID"
  SERVER_PID=""
  [ -n "$pid" ] || return 0
  if kill -0 "$pid" 2>/dev/null; then
    kill -TERM "$pid" 2>/dev/null || true
    local deadline=$((SECONDS + 15))
    while kill -0 "$pid" 2>/dev/null && [ "$SECONDS" -lt "$deadline" ]; do
      sleep 0.05
    done
    kill -KILL "$pid" 2>/dev/null || true
  fi
  wait "$pid" 2>/dev/null || true
}

BENCH_DBS=()
cleanup() {
  stop_server
  local db
  for db in "${BENCH_DBS[@]}"; do
    psql "$BENCH_PG_ADMIN_URL" -X -q -c "drop database if exists $db" >/dev/null 2>&1 || true
  done
  rm -rf "$WORK_DIR"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

free_port() {
  if command -v python3 >/dev/null 2>&1; then
    python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1]); s.close()'
  else
    echo $((20000 + RANDOM % 30000))
  fi
}

# now_us: wall clock in microseconds.
now_us() {
  local t="${EPOCHREALTIME/[.,]/}"
  echo "$t"
}

# measure LABEL DATA_DIR [extra serve args...]
# Sets READY_S and RSS_MB.
measure() {
  local label="$1" data_dir="$2"
  shift 2
  local port log start end rss_kb
  port="$(free_port)"
  log="$WORK_DIR/$label.log"
  echo "==== $label: fanxing serve ${*:+$* }--data-dir <tmp> --port $port ====" >&2

  start="$(now_us)"
  "$BIN" serve "$@" --data-dir "$data_dir" --bind 127.0.0.1 --port "$port" >"$log" 2>&1 </dev/null &
  SERVER_PID=$!

  local deadline=$((SECONDS + READY_TIMEOUT_S)) ready=0
  while [ "$SECONDS" -lt "$deadline" ]; do
    if curl -fs --max-time 1 "http://127.0.0.1:$port/healthz" 2>/dev/null | grep '"ok"' >/dev/null; then
      ready=1
      break
    fi
    kill -0 "$SERVER_PID" 2>/dev/null || break
    sleep 0.02
  done
  end="$(now_us)"
  if [ "$ready" -ne 1 ]; then
    tail -n 30 "$log" >&2 || true
    stop_server
    die "$label: server not ready within ${READY_TIMEOUT_S} s (or it exited)"
  fi

  sleep "$IDLE_S"
  rss_kb="$(awk '/^VmRSS:/ { print $2 }' "/proc/$SERVER_PID/status" 2>/dev/null || true)"
  [ -n "$rss_kb" ] || die "$label: could not read VmRSS of pid $SERVER_PID"
  stop_server

  READY_S="$(awk -v a="$start" -v b="$end" 'BEGIN { printf "%.3f", (b - a) / 1e6 }')"
  RSS_MB="$(awk -v k="$rss_kb" 'BEGIN { printf "%.1f", k / 1024 }')"
  echo "     ready ${READY_S} s, idle RSS ${RSS_MB} MB" >&2
}

# pass_miss VALUE LIMIT
pass_miss() {
  awk -v v="$1" -v l="$2" 'BEGIN { print (v + 0 <= l + 0) ? "PASS" : "MISS" }'
}

ratio() {
  awk -v a="$1" -v b="$2" 'BEGIN { if (b + 0 > 0) printf "%.2fx", a / b; else print "n/a" }'
}

# fresh_pg_db NAME: create an empty database through BENCH_PG_ADMIN_URL and
# print its URL.
fresh_pg_db() {
  local name="fanxing_bench_$$_$1" base query=""
  base="${BENCH_PG_ADMIN_URL%%\?*}"
  [ "$base" != "$BENCH_PG_ADMIN_URL" ] && query="?${BENCH_PG_ADMIN_URL#*\?}"
  psql "$BENCH_PG_ADMIN_URL" -X -q -c "drop database if exists $name" >/dev/null
  psql "$BENCH_PG_ADMIN_URL" -X -q -c "create database $name" >/dev/null
  echo "${base%/*}/$name$query"
}

if [ -n "${BENCH_PG_ADMIN_URL:-}" ]; then
  export PGOPTIONS="${PGOPTIONS:-} -c client_min_messages=warning"
  command -v psql >/dev/null 2>&1 || die "psql is required with BENCH_PG_ADMIN_URL"
  psql "$BENCH_PG_ADMIN_URL" -X -q -c 'select 1' >/dev/null || die "cannot connect to $BENCH_PG_ADMIN_URL"
  BENCH_DBS=("fanxing_bench_$$_a" "fanxing_bench_$$_b")
  URL_A="$(fresh_pg_db a)"
  URL_B="$(fresh_pg_db b)"
elif [ -n "${DATABASE_URL:-}" ]; then
  echo "note: DATABASE_URL is set; runs A, B and C share that database (see bench/README.md)" >&2
  URL_A="$DATABASE_URL"
  URL_B="$DATABASE_URL"
fi

DIR_A="$WORK_DIR/baseline"
DIR_B="$WORK_DIR/demo"
mkdir -p "$DIR_A" "$DIR_B"

with_db() {
  local url="$1"
  shift
  if [ -n "$url" ]; then
    DATABASE_URL="$url" "$@"
  else
    "$@"
  fi
}

with_db "${URL_A:-}" measure A-baseline "$DIR_A"
A_READY="$READY_S" A_RSS="$RSS_MB"
with_db "${URL_B:-}" measure B-demo-cold "$DIR_B" --demo
B_READY="$READY_S" B_RSS="$RSS_MB"
with_db "${URL_B:-}" measure C-demo-warm "$DIR_B" --demo
C_READY="$READY_S" C_RSS="$RSS_MB"

backend="SQLite"
[ -n "${URL_A:-}" ] && backend="PostgreSQL"

MISSES=0
row() {
  local name="$1" ready="$2" rss="$3" r m
  r="$(pass_miss "$ready" "$TARGET_READY_S")"
  m="$(pass_miss "$rss" "$TARGET_RSS_MB")"
  [ "$r" = PASS ] || MISSES=$((MISSES + 1))
  [ "$m" = PASS ] || MISSES=$((MISSES + 1))
  printf '%-28s %10s %14s %12s %12s\n' "$name" "$ready" "$rss" "$r" "$m"
}

echo
echo "fanxing start-up benchmark ($backend, release build, $(nproc 2>/dev/null || echo '?') CPUs)"
printf '%-28s %10s %14s %12s %12s\n' "run" "ready (s)" "idle RSS (MB)" "ready<=${TARGET_READY_S}s" "RSS<=${TARGET_RSS_MB}MB"
printf '%-28s %10s %14s %12s %12s\n' "----------------------------" "---------" "-------------" "----------" "----------"
row "A baseline (empty, no demo)" "$A_READY" "$A_RSS"
row "B demo cold (with seeding)" "$B_READY" "$B_RSS"
row "C demo warm (restart of B)" "$C_READY" "$C_RSS"
echo
printf '%-28s %10s %14s\n' "ratio" "ready" "idle RSS"
printf '%-28s %10s %14s\n' "B/A" "$(ratio "$B_READY" "$A_READY")" "$(ratio "$B_RSS" "$A_RSS")"
printf '%-28s %10s %14s\n' "C/A" "$(ratio "$C_READY" "$A_READY")" "$(ratio "$C_RSS" "$A_RSS")"

if [ "$MISSES" -gt 0 ] && [ -n "${BENCH_STRICT:-}" ]; then
  echo "startup.sh: $MISSES target(s) missed" >&2
  exit 1
fi
