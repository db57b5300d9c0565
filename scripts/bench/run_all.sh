#!/usr/bin/env bash
# Reproduce every benchmark: a fresh PostgreSQL database, gunicorn serving
# the app (workers per CPU count), and scripts/bench/bench.py as the load.
# Writes benchmark-results.json and regenerates docs/benchmarks.md.
#
#   scripts/bench/run_all.sh [--only race,throughput,listing,expiry]
#
# BENCH_PGHOST / BENCH_PGPORT / BENCH_PGUSER pick the PostgreSQL server
# (default 127.0.0.1:5432, user postgres); it starts the local cluster if
# it is not running. BENCH_DB names the database it drops and recreates
# (default doceamor_bench) and BENCH_PORT gunicorn's port (default 8765),
# so two runs on one machine need not collide.
source "$(dirname "$0")/../_venv.sh"
PGHOST="${BENCH_PGHOST:-127.0.0.1}"
PGPORT="${BENCH_PGPORT:-5432}"
PGUSER="${BENCH_PGUSER:-postgres}"
PORT="${BENCH_PORT:-8765}"
DB="${BENCH_DB:-doceamor_bench}"
URL="postgres://${PGUSER}@${PGHOST}:${PGPORT}/${DB}"

if ! pg_isready -q -h "$PGHOST" -p "$PGPORT"; then
  pg_ctlcluster --skip-systemctl-redirect "$(ls /etc/postgresql | sort -V | tail -n1)" main start
  for _ in $(seq 1 30); do pg_isready -q -h "$PGHOST" -p "$PGPORT" && break; sleep 1; done
fi
psql -h "$PGHOST" -p "$PGPORT" -U "$PGUSER" -qc "DROP DATABASE IF EXISTS ${DB} WITH (FORCE)"
psql -h "$PGHOST" -p "$PGPORT" -U "$PGUSER" -qc "CREATE DATABASE ${DB}"

export DATABASE_URL="$URL"
source scripts/bench/stack_env.sh bench

.venv/bin/python manage.py migrate --no-input -v0
PIDFILE="$(mktemp)"
.venv/bin/gunicorn --config gunicorn.conf.py --pid "$PIDFILE" \
  --access-logfile /dev/null > "/tmp/${DB}-gunicorn.log" 2>&1 &
trap 'kill "$(cat "$PIDFILE")" 2>/dev/null; rm -f "$PIDFILE"' EXIT
for _ in $(seq 1 60); do
  curl -sf "http://127.0.0.1:${PORT}/api/health/" >/dev/null && break
  sleep 0.5
done

.venv/bin/python scripts/bench/bench.py \
  --base-url "http://127.0.0.1:${PORT}" \
  --database-url "$URL" \
  --gunicorn-pid "$(cat "$PIDFILE")" \
  --json benchmark-results.json \
  --report docs/benchmarks.md "$@"
