"""The payment-timeout job: plan section 6 job tests, batching, races, crashes."""

import io
import logging
import threading
import uuid
from datetime import timedelta

import factory
import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import DatabaseError, OperationalError, connection, connections
from django.db.models import Count
from django.utils import timezone

from apps.availability.models import Availability
from apps.availability.tests.factories import AvailabilityFactory
from apps.bookings import exceptions, services
from apps.bookings.models import ACTIVE_STATUSES, Booking, BookingEvent, email_key
from apps.bookings.services import expiry, locking, payment
from apps.bookings.tests.factories import BookingFactory
from apps.bookings.tests.test_services import assert_is_booked_invariant
from apps.bookings.tests.threads import in_threads
from apps.staff.tests.factories import StaffFactory

Status = Booking.Status
REDIS_URL = "redis://127.0.0.1:6379/15"


def expired_bookings(count, *, minutes_overdue=5, **fields):
    """`count` unpaid bookings whose deadline passed, each on its own slot,
    with the mailbox key a booking is created with."""
    staff = StaffFactory()
    created_at = timezone.now() - timedelta(minutes=30 + minutes_overdue)
    return [
        BookingFactory(
            availability=AvailabilityFactory(staff=staff),
            created_at=created_at,
            payment_expires_at=created_at + timedelta(minutes=30),
            **{
                "customer_email_key": factory.LazyAttribute(
                    lambda booking: email_key(booking.customer_email)
                ),
                **fields,
            },
        )
        for _ in range(count)
    ]


def run_command(*args):
    out = io.StringIO()
    call_command("expire_unpaid_bookings", *args, stdout=out)
    return out.getvalue()


def timeout_events():
    return BookingEvent.objects.filter(
        source="system", to_status=Status.CANCELLED, note="payment timeout"
    )


# --- plan 6, job tests ----------------------------------------------------------------


@pytest.mark.django_db
def test_expired_unpaid_bookings_are_cancelled_and_their_slots_released():
    bookings = expired_bookings(3)
    output = run_command()

    assert "Expired 3 unpaid bookings, released 3 slots in 1 batches" in output
    for booking in bookings:
        booking.refresh_from_db()
        assert booking.status == Status.CANCELLED
        assert booking.cancel_reason == services.PAYMENT_TIMEOUT_REASON
        assert not booking.availability.is_booked
        event = booking.events.get()
        assert (event.from_status, event.to_status, event.source, event.actor) == (
            Status.AWAITING_PAYMENT,
            Status.CANCELLED,
            "system",
            None,
        )
        assert event.note == "payment timeout"
    assert_is_booked_invariant()


@pytest.mark.django_db
def test_released_slot_can_be_booked_again(api_client):
    (booking,) = expired_bookings(1)
    booking.staff.services.add(booking.service)
    run_command()
    response = api_client.post(
        "/api/bookings/",
        {
            "service": booking.service_id,
            "availability": booking.availability_id,
            "customer_name": "Next guest",
            "customer_email": "next@example.com",
            "customer_phone": "912345678",
        },
    )
    assert response.status_code == 201, response.content


@pytest.mark.django_db
def test_unpaid_bookings_before_their_deadline_are_unchanged():
    (fresh,) = expired_bookings(1, minutes_overdue=-1)
    before = Booking.objects.values().get(pk=fresh.pk)
    assert "Expired 0" in run_command()
    assert Booking.objects.values().get(pk=fresh.pk) == before
    assert Availability.objects.get(pk=fresh.availability_id).is_booked


@pytest.mark.django_db
@pytest.mark.parametrize(
    "status", [Status.CONFIRMED, Status.COMPLETED, Status.CANCELLED]
)
def test_bookings_in_other_statuses_are_untouched(status):
    (booking,) = expired_bookings(1, minutes_overdue=60, status=status)
    before = Booking.objects.values().get(pk=booking.pk)
    run_command()
    assert Booking.objects.values().get(pk=booking.pk) == before
    assert not timeout_events().exists()


@pytest.mark.django_db
def test_second_run_changes_nothing_and_reports_zero():
    expired_bookings(4)
    run_command()
    snapshot = list(Booking.objects.order_by("pk").values())
    events = BookingEvent.objects.count()
    assert "Expired 0 unpaid bookings, released 0 slots in 0 batches" in run_command()
    assert list(Booking.objects.order_by("pk").values()) == snapshot
    assert BookingEvent.objects.count() == events


