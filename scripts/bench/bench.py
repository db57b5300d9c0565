"""Benchmarks of the real stack, each side by side with its baseline.

Run by scripts/bench/run_all.sh, which starts gunicorn on a fresh PostgreSQL
database and passes its address here. This process is the load: HTTP
clients in threads, and the raw-psycopg baselines at the same concurrency.

    bench.py --base-url http://127.0.0.1:8765 --database-url postgres://... \\
        --gunicorn-pid 1234 --json results.json --report docs/benchmarks.md
"""

import argparse
import http.client
import itertools
import json
import math
import os
import platform
import queue
import re
import statistics
import subprocess
import sys
import threading
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from urllib.parse import urlparse

import psycopg

PROJECT_DIR = Path(__file__).resolve().parents[2]
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

    def connect(self):
        return psycopg.connect(self.url, autocommit=True)

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


def guest(service_id, slot_id, tag):
    return {
        "service": service_id,
        "availability": slot_id,
        "customer_name": f"Bench {tag}",
        "customer_email": f"{tag}@bench.example",
        "customer_phone": f"+1 555 {abs(hash(tag)) % 10**8:08d}",
    }


def future(days):
    start = datetime.now(UTC).replace(minute=0, second=0, microsecond=0)
    return start + timedelta(days=days)


# --- 1. race --------------------------------------------------------------------------


def bench_race(api, db):
    service_id, (staff_id,) = db.catalogue("race", staff_count=1)
    slot_ids = db.slots([staff_id], RACE_SLOTS, start=future(400))
    statuses = {}
    started = time.perf_counter()
    for slot_id in slot_ids:
        results, _ = run_clients(
            RACE_CLIENTS,
            lambda i, slot_id=slot_id: api.request(
                "POST", "/api/bookings/", guest(service_id, slot_id, f"r{slot_id}-{i}")
            )[0],
        )
        for status in results:
            statuses[status] = statuses.get(status, 0) + 1
    elapsed = time.perf_counter() - started
    doubled = db.scalar(
        "SELECT count(*) FROM (SELECT availability_id FROM bookings_booking"
        " WHERE status <> 'cancelled' AND availability_id = ANY(%s)"
        " GROUP BY availability_id HAVING count(*) > 1) d",
        [slot_ids],
    )
    flag_mismatch = db.scalar(
        "SELECT count(*) FROM availability_availability a WHERE a.id = ANY(%s) AND"
        " a.is_booked <> EXISTS (SELECT 1 FROM bookings_booking b WHERE"
        " b.availability_id = a.id AND b.status <> 'cancelled')",
        [slot_ids],
    )
    naive = bench_naive_race(db)
    return {
        "slots": RACE_SLOTS,
        "clients_per_slot": RACE_CLIENTS,
        "status_counts": {str(k): v for k, v in sorted(statuses.items())},
        "created": statuses.get(201, 0),
        "conflicts": statuses.get(409, 0),
        "server_errors": sum(v for k, v in statuses.items() if k >= 500),
        "slots_with_two_active_bookings": doubled,
        "is_booked_mismatches": flag_mismatch,
        "seconds": round(elapsed, 2),
        "naive_baseline": naive,
        "pass": statuses.get(201, 0) == RACE_SLOTS
        and statuses.get(409, 0) == RACE_SLOTS * (RACE_CLIENTS - 1)
        and doubled == 0
        and flag_mismatch == 0
        and naive["slots_double_booked"] >= 1,
    }


