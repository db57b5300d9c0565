#!/usr/bin/env bash
# Start the development server with demo data on http://127.0.0.1:$PORT/,
# and the scheduled jobs (expiry, reminders, emails, ...) every minute beside
# it; stopping the server (Ctrl+C) stops the jobs too.
source "$(dirname "$0")/_venv.sh"
PORT="${PORT:-8000}"
export DJANGO_SETTINGS_MODULE="${DJANGO_SETTINGS_MODULE:-config.settings.dev}"
# Emails are written as files here (config.settings.dev), one per message.
export DJANGO_EMAIL_FILE_PATH="${DJANGO_EMAIL_FILE_PATH:-$ROOT/logs/sent-emails}"
JOBS_LOG="${JOBS_LOG:-$ROOT/logs/scheduled-jobs.log}"
mkdir -p "$DJANGO_EMAIL_FILE_PATH" "$(dirname "$JOBS_LOG")"
.venv/bin/python manage.py migrate --no-input
.venv/bin/python manage.py seed_demo --if-empty

# The jobs, at the start of every minute, as cron would run them.
run_jobs_every_minute() {
  while true; do
    .venv/bin/python manage.py run_scheduled_jobs >>"$JOBS_LOG" 2>&1 || true
    sleep $((60 - 10#$(date +%S)))
  done
}
run_jobs_every_minute &
JOBS_PID=$!
stop_jobs() {
  # The loop's current child (a sleep or a job run), then the loop itself.
  pkill -TERM -P "$JOBS_PID" 2>/dev/null || true
  kill "$JOBS_PID" 2>/dev/null || true
}
trap stop_jobs EXIT INT TERM

cat <<BANNER
Guest booking page: http://127.0.0.1:${PORT}/
Admin and the Desk: http://127.0.0.1:${PORT}/admin/  (API: /api/, docs: /api/docs/)
Demo logins (printed once, on the first run): demo-desk = Front desk role, demo-manager = Manager role.
Scheduled jobs run every minute (unpaid bookings expire after ${BOOKING_PAYMENT_TIMEOUT_MINUTES:-30} min); log: ${JOBS_LOG}
Emails are not sent: each one is written as a file in ${DJANGO_EMAIL_FILE_PATH}/ (also in the admin: Notifications).
BANNER
.venv/bin/python manage.py runserver "127.0.0.1:${PORT}"
