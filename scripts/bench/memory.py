"""Benchmark 5: the memory of the gunicorn workers, and where it comes from."""

import json
import os
import subprocess
import sys

from harness import PROJECT_DIR, child_pids, proc_mib


def _per_worker(master_pid, field, file):
    # A worker recycled (max_requests) between listing and reading is skipped.
    readings = {pid: proc_mib(pid, field, file) for pid in child_pids(master_pid)}
    return {pid: round(mib, 1) for pid, mib in readings.items() if mib is not None}


def gunicorn_worker_peak_rss(master_pid):
    """Peak RSS (VmHWM) of each worker, MiB."""
    return _per_worker(master_pid, "VmHWM", "status")


def gunicorn_worker_pss(master_pid):
    """PSS of each worker now, MiB: its own pages plus its share of shared ones."""
    return _per_worker(master_pid, "Pss", "smaps_rollup")


# Imported one after the other in a fresh process, as a worker loads the app.
_FOOTPRINT = """
import json, os, re, sys
sys.path.insert(0, "backend")
def rss():
    text = open("/proc/self/status").read()
    return int(re.search(r"VmRSS:\\s+(\\d+)", text).group(1)) / 1024
steps, last = [("python itself", rss())], rss()
def step(name, action):
    global last
    action()
    now = rss()
    steps.append((name, now - last))
    last = now
step("Django and DRF", lambda: (__import__("django"), __import__("rest_framework")))
step("psycopg (with libpq)", lambda: __import__("psycopg"))
import django
step("django.setup(): every app's models, the admin", django.setup)
def app():
    from config.wsgi import application  # noqa: F401
    from django.urls import get_resolver
    get_resolver().url_patterns
step("the WSGI app and the URL configuration (views, serializers)", app)
steps.append(("in all", rss()))
print(json.dumps([(name, round(mib, 1)) for name, mib in steps]))
"""


def import_footprint():
    """RSS that importing the app adds, step by step, in a fresh process."""
    result = subprocess.run(
        [sys.executable, "-c", _FOOTPRINT],
        cwd=PROJECT_DIR,
        env=os.environ,
        capture_output=True,
        text=True,
        check=True,
    )
    return json.loads(result.stdout.strip().splitlines()[-1])
