#!/usr/bin/env bash
# Reproduce every benchmark: a fresh PostgreSQL database, gunicorn serving
# the app (workers per CPU count), and scripts/bench/bench.py as the load.
# Writes benchmark-results.json and regenerates docs/benchmarks.md.
#
#   scripts/bench/run_all.sh [--only race,throughput,listing,expiry] [--json FILE]
#
# BENCH_PGHOST / BENCH_PGPORT / BENCH_PGUSER pick the PostgreSQL server
# (default 127.0.0.1:5432, user postgres); it starts the local cluster if
# it is not running. BENCH_DB names the database it drops and recreates
# (default doceamor_bench) and BENCH_PORT gunicorn's port (default 8765; the
# floors take the next two), so two runs on one machine need not collide.
#
# The throughput benchmark also serves, with the same gunicorn config, the
# framework's floors F1 and F2 (scripts/bench/floors) on the same database,
# and with BENCH_BEFORE_REF=<commit> that commit's code from a git worktree,
# on a database of its own (${BENCH_DB}_before) migrated by it: the "before"
# of the report's before/after table, measured in the same run.
# BENCH_ROUNDS (5), BENCH_REQUESTS (1000 creates per variant, level and
# round) and BENCH_SCALE (1: the listing's slots and expiry's bookings) scale
# a run down for a quick check; the report says what a run used.
source "$(dirname "$0")/../_venv.sh"
PGHOST="${BENCH_PGHOST:-127.0.0.1}"
PGPORT="${BENCH_PGPORT:-5432}"
PGUSER="${BENCH_PGUSER:-postgres}"
PORT="${BENCH_PORT:-8765}"
DB="${BENCH_DB:-doceamor_bench}"
BEFORE_REF="${BENCH_BEFORE_REF:-}"
URL="postgres://${PGUSER}@${PGHOST}:${PGPORT}/${DB}"
BEFORE_URL="postgres://${PGUSER}@${PGHOST}:${PGPORT}/${DB}_before"

if ! pg_isready -q -h "$PGHOST" -p "$PGPORT"; then
  pg_ctlcluster --skip-systemctl-redirect "$(ls /etc/postgresql | sort -V | tail -n1)" main start
  for _ in $(seq 1 30); do pg_isready -q -h "$PGHOST" -p "$PGPORT" && break; sleep 1; done
fi
fresh_database() {
  psql -h "$PGHOST" -p "$PGPORT" -U "$PGUSER" -qc "DROP DATABASE IF EXISTS $1 WITH (FORCE)"
  psql -h "$PGHOST" -p "$PGPORT" -U "$PGUSER" -qc "CREATE DATABASE $1"
}
fresh_database "$DB"

export DATABASE_URL="$URL"
source scripts/bench/stack_env.sh bench
# Each benchmark client sends its own address in X-Forwarded-For, read the
# way production reads it behind its one reverse proxy.
export DJANGO_NUM_PROXIES=1
.venv/bin/python manage.py migrate --no-input -v0

PIDS=()
WORKTREE=""
cleanup() {
  for pidfile in "${PIDS[@]}"; do
    kill "$(cat "$pidfile")" 2>/dev/null || true
    rm -f "$pidfile"
  done
  if [ -n "$WORKTREE" ]; then
    git worktree remove --force "$WORKTREE" 2>/dev/null || true
  fi
}
trap cleanup EXIT

# serve NAME PORT DIRECTORY [VAR=VALUE...]: gunicorn with DIRECTORY's
# gunicorn.conf.py, in the background; sets PID_<NAME>.
serve() {
  local name="$1" port="$2" directory="$3" pidfile
  shift 3
  pidfile="$(mktemp)"
  PIDS+=("$pidfile")
  (cd "$directory" && env GUNICORN_BIND="127.0.0.1:${port}" "$@" \
    "$ROOT/.venv/bin/gunicorn" --config gunicorn.conf.py --pid "$pidfile" \
    --access-logfile /dev/null > "/tmp/${DB}-${name}-gunicorn.log" 2>&1 &)
  for _ in $(seq 1 120); do
    [ -s "$pidfile" ] && curl -sf "http://127.0.0.1:${port}/api/health/" >/dev/null && break
    # The floors have no health endpoint: any answer will do.
    [ -s "$pidfile" ] && curl -s -o /dev/null "http://127.0.0.1:${port}/api/bookings/" && break
    sleep 0.5
  done
  printf -v "PID_${name}" '%s' "$(cat "$pidfile")"
}

serve api "$PORT" "$ROOT"
serve f1 "$((PORT + 1))" "$ROOT" PYTHONPATH="$ROOT/scripts/bench" \
  DJANGO_SETTINGS_MODULE=floors.settings_f1
serve f2 "$((PORT + 2))" "$ROOT" PYTHONPATH="$ROOT/scripts/bench" \
  DJANGO_SETTINGS_MODULE=floors.settings_f2
BEFORE_ARGS=()
if [ -n "$BEFORE_REF" ]; then
  WORKTREE="$(mktemp -d "/tmp/${DB}-before.XXXXXX")"
  git worktree add --detach --force "$WORKTREE" "$BEFORE_REF" >/dev/null
  fresh_database "${DB}_before"
  (cd "$WORKTREE" && DATABASE_URL="$BEFORE_URL" \
    "$ROOT/.venv/bin/python" manage.py migrate --no-input -v0)
  serve before "$((PORT + 3))" "$WORKTREE" DATABASE_URL="$BEFORE_URL"
  BEFORE_ARGS=(--before-url "http://127.0.0.1:$((PORT + 3))" --before-pid "$PID_before"
    --before-database-url "$BEFORE_URL" --before-ref "$BEFORE_REF")
fi

.venv/bin/python scripts/bench/bench.py \
  --base-url "http://127.0.0.1:${PORT}" \
  --database-url "$URL" \
  --gunicorn-pid "$PID_api" \
  --f1-url "http://127.0.0.1:$((PORT + 1))" --f1-pid "$PID_f1" \
  --f2-url "http://127.0.0.1:$((PORT + 2))" --f2-pid "$PID_f2" \
  "${BEFORE_ARGS[@]}" \
  --json benchmark-results.json \
  --report docs/benchmarks.md "$@"
