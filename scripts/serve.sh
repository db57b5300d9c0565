#!/usr/bin/env bash
# Production start command: migrate, collect static files, run gunicorn.
# Configure with the environment (docs/operations.md): DJANGO_SECRET_KEY,
# DATABASE_URL, DJANGO_ALLOWED_HOSTS, ...; GUNICORN_BIND (127.0.0.1:8000)
# and GUNICORN_WORKERS (one per CPU; see gunicorn.conf.py).
# The runtime requirements only: no test or tooling packages in production.
VENV_REQUIREMENTS="${VENV_REQUIREMENTS:-requirements.txt}"
source "$(dirname "$0")/_venv.sh"
export DJANGO_SETTINGS_MODULE="${DJANGO_SETTINGS_MODULE:-config.settings.prod}"
# Migrations go straight to PostgreSQL when DATABASE_URL points at a pooler
# (PgBouncer): set MIGRATE_DATABASE_URL to the server itself (docs/operations.md).
DATABASE_URL="${MIGRATE_DATABASE_URL:-${DATABASE_URL:-}}" \
  .venv/bin/python manage.py migrate --no-input
.venv/bin/python manage.py collectstatic --no-input --verbosity 0
exec .venv/bin/gunicorn --config gunicorn.conf.py