def bench_naive_race(db):
    """Check-then-insert without a lock or a constraint, at the same concurrency."""
    db.execute("DROP TABLE IF EXISTS bench_naive_booking, bench_naive_slot")
    db.execute("CREATE TABLE bench_naive_slot (id int PRIMARY KEY, is_booked bool)")
    db.execute("CREATE TABLE bench_naive_booking (id serial, slot_id int, client int)")
    db.execute(
        "INSERT INTO bench_naive_slot SELECT g, false FROM generate_series(1, %s) g",
        [RACE_SLOTS],
    )
    connections = [
        psycopg.connect(db.url, autocommit=False) for _ in range(RACE_CLIENTS)
    ]

    def attempt(index, slot_id):
        conn = connections[index]
        with conn.transaction():
            (booked,) = conn.execute(
                "SELECT is_booked FROM bench_naive_slot WHERE id = %s", [slot_id]
            ).fetchone()
            if booked:
                return False
            conn.execute(
                "INSERT INTO bench_naive_booking (slot_id, client) VALUES (%s, %s)",
                [slot_id, index],
            )
            conn.execute(
                "UPDATE bench_naive_slot SET is_booked = true WHERE id = %s", [slot_id]
            )
            return True

    try:
        for slot_id in range(1, RACE_SLOTS + 1):
            run_clients(RACE_CLIENTS, lambda i, slot_id=slot_id: attempt(i, slot_id))
    finally:
        for conn in connections:
            conn.close()
    doubled = db.scalar(
        "SELECT count(*) FROM (SELECT slot_id FROM bench_naive_booking"
        " GROUP BY slot_id HAVING count(*) > 1) d"
    )
    bookings = db.scalar("SELECT count(*) FROM bench_naive_booking")
    return {"slots_double_booked": doubled, "bookings_for_200_slots": bookings}


# --- 2. throughput --------------------------------------------------------------------


