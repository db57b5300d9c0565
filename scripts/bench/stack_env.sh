# Sourced by scripts/bench/run_all.sh and scripts/faults/run_all.sh after they
# set DATABASE_URL and PORT: the production settings the measured stack runs
# with, on loopback. $1 names the run in its throwaway secret key.
export DJANGO_SETTINGS_MODULE=config.settings.prod
export DJANGO_SECRET_KEY="$1-$(head -c 32 /dev/urandom | base64 | tr -d '/+=')"
export DJANGO_ALLOWED_HOSTS=127.0.0.1,localhost
export DJANGO_SECURE_SSL_REDIRECT=0
export DJANGO_EMAIL_BACKEND=django.core.mail.backends.dummy.EmailBackend
# All clients share 127.0.0.1: lift the per-client limits that would
# otherwise (rightly) stop one address booking thousands of slots; in
# production each guest has their own address.
export BOOKING_CREATE_THROTTLE_RATE=100000000/min
export BOOKING_MAX_UNPAID_PER_CLIENT=100000000
export BOOKING_MAX_UNPAID_PER_SERVICE_DAY=100000000
export BOOKING_LOG_LEVEL=WARNING
export GUNICORN_BIND="127.0.0.1:${PORT}"
