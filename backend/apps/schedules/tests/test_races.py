"""Races on PostgreSQL with real threads and real transactions.

A closure against creates on the slots it covers: every create either
committed before the closure (and the closure met it: here it cancels it)
or waited for the slot's lock and found the slot closed. A 45-minute and a
30-minute booking on overlapping quarter hours: never two on one slot.
"""

import itertools
import random
import threading
from datetime import timedelta

import pytest
from django.db import connections
from django.db.models import Count
from django.utils import timezone

from apps.availability.models import Availability
from apps.availability.tests.factories import AvailabilityFactory
from apps.bookings.models import ACTIVE_STATUSES, Booking, BookingEvent, BookingSlot
from apps.bookings.services import booking_create
from apps.bookings.tests.test_services import assert_is_booked_invariant
from apps.schedules import services
from apps.schedules.models import Closure
from apps.services.tests.factories import ServiceFactory
from apps.staff.tests.factories import StaffFactory
from common.exceptions import DomainError

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.postgresql_only]
ROUNDS = 20
CLIENTS = 20


def quarter_hours(staff, start, count):
    return [
        AvailabilityFactory(
            staff=staff,
            start_time=start + timedelta(minutes=15 * step),
            end_time=start + timedelta(minutes=15 * (step + 1)),
        )
        for step in range(count)
    ]


class Clients:
    """`count` threads, each with its own connection kept for every round,
    released together per round (a new thread and connection per client and
    round would cost more than the race itself)."""

    def __init__(self, count):
        self.count = count
        self.start = threading.Barrier(count + 1)
        self.done = threading.Barrier(count + 1)
        self.work = None
        self.results = [None] * count
        self.threads = [
            threading.Thread(target=self._run, args=(i,), daemon=True)
            for i in range(count)
        ]
        for thread in self.threads:
            thread.start()

    def _run(self, index):
        try:
            while True:
                self.start.wait(timeout=60)
                if self.work is None:
                    return
                try:
                    self.results[index] = self.work(index)
                except Exception as error:
                    self.results[index] = error
                self.done.wait(timeout=60)
        finally:
            connections.close_all()

    def round(self, work) -> list:
        self.work, self.results = work, [None] * self.count
        self.start.wait(timeout=60)
        self.done.wait(timeout=60)
        return self.results

    def stop(self):
        self.work = None
        self.start.wait(timeout=60)
        for thread in self.threads:
            thread.join(timeout=60)


@pytest.fixture
def clients():
    pool = Clients(CLIENTS)
    yield pool
    pool.stop()


def create(service, slot, index, round_number):
    """A guest's booking, from a client of its own: the booking, or the code
    of the domain error that refused it."""
    try:
        return booking_create(
            service_id=service.pk,
            availability_id=slot.pk,
            customer_name=f"Guest {index}",
            customer_email=f"r{round_number}g{index}@example.com",
            customer_phone=f"+351 91{round_number:03d}{index:04d}",
            client_key=f"r{round_number}c{index}",
        )
    except DomainError as error:
        return error.code


def test_no_booking_is_ever_inside_a_committed_closure(clients):
    service = ServiceFactory(duration_minutes=30)
    staff = StaffFactory(services=[service])
    day = (timezone.now() + timedelta(days=3)).replace(
        hour=8, minute=0, second=0, microsecond=0
    )
    outcomes = {"before": 0, "refused": 0}
    for round_number in range(ROUNDS):
        start = day + timedelta(days=round_number)
        grid = quarter_hours(staff, start, 8)  # 08:00-10:00
        covered_from, covered_to = grid[2].start_time, grid[6].start_time

        def work(index, grid=grid, start=covered_from, end=covered_to, n=round_number):
            if index == 0:
                return services.closure_create(
                    starts_at=start,
                    ends_at=end,
                    kind=Closure.Kind.CLOSED,
                    on_conflict=services.CANCEL,
                )
            # Creates whose run reaches into the closure (08:15 .. 09:30).
            return create(service, grid[1 + index % 5], index, n)

        results = clients.round(work)

        closure, answers = results[0], results[1:]
        assert isinstance(closure, services.ClosureResult), closure
        met = {booking.reference for booking in closure.cancelled}
        for answer in answers:
            if isinstance(answer, Booking):
                # Committed before the closure: the closure met it.
                assert answer.reference in met
                outcomes["before"] += 1
            else:
                # Taken by another guest, or closed: never anything else.
                assert answer == "slot_unavailable", answer
                outcomes["refused"] += 1
        inside = BookingSlot.objects.filter(
            active=True,
            availability__start_time__lt=covered_to,
            availability__end_time__gt=covered_from,
            availability__staff=staff,
        )
        assert not inside.exists()
    # Both orders happened: the race was real.
    assert outcomes["refused"] > 0 and outcomes["before"] > 0
    cancelled = BookingEvent.objects.filter(source=BookingEvent.Source.CLOSURE)
    assert cancelled.count() == outcomes["before"]
    assert not Booking.objects.filter(status__in=ACTIVE_STATUSES).exists()
    assert_is_booked_invariant()


def test_a_45_and_a_30_minute_booking_never_share_a_slot(clients):
    long_service = ServiceFactory(duration_minutes=45)
    short_service = ServiceFactory(duration_minutes=30)
    staff = StaffFactory(services=[long_service, short_service])
    day = (timezone.now() + timedelta(days=3)).replace(
        hour=9, minute=0, second=0, microsecond=0
    )
    randomness = random.Random(27)
    won = 0
    for round_number in range(ROUNDS):
        grid = quarter_hours(staff, day + timedelta(days=round_number), 5)
        picks = [
            (long_service, grid[randomness.randrange(0, 2)])
            if index % 2
            else (short_service, grid[randomness.randrange(1, 4)])
            for index in range(CLIENTS)
        ]
        answers = clients.round(
            lambda i, picks=picks, n=round_number: create(*picks[i], i, n)
        )
        assert {a for a in answers if not isinstance(a, Booking)} <= {
            "slot_unavailable"
        }, answers
        won += sum(isinstance(a, Booking) for a in answers)
        # The holds say so, and so do the booked times themselves.
        booked = list(
            Booking.objects.filter(
                status__in=ACTIVE_STATUSES, availability__in=grid
            ).values_list("availability__start_time", "ends_at")
        )
        booked.sort()
        for (_, first_end), (second_start, _) in itertools.pairwise(booked):
            assert first_end <= second_start
    assert won >= ROUNDS
    doubled = (
        BookingSlot.objects.filter(active=True)
        .values("availability")
        .annotate(n=Count("pk"))
        .filter(n__gt=1)
    )
    assert not doubled.exists()
    assert (
        Availability.objects.filter(is_booked=True).count()
        == BookingSlot.objects.filter(active=True).count()
    )
    assert_is_booked_invariant()
