#!/usr/bin/env bash
# The fault matrix: the production stack (gunicorn with gunicorn.conf.py,
# prod settings) on a throwaway PostgreSQL cluster, under load, with faults
# injected. Writes reliability-results.json and regenerates docs/reliability.md.
#
#   scripts/faults/run_all.sh [--only baseline,kill_9_workers,...]
#
# FAULTS_PGPORT (55432) is the throwaway cluster's port, FAULTS_PORT (8174)
# the app's, FAULTS_SOAK_SECONDS (90) the soak's length, FAULTS_CLIENTS (16)
# the number of clients. Everything listens on 127.0.0.1 only. The cluster
# lives in a temporary directory and is removed at the end; the shared
# PostgreSQL server, if any, is never touched.
source "$(dirname "$0")/../_venv.sh"
PGPORT="${FAULTS_PGPORT:-55432}"
PORT="${FAULTS_PORT:-8174}"
DB="${FAULTS_DB:-doceamor_faults}"
APP_ROLE=doceamor_app
PGBIN="$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n1)"
[ -n "$PGBIN" ] || PGBIN="$(dirname "$(command -v initdb)")"
if pg_isready -q -h 127.0.0.1 -p "$PGPORT" || ss -Hltn "sport = :$PGPORT" | grep -q .; then
  echo "port $PGPORT is taken: set FAULTS_PGPORT to a free port" >&2
  exit 1
fi
PGDIR="$(mktemp -d /tmp/doceamor-faults-pg.XXXXXX)"
LOGDIR="$(mktemp -d /tmp/doceamor-faults-logs.XXXXXX)"
as_postgres() {
  if [ "$(id -u)" = 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi
}
[ "$(id -u)" = 0 ] && chown postgres "$PGDIR"
PG_CTL="$PGBIN/pg_ctl -D $PGDIR/data"
[ "$(id -u)" = 0 ] && PG_CTL="runuser -u postgres -- $PG_CTL"

cleanup() {
  $PG_CTL stop -m immediate >/dev/null 2>&1 || true
  cp "$PGDIR/postgresql.log" "$LOGDIR/" 2>/dev/null || true
  rm -rf "$PGDIR"
}
trap cleanup EXIT

as_postgres "$PGBIN/initdb" -D "$PGDIR/data" -U postgres -A trust -E UTF8 \
  --no-sync >/dev/null
# Few connections, so that "exhausted" is reachable; the app is not a
# superuser, so the reserved slots stay for the checks and pg_terminate_backend.
$PG_CTL -l "$PGDIR/postgresql.log" -w start -o "-p $PGPORT -k $PGDIR \
  -c listen_addresses=127.0.0.1 -c max_connections=30 \
  -c superuser_reserved_connections=3 -c shared_buffers=64MB" >/dev/null
ADMIN_URL="postgres://postgres@127.0.0.1:${PGPORT}/${DB}"
psql -h 127.0.0.1 -p "$PGPORT" -U postgres -qc "CREATE ROLE ${APP_ROLE} LOGIN"
psql -h 127.0.0.1 -p "$PGPORT" -U postgres -qc "CREATE DATABASE ${DB} OWNER ${APP_ROLE}"

WORKERS="${GUNICORN_WORKERS:-$(( $(nproc) * 2 + 1 ))}"
export DATABASE_URL="postgres://${APP_ROLE}@127.0.0.1:${PGPORT}/${DB}"
source scripts/bench/stack_env.sh faults
export GUNICORN_WORKERS="$WORKERS"

.venv/bin/python manage.py migrate --no-input -v0
# faults.py fails when a scenario missed its targets (the report says which);
# the logs are still worth pointing at.
status=0
.venv/bin/python scripts/faults/faults.py \
  --port "$PORT" \
  --database-url "$DATABASE_URL" \
  --admin-database-url "$ADMIN_URL" \
  --pg-ctl "$PG_CTL" \
  --pg-log "$PGDIR/postgresql.log" \
  --workers "$WORKERS" \
  --clients "${FAULTS_CLIENTS:-16}" \
  --soak-seconds "${FAULTS_SOAK_SECONDS:-90}" \
  --log-dir "$LOGDIR" \
  --json reliability-results.json \
  --report docs/reliability.md "$@" || status=$?
echo "logs: $LOGDIR"
exit "$status"
