"""Profile booking creation in-process: queries, time per request, hot spots.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/doceamor_bench \\
        .venv/bin/python scripts/bench/profile_create.py [--requests 200]

Makes its own service, staff member and slots in that database (run it on a
benchmark database, not production), then books them through the Django test
client: the same view, serializers and domain layer as over HTTP, without the
network.
"""

import argparse
import cProfile
import io
import pstats
import time
from datetime import timedelta

from harness import django_in_process, guest_phone


def main():
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--requests", type=int, default=200)
    parser.add_argument("--top", type=int, default=30)
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
    start = timezone.now() + timedelta(days=3650)
    total = options.requests * 2 + 2
    slots = [
        Availability.objects.create(
            staff=staff,
            start_time=start + timedelta(hours=i),
            end_time=start + timedelta(hours=i, minutes=30),
        ).pk
        for i in range(total)
    ]
    client = Client(HTTP_HOST="localhost")

    def book(index):
        response = client.post(
            "/api/bookings/",
            {
                "service": service.pk,
                "availability": slots[index],
                "customer_name": "Profile",
                "customer_email": f"profile{run}-{index}@bench.example",
                "customer_phone": guest_phone(run * 100_000 + index),
            },
            content_type="application/json",
        )
        assert response.status_code == 201, response.content

    book(0)  # warm up
    with CaptureQueriesContext(connection) as captured:
        book(1)
    # Read now: the captured list is a view of the query log, which the next
    # request clears.
    queries_per_create = len(captured)
    started = time.perf_counter()
    for index in range(2, 2 + options.requests):
        book(index)
    per_request = (time.perf_counter() - started) / options.requests * 1000
    print(f"queries per create: {queries_per_create}")
    print(f"time per create: {per_request:.2f} ms (in-process, {connection.vendor})")

    profile = cProfile.Profile()
    profile.enable()
    for index in range(2 + options.requests, total):
        book(index)
    profile.disable()
    report = io.StringIO()
    pstats.Stats(profile, stream=report).sort_stats("cumulative").print_stats(
        options.top
    )
    print(report.getvalue())


if __name__ == "__main__":
    main()
