"""Measure the email outbox against a real SMTP server on loopback.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/doceamor_bench \\
        .venv/bin/python scripts/bench/outbox.py [--requests 30] [--messages 2000]

1. Booking create latency (in-process, the Django test client) with the SMTP
   backend pointed at: a working SMTP server (aiosmtpd, started here on a free
   loopback port), a closed port (server down), and a port that accepts
   connections but never answers (a hung server). Then the queued emails are
   delivered by `send_notifications` once the working server is up.
2. Two `manage.py send_notifications` processes at once over `--messages`
   queued emails, both against the SMTP server: how many each sent, and how
   many the server received per message (each must be exactly one).

Makes its own service, staff member, slots and notifications in that
database: run it on a benchmark database, not production.
"""

import argparse
import os
import socket
import statistics
import subprocess
import sys
import time
from collections import Counter
from datetime import timedelta
from email import message_from_bytes

from harness import PROJECT_DIR, django_in_process, guest


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


class Inbox:
    def __init__(self):
        self.subjects = []

    async def handle_DATA(self, server, session, envelope):
        self.subjects.append(message_from_bytes(envelope.content)["Subject"])
        return "250 OK"


def main():
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--requests", type=int, default=30)
    parser.add_argument("--messages", type=int, default=2000)
    options = parser.parse_args()

    django_in_process(BOOKING_LOG_LEVEL="ERROR")
    from aiosmtpd.controller import Controller
    from django.conf import settings
    from django.test import Client
    from django.utils import timezone

    from apps.availability.models import Availability
    from apps.services.models import Service
    from apps.staff.models import Staff

    try:
        from apps.notifications.models import Notification
        from apps.notifications.services import notifications_send_due
    except ImportError:  # the code before the outbox: latency only
        Notification = None

    inbox = Inbox()
    smtp = Controller(inbox, hostname="127.0.0.1", port=free_port())
    smtp.start()
    hung = socket.socket()
    hung.bind(("127.0.0.1", 0))
    hung.listen(64)
    servers = {
        "working": smtp.port,
        "down (closed port)": free_port(),
        "hung (never answers)": hung.getsockname()[1],
    }
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST = "127.0.0.1"
    settings.EMAIL_USE_TLS = False
    settings.EMAIL_HOST_USER = settings.EMAIL_HOST_PASSWORD = ""
    settings.EMAIL_TIMEOUT = 10

    run = int(time.time())
    service = Service.objects.create(
        name=f"outbox {run}", duration_minutes=30, price=30
    )
    staff = Staff.objects.create(name=f"outbox {run}")
    staff.services.add(service)
    start = timezone.now() + timedelta(days=3650)
    slots = [
        Availability.objects.create(
            staff=staff,
            start_time=start + timedelta(hours=i),
            end_time=start + timedelta(hours=i, minutes=30),
        ).pk
        for i in range(options.requests * len(servers) + 1)
    ]
    client = Client(HTTP_HOST="localhost")
    booked = 0

    def book():
        nonlocal booked
        response = client.post(
            "/api/bookings/",
            guest(service.pk, slots[booked], f"outbox{run}-{booked}"),
            content_type="application/json",
        )
        booked += 1
        assert response.status_code == 201, response.content

    settings.EMAIL_PORT = smtp.port
    book()  # warm up
    print(f"1. booking create latency, {options.requests} requests each (ms)")
    timings_of = {label: [] for label in servers}
    for _ in range(options.requests):
        # Interleaved, so load on the machine hits every mode alike.
        for label, port in servers.items():
            settings.EMAIL_PORT = port
            started = time.perf_counter()
            book()
            timings_of[label].append((time.perf_counter() - started) * 1000)
    for label, timings in timings_of.items():
        timings.sort()
        p95 = timings[max(0, int(len(timings) * 0.95) - 1)]
        print(
            f"   mail server {label:22} median {statistics.median(timings):7.1f}"
            f"  p95 {p95:7.1f}  max {timings[-1]:7.1f}"
        )
    if Notification is None:
        smtp.stop()
        return
    ours = Notification.objects.filter(booking__service=service)
    queued = ours.filter(status="queued").count()
    print(f"   emails queued (none sent by a request): {queued} of {ours.count()}")
    settings.EMAIL_PORT = smtp.port
    received_before = len(inbox.subjects)
    notifications_send_due()
    print(
        "   send_notifications with the server up: of these, sent "
        f"{ours.filter(status='sent').count()}, still queued "
        f"{ours.filter(status='queued').count()}; the server received "
        f"{len(inbox.subjects) - received_before} (with any older queued rows)"
    )
    hung.close()

    # 2. Two sender processes over the same queued messages.
    now = timezone.now()
    tag = f"outbox-race-{run}"
    Notification.objects.bulk_create(
        Notification(
            kind="booking_created",
            recipient=f"race{index}@bench.example",
            subject=f"{tag} {index}",
            body_text="Hello",
            next_attempt_at=now,
            created_at=now,
        )
        for index in range(options.messages)
    )
    inbox.subjects.clear()
    env = {
        **os.environ,
        "DJANGO_EMAIL_BACKEND": "django.core.mail.backends.smtp.EmailBackend",
        "EMAIL_HOST": "127.0.0.1",
        "EMAIL_PORT": str(smtp.port),
        "EMAIL_USE_TLS": "0",
        # prod settings: the SMTP backend configured from the environment.
        "DJANGO_SETTINGS_MODULE": "config.settings.prod",
        "DJANGO_SECRET_KEY": "outbox-bench-" + "x" * 50,
        "BOOKING_LOG_LEVEL": "WARNING",
    }
    command = [sys.executable, "manage.py", "send_notifications", "--batch-size", "50"]
    started = time.perf_counter()
    senders = [
        subprocess.Popen(
            command, cwd=PROJECT_DIR, env=env, stdout=subprocess.PIPE, text=True
        )
        for _ in range(2)
    ]
    outputs = [sender.communicate(timeout=600)[0].strip() for sender in senders]
    elapsed = time.perf_counter() - started
    received = Counter(s for s in inbox.subjects if s.startswith(tag))
    print(f"2. two send_notifications processes over {options.messages} messages")
    for index, output in enumerate(outputs, start=1):
        print(f"   process {index}: {output}")
    print(
        f"   server received {sum(received.values())} messages, {len(received)} "
        f"distinct; sent more than once: "
        f"{sum(1 for count in received.values() if count > 1)}; never: "
        f"{options.messages - len(received)}; {elapsed:.1f} s"
    )
    smtp.stop()


if __name__ == "__main__":
    main()
