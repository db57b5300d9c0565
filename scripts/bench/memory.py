"""Benchmark 5: the memory of the gunicorn workers, and where it comes from."""

import json
import os
import re
import subprocess
import sys
from pathlib import Path

from harness import PROJECT_DIR


def _workers(master_pid):
    return subprocess.run(
        ["pgrep", "-P", str(master_pid)], capture_output=True, text=True
    ).stdout.split()


def _kib(text, field):
    return int(re.search(rf"{field}:\s+(\d+) kB", text).group(1))


def gunicorn_worker_peak_rss(master_pid):
    """Peak RSS (VmHWM) of each worker, MiB."""
    return {
        pid: round(_kib(Path(f"/proc/{pid}/status").read_text(), "VmHWM") / 1024, 1)
        for pid in _workers(master_pid)
    }


def gunicorn_worker_pss(master_pid):
    """PSS of each worker now, MiB: its own pages plus its share of shared ones."""
    return {
        pid: round(_kib(Path(f"/proc/{pid}/smaps_rollup").read_text(), "Pss") / 1024, 1)
        for pid in _workers(master_pid)
    }


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
