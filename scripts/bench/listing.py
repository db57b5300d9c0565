"""Benchmark 3: the public slot listing and the calendar's days endpoint over a
million slots, each against its own raw SQL."""

import os
import time
from datetime import timedelta

from harness import (
    LISTING_SLOTS,
    django_in_process,
    future,
    latency_summary,
    percentile,
)

RATIO_TARGET, STATEMENTS_TARGET = 2.5, 3
TARGET = (
    f"p50 above the HTTP floor <= {RATIO_TARGET} x raw; no seq scan; "
    f"<= {STATEMENTS_TARGET} statements, same at any page size"
)


def bench_listing(api, db, django_ready):
    staff_count = 200
    service_id, staff_ids = db.catalogue("listing", staff_count=staff_count)
    started = time.perf_counter()
    db.slots(staff_ids, LISTING_SLOTS // staff_count, start=future(1000), ids=False)
    # What autovacuum does to a table after a bulk insert; without it the
    # planner has no visibility map and scans the month's slots sequentially.
    # The staff and service tables the page joins are analysed too: left to
    # autovacuum, their statistics changed at some moment of the run (200
    # staff just inserted, estimated at 40), and with them the plan, between
    # the API's requests and the raw replay or from one run to the next.
    db.execute(
        "VACUUM ANALYZE availability_availability, staff_staff,"
        " staff_staff_services, services_service"
    )
    load_seconds = time.perf_counter() - started
    total_slots = db.scalar("SELECT count(*) FROM availability_availability")
    # A day inside the slots (back-to-back half hours, LISTING_SLOTS / 200
    # of them a staff member): the 20th, or the middle at a smaller BENCH_SCALE.
    days_covered = LISTING_SLOTS // staff_count // 48
    first_day = (future(1000) + timedelta(days=min(20, days_covered // 2))).date()
    path = f"/api/bookings/availability/?service={service_id}&date={first_day}"
    # A month, as the guest page's calendar asks for it.
    days_path = (
        f"/api/bookings/availability/days/?service={service_id}"
        f"&from={first_day}&to={first_day + timedelta(days=30)}"
    )

    listing = measure(api, db, django_ready, path, page_size_100=True)
    days = measure(api, db, django_ready, days_path)
    return {
        "slots_in_table": total_slots,
        "load_seconds": round(load_seconds, 1),
        **listing,
        # The floor: the same HTTP path to an endpoint that runs one SELECT 1,
        # measured in the listing's rounds.
        "http_floor_health_endpoint": listing["http_floor_same_rounds"],
        "days": days,
        "target": TARGET,
        "pass": listing["pass"] and days["pass"],
    }


def measure(api, db, django_ready, path, *, page_size_100=False):
    """One endpoint against the statements it issues, replayed through psycopg."""
    queries, sql = django_ready.count_queries(path)
    counts = {"page_size_20": queries}
    if page_size_100:
        counts["page_size_100"], _ = django_ready.count_queries(path + "&page_size=100")
    main_sql = next(q for q in sql if 'FROM "availability_availability"' in q)
    with db.connect() as conn:
        plan = "\n".join(
            row[0] for row in conn.execute("EXPLAIN ANALYZE " + main_sql).fetchall()
        )
    seq_scan = "Seq Scan on availability_availability" in plan

    for _ in range(5):  # warm up both paths
        api.request("GET", path)
    # Raw: every statement the request issues, in order, on one open
    # connection; psycopg prepares a statement it has run 5 times, so this
    # replay skips planning. The unprepared one sends each statement as
    # Django does. The four are measured in interleaved rounds, so a burst
    # of other work on the machine falls on all of them, not on one.
    timings = {"api": [], "floor": [], "raw": [], "unprepared": []}
    ratios = []
    with db.connect() as prepared, db.connect(prepare_threshold=None) as unprepared:
        replay(prepared, sql, 5)
        replay(unprepared, sql, 5)
        for _ in range(ROUNDS):
            batch = {
                "floor": [
                    api.request("GET", "/api/health/")[2] for _ in range(PER_ROUND)
                ],
                "api": [timed_get(api, path) for _ in range(PER_ROUND)],
                "raw": replay(prepared, sql, PER_ROUND),
                "unprepared": replay(unprepared, sql, PER_ROUND),
            }
            for name, values in batch.items():
                timings[name] += values
            ratios.append(_above_floor(*(batch[n] for n in ("api", "floor", "raw"))))
    api_summary = latency_summary(timings["api"])
    raw_summary = latency_summary(timings["raw"])
    above_floor = _above_floor(timings["api"], timings["floor"], timings["raw"])
    return {
        "path": path,
        "statements": sql,
        "queries_per_request": counts,
        "explain_page_query": plan,
        "sequential_scan_of_slots": seq_scan,
        "api": api_summary,
        "raw_psycopg_same_sql": raw_summary,
        "raw_psycopg_unprepared": latency_summary(timings["unprepared"]),
        "http_floor_same_rounds": latency_summary(timings["floor"]),
        "p50_ratio": round(api_summary["p50_ms"] / raw_summary["p50_ms"], 2),
        "p50_ratio_above_http_floor": round(above_floor, 2),
        "p50_ratio_above_http_floor_rounds": [round(r, 2) for r in ratios],
        "pass": above_floor <= RATIO_TARGET
        and not seq_scan
        and len(set(counts.values())) == 1
        and queries <= STATEMENTS_TARGET,
    }


ROUNDS, PER_ROUND = 5, 40


def _above_floor(api, floor, raw):
    """The API's p50 above the HTTP floor's, in p50s of the raw SQL."""
    return (percentile(api, 50) - percentile(floor, 50)) / percentile(raw, 50)


def timed_get(api, path):
    status, _, elapsed = api.request("GET", path)
    assert status == 200
    return elapsed


def replay(conn, sql, times):
    """Seconds per replay of `sql` on `conn`, `times` times."""
    latencies = []
    for _ in range(times):
        started = time.perf_counter()
        for statement in sql:
            conn.execute(statement).fetchall()
        latencies.append(time.perf_counter() - started)
    return latencies


class DjangoInProcess:
    """Django set up in this process, only to count and capture a request's SQL."""

    def __init__(self, database_url):
        os.environ["DATABASE_URL"] = database_url
        django_in_process()

    def count_queries(self, path):
        from django.db import connection
        from django.test import Client
        from django.test.utils import CaptureQueriesContext

        client = Client(HTTP_HOST="localhost")
        with CaptureQueriesContext(connection) as captured:
            response = client.get(path)
        assert response.status_code == 200, response.content
        return len(captured), [q["sql"] for q in captured.captured_queries]
