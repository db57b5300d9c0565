"""Time the guest throttle in-process: statements and microseconds per check.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/doceamor_bench \\
        .venv/bin/python scripts/bench/throttle.py [--checks 2000] \\
        [--redis-url redis://127.0.0.1:6379/13]

Compares the fixed-window counter (apps.ratelimits) on the database and on
Redis with the throttle it replaced, DRF's SimpleRateThrottle on the database
cache (and on Redis's cache). "one client" sends every check from one
address, so SimpleRateThrottle's list of timestamps grows to --checks entries;
"many clients" sends each check from a new address. Counters and keys it
writes carry a per-run key prefix; run it on a benchmark database.
"""

import argparse
import json
import time
from types import SimpleNamespace

from harness import django_in_process


def main():
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--checks", type=int, default=2000)
    parser.add_argument("--redis-url", default="redis://127.0.0.1:6379/13")
    parser.add_argument("--purge-rows", type=int, default=100_000)
    parser.add_argument("--json", help="write the figures to this file")
    options = parser.parse_args()

    django_in_process(BOOKING_LOG_LEVEL="WARNING", REDIS_URL="")
    import redis
    from django.conf import settings
    from django.contrib.auth.models import AnonymousUser
    from django.core.cache.backends.db import DatabaseCache
    from django.core.cache.backends.redis import RedisCache
    from django.db import connection
    from django.test.utils import CaptureQueriesContext
    from rest_framework.throttling import SimpleRateThrottle

    from apps.ratelimits.models import Counter
    from apps.ratelimits.services import ratelimit_counters_purge
    from apps.ratelimits.throttles import FixedWindowThrottle
    from common.http import client_identity

    run = int(time.time())
    rate = f"{options.checks * 10}/min"  # every check is admitted
    settings.REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"]["bench"] = rate
    settings.RATELIMIT_REDIS_PREFIX = f"bench-{run}:"

    class FixedWindow(FixedWindowThrottle):
        scope = "bench"

    def simple_rate_throttle(cache):
        class Old(SimpleRateThrottle):
            """bookings.throttles as it was before apps.ratelimits."""

            scope = "bench"

            def get_rate(self):
                return rate

            def get_cache_key(self, request, view):
                ident = client_identity(request)
                return f"throttle_bench_{run}_{ident}"

        Old.cache = cache
        return Old

    # The old throttle's cache table: the app dropped it (bookings migration
    # 0013), so the benchmark database gets it here.
    from django.core.management.commands.createcachetable import (
        Command as CreateCacheTable,
    )

    creator = CreateCacheTable()
    creator.verbosity = 0
    creator.create_table("default", "django_cache", dry_run=False)
    database_cache = DatabaseCache("django_cache", {})
    redis_cache = RedisCache(options.redis_url, {})
    redis_reachable = True
    try:
        redis.Redis.from_url(options.redis_url, socket_connect_timeout=1).ping()
    except redis.RedisError as error:
        redis_reachable = False
        print(f"Redis at {options.redis_url} not reachable ({error}); skipped")

    def requests(mode, phase, count):
        """`count` anonymous requests; addresses new to each phase."""
        for index in range(count):
            if mode == "one client":
                address = f"10.{phase}.0.1"
            else:
                address = f"10.{phase}.{index // 256 % 256}.{index % 256}"
            yield SimpleNamespace(user=AnonymousUser(), META={"REMOTE_ADDR": address})

    paths = [
        ("fixed window, database", FixedWindow, ""),
        ("SimpleRateThrottle, DatabaseCache", simple_rate_throttle(database_cache), ""),
    ]
    if redis_reachable:
        paths += [
            ("fixed window, Redis", FixedWindow, options.redis_url),
            ("SimpleRateThrottle, RedisCache", simple_rate_throttle(redis_cache), ""),
        ]
    print(f"{connection.vendor}, {options.checks} checks per row, rate {rate}")
    print(f"{'throttle':36} {'clients':12} {'statements/check':>16} {'µs/check':>9}")
    phase = 0
    rows = []
    for name, throttle_class, redis_url in paths:
        settings.REDIS_URL = redis_url
        for mode in ("one client", "many clients"):
            # Statements from a short run under the query log; time from a
            # run without it (the debug cursor costs time of its own).
            phase += 1
            with CaptureQueriesContext(connection) as captured:
                for request in requests(mode, phase, 50):
                    assert throttle_class().allow_request(request, None)
            statements = len(captured) / 50
            phase += 1
            started = time.perf_counter()
            for request in requests(mode, phase, options.checks):
                assert throttle_class().allow_request(request, None)
            elapsed = time.perf_counter() - started
            micros = elapsed / options.checks * 1e6
            print(f"{name:36} {mode:12} {statements:>16.1f} {micros:>9.0f}")
            rows.append(
                {
                    "throttle": name,
                    "clients": mode,
                    "statements_per_check": statements,
                    "microseconds_per_check": round(micros),
                }
            )
    settings.REDIS_URL = ""

    # The purge's cost, paid by run_scheduled_jobs, never by a request.
    ended = int(time.time()) - 3600
    Counter.objects.bulk_create(
        Counter(
            key=f"bench-{run}-{i}", window_start=ended - 60, window_end=ended, hits=1
        )
        for i in range(options.purge_rows)
    )
    started = time.perf_counter()
    deleted = ratelimit_counters_purge(now=time.time())
    purge_ms = round((time.perf_counter() - started) * 1000)
    print(f"purge: {deleted} ended counters in {purge_ms} ms")
    if options.json:
        with open(options.json, "w") as file:
            json.dump(
                {
                    "checks": options.checks,
                    "redis_reachable": redis_reachable,
                    "rows": rows,
                    "purge": {"ended_counters": deleted, "ms": purge_ms},
                },
                file,
                indent=2,
            )
    database_cache.clear()
    if redis_reachable:
        client = redis.Redis.from_url(options.redis_url)
        keys = list(client.scan_iter(f"bench-{run}:*")) + list(
            client.scan_iter(f"*throttle_bench_{run}_*")
        )
        if keys:
            client.delete(*keys)


if __name__ == "__main__":
    main()
