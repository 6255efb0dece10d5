#!/usr/bin/env bash
# Run the whole Fanxing test suite: formatting, lints, Rust tests on SQLite
# and on PostgreSQL, the headless browser tests (among them an axe-core
# accessibility and layout crawl of every role's pages), and the outputs check
# (certificate PDF, Excel report and calendars read by poppler, zbar,
# openpyxl and icalendar: scripts/check_outputs.py).
#
# Meant for a fresh Debian machine as root: installs PostgreSQL, Chromium,
# CJK fonts, poppler-utils and zbar-tools with apt-get when missing, and
# openpyxl and icalendar into a Python venv.
#
# Environment:
#   CARGO_TARGET_DIR     build directory (default: $HOME/.cache/fanxing/target,
#                        kept outside the repository so it survives re-clones)
#   FANXING_TEST_PG_URL  PostgreSQL admin URL for the PostgreSQL test run
#                        (default: postgres://postgres@127.0.0.1:5432/postgres)
#   CHROMIUM             Chromium executable (default: /usr/bin/chromium)
#   FANXING_TEST_VENV    Python venv for the outputs check
#                        (default: $HOME/.cache/fanxing/venv)
set -euo pipefail

cd "$(dirname "${BASH_SOURCE[0]}")/.."

export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$HOME/.cache/fanxing/target}"
mkdir -p "$CARGO_TARGET_DIR"

PG_URL="${FANXING_TEST_PG_URL:-postgres://postgres@127.0.0.1:5432/postgres}"
CHROMIUM_BIN="${CHROMIUM:-/usr/bin/chromium}"
export DEBIAN_FRONTEND=noninteractive

section() {
  printf '\n==== %s ====\n' "$*"
}

die() {
  printf 'test.sh: ERROR: %s\n' "$*" >&2
  exit 1
}

SUDO=()
if [ "$(id -u)" -ne 0 ] && command -v sudo >/dev/null 2>&1; then
  SUDO=(sudo)
fi

APT_UPDATED=0
apt_install() {
  command -v apt-get >/dev/null 2>&1 || die "apt-get not found; please install: $*"
  if [ "$APT_UPDATED" -eq 0 ]; then
    "${SUDO[@]}" apt-get update
    APT_UPDATED=1
  fi
  "${SUDO[@]}" env DEBIAN_FRONTEND=noninteractive apt-get install -y "$@"
}

command -v cargo >/dev/null 2>&1 || die "cargo not found; install the Rust toolchain (rustup) with rustfmt and clippy"

