"""Shared pieces of the benchmarks and the fault matrix: the HTTP client and
load generator, /proc readings, latency summaries, the benchmark database, the
one source of valid guest data, and the rule that a refused load is a failed
run."""

import http.client
import itertools
import json
import math
import os
import platform
import random
import re
import statistics
import sys
import threading
import time
from collections import Counter
from datetime import UTC, datetime, timedelta
from importlib.metadata import version
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
    "BOOKING_MAX_UNPAID_PER_SERVICE_DAY": "100000000",
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
# BENCH_SCALE < 1 shrinks the large tables for a quick check of the scripts;
# its figures are not the benchmark's.
SCALE = float(os.environ.get("BENCH_SCALE", 1))
LISTING_SLOTS = int(1_000_000 * SCALE) // 200 * 200
EXPIRY_BOOKINGS = int(100_000 * SCALE)


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

    def __init__(self, base_url, *, timeout=60):
        parsed = urlparse(base_url)
        self.host, self.port, self.timeout = parsed.hostname, parsed.port, timeout

    def send(self, method, path, body=None, headers=None):
        """(status, response headers, body, seconds); network errors raise."""
        connection = http.client.HTTPConnection(
            self.host, self.port, timeout=self.timeout
        )
        payload = json.dumps(body).encode() if body is not None else None
        if payload:
            headers = {"Content-Type": "application/json", **(headers or {})}
        try:
            started = time.perf_counter()
            connection.request(method, path, body=payload, headers=headers or {})
            response = connection.getresponse()
            data = response.read()
            elapsed = time.perf_counter() - started
            return response.status, dict(response.getheaders()), data, elapsed
        finally:
            connection.close()

    def request(self, method, path, body=None):
        status, _, data, elapsed = self.send(method, path, body)
        return status, data, elapsed


def answer_kind(status, body):
    """An answer as runs count them: `201`, or `409 slot_unavailable` by code."""
    if status < 400:
        return str(status)
    try:
        code = json.loads(body).get("code")
    except (ValueError, AttributeError):
        code = None
    return f"{status} {code}"


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


# --- processes ------------------------------------------------------------------------


def child_pids(pid):
    """The processes whose parent is `pid` (gunicorn's workers), from /proc."""
    found = []
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                stat = Path(f"/proc/{entry}/stat").read_text()
            except OSError:
                continue
            # The command name in parentheses may hold spaces: split after it.
            if int(stat.rsplit(")", 1)[1].split()[1]) == pid:
                found.append(int(entry))
    return found


def proc_mib(pid, field, file="status"):
    """A `field: N kB` line of /proc/<pid>/<file> in MiB; None once it is gone."""
    try:
        text = Path(f"/proc/{pid}/{file}").read_text()
    except OSError:
        return None
    return int(re.search(rf"{field}:\s+(\d+) kB", text).group(1)) / 1024


def machine():
    """The machine and the versions a run measured, for its report."""
    memory_kib = int(
        re.search(r"MemTotal:\s+(\d+)", Path("/proc/meminfo").read_text()).group(1)
    )
    cpu_model = next(
        (
            line.split(":", 1)[1].strip()
            for line in Path("/proc/cpuinfo").read_text().splitlines()
            if line.startswith("model name")
        ),
        platform.processor(),
    )
    return {
        "cpus": os.cpu_count(),
        "cpu_model": cpu_model,
        "memory_gib": round(memory_kib / 1024 / 1024, 1),
        "python": platform.python_version(),
        "kernel": platform.release(),
        **{
            package: version(package)
            for package in ("django", "djangorestframework", "gunicorn", "psycopg")
        },
    }


# --- generated reports ----------------------------------------------------------------

# docs/reliability.md and docs/benchmarks.md each end with a section that
# scripts/cluster writes (the several-hosts topology); the single-host
# reports keep it when they regenerate the rest, and the other way round.
SECTION_START = "<!-- several-hosts:start -->"
SECTION_END = "<!-- several-hosts:end -->"


