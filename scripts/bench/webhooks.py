"""Measure that a hung or dead webhook receiver never slows a booking.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/doceamor_bench \\
        .venv/bin/python scripts/bench/webhooks.py [--requests 30]

Booking create latency (in-process, the Django test client, like
scripts/bench/outbox.py's hung mail server) with: no webhook endpoint, an
endpoint subscribed to `booking.created` on a working receiver (a threading
http.server on loopback), and one on a port that accepts connections and
never answers (a hung receiver). Interleaved, so load on the machine hits
every mode alike. Then `send_webhooks` runs once: the working receiver gets
its messages, the hung one costs one timeout per batch.

Makes its own service, staff member, slots and endpoints in that database:
run it on a benchmark database, not production.
"""

import argparse
import socket
import statistics
import sys
import time
from datetime import timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from threading import Thread

from harness import django_in_process, guest


class Handler(BaseHTTPRequestHandler):
    received = 0

    def do_POST(self):
        self.rfile.read(int(self.headers.get("Content-Length", 0)))
        Handler.received += 1
        self.send_response(204)
        self.end_headers()

    def log_message(self, *args):
        pass


def main():
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--requests", type=int, default=30)
    options = parser.parse_args()

    django_in_process(BOOKING_LOG_LEVEL="ERROR", BOOKING_WEBHOOK_ALLOW_PRIVATE="1")
    from django.test import Client
    from django.utils import timezone

    from apps.availability.models import Availability
    from apps.services.models import Service
    from apps.staff.models import Staff
    from apps.webhooks.models import WebhookDelivery, WebhookEndpoint
    from apps.webhooks.sending import webhooks_send_due

    working = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    Thread(target=working.serve_forever, daemon=True).start()
    hung = socket.socket()
    hung.bind(("127.0.0.1", 0))
    hung.listen(1024)
    urls = {
        "working": f"http://127.0.0.1:{working.server_address[1]}/in",
        "hung (never answers)": f"http://127.0.0.1:{hung.getsockname()[1]}/in",
    }

    run = int(time.time())
    service = Service.objects.create(name=f"hooks {run}", duration_minutes=30, price=30)
    staff = Staff.objects.create(name=f"hooks {run}")
    staff.services.add(service)
    start = timezone.now() + timedelta(days=3650)
    modes = ["no endpoint", *urls]
    slots = [
        Availability.objects.create(
            staff=staff,
            start_time=start + timedelta(hours=i),
            end_time=start + timedelta(hours=i, minutes=30),
        ).pk
        for i in range(options.requests * len(modes) + 1)
    ]
    WebhookEndpoint.objects.update(enabled=False)  # earlier runs' endpoints
    endpoints = {
        label: WebhookEndpoint.objects.create(
            url=url, events=["booking.created"], enabled=False
        )
        for label, url in urls.items()
    }
    client = Client(HTTP_HOST="localhost")
    booked = 0

    def book():
        nonlocal booked
        response = client.post(
            "/api/bookings/",
            guest(service.pk, slots[booked], f"hooks{run}-{booked}"),
            content_type="application/json",
        )
        booked += 1
        assert response.status_code == 201, response.content

    book()  # warm up
    print(f"booking create latency, {options.requests} requests each (ms)")
    timings_of = {label: [] for label in modes}
    for _ in range(options.requests):
        for label in modes:
            WebhookEndpoint.objects.filter(
                pk__in=[e.pk for e in endpoints.values()]
            ).update(enabled=False)
            if label in endpoints:
                WebhookEndpoint.objects.filter(pk=endpoints[label].pk).update(
                    enabled=True
                )
            started = time.perf_counter()
            book()
            timings_of[label].append((time.perf_counter() - started) * 1000)
    for label, timings in timings_of.items():
        timings.sort()
        p95 = timings[max(0, int(len(timings) * 0.95) - 1)]
        print(
            f"   receiver {label:22} median {statistics.median(timings):7.1f}"
            f"  p95 {p95:7.1f}  max {timings[-1]:7.1f}"
        )
    queued = {
        label: WebhookDelivery.objects.filter(
            endpoint=endpoint, status="queued"
        ).count()
        for label, endpoint in endpoints.items()
    }
    print(f"   messages queued by the requests, none sent by one: {queued}")
    assert all(count == options.requests for count in queued.values()), queued
    assert Handler.received == 0

    WebhookEndpoint.objects.filter(pk__in=[e.pk for e in endpoints.values()]).update(
        enabled=True
    )
    started = time.perf_counter()
    result = webhooks_send_due()
    print(
        f"send_webhooks: {result.summary()} The working receiver got "
        f"{Handler.received}; took {time.perf_counter() - started:.1f} s (the hung "
        "receiver costs one timeout per batch it is in; its other messages wait)."
    )
    WebhookEndpoint.objects.filter(pk__in=[e.pk for e in endpoints.values()]).update(
        enabled=False
    )
    working.shutdown()
    hung.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
