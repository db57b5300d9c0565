"""gunicorn settings for production (`scripts/serve.sh` uses this file).

Every value can be overridden from the environment: GUNICORN_WORKERS,
GUNICORN_THREADS, GUNICORN_BIND, GUNICORN_TIMEOUT, GUNICORN_PRELOAD.
"""

import gc
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
# Import the app once, in the master, and fork the workers from it: they
# share the imported code's pages until they write to them, so each worker's
# PSS drops by a third (docs/benchmarks.md, memory), and a worker replaced
# (max_requests, a crash, HUP) serves at once instead of importing the app
# first. The price: HUP no longer loads new code (the master keeps what it
# imported), so a deploy restarts the server (docs/operations.md).
# GUNICORN_PRELOAD=0 turns it off.
preload_app = os.environ.get("GUNICORN_PRELOAD", "1") != "0"
# Recycle workers now and then, so a slow leak never grows without bound.
max_requests = 2000
max_requests_jitter = 200
accesslog = "-"
errorlog = "-"
forwarded_allow_ips = os.environ.get("FORWARDED_ALLOW_IPS", "127.0.0.1")


def pre_fork(server, worker):
    if not server.cfg.preload_app:
        return
    # A connection opened in the master (nothing opens one while importing
    # today) would be one socket shared by every worker: close it, so each
    # worker opens its own.
    from django.db import connections

    connections.close_all()
    # Move every object the master holds out of the collector's sight: a
    # worker's full collection would otherwise write to each one's header,
    # copying the pages it shares with the master (measured: 8 MiB more PSS
    # a worker without it, more as the master holds less).
    gc.freeze()
