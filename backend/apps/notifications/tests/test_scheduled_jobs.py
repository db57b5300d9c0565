"""run_scheduled_jobs: expiry, reminders and sending, in that order, in one run."""

from dataclasses import replace
from datetime import timedelta

import pytest
from django.core import mail
from django.core.management import CommandError, call_command
from django.db import OperationalError
from django.utils import timezone

from apps.availability.tests.factories import AvailabilityFactory
from apps.bookings.models import Booking
from apps.bookings.tests.factories import unpaid_booking
from apps.notifications.models import Notification

pytestmark = pytest.mark.django_db


def test_one_run_expires_reminds_and_sends(service, staff_member, capsys):
    overdue = unpaid_booking(
        service, AvailabilityFactory(staff=staff_member), customer_email="a@ex.com"
    )
    nearly_due = unpaid_booking(
        service,
        AvailabilityFactory(staff=staff_member),
        customer_email="b@ex.com",
        customer_phone="913000000",
    )
    now = timezone.now()
    Booking.objects.filter(pk=overdue.pk).update(
        payment_expires_at=now - timedelta(minutes=1)
    )
    Booking.objects.filter(pk=nearly_due.pk).update(
        created_at=now - timedelta(minutes=25),
        payment_expires_at=now + timedelta(minutes=5),
    )
    call_command("run_scheduled_jobs")
    out = capsys.readouterr().out
    assert out.index("Expired 1") < out.index("Queued 1 payment") < out.index("Sent 4")
    overdue.refresh_from_db()
    assert overdue.status == "cancelled"
    # Two booking emails, the cancellation and the reminder.
    sent = sorted((m.to[0], m.subject.split()[0]) for m in mail.outbox)
    assert ("a@ex.com", "Booking") in sent  # "Booking ... cancelled"
    assert ("b@ex.com", "Reminder:") in sent
    assert not Notification.objects.exclude(status="sent").exists()
    call_command("run_scheduled_jobs")
    assert "Sent 0" in capsys.readouterr().out


def test_a_failing_job_does_not_stop_the_others(settings, capsys):
    def database_gone():
        raise OperationalError("database gone")

    settings.SCHEDULED_JOBS = [
        replace(job, run=database_gone) if job.name == "expire_unpaid_bookings" else job
        for job in settings.SCHEDULED_JOBS
    ]
    with pytest.raises(CommandError, match="expire_unpaid_bookings"):
        call_command("run_scheduled_jobs")
    captured = capsys.readouterr()
    assert (
        "expire_unpaid_bookings failed: OperationalError: database gone" in captured.err
    )
    assert "Queued 0 payment" in captured.out
    assert "Sent 0" in captured.out


def test_a_bug_in_a_job_is_not_swallowed(settings):
    """Only the failures a job may meet are reported and passed over."""

    def bug():
        raise KeyError("a bug")

    settings.SCHEDULED_JOBS = [replace(settings.SCHEDULED_JOBS[0], run=bug)]
    with pytest.raises(KeyError):
        call_command("run_scheduled_jobs")
