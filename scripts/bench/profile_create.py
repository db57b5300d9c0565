"""Profile booking creation in-process: statements, time per request, hot spots.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/doceamor_bench \\
        .venv/bin/python scripts/bench/profile_create.py [--requests 200] [--show-sql]

Makes its own service, staff member and slots in that database (run it on a
benchmark database, not production), then books them through the Django test
client: the same middleware, view, serializers and domain layer as over HTTP,
without the network. It counts the SQL statements of one create without an
`Idempotency-Key` and of one with a key (the guest page always sends one),
times both, and profiles the keyed create, which is the one guests make.
"""

import argparse
import cProfile
import io
import json
import pstats
import re
import time
import uuid
from datetime import timedelta

from harness import PROJECT_DIR, django_in_process, guest

MODES = ("without key", "with key")


# What one keyed create spends its time on, read off the profile: the
# cumulative time of these functions (file suffix, function name).
PARTS = (
    ("the whole request", "django/test/client.py", "request"),
    ("DRF set-up: throttle, authentication, permissions", "rest_framework/views.py",
     "initial"),
    ("  of which the throttle's counter", "apps/ratelimits/throttles.py",
     "allow_request"),
    ("input validation (BookingCreateSerializer)", "rest_framework/serializers.py",
     "is_valid"),
    ("Idempotency-Key lock and lookup", "apps/bookings/idempotency.py",
     "_lock_and_look_up"),
    ("booking_create, in all", "apps/bookings/services/create.py", "_booking_create"),
    ("  slot lock with staff member, service and advisory locks",
     "apps/bookings/services/offering.py", "lock_slot_offering"),
    ("  unpaid limits' count", "apps/bookings/services/create.py",
     "_check_unpaid_limits"),
    ("  booking insert", "apps/bookings/services/create.py", "_insert_booking"),
    ("  slot holds and flags", "apps/bookings/services/holds.py", "take_slots"),
    ("  audit event, with what listens to it", "apps/bookings/services/events.py",
     "record_event"),
    ("    guest email's outbox row (snapshot)", "apps/notifications/outbox.py",
     "queue"),
    ("    webhook deliveries", "apps/webhooks/outbox.py", "queue"),
    ("the 201 body (booking_body)", "apps/bookings/serializers.py", "booking_body"),
    ("waiting on PostgreSQL (all statements)", "psycopg/connection.py", "wait"),
)  # fmt: skip


def profile_parts(stats, requests):
    """(part, ms per create, share of the request) from the profile."""
    found = {}
    for (path, _, function), (_, _, own, cumulative, _) in stats.stats.items():
        for name, suffix, wanted in PARTS:
            if function == wanted and path.endswith(suffix):
                # psycopg's wait is a leaf: its own time is the waiting.
                seconds = own if function == "wait" else cumulative
                found[name] = found.get(name, 0) + seconds
    whole = found.get(PARTS[0][0]) or 1
    return [
        (name, round(found.get(name, 0) / requests * 1000, 2),
         round(found.get(name, 0) / whole, 3))
        for name, _, _ in PARTS
    ]  # fmt: skip


def main():
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--requests", type=int, default=200)
    parser.add_argument("--top", type=int, default=30)
    parser.add_argument(
        "--show-sql", action="store_true", help="print the statements of one create"
    )
    parser.add_argument(
        "--sort", default="cumulative", help="pstats order: cumulative, tottime, ..."
    )
    parser.add_argument("--json", help="write the figures to this file")
    options = parser.parse_args()

    django_in_process(BOOKING_LOG_LEVEL="WARNING")
    from django.conf import settings
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext
    from django.utils import timezone

    from apps.availability.models import Availability
    from apps.services.models import Service
    from apps.staff.models import Staff

    settings.EMAIL_BACKEND = "django.core.mail.backends.dummy.EmailBackend"
    run = int(time.time())
    service = Service.objects.create(
        name=f"profile {run}", duration_minutes=30, price=30
    )
    staff = Staff.objects.create(name=f"profile {run}")
    staff.services.add(service)
    start = timezone.now() + timedelta(days=3000)
    total = options.requests * 3 + 4
    Availability.objects.bulk_create(
        Availability(
            staff=staff,
            start_time=start + timedelta(hours=i),
            end_time=start + timedelta(hours=i, minutes=30),
        )
        for i in range(total)
    )
    slots = list(
        Availability.objects.filter(staff=staff)
        .order_by("pk")
        .values_list("pk", flat=True)
    )
    client = Client(HTTP_HOST="localhost")
    next_slot = iter(range(total))

    def book(*, keyed: bool):
        index = next(next_slot)
        headers = {"HTTP_IDEMPOTENCY_KEY": str(uuid.uuid4())} if keyed else {}
        response = client.post(
            "/api/bookings/",
            guest(service.pk, slots[index], f"profile{run}-{index}"),
            content_type="application/json",
            **headers,
        )
        assert response.status_code == 201, response.content

    results = {"database": connection.vendor, "requests": options.requests}
    for mode in MODES:
        keyed = mode == "with key"
        book(keyed=keyed)  # warm up
        with CaptureQueriesContext(connection) as captured:
            book(keyed=keyed)
        # Read now: the captured list is a view of the query log, which the
        # next request clears.
        statements = [query["sql"] for query in captured]
        started = time.perf_counter()
        for _ in range(options.requests):
            book(keyed=keyed)
        per_request = (time.perf_counter() - started) / options.requests * 1000
        results[mode] = {
            "statements": len(statements),
            "ms_per_create": round(per_request, 2),
        }
        print(
            f"{mode}: {len(statements)} statements per create, "
            f"{per_request:.2f} ms per create (in-process, {connection.vendor})"
        )
        if options.show_sql:
            for number, sql in enumerate(statements, 1):
                print(f"  {number:2}. {sql}")

    profile = cProfile.Profile()
    profile.enable()
    for _ in range(options.requests):
        book(keyed=True)
    profile.disable()
    report = io.StringIO()
    stats = pstats.Stats(profile, stream=report)
    stats.sort_stats(options.sort).print_stats(options.top)
    # Paths relative to the project and site-packages: shorter, and the same
    # on every machine.
    top = re.sub(r"\S*/site-packages/", "", report.getvalue())
    top = top.replace(f"{PROJECT_DIR}/", "")
    print(top)
    results["profile_top"] = top.strip()
    results["profile_sort"] = options.sort
    results["profile_parts"] = profile_parts(stats, options.requests)
    print("where a keyed create's time goes (ms, profiled):")
    for name, ms, share in results["profile_parts"]:
        print(f"  {name:<58} {ms:6.2f}  {share:4.0%}")
    if options.json:
        with open(options.json, "w") as file:
            json.dump(results, file, indent=2)


if __name__ == "__main__":
    main()
