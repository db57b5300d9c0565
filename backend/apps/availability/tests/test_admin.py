"""The slot admin: domain errors as form errors, Generate slots."""

from datetime import timedelta
from itertools import pairwise

import pytest
from django.utils import timezone

from apps.availability.models import Availability
from apps.bookings.tests.factories import StaffUserFactory
from common.tests.assertions import admin_messages

pytestmark = pytest.mark.django_db


def slot_form(staff_id, start, end):
    """The admin's split date and time inputs, in the business timezone."""
    start, end = timezone.localtime(start), timezone.localtime(end)
    return {
        "staff": staff_id,
        "start_time_0": start.date().isoformat(),
        "start_time_1": start.strftime("%H:%M:%S"),
        "end_time_0": end.date().isoformat(),
        "end_time_1": end.strftime("%H:%M:%S"),
    }


def test_slot_form_shows_domain_errors(admin_client, slot):
    shift = timedelta(minutes=30)
    overlapping = admin_client.post(
        "/admin/availability/availability/add/",
        slot_form(slot.staff_id, slot.start_time + shift, slot.end_time + shift),
    )
    assert overlapping.status_code == 200
    assert "overlaps another slot" in overlapping.content.decode()
    assert Availability.objects.count() == 1


def test_booked_slot_cannot_be_deleted_or_moved_in_the_admin(admin_client, booking):
    slot = booking.availability
    assert (
        admin_client.get(
            f"/admin/availability/availability/{slot.pk}/delete/"
        ).status_code
        == 403
    )
    later = slot.start_time + timedelta(days=2)
    response = admin_client.post(
        f"/admin/availability/availability/{slot.pk}/change/",
        slot_form(slot.staff_id, later, later + timedelta(hours=1)),
    )
    assert response.status_code == 200
    assert "holds an active booking" in response.content.decode()
    slot.refresh_from_db()
    assert slot.start_time == booking.availability.start_time


def test_generate_slots_from_the_admin(admin_client, staff_member):
    form = {
        "staff": staff_member.pk,
        "first_day": "2031-03-03",
        "last_day": "2031-03-09",
        "day_start": "09:00",
        "day_end": "12:00",
        "every_minutes": "60",
        "weekdays": ["0", "2", "4"],
    }
    response = admin_client.post(
        "/admin/availability/availability/generate/", form, follow=True
    )
    assert any("Created 9 slots" in m for m in admin_messages(response))
    response = admin_client.post(
        "/admin/availability/availability/generate/", form, follow=True
    )
    assert any("Created 0 slots" in m for m in admin_messages(response))
    page = admin_client.get("/admin/availability/availability/")
    assert "Generate slots" in page.content.decode()


def test_a_manager_generates_slots_with_a_buffer(client, staff_member):
    client.force_login(StaffUserFactory(role="manager"))
    form = {
        "staff": staff_member.pk,
        "first_day": "2031-03-03",
        "last_day": "2031-03-03",
        "day_start": "09:00",
        "day_end": "12:00",
        "every_minutes": "50",
        "buffer_minutes": "10",
        "weekdays": ["0"],
    }
    response = client.post(
        "/admin/availability/availability/generate/", form, follow=True
    )
    assert any("Created 3 slots" in m for m in admin_messages(response))
    gaps = {
        later.start_time - earlier.end_time
        for earlier, later in pairwise(
            Availability.objects.filter(staff=staff_member).order_by("start_time")
        )
    }
    assert gaps == {timedelta(minutes=10)}


def test_the_desk_cannot_generate_slots(client, staff_member):
    client.force_login(StaffUserFactory(role="desk"))
    page = client.get("/admin/availability/availability/")
    assert page.status_code == 200
    assert "Generate slots" not in page.content.decode()
    assert client.get("/admin/availability/availability/generate/").status_code == 403
