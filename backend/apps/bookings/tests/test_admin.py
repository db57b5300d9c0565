"""The Django admin: same rules as the API, refusals as messages."""

import pytest

from apps.availability.models import Availability
from apps.bookings import services
from apps.bookings.models import Booking
from apps.bookings.tests.factories import unpaid_booking
from common.tests.assertions import admin_messages

pytestmark = pytest.mark.django_db
Status = Booking.Status


@pytest.fixture
def booking(service, slot):
    return unpaid_booking(service, slot)


def run_action(admin_client, action, *bookings):
    return admin_client.post(
        "/admin/bookings/booking/",
        {"action": action, "_selected_action": [b.pk for b in bookings]},
        follow=True,
    )


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


def test_actions_run_the_domain_rules_and_report_refusals(
    admin_client, booking, at_start
):
    response = run_action(admin_client, "mark_completed", booking)
    assert response.status_code == 200
    assert any("cannot become 'completed'" in m for m in admin_messages(response))
    booking.refresh_from_db()
    assert booking.status == Status.AWAITING_PAYMENT

    response = run_action(admin_client, "verify_payment", booking)
    assert "1 booking confirmed." in admin_messages(response)
    response = run_action(admin_client, "mark_completed", booking)
    assert any("has not started yet" in m for m in admin_messages(response))
    with at_start(booking):
        response = run_action(admin_client, "mark_completed", booking)
    assert "1 booking completed." in admin_messages(response)
    booking.refresh_from_db()
    assert booking.status == Status.COMPLETED
    assert [e.source for e in booking.events.all()] == ["guest", "staff", "staff"]


def test_cancel_action_frees_the_slot(admin_client, booking):
    response = run_action(admin_client, "cancel_bookings", booking)
    assert "1 booking cancelled." in admin_messages(response)
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
            "locale": "en",
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
    services.booking_complete(
        booking=booking, actor=staff_user, now=booking.availability.start_time
    )
    page = admin_client.get(f"/admin/bookings/booking/{booking.pk}/change/")
    assert 'name="customer_name"' not in page.content.decode()
    response = admin_client.get(f"/admin/bookings/booking/{booking.pk}/delete/")
    assert response.status_code == 403
    assert admin_client.get("/admin/bookings/booking/add/").status_code == 403
