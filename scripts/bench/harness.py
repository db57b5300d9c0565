"""Shared pieces of the benchmarks: the HTTP load generator, latency summaries
and the benchmark database."""

import http.client
import json
import math
import os
import statistics
import sys
import threading
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from urllib.parse import urlparse

import psycopg

PROJECT_DIR = Path(__file__).resolve().parents[2]
# The load of every benchmark comes from this one address; in production each
# guest has their own, so the per-client limits and throttles are lifted.
BENCH_ENVIRONMENT = {
    "DJANGO_SETTINGS_MODULE": "config.settings.dev",
    "DJANGO_DEBUG": "0",
    "BOOKING_CREATE_THROTTLE_RATE": "100000000/min",
    "BOOKING_MAX_UNPAID_PER_CLIENT": "100000000",
}


def django_in_process(**environment: str) -> None:
    """Set Django up in this process with the benchmarks' settings.

    `environment` adds or overrides variables; what the caller's own
    environment already sets wins over both.
    """
    for name, value in {**BENCH_ENVIRONMENT, **environment}.items():
        os.environ.setdefault(name, value)
    sys.path.insert(0, str(PROJECT_DIR / "backend"))
    import django

    django.setup()


RACE_SLOTS, RACE_CLIENTS = 200, 20
THROUGHPUT_LEVELS = (8, 32, 64)
LISTING_SLOTS = 1_000_000
EXPIRY_BOOKINGS = 100_000


# --- measuring ------------------------------------------------------------------------


def percentile(values, pct):
    ordered = sorted(values)
    return ordered[max(0, math.ceil(pct / 100 * len(ordered)) - 1)]


def latency_summary(seconds):
    return {
        "p50_ms": round(percentile(seconds, 50) * 1000, 2),
        "p99_ms": round(percentile(seconds, 99) * 1000, 2),
        "mean_ms": round(statistics.fmean(seconds) * 1000, 2),
    }


class Api:
    """A minimal HTTP client: one connection per request, like the guest site."""

    def __init__(self, base_url):
        parsed = urlparse(base_url)
        self.host, self.port = parsed.hostname, parsed.port

    def request(self, method, path, body=None):
        connection = http.client.HTTPConnection(self.host, self.port, timeout=60)
        payload = json.dumps(body).encode() if body is not None else None
        headers = {"Content-Type": "application/json"} if payload else {}
        started = time.perf_counter()
        connection.request(method, path, body=payload, headers=headers)
        response = connection.getresponse()
        data = response.read()
        elapsed = time.perf_counter() - started
        connection.close()
        return response.status, data, elapsed


def run_clients(count, work):
    """Run work(index) in `count` threads released together; wall time too."""
    barrier = threading.Barrier(count + 1)
    results, errors = [None] * count, []

    def run(index):
        barrier.wait()
        try:
            results[index] = work(index)
        except Exception as error:
            errors.append(error)

    threads = [threading.Thread(target=run, args=(i,)) for i in range(count)]
    for thread in threads:
        thread.start()
    barrier.wait()
    started = time.perf_counter()
    for thread in threads:
        thread.join()
    if errors:
        raise errors[0]
    return results, time.perf_counter() - started


# --- data -----------------------------------------------------------------------------


class Database:
    def __init__(self, url):
        self.url = url

    def connect(self, **options):
        return psycopg.connect(self.url, autocommit=True, **options)

    def execute(self, sql, params=None):
        with self.connect() as conn:
            conn.execute(sql, params)

    def scalar(self, sql, params=None):
        with self.connect() as conn:
            return conn.execute(sql, params).fetchone()[0]

    def catalogue(self, label, *, staff_count, duration_minutes=30):
        """A service and `staff_count` active staff offering it; returns ids."""
        with self.connect() as conn:
            service_id = conn.execute(
                "INSERT INTO services_service (name, description, duration_minutes,"
                " price, is_active, created_at, updated_at) VALUES (%s, '', %s, 30,"
                " true, now(), now()) RETURNING id",
                [f"bench {label}", duration_minutes],
            ).fetchone()[0]
            staff_ids = [
                row[0]
                for row in conn.execute(
                    "INSERT INTO staff_staff (name, email, phone, is_active,"
                    " created_at, updated_at) SELECT %s || g, '', '', true, now(),"
                    " now()"
                    " FROM generate_series(1, %s) g RETURNING id",
                    [f"bench {label} ", staff_count],
                ).fetchall()
            ]
            conn.execute(
                "INSERT INTO staff_staff_services (staff_id, service_id)"
                " SELECT unnest(%s::bigint[]), %s",
                [staff_ids, service_id],
            )
        return service_id, staff_ids

    def slots(self, staff_ids, per_staff, *, start, minutes=30, ids=True):
        """Back-to-back future slots for each staff member; returns their ids."""
        with self.connect() as conn:
            cursor = conn.execute(
                "INSERT INTO availability_availability (staff_id, start_time,"
                " end_time, is_booked, created_at, updated_at)"
                " SELECT s, %(start)s + (g * %(step)s),"
                " %(start)s + ((g + 1) * %(step)s), false, now(), now()"
                " FROM unnest(%(staff)s::bigint[]) s,"
                " generate_series(0, %(n)s - 1) g ORDER BY s, g"
                + (" RETURNING id" if ids else ""),
                {
                    "start": start,
                    "step": timedelta(minutes=minutes),
                    "staff": staff_ids,
                    "n": per_staff,
                },
            )
            return [row[0] for row in cursor.fetchall()] if ids else None


def guest_phone(number: int) -> str:
    """A distinct phone number the API accepts (a valid Portuguese mobile)."""
    return f"+35191{number % 10**7:07d}"


def guest(service_id, slot_id, tag):
    return {
        "service": service_id,
        "availability": slot_id,
        "customer_name": f"Bench {tag}",
        "customer_email": f"{tag}@bench.example",
        "customer_phone": guest_phone(abs(hash(tag))),
    }


def future(days):
    start = datetime.now(UTC).replace(minute=0, second=0, microsecond=0)
    return start + timedelta(days=days)