# ---------------------------------------------------------------------------
section "PostgreSQL"
pg_ready() {
  command -v pg_isready >/dev/null 2>&1 && pg_isready -q -h 127.0.0.1 -p 5432
}
latest_in() {
  # Print the highest version-named entry of directory $1 (empty if none).
  local dir="$1" entry
  [ -d "$dir" ] || return 0
  for entry in "$dir"/*; do
    if [ -e "$entry" ]; then basename "$entry"; fi
  done | sort -V | tail -n 1
}
pg_start_cluster() {
  local version
  command -v pg_ctlcluster >/dev/null 2>&1 || return 1
  version="$(latest_in /etc/postgresql)"
  if [ -z "$version" ] || [ ! -d "/etc/postgresql/$version/main" ]; then
    # Server package present but no cluster yet: create the default one.
    version="$(latest_in /usr/lib/postgresql)"
    [ -n "$version" ] && command -v pg_createcluster >/dev/null 2>&1 || return 1
    echo "creating PostgreSQL cluster $version/main"
    "${SUDO[@]}" pg_createcluster "$version" main || return 1
  fi
  echo "starting PostgreSQL cluster $version/main"
  "${SUDO[@]}" pg_ctlcluster --skip-systemctl-redirect "$version" main start || true
}

if [ -n "${FANXING_TEST_PG_URL:-}" ]; then
  echo "using FANXING_TEST_PG_URL; not managing a local PostgreSQL server"
elif pg_ready; then
  echo "PostgreSQL is accepting connections on 127.0.0.1:5432"
else
  if ! pg_start_cluster; then
    echo "no PostgreSQL cluster found; installing postgresql"
    apt_install postgresql
    pg_start_cluster || die "could not start PostgreSQL after installing it"
  fi
  deadline=$((SECONDS + 60))
  until pg_ready || [ "$SECONDS" -ge "$deadline" ]; do
    sleep 1
  done
  pg_ready || die "PostgreSQL did not become ready on 127.0.0.1:5432 within 60 s"
  echo "PostgreSQL is accepting connections on 127.0.0.1:5432"
fi

if ! command -v psql >/dev/null 2>&1; then
  apt_install postgresql-client
fi

# The default URL has no password; on a stock Debian cluster local TCP
# connections need one, so allow trust for the postgres role over loopback.
pg_check() {
  psql "$PG_URL" -X -q -t -c 'select 1' >/dev/null 2>&1
}
if ! pg_check && [ -z "${FANXING_TEST_PG_URL:-}" ] && [ "$(id -u)" -eq 0 ]; then
  hba="$(su postgres -c "psql -X -A -t -c 'show hba_file'" 2>/dev/null || true)"
  if [ -n "$hba" ] && [ -f "$hba" ] && ! grep -q '^# fanxing-test' "$hba"; then
    echo "allowing password-less loopback access for role postgres in $hba"
    tmp_hba="$(mktemp)"
    {
      echo '# fanxing-test: local test runs connect as postgres without a password'
      echo 'host all postgres 127.0.0.1/32 trust'
      echo 'host all postgres ::1/128 trust'
      cat "$hba"
    } >"$tmp_hba"
    cat "$tmp_hba" >"$hba"
    rm -f "$tmp_hba"
    su postgres -c "psql -X -q -c 'select pg_reload_conf()'" >/dev/null
    sleep 1
  fi
fi
if ! pg_check; then
  psql "$PG_URL" -X -q -c 'select 1' || true
  die "cannot connect to PostgreSQL at $PG_URL (set FANXING_TEST_PG_URL to an admin URL that can create databases)"
fi
echo "PostgreSQL reachable at $PG_URL"

# ---------------------------------------------------------------------------
section "Chromium and CJK fonts"
if [ ! -x "$CHROMIUM_BIN" ]; then
  if [ "$CHROMIUM_BIN" != /usr/bin/chromium ]; then
    die "CHROMIUM=$CHROMIUM_BIN is not executable"
  fi
  apt_install chromium fonts-noto-cjk
fi
if ! fc-list 2>/dev/null | grep -i "Noto Sans CJK" >/dev/null; then
  apt_install fonts-noto-cjk fontconfig
fi
command -v curl >/dev/null 2>&1 || apt_install curl ca-certificates
"$CHROMIUM_BIN" --version 2>/dev/null || true

# ---------------------------------------------------------------------------
section "Browser test dependencies (npm)"
if ! command -v node >/dev/null 2>&1 || ! command -v npm >/dev/null 2>&1; then
  apt_install nodejs npm
fi
node --version
if [ ! -d tests/browser/node_modules/playwright-core ] || [ ! -d tests/browser/node_modules/axe-core ]; then
  (
    cd tests/browser
    export PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD=1
    if [ -f package-lock.json ]; then
      npm ci --no-audit --no-fund
    else
      npm install --no-audit --no-fund
    fi
  )
else
  echo "tests/browser/node_modules present"
fi

# ---------------------------------------------------------------------------
section "Outputs check dependencies (poppler-utils, zbar-tools, Python venv)"
# Third-party readers for scripts/check_outputs.py; pinned Python packages in
# a venv kept with the build cache.
PY_VENV="${FANXING_TEST_VENV:-$HOME/.cache/fanxing/venv}"
PY_PACKAGES=(openpyxl==3.1.5 icalendar==7.3.2)
reader_pkgs=()
for tool in pdffonts pdftoppm pdftotext pdfinfo; do
  if ! command -v "$tool" >/dev/null 2>&1; then
    reader_pkgs+=(poppler-utils)
    break
  fi
done
command -v zbarimg >/dev/null 2>&1 || reader_pkgs+=(zbar-tools)
command -v python3 >/dev/null 2>&1 || reader_pkgs+=(python3 python3-venv)
if [ "${#reader_pkgs[@]}" -gt 0 ]; then
  apt_install "${reader_pkgs[@]}"
fi
if [ "$(cat "$PY_VENV/.fanxing-packages" 2>/dev/null || true)" != "${PY_PACKAGES[*]}" ] ||
  ! "$PY_VENV/bin/python" -c 'import openpyxl, icalendar' >/dev/null 2>&1; then
  echo "creating Python venv $PY_VENV with ${PY_PACKAGES[*]}"
  rm -rf "$PY_VENV"
  mkdir -p "$(dirname "$PY_VENV")"
  if ! python3 -m venv "$PY_VENV"; then
    # Debian's python3 ships venv (ensurepip) separately.
    rm -rf "$PY_VENV"
    apt_install python3-venv
    python3 -m venv "$PY_VENV" || die "python3 -m venv $PY_VENV failed"
  fi
  "$PY_VENV/bin/python" -m pip install --disable-pip-version-check --quiet "${PY_PACKAGES[@]}" ||
    die "pip install ${PY_PACKAGES[*]} into $PY_VENV failed"
  echo "${PY_PACKAGES[*]}" >"$PY_VENV/.fanxing-packages"
fi
"$PY_VENV/bin/python" -c 'import openpyxl, icalendar; print("openpyxl", openpyxl.__version__, "icalendar", icalendar.__version__)'
pdffonts -v 2>&1 | sed -n 1p
zbarimg --version

# ---------------------------------------------------------------------------
section "cargo fmt --check"
cargo fmt --all --check

# ---------------------------------------------------------------------------
section "cargo clippy"
cargo clippy --workspace --all-targets -- -D warnings

# ---------------------------------------------------------------------------
section "cargo test (SQLite)"
env -u FANXING_TEST_PG cargo test --workspace

# ---------------------------------------------------------------------------
section "cargo test (PostgreSQL)"
# Each test creates its own throw-away database (fxt_*); drop those left by
# earlier runs first.
psql "$PG_URL" -X -A -t -c "select datname from pg_database where datname like 'fxt\_%'" |
  while read -r db; do
    [ -n "$db" ] && psql "$PG_URL" -X -q -c "drop database if exists \"$db\"" >/dev/null
  done
FANXING_TEST_PG="$PG_URL" cargo test --workspace

# ---------------------------------------------------------------------------
section "Browser test (people list)"
cargo build --bin fanxing
BIN="$CARGO_TARGET_DIR/debug/fanxing"
[ -x "$BIN" ] || die "binary not found at $BIN"

free_port() {
  if command -v python3 >/dev/null 2>&1; then
    python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1]); s.close()'
  else
    echo $((20000 + RANDOM % 20000))
  fi
}

# Demo servers started below; all are stopped and their data removed on exit.
SERVER_PIDS=()
TEMP_PATHS=()
stop_server() {
  local pid="$1"
  if [ -n "$pid" ] && kill -0 "$pid" 2>/dev/null; then
    kill "$pid" 2>/dev/null || true
    for _ in $(seq 1 50); do
      kill -0 "$pid" 2>/dev/null || break
      sleep 0.1
    done
    kill -9 "$pid" 2>/dev/null || true
    wait "$pid" 2>/dev/null || true
  fi
}
cleanup() {
  local pid
  for pid in ${SERVER_PIDS[@]+"${SERVER_PIDS[@]}"}; do
    stop_server "$pid"
  done
  if [ "${#TEMP_PATHS[@]}" -gt 0 ]; then
    rm -rf "${TEMP_PATHS[@]}"
  fi
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# Starts `fanxing serve --demo` on SQLite (never DATABASE_URL) in a fresh
# temporary data directory on a free port and waits for /healthz. Sets
# SERVER_PID, DATA_DIR, SERVER_LOG and BASE_URL.
start_demo_server() {
  DATA_DIR="$(mktemp -d)"
  SERVER_LOG="$DATA_DIR.log"
  TEMP_PATHS+=("$DATA_DIR" "$SERVER_LOG")
  local port ready deadline
  port="$(free_port)"
  BASE_URL="http://127.0.0.1:$port"
  env -u DATABASE_URL "$BIN" serve --demo --data-dir "$DATA_DIR" --bind 127.0.0.1 --port "$port" \
    >"$SERVER_LOG" 2>&1 </dev/null &
  SERVER_PID=$!
  SERVER_PIDS+=("$SERVER_PID")
  echo "server pid $SERVER_PID on $BASE_URL (data dir $DATA_DIR)"
  ready=0
  deadline=$((SECONDS + 120))
  while [ "$SECONDS" -lt "$deadline" ]; do
    if curl -fsS --max-time 2 "$BASE_URL/healthz" 2>/dev/null | grep '"ok"' >/dev/null; then
      ready=1
      break
    fi
    if ! kill -0 "$SERVER_PID" 2>/dev/null; then
      break
    fi
    sleep 0.2
  done
  if [ "$ready" -ne 1 ]; then
    echo "---- server log ----" >&2
    tail -n 50 "$SERVER_LOG" >&2 || true
    die "server did not answer $BASE_URL/healthz within 120 s"
  fi
  echo "server ready"
}

# The browser tests share one server (always on SQLite).
start_demo_server

if ! CHROMIUM="$CHROMIUM_BIN" node tests/browser/people-list.mjs "$BASE_URL"; then
  echo "---- server log ----" >&2
  tail -n 50 "$SERVER_LOG" >&2 || true
  die "browser test failed"
fi

# ---------------------------------------------------------------------------
section "Browser test (registration, e-ticket, offline check-in)"
if ! CHROMIUM="$CHROMIUM_BIN" node tests/browser/checkin-offline.mjs "$BASE_URL"; then
  echo "---- server log ----" >&2
  tail -n 50 "$SERVER_LOG" >&2 || true
  die "browser test (offline check-in) failed"
fi

# ---------------------------------------------------------------------------
section "Browser test (programme dashboard, map drill-down, city office limits)"
if ! CHROMIUM="$CHROMIUM_BIN" node tests/browser/dashboard.mjs "$BASE_URL"; then
  echo "---- server log ----" >&2
  tail -n 50 "$SERVER_LOG" >&2 || true
  die "browser test (dashboard) failed"
fi

# ---------------------------------------------------------------------------
section "Browser test (resource matching: need, explanation, application, partner's queue, office figures)"
# Needs a trainee who has not applied yet: the tests above leave matching alone.
if ! CHROMIUM="$CHROMIUM_BIN" node tests/browser/matching.mjs "$BASE_URL"; then
  echo "---- server log ----" >&2
  tail -n 50 "$SERVER_LOG" >&2 || true
  die "browser test (resource matching) failed"
fi

# ---------------------------------------------------------------------------
section "Browser test (compliance check: marked script, titles workbook, empty text, office counts)"
# The Suzhou office's counts are compared before and after the trainee's
# checks, so the tests above may check texts too.
if ! CHROMIUM="$CHROMIUM_BIN" node tests/browser/compliance.mjs "$BASE_URL"; then
  echo "---- server log ----" >&2
  tail -n 50 "$SERVER_LOG" >&2 || true
  die "browser test (compliance check) failed"
fi

# ---------------------------------------------------------------------------
section "Browser test (knowledge library: search, facets, typos, an office's documents and who finds them)"
# Writes documents of its own (titled with the run's time), so it may follow
# the tests above and run more than once against one server.
if ! CHROMIUM="$CHROMIUM_BIN" node tests/browser/knowledge.mjs "$BASE_URL"; then
  echo "---- server log ----" >&2
  tail -n 50 "$SERVER_LOG" >&2 || true
  die "browser test (knowledge library) failed"
fi

# ---------------------------------------------------------------------------
section "Browser test (learning paths: the trainee's recommendations and 报名, the offices' gaps and drafted sessions)"
# Registers the demo trainee for whichever recommended course still shows
# 报名, so it may follow the tests above and run more than once.
if ! CHROMIUM="$CHROMIUM_BIN" node tests/browser/paths.mjs "$BASE_URL"; then
  echo "---- server log ----" >&2
  tail -n 50 "$SERVER_LOG" >&2 || true
  die "browser test (learning paths) failed"
fi

# ---------------------------------------------------------------------------
section "Browser test (every role at 390 and 1280 px: axe-core, 5xx/403, page overflow)"
# Screenshots of each role's home at 390 px land in tests/browser/screenshots/.
if ! CHROMIUM="$CHROMIUM_BIN" node tests/browser/a11y-crawl.mjs "$BASE_URL"; then
  echo "---- server log ----" >&2
  tail -n 50 "$SERVER_LOG" >&2 || true
  die "browser test (accessibility crawl) failed"
fi
stop_server "$SERVER_PID"

# ---------------------------------------------------------------------------
section "Outputs check (certificate PDF + QR, Excel report, calendars)"
# A fresh demo server of its own: the check revokes a certificate and
# registers the demo trainee. The certificate font is FANXING_CJK_FONT if
# set, else Debian's fonts-noto-cjk (installed above).
if [ -z "${FANXING_CJK_FONT:-}" ] &&
  [ ! -f /usr/share/fonts/opentype/noto/NotoSerifCJK-Regular.ttc ] &&
  [ ! -f /usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc ]; then
  apt_install fonts-noto-cjk
fi
start_demo_server
if ! "$PY_VENV/bin/python" scripts/check_outputs.py "$BASE_URL" --data-dir "$DATA_DIR"; then
  echo "---- server log ----" >&2
  tail -n 50 "$SERVER_LOG" >&2 || true
  die "outputs check failed (scripts/check_outputs.py)"
fi
stop_server "$SERVER_PID"

section "All checks passed"