@pytest.mark.django_db
@pytest.mark.parametrize(("count", "batches"), [(4, 1), (5, 1), (6, 2), (11, 3)])
def test_batch_boundaries(count, batches):
    expired_bookings(count)
    output = run_command("--batch-size", "5")
    assert f"Expired {count} unpaid bookings, released {count} slots in {batches} " in (
        output
    )
    assert timeout_events().count() == count
    assert not Booking.objects.filter(status=Status.AWAITING_PAYMENT).exists()
    assert_is_booked_invariant()


@pytest.mark.django_db
def test_dry_run_changes_nothing():
    expired_bookings(3)
    snapshot = list(Booking.objects.order_by("pk").values())
    output = run_command("--dry-run")
    assert "Dry run: 3 unpaid bookings" in output
    assert list(Booking.objects.order_by("pk").values()) == snapshot
    assert not BookingEvent.objects.exists()


@pytest.mark.django_db
def test_one_log_line_per_run_and_batch_lines_at_debug(caplog):
    expired_bookings(3)
    with caplog.at_level(logging.DEBUG, logger="apps.bookings.services"):
        run_command("--batch-size", "2")
    info = [r.getMessage() for r in caplog.records if r.levelno == logging.INFO]
    debug = [r.getMessage() for r in caplog.records if r.levelno == logging.DEBUG]
    assert len(info) == 1
    assert info[0].startswith(
        "expire_unpaid_bookings: expired=3 slots_released=3 batches=2 duration="
    )
    assert len(debug) == 2


@pytest.mark.django_db
def test_bad_options_and_database_failures_exit_non_zero(monkeypatch):
    with pytest.raises(CommandError):
        call_command("expire_unpaid_bookings", "--batch-size", "0")

    def unreachable(**kwargs):
        raise OperationalError("connection refused\nsecond line")

    monkeypatch.setattr(
        "apps.bookings.management.commands.expire_unpaid_bookings."
        "bookings_expire_unpaid",
        unreachable,
    )
    with pytest.raises(CommandError) as caught:
        run_command()
    assert str(caught.value) == (
        "expiring unpaid bookings failed: OperationalError: connection refused"
    )


# --- crash safety ---------------------------------------------------------------------


@pytest.mark.django_db(transaction=True)
def test_a_crash_in_a_batch_keeps_earlier_batches_and_nothing_of_its_own(
    monkeypatch,
):
    bookings = expired_bookings(6)
    # The batch's audit events go in through one insert.
    original = expiry.record_events_alike
    calls = {"n": 0}

    def fail_on_second_batch(*args, **kwargs):
        calls["n"] += 1
        if calls["n"] == 2:
            # After this batch's booking and slot updates: a mid-batch failure.
            raise DatabaseError("disk full")
        return original(*args, **kwargs)

    monkeypatch.setattr(expiry, "record_events_alike", fail_on_second_batch)
    with pytest.raises(CommandError, match="disk full"):
        run_command("--batch-size", "3")

    statuses = [Booking.objects.get(pk=b.pk).status for b in bookings]
    assert statuses == [Status.CANCELLED] * 3 + [Status.AWAITING_PAYMENT] * 3
    assert timeout_events().count() == 3
    assert_is_booked_invariant()

    monkeypatch.setattr(expiry, "record_events_alike", original)
    assert "Expired 3 unpaid bookings" in run_command("--batch-size", "3")
    assert timeout_events().count() == 6
    assert_is_booked_invariant()


# --- concurrency ----------------------------------------------------------------------


@pytest.mark.django_db(transaction=True)
def test_two_copies_at_once_cancel_each_booking_exactly_once():
    total = 60
    expired_bookings(total)

    results = in_threads(
        2, lambda _: services.bookings_expire_unpaid(batch_size=7).expired
    )

    assert sum(results) == total
    per_booking = (
        timeout_events().values("booking").annotate(n=Count("id")).values_list("n")
    )
    assert sorted(n for (n,) in per_booking) == [1] * total
    assert not Booking.objects.filter(status=Status.AWAITING_PAYMENT).exists()
    assert_is_booked_invariant()


