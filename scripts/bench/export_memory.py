"""Measure the accountant's export over a year of 100 000 bookings: memory
stays flat however many rows are written.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/doceamor_bench \\
        .venv/bin/python scripts/bench/export_memory.py [--bookings 100000]

Writes `--bookings` bookings spread over the year 2031 (their own service,
staff member and slots, bulk-inserted), then runs `manage.py export bookings`
as a separate process for one month of them and for the whole year, in
xlsx and in CSV, and prints each process's peak resident memory (the
kernel's ru_maxrss) with the time taken and the file's size. Flat memory:
the year's peak is about the month's, though it writes twelve times the rows.
Run it on a benchmark database, not production.
"""

import argparse
import os
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from decimal import Decimal

from harness import PROJECT_DIR, django_in_process

YEAR = 2031


def seed(count: int) -> None:
    from apps.availability.models import Availability
    from apps.bookings.models import Booking
    from apps.services.models import Service
    from apps.staff.models import Staff

    if Booking.objects.filter(availability__start_time__year=YEAR).count() >= count:
        return
    run = int(time.time())
    service = Service.objects.create(
        name=f"export {run}", duration_minutes=30, price=35
    )
    staff = Staff.objects.create(name=f"export {run}")
    first = datetime(YEAR, 1, 1, 8, tzinfo=UTC)
    step = timedelta(days=365) / count
    created = datetime(YEAR - 1, 12, 1, tzinfo=UTC)
    for offset in range(0, count, 5000):
        size = min(5000, count - offset)
        slots = Availability.objects.bulk_create(
            Availability(
                staff=staff,
                start_time=first + step * (offset + i),
                end_time=first + step * (offset + i) + timedelta(minutes=4),
                is_booked=True,
            )
            for i in range(size)
        )
        Booking.objects.bulk_create(
            Booking(
                reference=f"X{offset + i:07d}",
                service=service,
                staff=staff,
                availability=slot,
                customer_name=f"Guest {offset + i}",
                customer_email=f"guest{offset + i}@bench.example",
                customer_phone="+351910000000",
                amount_due=Decimal("35.00"),
                status="confirmed",
                payment_expires_at=created + timedelta(minutes=30),
                payment_verified_at=created + timedelta(minutes=10),
                created_at=created,
            )
            for i, slot in enumerate(slots)
        )


def export(kind, date_from, date_to, file_format):
    with tempfile.TemporaryDirectory() as folder:
        output = os.path.join(folder, f"export.{file_format}")
        started = time.perf_counter()
        process = subprocess.Popen(
            [
                sys.executable,
                "manage.py",
                "export",
                kind,
                "--from",
                date_from,
                "--to",
                date_to,
                "--format",
                file_format,
                "--output",
                output,
            ],
            cwd=PROJECT_DIR,
            stdout=subprocess.DEVNULL,
        )
        _, status, usage = os.wait4(process.pid, 0)
        assert status == 0, f"export exited {status}"
        return (
            usage.ru_maxrss / 1024,
            time.perf_counter() - started,
            os.path.getsize(output) / 2**20,
        )


def main():
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--bookings", type=int, default=100_000)
    options = parser.parse_args()
    django_in_process(BOOKING_LOG_LEVEL="ERROR")
    seed(options.bookings)
    print(f"peak RSS of `manage.py export bookings` over {options.bookings} bookings")
    for file_format in ("xlsx", "csv"):
        for label, date_from, date_to in (
            ("one month", f"{YEAR}-03-01", f"{YEAR}-03-31"),
            ("the year", f"{YEAR}-01-01", f"{YEAR}-12-31"),
        ):
            peak, seconds, size = export("bookings", date_from, date_to, file_format)
            print(
                f"   {file_format:4} {label:9}  peak {peak:6.1f} MiB  "
                f"{seconds:5.1f} s  file {size:5.1f} MiB"
            )
    return 0


if __name__ == "__main__":
    sys.exit(main())
