"""Retention: the scheduled job anonymises what has passed its date, in
batches, idempotently, and never a booking still ahead."""

import io
import subprocess
import sys
from datetime import timedelta

import pytest
from django.conf import settings
from django.core.management import call_command
from django.utils import timezone

from apps.bookings.models import Booking
from apps.bookings.tests.factories import BookingFactory
from apps.privacy.contacts import MARKER
from apps.privacy.models import ErasureRecord
from apps.privacy.services import bookings_apply_retention
from apps.privacy.tests.conftest import move_to_past
from apps.privacy.tests.test_erasure import NEEDLES, paid_and_past
from apps.privacy.tests.traces import traces_of

pytestmark = pytest.mark.django_db
Status = Booking.Status


@pytest.fixture
def retention(settings):
    settings.BOOKING_RETENTION_DAYS = 730
    settings.BOOKING_RETENTION_UNPAID_DAYS = 30


def old(status, *, ended_days_ago, updated_days_ago=None, paid=True, **extra):
    now = timezone.now()
    booking = BookingFactory(status=status, **extra)
    ends = now - timedelta(days=ended_days_ago)
    Booking.objects.filter(pk=booking.pk).update(
        ends_at=ends,
        payment_verified_at=ends if paid else None,
        updated_at=now - timedelta(days=updated_days_ago or ended_days_ago),
    )
    return booking


def anonymised(booking) -> bool:
    return Booking.objects.get(pk=booking.pk).customer_name == MARKER


def test_the_job_anonymises_what_passed_its_date_and_nothing_else(retention):
    due = [
        old(Status.COMPLETED, ended_days_ago=731),
        old(Status.CANCELLED, ended_days_ago=731),
        # Confirmed and never marked completed: over long ago all the same.
        old(Status.CONFIRMED, ended_days_ago=731),
        # Cancelled unpaid (expired) a month ago, whenever its slot was.
        old(Status.CANCELLED, ended_days_ago=-20, updated_days_ago=31, paid=False),
    ]
    not_due = [
        old(Status.COMPLETED, ended_days_ago=729),
        old(Status.CANCELLED, ended_days_ago=10, updated_days_ago=29, paid=False),
        # Paid, then cancelled: the long period, counted from the appointment.
        old(Status.CANCELLED, ended_days_ago=100, updated_days_ago=100),
        # Never touched: unpaid, or confirmed with the appointment ahead.
        old(Status.AWAITING_PAYMENT, ended_days_ago=900, paid=False),
        old(Status.CONFIRMED, ended_days_ago=-3, updated_days_ago=800),
    ]

    out = io.StringIO()
    call_command("run_scheduled_jobs", stdout=out)

    assert "Anonymised 4 bookings past their retention" in out.getvalue()
    assert [anonymised(booking) for booking in due] == [True] * 4
    assert [anonymised(booking) for booking in not_due] == [False] * 5
    kept = Booking.objects.get(pk=due[0].pk)
    assert (kept.reference, kept.status, kept.amount_due) == (
        due[0].reference,
        Status.COMPLETED,
        due[0].amount_due,
    )


def test_batches_and_a_second_run_finds_nothing(retention):
    bookings = [old(Status.COMPLETED, ended_days_ago=800) for _ in range(5)]

    first = bookings_apply_retention(batch_size=2, keep_references=True)
    second = bookings_apply_retention(batch_size=2)

    assert (first.anonymised, first.batches) == (5, 3)
    assert sorted(first.references) == sorted(b.reference for b in bookings)
    assert (second.anonymised, second.batches) == (0, 0)
    records = ErasureRecord.objects.filter(source="retention")
    assert sorted(r.bookings_erased for r in records) == [1, 2, 2]


def test_the_periods_follow_the_settings(settings):
    booking = old(Status.COMPLETED, ended_days_ago=40)
    settings.BOOKING_RETENTION_DAYS = 60
    assert bookings_apply_retention().anonymised == 0
    settings.BOOKING_RETENTION_DAYS = 39
    assert bookings_apply_retention().anonymised == 1
    assert anonymised(booking)


def test_the_periods_are_read_from_the_environment():
    code = (
        "from django.conf import settings; "
        "print(settings.BOOKING_RETENTION_DAYS, settings.BOOKING_RETENTION_UNPAID_DAYS)"
    )
    env = {"BOOKING_RETENTION_DAYS": "400", "BOOKING_RETENTION_UNPAID_DAYS": "14"}
    result = subprocess.run(
        [sys.executable, "manage.py", "shell", "--no-imports", "-c", code],
        cwd=settings.PROJECT_DIR,
        env={"PATH": "/usr/bin:/bin", "DJANGO_SETTINGS_MODULE": "config.settings.test"}
        | env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.stdout.split() == ["400", "14"], result.stderr


def test_after_retention_nothing_of_the_guest_is_left(
    retention, guest_books, manager_client, contact_webhook
):
    booking = paid_and_past(guest_books, manager_client)
    assert traces_of(NEEDLES)
    move_to_past(booking, days=731)

    call_command("run_scheduled_jobs", stdout=io.StringIO())

    assert traces_of(NEEDLES) == []
    booking.refresh_from_db()
    assert booking.status == Status.COMPLETED and booking.customer_name == MARKER
    assert booking.bank_transactions.get().outcome == "matched"