@pytest.mark.django_db(transaction=True)
def test_expiry_racing_verify_payment_ends_in_one_consistent_outcome(staff_user):
    outcomes = []
    for _ in range(12):
        # One due booking per round, so each round's expiry run sees only it.
        (booking,) = expired_bookings(1)

        def race(index, booking=booking):
            if index == 0:
                try:
                    services.booking_verify_payment(booking=booking, actor=staff_user)
                    return "verified"
                except exceptions.InvalidTransition:
                    return "refused"
            return services.bookings_expire_unpaid(batch_size=1).expired

        verify_result, expired = in_threads(2, race)
        booking.refresh_from_db()
        events = list(booking.events.values_list("from_status", "to_status"))
        if booking.status == Status.CONFIRMED:
            assert (verify_result, expired) == ("verified", 0)
            assert events == [(Status.AWAITING_PAYMENT, Status.CONFIRMED)]
            assert booking.availability.is_booked
        else:
            assert booking.status == Status.CANCELLED
            assert (verify_result, expired) == ("refused", 1)
            assert events == [(Status.AWAITING_PAYMENT, Status.CANCELLED)]
            assert not booking.availability.is_booked
        outcomes.append(booking.status)
    assert_is_booked_invariant()
    assert set(outcomes) <= {Status.CONFIRMED, Status.CANCELLED}


@pytest.mark.django_db(transaction=True)
def test_a_booking_being_verified_is_never_cancelled_after_its_verification(
    staff_user,
):
    """Expiry meets a verification holding the booking's locks: it must not win."""
    (booking,) = expired_bookings(1)
    locked, release = threading.Event(), threading.Event()

    def verify_slowly(index):
        if index == 1:
            locked.wait(timeout=10)
            # PostgreSQL skips the locked rows; SQLite waits for the writer.
            release.set()
            return services.bookings_expire_unpaid().expired
        from django.db import transaction

        with transaction.atomic():
            locked_booking = locking.lock_booking(booking.pk)
            locked.set()
            release.wait(timeout=10)
            payment.verify_payment_locked(
                locked_booking, actor=staff_user, source="staff", now=timezone.now()
            )
        return None

    _, expired = in_threads(2, verify_slowly)

    booking.refresh_from_db()
    assert booking.status == Status.CONFIRMED
    assert expired == 0
    assert list(booking.events.values_list("to_status", flat=True)) == [
        Status.CONFIRMED
    ]
    if connection.vendor == "postgresql":
        # The skipped booking is now confirmed: a later run leaves it alone.
        assert services.bookings_expire_unpaid().expired == 0


@pytest.mark.django_db(transaction=True)
def test_a_booking_verified_after_it_was_picked_is_left_alone(monkeypatch, staff_user):
    """The batch re-checks the status under its lock, not only when picking.

    Forces the narrow interleaving: the job reads its candidates, then a
    verification commits, then the batch takes its locks.
    """
    (booking,) = expired_bookings(1)
    original_batch = expiry._expire_batch

    def verify_in_between(candidates, **kwargs):
        in_threads(
            1,
            lambda _: services.booking_verify_payment(
                booking=booking, actor=staff_user
            ),
        )
        return original_batch(candidates, **kwargs)

    monkeypatch.setattr(expiry, "_expire_batch", verify_in_between)
    assert services.bookings_expire_unpaid().expired == 0
    booking.refresh_from_db()
    assert booking.status == Status.CONFIRMED
    assert booking.availability.is_booked
    assert not timeout_events().exists()


# --- Phase 2: Celery ------------------------------------------------------------------


def _redis_unreachable_reason():
    try:
        import redis

        redis.Redis.from_url(REDIS_URL, socket_connect_timeout=1).ping()
    except Exception as error:
        return f"Redis at {REDIS_URL} is not reachable ({type(error).__name__})"
    return None


@pytest.mark.django_db(transaction=True)
def test_celery_task_expires_through_a_real_worker():
    reason = _redis_unreachable_reason()
    if reason:
        pytest.skip(reason)
    from celery.contrib.testing.worker import start_worker
    from celery.signals import task_postrun

    from config.celery import app, run_scheduled_job

    expired_bookings(3)
    # A queue of its own: another test run sharing this Redis must not take
    # (and run against its own database) the task sent here.
    app.conf.update(
        broker_url=REDIS_URL,
        result_backend=REDIS_URL,
        task_default_queue=f"test-expiry-{uuid.uuid4().hex}",
    )

    def close_worker_connections(**kwargs):
        connections.close_all()

    task_postrun.connect(close_worker_connections, weak=False)
    try:
        with start_worker(app, pool="solo", perform_ping_check=False):
            result = run_scheduled_job.delay("expire_unpaid_bookings").get(timeout=30)
    finally:
        task_postrun.disconnect(close_worker_connections)

    assert result.startswith("Expired 3 unpaid bookings, released 3 slots in 1 ")
    assert not Booking.objects.filter(status__in=ACTIVE_STATUSES).exists()
    assert timeout_events().count() == 3