def bench_throughput(api, db):
    service_id, staff_ids = db.catalogue("throughput", staff_count=10)
    levels = []
    day = 500
    for clients in THROUGHPUT_LEVELS:
        per_client = 40 if clients <= 8 else 15
        total = clients * per_client
        api_slots = queue.SimpleQueue()
        for slot_id in db.slots(staff_ids, total // 10 + 1, start=future(day)):
            api_slots.put(slot_id)
        raw_slots = queue.SimpleQueue()
        for slot_id in db.slots(staff_ids, total // 10 + 1, start=future(day + 40)):
            raw_slots.put(slot_id)
        day += 80

        def api_client(index, clients=clients, per_client=per_client, slots=api_slots):
            latencies, statuses = [], []
            for n in range(per_client):
                status, _, elapsed = api.request(
                    "POST",
                    "/api/bookings/",
                    guest(service_id, slots.get(), f"t{clients}-{index}-{n}"),
                )
                statuses.append(status)
                latencies.append(elapsed)
            return latencies, statuses

        results, wall = run_clients(clients, api_client)
        api_latencies = [x for lat, _ in results for x in lat]
        api_statuses = [x for _, st in results for x in st]
        raw = raw_throughput(db, clients, per_client, raw_slots, service_id)
        api_rate = total / wall
        levels.append(
            {
                "clients": clients,
                "requests": total,
                "api": {
                    "creates_per_second": round(api_rate, 1),
                    "non_201": sum(1 for s in api_statuses if s != 201),
                    **latency_summary(api_latencies),
                },
                "raw_psycopg": raw,
                "api_share_of_raw": round(api_rate / raw["creates_per_second"], 3),
            }
        )
    return {
        "levels": levels,
        "target": "API creates/s >= 20% of raw psycopg at each level",
        "pass": all(
            level["api_share_of_raw"] >= 0.2 and level["api"]["non_201"] == 0
            for level in levels
        ),
    }


RAW_REFERENCES = itertools.count()
RAW_CREATE = [
    "SELECT set_config('lock_timeout', '3000ms', true)",
    "SELECT a.is_booked, a.start_time, a.end_time, s.is_active"
    " FROM availability_availability a JOIN staff_staff s ON s.id = a.staff_id"
    " WHERE a.id = %(slot)s FOR NO KEY UPDATE OF a",
    "INSERT INTO bookings_booking (reference, service_id, staff_id, availability_id,"
    " customer_name, customer_email, customer_phone, customer_phone_digits, notes,"
    " amount_due, status, payment_expires_at, cancel_reason, created_at, updated_at)"
    " SELECT %(ref)s, %(service)s, a.staff_id, a.id, 'Raw', 'raw@bench.example',"
    " '555', '555', '', 30, 'awaiting_payment', now() + interval '30 minutes', '',"
    " now(), now() FROM availability_availability a WHERE a.id = %(slot)s"
    " RETURNING id",
    "UPDATE availability_availability SET is_booked = true, updated_at = now()"
    " WHERE id = %(slot)s",
    "INSERT INTO bookings_bookingevent (booking_id, from_status, to_status, source,"
    " note, created_at) VALUES (%(booking)s, '', 'awaiting_payment', 'guest', '',"
    " now())",
]


def raw_throughput(db, clients, per_client, slots, service_id):
    """The same lock, re-check, insert and update transaction, through psycopg."""
    connections = [psycopg.connect(db.url) for _ in range(clients)]
    lock = threading.Lock()

    def client(index):
        conn = connections[index]
        latencies = []
        for _ in range(per_client):
            slot = slots.get()
            with lock:
                ref = f"W{next(RAW_REFERENCES):07d}"
            started = time.perf_counter()
            with conn.transaction():
                conn.execute(RAW_CREATE[0])
                booked, _, _, active = conn.execute(
                    RAW_CREATE[1], {"slot": slot}
                ).fetchone()
                assert not booked and active
                (booking,) = conn.execute(
                    RAW_CREATE[2], {"ref": ref, "service": service_id, "slot": slot}
                ).fetchone()
                conn.execute(RAW_CREATE[3], {"slot": slot})
                conn.execute(RAW_CREATE[4], {"booking": booking})
            latencies.append(time.perf_counter() - started)
        return latencies

    try:
        results, wall = run_clients(clients, client)
    finally:
        for conn in connections:
            conn.close()
    latencies = [x for batch in results for x in batch]
    return {
        "creates_per_second": round(len(latencies) / wall, 1),
        **latency_summary(latencies),
    }


# --- 3. listing -----------------------------------------------------------------------


def bench_listing(api, db, django_ready):
    staff_count = 200
    service_id, staff_ids = db.catalogue("listing", staff_count=staff_count)
    started = time.perf_counter()
    db.slots(staff_ids, LISTING_SLOTS // staff_count, start=future(1000), ids=False)
    db.execute("ANALYZE")
    load_seconds = time.perf_counter() - started
    total_slots = db.scalar("SELECT count(*) FROM availability_availability")
    day = (future(1000) + timedelta(days=20)).date().isoformat()
    path = f"/api/bookings/availability/?service={service_id}&date={day}"

    queries, sql = django_ready.count_queries(path)
    queries_100, _ = django_ready.count_queries(path + "&page_size=100")
    page_sql = next(
        q
        for q in sql
        if 'FROM "availability_availability"' in q and "COUNT(" not in q.upper()
    )
    with db.connect() as conn:
        plan = "\n".join(
            row[0] for row in conn.execute("EXPLAIN ANALYZE " + page_sql).fetchall()
        )
    seq_scan = "Seq Scan on availability_availability" in plan

    for _ in range(5):  # warm up both paths
        api.request("GET", path)
    api_latencies = []
    for _ in range(200):
        status, _, elapsed = api.request("GET", path)
        assert status == 200
        api_latencies.append(elapsed)
    # Raw: every statement the request issues (service check, count, page),
    # in order, on one open connection.
    raw_latencies = []
    with db.connect() as conn:
        for _ in range(200):
            started = time.perf_counter()
            for statement in sql:
                conn.execute(statement).fetchall()
            raw_latencies.append(time.perf_counter() - started)
    # The floor: the same HTTP path to an endpoint that runs one SELECT 1.
    floor_latencies = [api.request("GET", "/api/health/")[2] for _ in range(200)]
    api_summary, raw_summary = (
        latency_summary(api_latencies),
        latency_summary(raw_latencies),
    )
    floor_summary = latency_summary(floor_latencies)
    ratio = api_summary["p50_ms"] / raw_summary["p50_ms"]
    return {
        "slots_in_table": total_slots,
        "load_seconds": round(load_seconds, 1),
        "path": path,
        "statements": sql,
        "queries_per_request": {"page_size_20": queries, "page_size_100": queries_100},
        "explain_page_query": plan,
        "sequential_scan_of_slots": seq_scan,
        "api": api_summary,
        "raw_psycopg_same_sql": raw_summary,
        "http_floor_health_endpoint": floor_summary,
        "p50_ratio": round(ratio, 2),
        "p50_ratio_above_http_floor": round(
            (api_summary["p50_ms"] - floor_summary["p50_ms"]) / raw_summary["p50_ms"], 2
        ),
        "target": "p50 <= 3 x raw; no seq scan; <= 4 queries, same at any page size",
        "pass": ratio <= 3 and not seq_scan and queries == queries_100 and queries <= 4,
    }


class DjangoInProcess:
    """Django set up in this process, only to count and capture a request's SQL."""

    def __init__(self, database_url):
        os.environ["DATABASE_URL"] = database_url
        os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.dev")
        sys.path.insert(0, str(PROJECT_DIR / "backend"))
        import django

        django.setup()

    def count_queries(self, path):
        from django.db import connection
        from django.test import Client
        from django.test.utils import CaptureQueriesContext

        client = Client(HTTP_HOST="localhost")
        with CaptureQueriesContext(connection) as captured:
            response = client.get(path)
        assert response.status_code == 200, response.content
        return len(captured), [q["sql"] for q in captured.captured_queries]


# --- 4. expiry ------------------------------------------------------------------------


# A child's ru_maxrss includes what it inherited at fork, before exec; so
# the command is started by this small wrapper, not by the (large) harness.
PEAK_RSS_WRAPPER = (
    "import resource, subprocess, sys\n"
    "code = subprocess.call(sys.argv[1:])\n"
    "peak = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss\n"
    "print(f'PEAK_RSS_KIB={peak}')\n"
    "sys.exit(code)\n"
)


def manage(*args, env):
    """Run a management command; return (stdout, wall seconds, peak RSS MiB)."""
    started = time.perf_counter()
    process = subprocess.run(
        [sys.executable, "-c", PEAK_RSS_WRAPPER, sys.executable, "manage.py", *args],
        cwd=PROJECT_DIR,
        env=env,
        capture_output=True,
        text=True,
    )
    elapsed = time.perf_counter() - started
    output = process.stdout + process.stderr
    if process.returncode != 0:
        raise RuntimeError(f"manage.py {' '.join(args)} failed:\n{output}")
    peak_kib = int(re.search(r"PEAK_RSS_KIB=(\d+)", output).group(1))
    return output, elapsed, peak_kib / 1024


def expired_count(output):
    return int(re.search(r"Expired (\d+) unpaid", output).group(1))


def bench_expiry(db, command_env):
    service_id, staff_ids = db.catalogue("expiry", staff_count=50)
    slot_ids = db.slots(staff_ids, EXPIRY_BOOKINGS // 50, start=future(2000))
    with db.connect() as conn:
        conn.execute(
            "INSERT INTO bookings_booking (reference, service_id, staff_id,"
            " availability_id, customer_name, customer_email, customer_phone,"
            " customer_phone_digits, notes, amount_due, status, payment_expires_at,"
            " cancel_reason, created_at, updated_at)"
            " SELECT 'X' || lpad(upper(to_hex(a.id)), 7, '0'), %s, a.staff_id, a.id,"
            " 'Late payer', 'late' || a.id || '@bench.example', '555', '555', '', 30,"
            " 'awaiting_payment', now() - interval '1 hour', '',"
            " now() - interval '2 hours', now()"
            " FROM availability_availability a WHERE a.id = ANY(%s)",
            [service_id, slot_ids],
        )
        conn.execute(
            "UPDATE availability_availability SET is_booked = true WHERE id = ANY(%s)",
            [slot_ids],
        )
        conn.execute("ANALYZE bookings_booking")

    def reset():
        with db.connect() as conn:
            conn.execute(
                "DELETE FROM bookings_bookingevent WHERE booking_id IN (SELECT id FROM"
                " bookings_booking WHERE availability_id = ANY(%s))",
                [slot_ids],
            )
            conn.execute(
                "UPDATE bookings_booking SET status = 'awaiting_payment',"
                " cancel_reason = '' WHERE availability_id = ANY(%s)",
                [slot_ids],
            )
            conn.execute(
                "UPDATE availability_availability SET is_booked = true"
                " WHERE id = ANY(%s)",
                [slot_ids],
            )
            conn.execute("VACUUM ANALYZE bookings_booking")

    args = ["expire_unpaid_bookings", "--batch-size", "1000", "--no-email"]
    one_output, one_seconds, one_rss = manage(*args, env=command_env)
    one_count = expired_count(one_output)
    rerun_count = expired_count(manage(*args, env=command_env)[0])

    reset()
    outputs = [None, None]

    def copy(index):
        outputs[index] = manage(*args, env=command_env)

    _, two_seconds = run_clients(2, copy)
    two_counts = [expired_count(output) for output, _, _ in outputs]
    events = db.scalar(
        "SELECT count(*) FROM bookings_bookingevent e JOIN bookings_booking b"
        " ON b.id = e.booking_id WHERE b.availability_id = ANY(%s)"
        " AND e.note = 'payment timeout'",
        [slot_ids],
    )
    deadlocks = sum("deadlock" in output.lower() for output, _, _ in outputs)

    reset()
    with db.connect() as conn:
        started = time.perf_counter()
        with conn.transaction():
            released = conn.execute(
                "UPDATE bookings_booking SET status = 'cancelled', cancel_reason ="
                " 'Payment was not received before the deadline.', updated_at = now()"
                " WHERE status = 'awaiting_payment' AND payment_expires_at <= now()"
                " RETURNING availability_id"
            ).fetchall()
            conn.execute(
                "UPDATE availability_availability SET is_booked = false,"
                " updated_at = now() WHERE id = ANY(%s)",
                [[row[0] for row in released]],
            )
        raw_seconds = time.perf_counter() - started
    return {
        "bookings": EXPIRY_BOOKINGS,
        "one_run": {
            "expired": one_count,
            "seconds": round(one_seconds, 2),
            "peak_rss_mib": round(one_rss, 1),
        },
        "immediate_rerun_expired": rerun_count,
        "two_copies": {
            "expired": two_counts,
            "sum": sum(two_counts),
            "seconds": round(two_seconds, 2),
            "timeout_events": events,
            "deadlocks_reported": deadlocks,
        },
        "raw_sql_pair_seconds": round(raw_seconds, 2),
        "one_run_vs_raw": round(one_seconds / raw_seconds, 2),
        "two_copies_vs_one": round(two_seconds / one_seconds, 2),
        "target": "one run <= 3 x raw pair; two copies <= 1.2 x one copy",
        "pass": one_count == EXPIRY_BOOKINGS
        and rerun_count == 0
        and sum(two_counts) == EXPIRY_BOOKINGS
        and events == EXPIRY_BOOKINGS
        and one_seconds <= 3 * raw_seconds
        and two_seconds <= 1.2 * one_seconds,
    }


# --- 5. memory ------------------------------------------------------------------------


def gunicorn_worker_peak_rss(master_pid):
    workers = subprocess.run(
        ["pgrep", "-P", str(master_pid)], capture_output=True, text=True
    ).stdout.split()
    peaks = {}
    for pid in workers:
        status = Path(f"/proc/{pid}/status").read_text()
        peak_kib = int(re.search(r"VmHWM:\s+(\d+) kB", status).group(1))
        peaks[pid] = round(peak_kib / 1024, 1)
    return peaks


# --- report ---------------------------------------------------------------------------


def machine():
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
    versions = {}
    for package in ("django", "djangorestframework", "gunicorn", "psycopg"):
        from importlib.metadata import version

        versions[package] = version(package)
    return {
        "cpus": os.cpu_count(),
        "cpu_model": cpu_model,
        "memory_gib": round(memory_kib / 1024 / 1024, 1),
        "python": platform.python_version(),
        "kernel": platform.release(),
        **versions,
    }


def write_report(results, path):
    m, race = results["machine"], results.get("race")
    lines = [
        "# Benchmarks",
        "",
        "Generated by `scripts/bench/run_all.sh` (do not edit by hand) on "
        f"{results['finished_at']}.",
        "",
        f"Machine: {m['cpus']} CPUs ({m['cpu_model']}), {m['memory_gib']} GiB; "
        f"Python {m['python']}, PostgreSQL {m['postgresql']}, Django {m['django']}, "
        f"DRF {m['djangorestframework']}, gunicorn {m['gunicorn']} with "
        f"{results['gunicorn_workers']} sync workers, psycopg {m['psycopg']}.",
        "",
        "The API runs under gunicorn on PostgreSQL; the load comes from a separate "
        "process on the same machine (so client, server and database share the "
        "CPUs). Every comparison is made in the same run; the targets are ratios "
        "and counts, the absolute times are for the record.",
        "",
        "| benchmark | result | target | verdict |",
        "| --- | --- | --- | --- |",
    ]

    def verdict(section):
        return "met" if section["pass"] else "**missed**"

    if race:
        lines.append(
            f"| 1. race | {race['created']} x 201, {race['conflicts']} x 409, "
            f"{race['server_errors']} x 5xx, "
            f"{race['slots_with_two_active_bookings']} double bookings; naive "
            f"baseline: {race['naive_baseline']['slots_double_booked']} slots double"
            f"-booked | 200 x 201, 3800 x 409, 0 x 5xx, 0 doubles; naive >= 1 | "
            f"{verdict(race)} |"
        )
    if "throughput" in results:
        shares = ", ".join(
            f"{level['clients']}: {level['api_share_of_raw']:.0%}"
            for level in results["throughput"]["levels"]
        )
        lines.append(
            f"| 2. throughput | API share of raw by clients: {shares} | >= 20% | "
            f"{verdict(results['throughput'])} |"
        )
    if "listing" in results:
        listing = results["listing"]
        lines.append(
            f"| 3. listing, {listing['slots_in_table']:,} slots | p50 "
            f"{listing['p50_ratio']} x raw; "
            f"{listing['queries_per_request']['page_size_20']} queries at page size 20"
            f" and {listing['queries_per_request']['page_size_100']} at 100; seq scan:"
            f" {'yes' if listing['sequential_scan_of_slots'] else 'no'} | <= 3 x, "
            f"<= 4 queries, no seq scan | {verdict(listing)} |"
        )
    if "expiry" in results:
        expiry = results["expiry"]
        lines.append(
            f"| 4. expiry, {expiry['bookings']:,} | one run "
            f"{expiry['one_run_vs_raw']} x raw; two copies "
            f"{expiry['two_copies_vs_one']} x one, sum "
            f"{expiry['two_copies']['sum']:,}; rerun "
            f"{expiry['immediate_rerun_expired']} | <= 3 x; <= 1.2 x; sum exact; "
            f"rerun 0 | {verdict(expiry)} |"
        )
    lines += ["", "## Details", ""]
    if race:
        lines += [
            "### 1. Race: 200 slots x 20 concurrent clients per slot",
            "",
            f"Status counts: {race['status_counts']}; slots with two active "
            f"bookings: {race['slots_with_two_active_bookings']}; `is_booked` "
            f"mismatches: {race['is_booked_mismatches']}; {race['seconds']} s.",
            "",
            "Naive baseline (check-then-insert without lock or constraint, raw "
            f"psycopg, same concurrency, scratch tables): "
            f"{race['naive_baseline']['bookings_for_200_slots']} bookings for 200 "
            f"slots, {race['naive_baseline']['slots_double_booked']} slots "
            "double-booked: the load really overlaps.",
            "",
        ]
    if "throughput" in results:
        lines += [
            "### 2. Booking throughput over distinct free slots",
            "",
            "| clients | API creates/s | API p50 / p99 ms | raw creates/s | "
            "raw p50 / p99 ms | API / raw |",
            "| --- | --- | --- | --- | --- | --- |",
        ]
        for level in results["throughput"]["levels"]:
            a, r = level["api"], level["raw_psycopg"]
            lines.append(
                f"| {level['clients']} | {a['creates_per_second']} | {a['p50_ms']} / "
                f"{a['p99_ms']} | {r['creates_per_second']} | {r['p50_ms']} / "
                f"{r['p99_ms']} | {level['api_share_of_raw']:.0%} |"
            )
        lines += [
            "",
            "Raw: the same lock, re-check, insert, update and audit insert in one "
            "transaction through psycopg, one connection per client. The API adds "
            "HTTP, validation, the per-contact limit, the throttle counter and "
            "rendering the booking.",
            "",
        ]
    if "listing" in results:
        listing = results["listing"]
        lines += [
            f"### 3. Slot listing with {listing['slots_in_table']:,} slots",
            "",
            f"`GET {listing['path']}`: API p50 {listing['api']['p50_ms']} ms, p99 "
            f"{listing['api']['p99_ms']} ms; the same SQL through psycopg: p50 "
            f"{listing['raw_psycopg_same_sql']['p50_ms']} "
            f"ms, p99 {listing['raw_psycopg_same_sql']['p99_ms']} ms (all "
            f"{len(listing['statements'])} statements the request issues, replayed "
            "in order on an open connection). Loading the "
            f"slots took {listing['load_seconds']} s.",
            "",
            "The HTTP floor (`GET /api/health/`, one `SELECT 1`, same client and "
            f"server): p50 {listing['http_floor_health_endpoint']['p50_ms']} ms. "
            "Above that floor the listing costs "
            f"{listing['p50_ratio_above_http_floor']} x the raw SQL time.",
            "",
            "EXPLAIN ANALYZE of the page query:",
            "",
            "```",
            listing["explain_page_query"],
            "```",
            "",
        ]
    if "expiry" in results:
        expiry = results["expiry"]
        lines += [
            f"### 4. Expiry of {expiry['bookings']:,} unpaid bookings",
            "",
            "- one run (`--batch-size 1000 --no-email`): "
            f"{expiry['one_run']['seconds']} s, "
            f"{expiry['one_run']['expired']:,} expired, peak RSS "
            f"{expiry['one_run']['peak_rss_mib']} MiB;",
            f"- immediate rerun: {expiry['immediate_rerun_expired']} expired;",
            f"- two copies at once on the same set: {expiry['two_copies']['expired']}"
            f" (sum {expiry['two_copies']['sum']:,}) in "
            f"{expiry['two_copies']['seconds']} s, "
            f"{expiry['two_copies']['timeout_events']:,} audit events, "
            f"{expiry['two_copies']['deadlocks_reported']} deadlocks;",
            f"- raw SQL pair (one UPDATE of bookings, one of slots, one transaction):"
            f" {expiry['raw_sql_pair_seconds']} s. The job also writes one audit "
            "event per booking, which the pair does not.",
            "",
        ]
    if "memory" in results:
        memory = results["memory"]
        lines += [
            "### 5. Memory",
            "",
            "Peak RSS (VmHWM) of each gunicorn worker after the throughput run: "
            + ", ".join(f"{v} MiB" for v in memory["gunicorn_workers_mib"].values())
            + f". Expiry command at {EXPIRY_BOOKINGS:,}: "
            f"{results['expiry']['one_run']['peak_rss_mib']} MiB (it streams in "
            "batches; it never loads the whole set).",
            "",
        ]
    lines += analysis(results)
    Path(path).write_text("\n".join(lines) + "\n")


def analysis(results):
    """Why a missed target is missed, from this run's own figures."""
    lines = []
    throughput, listing = results.get("throughput"), results.get("listing")
    if throughput and not throughput["pass"]:
        rates = [level["api"]["creates_per_second"] for level in throughput["levels"]]
        lines += [
            "### Why the throughput target is missed",
            "",
            f"API creates/s do not grow from 8 to 64 clients ({rates}): the server "
            "is saturated, and on this machine its bound is CPU, shared by gunicorn, "
            "PostgreSQL and the load generator. Per create, the API runs the same "
            "locked transaction as the raw baseline plus request parsing and "
            "validation, the throttle counter (a database cache write unless "
            "`REDIS_URL` is set), the per-contact unpaid limit (advisory locks and "
            "a count), the confirmation email (queued after commit) and rendering "
            "the booking: 22 SQL statements and about 10 ms per request measured "
            "in-process on an idle machine by `scripts/bench/profile_create.py` "
            "(a third of it waiting on the "
            "database, the rest Python in Django and DRF), against 5 statements "
            "and about 3 ms, nearly all of it waiting, for raw psycopg. The "
            "profile (cProfile, in-process) shows no single "
            "hot spot left: time is spread over ORM query compilation, DRF "
            "serializer machinery and the database round trips. Reaching 20% "
            "would mean bypassing the ORM and DRF on the write path, which would "
            "give up the single domain layer the design rests on. More CPUs "
            "scale gunicorn workers; the ratio is a property of the stack.",
            "",
        ]
    if listing and not listing["pass"]:
        sql_ms = listing["raw_psycopg_same_sql"]["p50_ms"]
        lines += [
            "### Why the listing target is missed",
            "",
            f"The SQL is already the cheap part: {sql_ms} ms for all statements "
            "(no sequential scan; the page "
            "query walks the partial index on free slots' start times and stops "
            f"after 20 rows). A request with no work at all costs "
            f"{listing['http_floor_health_endpoint']['p50_ms']} ms over the same "
            "HTTP path, and the rest is Django and DRF (query building, "
            "pagination, serializing 20 slots): a fixed few milliseconds that the "
            f"3 x target leaves no room for when the SQL itself takes {sql_ms} ms.",
            "",
        ]
    return lines


def main():
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--base-url", required=True)
    parser.add_argument("--database-url", required=True)
    parser.add_argument("--gunicorn-pid", type=int, required=True)
    parser.add_argument("--json", dest="json_path")
    parser.add_argument("--report")
    parser.add_argument(
        "--only", default="race,throughput,listing,expiry", help="comma-separated"
    )
    parser.add_argument(
        "--from-json", help="only regenerate --report from an earlier results file"
    )
    if "--from-json" in sys.argv:
        options, _ = parser.parse_known_args(
            [*sys.argv[1:], "--base-url=-", "--database-url=-", "--gunicorn-pid=0"]
        )
        write_report(json.loads(Path(options.from_json).read_text()), options.report)
        return
    options = parser.parse_args()
    wanted = set(options.only.split(","))
    api, db = Api(options.base_url), Database(options.database_url)
    # The commands run with the server's settings (run_all.sh: prod, DEBUG off).
    command_env = {**os.environ, "DATABASE_URL": options.database_url}
    results = {"machine": machine()}
    results["machine"]["postgresql"] = db.scalar("SHOW server_version")
    results["gunicorn_workers"] = len(gunicorn_worker_peak_rss(options.gunicorn_pid))

    steps = [
        ("race", lambda: bench_race(api, db)),
        ("throughput", lambda: bench_throughput(api, db)),
        (
            "listing",
            lambda: bench_listing(api, db, DjangoInProcess(options.database_url)),
        ),
        ("expiry", lambda: bench_expiry(db, command_env)),
    ]
    for name, step in steps:
        if name not in wanted:
            continue
        started = time.perf_counter()
        results[name] = step()
        summary = {k: v for k, v in results[name].items() if k != "explain_page_query"}
        print(f"\n== {name} ({time.perf_counter() - started:.1f} s)")
        print(json.dumps(summary, indent=2))
        if name == "throughput":
            results["memory"] = {
                "gunicorn_workers_mib": gunicorn_worker_peak_rss(options.gunicorn_pid)
            }
            print(json.dumps(results["memory"], indent=2))
    results["finished_at"] = datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC")
    if options.json_path:
        Path(options.json_path).write_text(json.dumps(results, indent=2) + "\n")
    if options.report:
        write_report(results, options.report)
    failed = [name for name in wanted if not results.get(name, {}).get("pass", True)]
    print(f"\nTargets missed: {', '.join(failed)}" if failed else "\nAll targets met.")


if __name__ == "__main__":
    main()
