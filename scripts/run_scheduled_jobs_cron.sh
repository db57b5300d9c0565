#!/usr/bin/env bash
# Cron wrapper for every scheduled job: payment expiry, reminders, and sending
# the queued emails, in that order (`manage.py run_scheduled_jobs`). Uses the
# project's .venv, works from any current directory, and appends its output
# to a log file.
#
#   * * * * * /srv/doceamor/scripts/run_scheduled_jobs_cron.sh
#
# Settings come from the environment; put them in $PROJECT/.env.cron (KEY=value
# lines, e.g. DATABASE_URL, DJANGO_SECRET_KEY, EMAIL_HOST) since cron starts
# with an almost empty environment.
set -euo pipefail
PROJECT="$(cd "$(dirname "$(readlink -f "${BASH_SOURCE[0]}")")/.." && pwd)"
LOG_FILE="${BOOKING_JOBS_LOG:-$PROJECT/logs/scheduled_jobs.log}"
mkdir -p "$(dirname "$LOG_FILE")"
if [ -f "$PROJECT/.env.cron" ]; then
  set -a
  # shellcheck disable=SC1091
  source "$PROJECT/.env.cron"
  set +a
fi
export DJANGO_SETTINGS_MODULE="${DJANGO_SETTINGS_MODULE:-config.settings.prod}"
status=0
{
  printf '%s\n' "$(date -u +%Y-%m-%dT%H:%M:%SZ) run_scheduled_jobs"
  "$PROJECT/.venv/bin/python" "$PROJECT/manage.py" run_scheduled_jobs "$@" 2>&1 || status=$?
} >> "$LOG_FILE" 2>&1
exit "$status"
