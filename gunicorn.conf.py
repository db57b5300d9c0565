"""gunicorn settings for production (`scripts/serve.sh` uses this file).

Every value can be overridden from the environment: GUNICORN_WORKERS,
GUNICORN_THREADS, GUNICORN_BIND, GUNICORN_TIMEOUT.
"""

import multiprocessing
import os

# The Django project lives in backend/.
chdir = os.path.join(os.path.dirname(os.path.abspath(__file__)), "backend")
wsgi_app = "config.wsgi:application"

bind = os.environ.get("GUNICORN_BIND", "127.0.0.1:8000")
# The usual rule for synchronous workers, two per core plus one, is what
# measurement on a 2-core machine also picked (docs/benchmarks.md, "gunicorn
# workers"): a request is mostly Python, so more processes than cores only
# queue for the CPU, and a few spare cover the time each spends waiting on
# PostgreSQL. GUNICORN_THREADS > 1 switches to the gthread worker.
workers = int(os.environ.get("GUNICORN_WORKERS", multiprocessing.cpu_count() * 2 + 1))
threads = int(os.environ.get("GUNICORN_THREADS", 1))
worker_class = "gthread" if threads > 1 else "sync"
# A request waiting on a row lock gives up after BOOKING_LOCK_TIMEOUT_SECONDS,
# so no request legitimately needs long; a stuck worker is replaced.
timeout = int(os.environ.get("GUNICORN_TIMEOUT", 30))
graceful_timeout = 30
# Recycle workers now and then, so a slow leak never grows without bound.
max_requests = 2000
max_requests_jitter = 200
accesslog = "-"
errorlog = "-"
forwarded_allow_ips = os.environ.get("FORWARDED_ALLOW_IPS", "127.0.0.1")
