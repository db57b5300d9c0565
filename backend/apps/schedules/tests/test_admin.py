"""The calendar in the admin: a closure over bookings asks first; the desk
lists today's closures and absences."""

from datetime import timedelta

import pytest
from django.test import Client
from django.utils import timezone

from apps.availability.tests.factories import AvailabilityFactory
from apps.bookings.models import Booking
from apps.bookings.tests.factories import StaffUserFactory, unpaid_booking
from apps.schedules import services
from apps.schedules.models import Closure, WorkingHours
from common.dates import local_day_bounds
from common.tests.assertions import admin_messages

pytestmark = pytest.mark.django_db
ADD = "/admin/schedules/closure/add/"


def logged_in(role):
    client = Client()
    client.force_login(StaffUserFactory(role=role))
    return client


def form_data(start, end, **extra):
    local_start, local_end = timezone.localtime(start), timezone.localtime(end)
    return {
        "starts_at_0": f"{local_start:%Y-%m-%d}",
        "starts_at_1": f"{local_start:%H:%M}",
        "ends_at_0": f"{local_end:%Y-%m-%d}",
        "ends_at_1": f"{local_end:%H:%M}",
        "kind": "closed",
        "public_note": "Inventory day",
        **extra,
    }


@pytest.fixture
def booked(service, staff_member):
    start = (timezone.now() + timedelta(days=2)).replace(
        hour=10, minute=0, second=0, microsecond=0
    )
    slot = AvailabilityFactory(
        staff=staff_member, start_time=start, end_time=start + timedelta(hours=1)
    )
    return unpaid_booking(service, slot), start


def test_a_closure_over_bookings_shows_them_first_and_then_does_the_choice(booked):
    booking, start = booked
    client = logged_in("manager")
    data = form_data(start - timedelta(hours=1), start + timedelta(hours=3))

    page = client.post(ADD, data)

    assert page.status_code == 200
    html = page.content.decode()
    assert "Bookings inside this closure" in html
    assert booking.reference in html
    assert 'name="on_conflict" value="cancel"' in html
    assert not Closure.objects.exists()
    assert Booking.objects.get(pk=booking.pk).status == Booking.Status.AWAITING_PAYMENT

    done = client.post(ADD, {**data, "on_conflict": "cancel"})

    assert done.status_code == 302, done.content[:2000]
    closure = Closure.objects.get()
    assert closure.public_note == "Inventory day"
    assert Booking.objects.get(pk=booking.pk).status == Booking.Status.CANCELLED


def test_widening_a_closure_in_the_admin_shows_the_bookings_it_adds(booked):
    booking, start = booked
    closure = services.closure_create(
        starts_at=start - timedelta(hours=3),
        ends_at=start - timedelta(hours=1),
        kind=Closure.Kind.CLOSED,
    ).closure
    client = logged_in("manager")
    change = f"/admin/schedules/closure/{closure.pk}/change/"
    data = form_data(start - timedelta(hours=3), start + timedelta(hours=2))

    page = client.post(change, data)

    assert page.status_code == 200
    assert booking.reference in page.content.decode()
    assert Closure.objects.get().ends_at == start - timedelta(hours=1)
    done = client.post(change, {**data, "on_conflict": "keep"})
    assert done.status_code == 302
    assert Closure.objects.get().ends_at == start + timedelta(hours=2)
    assert Booking.objects.get(pk=booking.pk).status == Booking.Status.AWAITING_PAYMENT


def test_a_closure_without_bookings_saves_at_once_and_bad_times_are_form_errors(
    booked,
):
    _, start = booked
    client = logged_in("manager")
    free = start + timedelta(days=5)

    assert (
        client.post(ADD, form_data(free, free + timedelta(hours=2))).status_code == 302
    )
    assert Closure.objects.count() == 1

    backwards = client.post(ADD, form_data(free, free - timedelta(hours=2)))
    assert backwards.status_code == 200
    assert "A closure must end after it starts." in backwards.content.decode()
    assert Closure.objects.count() == 1


def test_the_desk_cannot_reach_the_confirmation_page(booked):
    _, start = booked
    response = logged_in("desk").post(
        ADD, form_data(start - timedelta(hours=1), start + timedelta(hours=3))
    )
    assert response.status_code == 403
    assert not Closure.objects.exists()


def test_working_hours_in_the_admin_refuse_an_overlap(staff_member):
    client = logged_in("manager")
    rule = {
        "staff": staff_member.pk,
        "weekday": "0",
        "start_minute": "09:00",
        "end_minute": "13:00",
        "slot_minutes": "30",
        "buffer_minutes": "0",
    }
    add = "/admin/schedules/workinghours/add/"
    assert client.post(add, rule).status_code == 302
    overlap = client.post(add, {**rule, "start_minute": "12:00", "end_minute": "14:00"})
    assert overlap.status_code == 200
    assert "overlaps another rule" in overlap.content.decode()
    late = client.post(add, {**rule, "start_minute": "23:00", "end_minute": "25:00"})
    assert "A time from 00:00 to 24:00." in late.content.decode()
    assert [(r.start_minute, r.end_minute) for r in WorkingHours.objects.all()] == [
        (540, 780)
    ]


def test_the_desk_shows_todays_closures_and_absences(staff_member):
    today = timezone.localdate()
    start, end = local_day_bounds(today)
    services.closure_create(
        starts_at=start + timedelta(hours=14),
        ends_at=end,
        kind=Closure.Kind.ABSENCE,
        staff=staff_member,
        public_note="Doctor's appointment",
        now=start,
    )
    tomorrow = end + timedelta(hours=1)
    services.closure_create(
        starts_at=tomorrow,
        ends_at=tomorrow + timedelta(hours=1),
        kind=Closure.Kind.CLOSED,
    )

    page = logged_in("desk").get("/admin/bookings/booking/desk/")

    assert page.status_code == 200
    html = page.content.decode()
    section = html[html.index('id="desk-absences"') :]
    section = section[: section.index("</div>")]
    assert (
        f"{staff_member.name}, 14:00-24:00 (Staff absence): Doctor&#x27;s appointment"
        in section
    )
    assert "Whole business" not in section
    assert admin_messages(page) == []
