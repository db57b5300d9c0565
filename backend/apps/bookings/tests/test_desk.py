"""The desk page in the admin: what it shows, its buttons, its query budget."""

from datetime import timedelta

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from apps.availability.tests.factories import AvailabilityFactory
from apps.bookings import services
from apps.bookings.models import Booking
from apps.bookings.tests.factories import StaffUserFactory, unpaid_booking
from apps.services.tests.factories import ServiceFactory
from apps.staff.tests.factories import StaffFactory
from common.tests.assertions import admin_messages

pytestmark = pytest.mark.django_db
DESK = "/admin/bookings/booking/desk/"


@pytest.fixture
def desk_client():
    client = Client()
    client.force_login(StaffUserFactory(role="desk"))
    return client


def book_today_and_tomorrow(count):
    """`count` bookings for each of today (later on) and tomorrow, spread over
    staff members, half of them confirmed."""
    service = ServiceFactory(duration_minutes=30)
    now = timezone.localtime()
    bookings = []
    for index in range(count):
        member = StaffFactory(services=[service])
        for day in (0, 1):
            # Slots a few minutes apart, after now, still on the same day.
            start = now + timedelta(days=day, minutes=1 + index)
            if start.date() != (now + timedelta(days=day)).date():
                start = now.replace(hour=23, minute=59) + timedelta(days=day)
            slot = AvailabilityFactory(
                staff=member, start_time=start, end_time=start + timedelta(minutes=30)
            )
            booking = Booking.objects.create(
                service=service,
                staff=member,
                availability=slot,
                customer_name=f"Guest {index}-{day}",
                customer_email=f"g{index}{day}@example.com",
                customer_phone="912345678",
                amount_due=service.price,
                status=Booking.Status.CONFIRMED if index % 2 else "awaiting_payment",
                payment_expires_at=timezone.now() + timedelta(minutes=20),
            )
            slot.is_booked = True
            slot.save()
            bookings.append(booking)
    return bookings


def test_desk_lists_the_day(desk_client):
    bookings = book_today_and_tomorrow(2)
    response = desk_client.get(DESK)
    assert response.status_code == 200
    html = response.content.decode()
    for booking in bookings:
        assert booking.reference in html
    assert 'value="verify"' in html
    # Complete and Cancel ask first, on a page of their own.
    assert "/complete/" in html and "/cancel/" in html
    assert "Tomorrow" in html


def test_desk_query_count_does_not_grow_with_bookings(desk_client):
    book_today_and_tomorrow(2)
    desk_client.get(DESK)
    with CaptureQueriesContext(connection) as few:
        assert desk_client.get(DESK).status_code == 200
    book_today_and_tomorrow(25)
    with CaptureQueriesContext(connection) as many:
        response = desk_client.get(DESK)
    assert response.status_code == 200
    assert response.content.decode().count("data-reference=") >= 2 * 27
    assert len(many) == len(few), [q["sql"] for q in many]
    assert len(many) <= 12


def test_verify_button(desk_client, service, slot):
    booking = unpaid_booking(service, slot)
    response = desk_client.post(
        DESK, {"operation": "verify", "booking": booking.pk}, follow=True
    )
    assert f"{booking.reference}: confirmed." in admin_messages(response)
    booking.refresh_from_db()
    assert booking.status == Booking.Status.CONFIRMED
    # Again: the refusal is a message, not a 500.
    response = desk_client.post(
        DESK, {"operation": "verify", "booking": booking.pk}, follow=True
    )
    assert response.status_code == 200
    assert any("cannot become" in m for m in admin_messages(response))


def test_bad_posts_are_messages(desk_client):
    for data in (
        {"operation": "verify", "booking": "999999"},
        {"operation": "verify", "booking": "x"},
        {"operation": "delete", "booking": "1"},
        {},
    ):
        response = desk_client.post(DESK, data, follow=True)
        assert response.status_code == 200
        assert admin_messages(response)


def test_find_by_reference(desk_client, service, slot):
    booking = unpaid_booking(service, slot)
    response = desk_client.get(DESK, {"reference": booking.reference.lower()})
    assert response.status_code == 302
    assert response["Location"].endswith(f"/{booking.pk}/change/")
    response = desk_client.get(DESK, {"reference": "NOPE"}, follow=True)
    assert any("No booking" in m for m in admin_messages(response))


def test_expired_in_the_last_day_are_listed(desk_client, service, slot):
    booking = unpaid_booking(service, slot)
    services.bookings_expire_unpaid(now=booking.payment_expires_at, notify=False)
    html = desk_client.get(DESK).content.decode()
    section = html[html.index('id="desk-expired"') :]
    assert booking.reference in section


def test_admin_index_links_the_desk(desk_client):
    assert DESK in desk_client.get("/admin/").content.decode()


def test_reschedule_page(desk_client, service, slot, staff_member):
    booking = unpaid_booking(service, slot)
    start = slot.start_time + timedelta(days=2)
    target = AvailabilityFactory(
        staff=staff_member, start_time=start, end_time=start + timedelta(hours=1)
    )
    url = f"/admin/bookings/booking/{booking.pk}/reschedule/"
    picker = desk_client.get(url, {"day": timezone.localdate(start).isoformat()})
    assert f'name="availability" value="{target.pk}"' in picker.content.decode()
    response = desk_client.post(url, {"availability": target.pk}, follow=True)
    assert f"{booking.reference}: rescheduled." in admin_messages(response)
    booking.refresh_from_db()
    assert booking.availability_id == target.pk
    # The old slot is no longer offered to itself; a taken one is refused.
    response = desk_client.post(url, {"availability": target.pk})
    assert response.status_code == 200
    assert "availability" in response.context["form"].errors
