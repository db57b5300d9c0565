"""Closures over bookings: 409 with the bookings, or keep, cancel, offer."""

from datetime import datetime, timedelta

import pytest
from django.utils import timezone
from rest_framework.test import APIClient

from apps.availability.models import Availability
from apps.availability.services import availability_create
from apps.availability.tests.factories import AvailabilityFactory
from apps.bookings import services as booking_services
from apps.bookings.models import Booking, BookingEvent
from apps.bookings.tests.factories import StaffUserFactory, unpaid_booking
from apps.bookings.tests.test_services import assert_is_booked_invariant
from apps.notifications.models import Notification
from apps.notifications.services import notifications_send_due
from apps.schedules import services
from apps.schedules.exceptions import ClosureConflicts
from apps.schedules.models import Closure
from apps.services.tests.factories import ServiceFactory
from apps.staff.tests.factories import StaffFactory
from common.tests.assertions import assert_error

pytestmark = pytest.mark.django_db
Status = Booking.Status


@pytest.fixture
def manager():
    client = APIClient()
    client.force_authenticate(StaffUserFactory(role="manager"))
    return client


@pytest.fixture
def day(service, staff_member):
    """Three one-hour slots from 09:00 three days ahead: an unpaid booking at
    09:00, a confirmed one at 10:00, the 11:00 slot free."""
    start = (timezone.now() + timedelta(days=3)).replace(
        hour=9, minute=0, second=0, microsecond=0
    )
    slots = [
        AvailabilityFactory(
            staff=staff_member,
            start_time=start + timedelta(hours=hour),
            end_time=start + timedelta(hours=hour + 1),
        )
        for hour in range(3)
    ]
    unpaid = unpaid_booking(service, slots[0], customer_email="ana@example.com")
    confirmed = unpaid_booking(service, slots[1], customer_email="bea@example.com")
    booking_services.booking_verify_payment(booking=confirmed, actor=StaffUserFactory())
    return {
        "start": start,
        "end": start + timedelta(hours=3),
        "slots": slots,
        "unpaid": unpaid,
        "confirmed": confirmed,
    }


def closure_body(day, **extra):
    return {
        "starts_at": day["start"].isoformat(),
        "ends_at": day["end"].isoformat(),
        "staff": None,
        "kind": "closed",
        "public_note": "Closed for a burst pipe",
        **extra,
    }


def statuses(day):
    return [
        Booking.objects.get(pk=day[name].pk).status for name in ("unpaid", "confirmed")
    ]


def emails_since(count_before):
    return list(Notification.objects.order_by("pk")[count_before:])


def test_bookings_inside_are_a_409_naming_them_and_nothing_is_written(manager, day):
    emails = Notification.objects.count()

    response = manager.post("/api/closures/", closure_body(day))

    body = assert_error(response, 409, "closure_conflicts")
    assert [row["reference"] for row in body["bookings"]] == [
        day["unpaid"].reference,
        day["confirmed"].reference,
    ]
    assert [row["status"] for row in body["bookings"]] == [
        "awaiting_payment",
        "confirmed",
    ]
    first = body["bookings"][0]
    assert datetime.fromisoformat(first["start_time"]) == day["start"]
    assert datetime.fromisoformat(first["end_time"]) == day["start"] + timedelta(
        hours=1
    )
    assert not Closure.objects.exists()
    assert not Availability.objects.filter(is_closed=True).exists()
    assert Notification.objects.count() == emails
    assert statuses(day) == [Status.AWAITING_PAYMENT, Status.CONFIRMED]


def test_cancel_cancels_both_keeps_their_slots_closed_and_emails_both(manager, day):
    emails = Notification.objects.count()

    response = manager.post("/api/closures/", closure_body(day, on_conflict="cancel"))

    assert response.status_code == 201, response.content
    outcomes = {row["reference"]: row["outcome"] for row in response.json()["bookings"]}
    assert outcomes == {
        day["unpaid"].reference: "cancelled",
        day["confirmed"].reference: "cancelled",
    }
    assert statuses(day) == [Status.CANCELLED, Status.CANCELLED]
    for slot in Availability.objects.filter(pk__in=[s.pk for s in day["slots"]]):
        assert (slot.is_booked, slot.is_closed) == (False, True)
    events = BookingEvent.objects.filter(kind=BookingEvent.Kind.CANCELLED)
    assert {event.source for event in events} == {BookingEvent.Source.CLOSURE}
    assert {event.note for event in events} == {"Closed for a burst pipe"}
    notifications_send_due()  # the sender renders the emails
    new = emails_since(emails)
    assert sorted(email.recipient for email in new) == [
        "ana@example.com",
        "bea@example.com",
    ]
    for email in new:
        assert email.kind == Notification.Kind.BOOKING_CANCELLED
        assert "because we are not open at that time" in email.body_text
        assert "Reason: Closed for a burst pipe" in email.body_text
        assert "http://127.0.0.1:8000/" in email.body_text  # book again
        assert not email.guest_triggered
    assert_is_booked_invariant()
    # Nobody can book the slots now.
    guest = APIClient().get(
        "/api/bookings/availability/", {"date": day["start"].date()}
    )
    assert guest.json()["results"] == []


