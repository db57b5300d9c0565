#!/usr/bin/env bash
# Cron wrapper for the payment-timeout job. Uses the project's .venv, works
# from any current directory, and appends its output to a log file.
#
#   */2 * * * * /srv/doceamor/scripts/expire_unpaid_bookings_cron.sh
#
# Settings come from the environment; put them in $PROJECT/.env.cron (KEY=value
# lines, e.g. DATABASE_URL, DJANGO_SECRET_KEY, BOOKING_TIMEZONE) since cron
# starts with an almost empty environment.
set -euo pipefail
PROJECT="$(cd "$(dirname "$(readlink -f "${BASH_SOURCE[0]}")")/.." && pwd)"
LOG_FILE="${BOOKING_EXPIRY_LOG:-$PROJECT/logs/expire_unpaid_bookings.log}"
mkdir -p "$(dirname "$LOG_FILE")"
if [ -f "$PROJECT/.env.cron" ]; then
  set -a
  # shellcheck disable=SC1091
  source "$PROJECT/.env.cron"
  set +a
fi
export DJANGO_SETTINGS_MODULE="${DJANGO_SETTINGS_MODULE:-config.settings.prod}"
{
  printf '%s ' "$(date -u +%Y-%m-%dT%H:%M:%SZ)"
  "$PROJECT/.venv/bin/python" "$PROJECT/manage.py" expire_unpaid_bookings "$@" 2>&1
} >> "$LOG_FILE" 2>&1
