"""The Django admin: same rules as the API, refusals as messages."""

from datetime import date, datetime, time, timedelta

import pytest
from django.contrib.messages import get_messages
from django.core.management import CommandError, call_command
from django.utils import timezone

from apps.availability.models import Availability
from apps.bookings import services
from apps.bookings.models import Booking
from apps.bookings.tests.factories import StaffUserFactory, unpaid_booking

pytestmark = pytest.mark.django_db
Status = Booking.Status


@pytest.fixture
def admin_client(client):
    client.force_login(StaffUserFactory(is_superuser=True))
    return client


@pytest.fixture
def booking(service, slot):
    return unpaid_booking(service, slot)


def run_action(admin_client, action, *bookings):
    return admin_client.post(
        "/admin/bookings/booking/",
        {"action": action, "_selected_action": [b.pk for b in bookings]},
        follow=True,
    )


def messages_of(response):
    return [str(m) for m in get_messages(response.wsgi_request)]


def test_changelist_filters_and_search(admin_client, booking):
    for query in (
        "?status__exact=awaiting_payment",
        f"?q={booking.reference}",
        "?q=912345678",
        f"?service__id__exact={booking.service_id}",
    ):
        response = admin_client.get(f"/admin/bookings/booking/{query}")
        assert response.status_code == 200
        assert booking.reference in response.content.decode()


def test_actions_run_the_domain_rules_and_report_refusals(admin_client, booking):
    response = run_action(admin_client, "mark_completed", booking)
    assert response.status_code == 200
    assert any("cannot become 'completed'" in m for m in messages_of(response))
    booking.refresh_from_db()
    assert booking.status == Status.AWAITING_PAYMENT

    response = run_action(admin_client, "verify_payment", booking)
    assert "1 booking(s) confirmed." in messages_of(response)
    response = run_action(admin_client, "mark_completed", booking)
    assert "1 booking(s) completed." in messages_of(response)
    booking.refresh_from_db()
    assert booking.status == Status.COMPLETED
    assert [e.source for e in booking.events.all()] == ["guest", "staff", "staff"]


def test_cancel_action_frees_the_slot(admin_client, booking):
    response = run_action(admin_client, "cancel_bookings", booking)
    assert "1 booking(s) cancelled." in messages_of(response)
    assert not Availability.objects.get(pk=booking.availability_id).is_booked


def test_status_and_payment_fields_are_read_only(admin_client, booking):
    url = f"/admin/bookings/booking/{booking.pk}/change/"
    page = admin_client.get(url).content.decode()
    assert 'name="customer_phone"' in page
    assert 'name="status"' not in page
    assert 'name="payment_verified_at"' not in page
    response = admin_client.post(
        url,
        {
            "customer_name": "Joana Silva",
            "customer_email": "joana@example.com",
            "customer_phone": "+351 912 345 678",
            "notes": "",
            "status": "completed",
            "events-TOTAL_FORMS": "1",
            "events-INITIAL_FORMS": "1",
        },
    )
    assert response.status_code == 302
    booking.refresh_from_db()
    assert booking.customer_name == "Joana Silva"
    assert booking.customer_phone_digits == "351912345678"
    assert booking.status == Status.AWAITING_PAYMENT


def test_completed_bookings_are_read_only_and_cannot_be_deleted(
    admin_client, booking, staff_user
):
    services.booking_verify_payment(booking=booking, actor=staff_user)
    services.booking_complete(booking=booking, actor=staff_user)
    page = admin_client.get(f"/admin/bookings/booking/{booking.pk}/change/")
    assert 'name="customer_name"' not in page.content.decode()
    response = admin_client.get(f"/admin/bookings/booking/{booking.pk}/delete/")
    assert response.status_code == 403
    assert admin_client.get("/admin/bookings/booking/add/").status_code == 403


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
    assert any("Created 9 slots" in m for m in messages_of(response))
    response = admin_client.post(
        "/admin/availability/availability/generate/", form, follow=True
    )
    assert any("Created 0 slots" in m for m in messages_of(response))
    page = admin_client.get("/admin/availability/availability/")
    assert "Generate slots" in page.content.decode()


def test_create_slots_command(staff_member, capsys):
    call_command(
        "create_slots",
        "--staff", str(staff_member.pk),
        "--from", "2031-03-03", "--to", "2031-03-09",
        "--between", "09:00-11:00", "--every", "30", "--weekdays", "mon-wed,sat",
    )  # fmt: skip
    assert "Created 16 slots" in capsys.readouterr().out
    zone = timezone.get_default_timezone()
    starts = {
        timezone.localtime(s.start_time, zone)
        for s in Availability.objects.filter(staff=staff_member)
    }
    assert {s.date() for s in starts} == {
        date(2031, 3, 3),
        date(2031, 3, 4),
        date(2031, 3, 5),
        date(2031, 3, 8),
    }
    assert min(starts).time() == time(9, 0)
    assert datetime.combine(date(2031, 3, 8), time(10, 30), tzinfo=zone) in starts


@pytest.mark.parametrize(
    "args",
    [
        ["--between", "17:00-09:00"],
        ["--weekdays", "fri-mon"],
        ["--weekdays", "funday"],
        ["--from", "03/03/2031"],
        ["--every", "0"],
    ],
)
def test_create_slots_rejects_bad_arguments(staff_member, args):
    base = {
        "--staff": str(staff_member.pk),
        "--from": "2031-03-03",
        "--to": "2031-03-09",
        "--between": "09:00-11:00",
        "--every": "30",
    }
    base.update(dict(zip(args[::2], args[1::2], strict=True)))
    with pytest.raises(CommandError):
        call_command("create_slots", *[x for pair in base.items() for x in pair])
    assert not Availability.objects.exists()


def test_create_slots_unknown_staff(db):
    with pytest.raises(CommandError, match="No staff member with id 999"):
        call_command(
            "create_slots",
            "--staff", "999", "--from", "2031-03-03", "--to", "2031-03-04",
            "--between", "09:00-10:00", "--every", "60",
        )  # fmt: skip
