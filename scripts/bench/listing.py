"""Benchmark 3: the public slot listing over a million slots against its raw SQL."""

import os
import time
from datetime import timedelta

from harness import LISTING_SLOTS, django_in_process, future, latency_summary


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