def write_keeping_section(path, text, section=None):
    """Write `text` to `path`, followed by `section` (the several-hosts part),
    or by the one the file already holds when `section` is None."""
    path = Path(path)
    old = path.read_text() if path.exists() else ""
    if section is None and SECTION_START in old:
        section = SECTION_START + old.split(SECTION_START, 1)[1]
    body = text.split(SECTION_START, 1)[0].rstrip("\n") if section else text
    path.write_text(body + ("\n\n" + section.rstrip("\n") + "\n" if section else ""))


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

    def overdue_bookings(self, service_id, slot_ids):
        """Unpaid bookings past their deadline on `slot_ids`, of valid guests."""
        guests = [guest(service_id, slot, f"late-{slot}") for slot in slot_ids]
        columns = [
            [row[field] for row in guests]
            for field in ("customer_name", "customer_email", "customer_phone")
        ]
        with self.connect() as conn:
            conn.execute(
                "INSERT INTO bookings_booking (reference, service_id, staff_id,"
                " availability_id, customer_name, customer_email, customer_phone,"
                " customer_phone_digits, customer_email_key, client_key,"
                " client_site_key, client_network_key, notes, locale,"
                " amount_due, status, payment_expires_at, cancel_reason, created_at,"
                " updated_at)"
                " SELECT 'X' || lpad(upper(to_hex(a.id)), 7, '0'), %s, a.staff_id,"
                " a.id, g.name, g.email, g.phone, ltrim(g.phone, '+'), g.email, '',"
                " '', '', '', 'en', 30, 'awaiting_payment', now() - interval '1 hour',"
                " '',"
                " now() - interval '2 hours', now()"
                " FROM unnest(%s::bigint[], %s::text[], %s::text[], %s::text[])"
                " AS g(slot_id, name, email, phone)"
                " JOIN availability_availability a ON a.id = g.slot_id",
                [service_id, slot_ids, *columns],
            )
            conn.execute(
                "UPDATE availability_availability SET is_booked = true"
                " WHERE id = ANY(%s)",
                [slot_ids],
            )


# --- guests ---------------------------------------------------------------------------

# Each run numbers its guests' phones from a random point, so they are distinct
# within a run by construction and rarely meet another run's on the same
# database (the per-contact limit counts a phone across bookings). Client
# threads share it: next() on a count is atomic under the GIL.
_GUEST_NUMBERS = itertools.count(random.randrange(10**7))


def guest_phone(number: int) -> str:
    """A phone number the API accepts (a valid Portuguese mobile), in E.164."""
    return f"+35191{number % 10**7:07d}"


def guest(service_id, slot_id, tag):
    """A booking request with a contact of its own: the email from `tag`.

    Every load books through this, so the data the API accepts is written in
    one place. `tag` is lowercase without '+', so the email is its own
    `customer_email_key`.
    """
    return {
        "service": service_id,
        "availability": slot_id,
        "customer_name": f"Guest {tag}",
        "customer_email": f"{tag}@guests.example",
        "customer_phone": guest_phone(next(_GUEST_NUMBERS)),
    }


def future(days):
    start = datetime.now(UTC).replace(minute=0, second=0, microsecond=0)
    return start + timedelta(days=days)


# --- the verdict on a load ----------------------------------------------------------

# More 4xx answers than this share of a load's requests (beyond those the run
# provokes on purpose) make it a failed run: the server refused the load, so
# it measured nothing.
MAX_4XX_SHARE = 0.02


def creates_check(kinds, *, committed, seconds, expected=()):
    """Whether a load's creates went through: the committed rate and 4xx share.

    `kinds` counts the answers by `answer_kind`; `expected` names the 4xx
    kinds the run provokes (the race's conflicts), which are not counted.
    `failures` is empty unless the run committed no booking or passed
    MAX_4XX_SHARE; then its zeros of doubles or lost answers would be vacuous.
    """
    kinds = Counter(kinds)
    requests = kinds.total()
    refused = Counter(
        {k: n for k, n in kinds.items() if k.startswith("4") and k not in expected}
    )
    share = refused.total() / requests if requests else 0.0
    failures = []
    if not committed:
        failures.append("no booking committed")
    if share > MAX_4XX_SHARE:
        worst, count = refused.most_common(1)[0]
        failures.append(
            f"{share:.1%} of {requests} requests were 4xx (bound "
            f"{MAX_4XX_SHARE:.0%}), most of them {worst} ({count})"
        )
    return {
        "committed": committed,
        "committed_per_second": round(committed / seconds, 1) if seconds else 0.0,
        "share_4xx": round(share, 4),
        "failures": failures,
    }


def postmaster_pid(db):
    """The PostgreSQL server's main process: the parent of this connection's
    backend (the benchmark runs on the database's machine)."""
    with db.connect() as conn:
        backend = conn.execute("SELECT pg_backend_pid()").fetchone()[0]
        stat = Path(f"/proc/{backend}/stat").read_text()
    return int(stat.rsplit(")", 1)[1].split()[1])


def server_cpu_seconds(master_pid):
    """CPU seconds a gunicorn's workers have used: the live ones' own, plus
    what the master has reaped of the ones recycled (max_requests). Given
    PostgreSQL's postmaster, its backends' and helpers' alike."""
    ticks = os.sysconf("SC_CLK_TCK")

    def fields(pid):
        try:
            stat = Path(f"/proc/{pid}/stat").read_text()
        except OSError:
            return None
        # utime stime cutime cstime follow the command name (in parentheses).
        return [int(x) for x in stat.rsplit(")", 1)[1].split()[11:15]]

    master = fields(master_pid) or [0, 0, 0, 0]
    total = master[2] + master[3]
    for pid in child_pids(master_pid):
        worker = fields(pid)
        if worker:
            total += worker[0] + worker[1]
    return total / ticks
