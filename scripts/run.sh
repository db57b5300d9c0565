#!/usr/bin/env bash
# Start the development server with demo data on http://127.0.0.1:$PORT/.
source "$(dirname "$0")/_venv.sh"
PORT="${PORT:-8000}"
.venv/bin/python manage.py migrate --no-input
.venv/bin/python manage.py seed_demo --if-empty
echo "Serving on http://127.0.0.1:${PORT}/api/ (API docs at /api/docs/, admin and the Desk at /admin/)"
echo "Demo logins (printed once, on the first run): demo-desk = Front desk role, demo-manager = Manager role."
exec .venv/bin/python manage.py runserver "127.0.0.1:${PORT}"
