# Shared by the benchmark scripts that run one benchmark binary (which
# starts its own `fanxing serve`): sourced right after `set -euo pipefail`.
#
#   source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
#   bench_tmpdir NAME      # DIR: a temporary directory, removed on exit
#   bench_exec CMD ARGS…   # runs CMD, exits with its status
#
# Sourcing moves to the repository's root and sets CARGO_TARGET_DIR (same
# default as scripts/test.sh). On exit or interruption the benchmark and a
# server it left running (its process id in DIR/data/server.pid) are
# stopped with SIGTERM, SIGKILL after 15 s, and DIR is removed.

cd "$(dirname "${BASH_SOURCE[0]}")/.."
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$HOME/.cache/fanxing/target}"

DIR=""
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

bench_cleanup() {
  if [ -n "$BENCH" ]; then stop_pid "$BENCH"; fi
  # The benchmark stops its server itself; this is for an interrupted run.
  if [ -n "$DIR" ] && [ -f "$DIR/data/server.pid" ]; then
    local pid
    pid="$(cat "$DIR/data/server.pid")"
    if [ -n "$pid" ] && grep -qa "serve" "/proc/$pid/cmdline" 2>/dev/null; then
      stop_pid "$pid"
    fi
  fi
  if [ -n "$DIR" ]; then rm -rf "$DIR"; fi
}

bench_tmpdir() {
  # Makes DIR (fanxing-$1.XXXXXX under TMPDIR) and sets the traps.
  DIR="$(mktemp -d "${TMPDIR:-/tmp}/fanxing-$1.XXXXXX")"
  trap bench_cleanup EXIT
  trap 'exit 130' INT
  trap 'exit 143' TERM
}

bench_exec() {
  # Runs the benchmark in the background (so that a signal reaches the
  # traps at once), waits for it and exits with its status.
  local status=0
  "$@" &
  BENCH=$!
  wait "$BENCH" || status=$?
  BENCH=""
  exit "$status"
}
