"""A stateful property test of the domain layer (Hypothesis).

Random sequences of guest, staff and system operations, with the clock
moving; after every step the booking invariants must hold.
"""

from datetime import timedelta

import pytest
from django.contrib.auth import get_user_model
from django.db import transaction
from django.db.models import Count
from django.forms.models import model_to_dict
from django.utils import timezone
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import (
    RuleBasedStateMachine,
    invariant,
    precondition,
    rule,
    run_state_machine_as_test,
)

from apps.availability import exceptions as slot_exceptions
from apps.availability import services as slot_services
from apps.availability.models import Availability
from apps.bookings import exceptions, services
from apps.bookings.models import ACTIVE_STATUSES, Booking
from apps.bookings.tests.test_services import assert_is_booked_invariant
from apps.services.models import Service
from apps.staff.models import Staff

Status = Booking.Status
FINAL = {Status.COMPLETED, Status.CANCELLED}
SLOT_COUNT = 6


class BookingLifecycle(RuleBasedStateMachine):
    def __init__(self):
        super().__init__()
        # Each example runs in a savepoint rolled back at teardown, so
        # examples start from the same empty database.
        self.savepoint = transaction.atomic()
        self.savepoint.__enter__()
        self.now = timezone.now().replace(microsecond=0)
        self.desk = get_user_model().objects.create(username="desk", is_staff=True)
        self.services = [
            Service.objects.create(name="Short", duration_minutes=30, price=10),
            Service.objects.create(name="Long", duration_minutes=60, price=20),
        ]
        self.staff = [Staff.objects.create(name=f"Staff {i}") for i in range(2)]
        for member in self.staff:
            member.services.add(*self.services)
        self.slots = []
        for index in range(SLOT_COUNT):
            start = self.now + timedelta(hours=2 + index)
            length = timedelta(minutes=30 if index % 3 == 0 else 60)
            self.slots.append(
                slot_services.availability_create(
                    staff=self.staff[index % 2],
                    start_time=start,
                    end_time=start + length,
                )
            )
        self.bookings: list[Booking] = []
        self.applied_transitions: dict[int, int] = {}
        self.completed_rows: dict[int, dict] = {}
        self.last_status: dict[int, str] = {}

    def teardown(self):
        transaction.set_rollback(True)
        self.savepoint.__exit__(None, None, None)

    # --- operations ---------------------------------------------------------------

    @rule(
        slot=st.integers(0, SLOT_COUNT - 1),
        service=st.integers(0, 1),
        guest=st.integers(0, 2),
    )
    def create(self, slot, service, guest):
        try:
            booking = services.booking_create(
                service_id=self.services[service].pk,
                availability_id=self.slots[slot].pk,
                customer_name=f"Guest {guest}",
                customer_email=f"guest{guest}@example.com",
                customer_phone=f"91234567{guest}",
                now=self.now,
            )
        except (
            exceptions.InvalidBookingInput,
            exceptions.SlotUnavailable,
            exceptions.TooManyUnpaidBookings,
        ):
            return
        self.bookings.append(booking)
        self.applied_transitions[booking.pk] = 1

    def _transition(self, function, index, **kwargs):
        # Mostly the newest bookings, so that one booking often goes through
        # several transitions within a run.
        booking = self.bookings[-1 - index % len(self.bookings)]
        try:
            function(booking=booking, now=self.now, **kwargs)
        except (
            exceptions.InvalidTransition,
            exceptions.BookingAlreadyStarted,
            exceptions.BookingNotStarted,
        ):
            return
        self.applied_transitions[booking.pk] += 1

    @precondition(lambda self: self.bookings)
    @rule(index=st.integers(0, 2))
    def verify_payment(self, index):
        self._transition(services.booking_verify_payment, index, actor=self.desk)

    @precondition(lambda self: self.bookings)
    @rule(index=st.integers(0, 2))
    def cancel(self, index):
        self._transition(services.booking_cancel, index, actor=self.desk, reason="x")

    @precondition(lambda self: self.bookings)
    @rule(index=st.integers(0, 2))
    def complete(self, index):
        self._transition(services.booking_complete, index, actor=self.desk)

    @rule()
    def expire(self):
        result = services.bookings_expire_unpaid(
            now=self.now, batch_size=2, keep_references=True
        )
        for booking in Booking.objects.filter(reference__in=result.expired_references):
            self.applied_transitions[booking.pk] += 1

    @rule(minutes=st.integers(1, 180))
    def advance_clock(self, minutes):
        self.now += timedelta(minutes=minutes)

    @rule(slot=st.integers(0, SLOT_COUNT - 1), shift=st.integers(-90, 90))
    def staff_move_slot(self, slot, shift):
        current = Availability.objects.filter(pk=self.slots[slot].pk).first()
        if current is None:
            return
        try:
            slot_services.availability_update(
                availability=current,
                changes={
                    "start_time": current.start_time + timedelta(minutes=shift),
                    "end_time": current.end_time + timedelta(minutes=shift),
                },
            )
        except (slot_exceptions.SlotHasActiveBooking, slot_exceptions.SlotOverlap):
            return

    @rule(slot=st.integers(0, SLOT_COUNT - 1))
    def staff_delete_slot(self, slot):
        current = Availability.objects.filter(pk=self.slots[slot].pk).first()
        if current is None:
            return
        try:
            slot_services.availability_delete(availability=current)
        except slot_exceptions.SlotHasActiveBooking:
            return

    @rule(
        service=st.integers(0, 1),
        active=st.booleans(),
        duration=st.sampled_from([30, 45, 60, 90]),
    )
    def staff_edit_service(self, service, active, duration):
        Service.objects.filter(pk=self.services[service].pk).update(
            is_active=active, duration_minutes=duration
        )

    @rule(member=st.integers(0, 1), active=st.booleans())
    def staff_toggle_member(self, member, active):
        Staff.objects.filter(pk=self.staff[member].pk).update(is_active=active)

    # --- invariants -------------------------------------------------------------------

    @invariant()
    def slot_flag_matches_active_bookings(self):
        assert_is_booked_invariant()

    @invariant()
    def at_most_one_active_booking_per_slot(self):
        doubled = (
            Booking.objects.filter(status__in=ACTIVE_STATUSES)
            .values("availability")
            .annotate(n=Count("id"))
            .filter(n__gt=1)
        )
        assert not doubled.exists()

    @invariant()
    def completed_bookings_never_change(self):
        for booking in Booking.objects.filter(status=Status.COMPLETED):
            row = model_to_dict(booking) | {"updated_at": booking.updated_at}
            assert self.completed_rows.setdefault(booking.pk, row) == row

    @invariant()
    def one_event_per_applied_transition(self):
        counts = dict(
            Booking.objects.annotate(n=Count("events")).values_list("pk", "n")
        )
        assert counts == self.applied_transitions

    @invariant()
    def no_contact_holds_more_unpaid_bookings_than_allowed(self):
        unpaid = (
            Booking.objects.filter(status=Status.AWAITING_PAYMENT)
            .values("customer_email")
            .annotate(n=Count("id"))
        )
        assert all(row["n"] <= 2 for row in unpaid)

    @invariant()
    def nothing_leaves_a_final_state(self):
        for pk, status in Booking.objects.values_list("pk", "status"):
            previous = self.last_status.get(pk)
            if previous in FINAL:
                assert status == previous
            self.last_status[pk] = status


@pytest.mark.django_db
def test_booking_lifecycle_invariants_hold():
    run_state_machine_as_test(
        BookingLifecycle,
        settings=settings(
            max_examples=100,
            stateful_step_count=40,
            deadline=None,
            database=None,
            suppress_health_check=[HealthCheck.too_slow],
        ),
    )