def test_keep_leaves_both_bookings_and_closes_only_the_free_time(manager, day):
    response = manager.post("/api/closures/", closure_body(day, on_conflict="keep"))

    assert response.status_code == 201, response.content
    assert {row["outcome"] for row in response.json()["bookings"]} == {"kept"}
    assert statuses(day) == [Status.AWAITING_PAYMENT, Status.CONFIRMED]
    free = Availability.objects.get(pk=day["slots"][2].pk)
    assert free.is_closed and not free.is_booked
    # A kept booking cancelled later does not make its slot bookable.
    booking_services.booking_cancel(booking=day["unpaid"], actor=None)
    assert not Availability.objects.get(pk=day["slots"][0].pk).is_booked
    assert_error(
        APIClient().post(
            "/api/bookings/",
            {
                "service": day["unpaid"].service_id,
                "availability": day["slots"][0].pk,
                "customer_name": "Late",
                "customer_email": "late@example.com",
                "customer_phone": "+351 912 000 111",
            },
        ),
        409,
        "slot_unavailable",
    )
    assert_is_booked_invariant()


def test_offer_reschedule_cancels_the_unpaid_and_offers_the_confirmed(
    manager, day, service, staff_member
):
    later = day["end"] + timedelta(days=1)
    AvailabilityFactory(
        staff=staff_member, start_time=later, end_time=later + timedelta(hours=1)
    )
    emails = Notification.objects.count()

    response = manager.post(
        "/api/closures/", closure_body(day, on_conflict="offer_reschedule")
    )

    assert response.status_code == 201, response.content
    assert statuses(day) == [Status.CANCELLED, Status.CONFIRMED]
    outcomes = {row["reference"]: row["outcome"] for row in response.json()["bookings"]}
    assert outcomes[day["confirmed"].reference] == "offered_reschedule"
    notifications_send_due()  # the sender renders the emails
    offer = Notification.objects.get(kind=Notification.Kind.RESCHEDULE_OFFER)
    assert offer.recipient == "bea@example.com"
    assert (
        f"http://127.0.0.1:8000/booking/?reference={day['confirmed'].reference}"
        in offer.body_text
    )
    local = timezone.localtime(later)
    assert f"{local:%A %d %B %Y, %H:%M}" in offer.body_text
    assert "Reason: Closed for a burst pipe" in offer.body_text
    assert len(emails_since(emails)) == 2
    # The guest moves it through the usual reschedule.
    moved = booking_services.booking_reschedule(
        booking=day["confirmed"],
        availability=Availability.objects.get(start_time=later),
        source=BookingEvent.Source.GUEST,
    )
    assert moved.availability.start_time == later


def test_a_create_on_a_covered_slot_is_409_slot_unavailable(manager, day, service):
    manager.post("/api/closures/", closure_body(day, on_conflict="keep"))
    response = APIClient().post(
        "/api/bookings/",
        {
            "service": service.pk,
            "availability": day["slots"][2].pk,
            "customer_name": "Ana",
            "customer_email": "other@example.com",
            "customer_phone": "+351 912 000 222",
        },
    )
    assert_error(response, 409, "slot_unavailable")


def test_an_absence_meets_only_its_staff_members_bookings(day, service):
    other = StaffFactory(services=[service])
    slot = AvailabilityFactory(
        staff=other, start_time=day["start"], end_time=day["start"] + timedelta(hours=1)
    )
    theirs = unpaid_booking(service, slot, customer_email="cid@example.com")

    with pytest.raises(ClosureConflicts) as refused:
        services.closure_create(
            starts_at=day["start"],
            ends_at=day["end"],
            kind=Closure.Kind.ABSENCE,
            staff=other,
        )
    assert [row["reference"] for row in refused.value.bookings] == [theirs.reference]
    result = services.closure_create(
        starts_at=day["start"],
        ends_at=day["end"],
        kind=Closure.Kind.ABSENCE,
        staff=other,
        on_conflict=services.CANCEL,
    )
    assert [b.reference for b in result.cancelled] == [theirs.reference]
    assert statuses(day) == [Status.AWAITING_PAYMENT, Status.CONFIRMED]
    assert not Availability.objects.get(pk=day["slots"][2].pk).is_closed


