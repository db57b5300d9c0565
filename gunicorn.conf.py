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
# One sync worker per CPU: measured on 2 CPUs (docs/benchmarks.md, "gunicorn
# workers"), it made the most creates/s in two rounds, ahead of 3, 5
# and 8 workers and of gthread; a request is mostly Python, so extra
# processes only take turns on the CPUs and threads queue for the GIL. With
# PostgreSQL on another host, requests wait longer on the network and a few
# more workers pay (docs/operations.md). GUNICORN_THREADS > 1 selects gthread.
workers = int(os.environ.get("GUNICORN_WORKERS", max(2, multiprocessing.cpu_count())))
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