def test_widening_a_closure_asks_only_about_the_bookings_it_adds(day, staff_member):
    first = services.closure_create(
        starts_at=day["start"],
        ends_at=day["start"] + timedelta(hours=1),
        kind=Closure.Kind.CLOSED,
        on_conflict=services.KEEP,
    ).closure

    with pytest.raises(ClosureConflicts) as refused:
        services.closure_update(closure=first, changes={"ends_at": day["end"]})
    assert [row["reference"] for row in refused.value.bookings] == [
        day["confirmed"].reference
    ]
    assert Closure.objects.get().ends_at == day["start"] + timedelta(hours=1)
    result = services.closure_update(
        closure=Closure.objects.get(),
        changes={"ends_at": day["end"]},
        on_conflict=services.CANCEL,
    )
    assert [b.reference for b in result.cancelled] == [day["confirmed"].reference]
    assert statuses(day) == [Status.AWAITING_PAYMENT, Status.CANCELLED]
    # Narrowing it opens what it no longer covers.
    services.closure_update(
        closure=Closure.objects.get(),
        changes={"ends_at": day["start"] + timedelta(hours=2)},
    )
    assert not Availability.objects.get(pk=day["slots"][2].pk).is_closed
    assert Availability.objects.get(pk=day["slots"][1].pk).is_closed


def test_a_slot_made_by_hand_inside_a_closure_is_hidden_at_once(staff_member):
    start = timezone.now().replace(microsecond=0) + timedelta(days=5)
    services.closure_create(
        starts_at=start,
        ends_at=start + timedelta(hours=4),
        kind=Closure.Kind.ABSENCE,
        staff=staff_member,
    )
    inside = availability_create(
        staff=staff_member,
        start_time=start + timedelta(hours=1),
        end_time=start + timedelta(hours=2),
    )
    outside = availability_create(
        staff=staff_member,
        start_time=start + timedelta(hours=5),
        end_time=start + timedelta(hours=6),
    )
    assert Availability.objects.get(pk=inside.pk).is_closed
    assert not Availability.objects.get(pk=outside.pk).is_closed


def test_a_started_booking_is_not_a_conflict(service, staff_member):
    now = timezone.now()
    slot = AvailabilityFactory(
        staff=staff_member,
        start_time=now + timedelta(minutes=30),
        end_time=now + timedelta(minutes=90),
    )
    booking = unpaid_booking(service, slot)
    later = now + timedelta(hours=1)

    services.closure_create(
        starts_at=now,
        ends_at=now + timedelta(hours=2),
        kind=Closure.Kind.CLOSED,
        now=later,
    )
    assert Booking.objects.get(pk=booking.pk).status == Status.AWAITING_PAYMENT


def test_a_booking_of_several_slots_reaching_in_is_a_conflict_and_freed_whole():
    service = ServiceFactory(duration_minutes=45)
    member = StaffFactory(services=[service])
    start = (timezone.now() + timedelta(days=4)).replace(
        hour=10, minute=0, second=0, microsecond=0
    )
    grid = [
        AvailabilityFactory(
            staff=member,
            start_time=start + timedelta(minutes=15 * step),
            end_time=start + timedelta(minutes=15 * (step + 1)),
        )
        for step in range(4)
    ]
    booking = unpaid_booking(service, grid[0])
    # The closure covers only the booking's last quarter hour.
    with pytest.raises(ClosureConflicts):
        services.closure_create(
            starts_at=grid[2].start_time,
            ends_at=grid[3].end_time,
            kind=Closure.Kind.ABSENCE,
            staff=member,
        )
    services.closure_create(
        starts_at=grid[2].start_time,
        ends_at=grid[3].end_time,
        kind=Closure.Kind.ABSENCE,
        staff=member,
        on_conflict=services.CANCEL,
    )
    assert Booking.objects.get(pk=booking.pk).status == Status.CANCELLED
    flags = [
        (slot.is_booked, slot.is_closed)
        for slot in Availability.objects.filter(staff=member).order_by("start_time")
    ]
    assert flags == [(False, False), (False, False), (False, True), (False, True)]
    assert_is_booked_invariant()
