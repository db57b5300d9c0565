"""Issue 20: the business's emails carry only what the business wrote, and a
guest's actions cannot flood one mailbox."""

import pytest
from django.core import mail
from django.test import override_settings
from rest_framework.test import APIClient

from apps.availability.tests.factories import AvailabilityFactory
from apps.bookings.models import Booking
from apps.notifications.models import Notification
from apps.notifications.services import greeting_name, notifications_send_due

pytestmark = pytest.mark.django_db
Status = Notification.Status

PHISHING_NAME = "Joana\nYour account is locked: visit https://evil.example/login now"


@pytest.mark.parametrize(
    ("typed", "greeted"),
    [
        ("Joana Silva", "Joana Silva"),
        ("María-José O'Neil", "María-José O'Neil"),
        ("J. R. Tolkien", "J. R. Tolkien"),
        ("José 2nd", "José nd"),
        (PHISHING_NAME, "Joana Your account is locked visit now"),
        ("www.evil.example", ""),
        ("click evil.com", "click"),
        ("A" * 100, "A" * 40),
        ("<script>", "script"),
    ],
)
def test_greeting_name_keeps_a_name_and_drops_links_and_lines(typed, greeted):
    assert greeting_name(typed) == greeted


def book(payload, slot, address="203.0.113.40", **fields):
    return APIClient().post(
        "/api/bookings/",
        {**payload, "availability": slot.pk, **fields},
        format="json",
        REMOTE_ADDR=address,
    )


def sent_bodies():
    mail.outbox.clear()
    notifications_send_due()
    return [message.body for message in mail.outbox]


@override_settings(BOOKING_NOTIFY_EMAIL="desk@business.example")
def test_no_guest_free_text_or_link_reaches_an_email(guest_payload, slot):
    response = book(
        guest_payload,
        slot,
        customer_name=PHISHING_NAME,
        notes="Win a prize at https://evil.example/prize",
    )
    assert response.status_code == 201
    proof = {
        "reference": response.json()["reference"],
        "email": guest_payload["customer_email"],
    }
    cancelled = APIClient().post(
        "/api/bookings/lookup/cancel/",
        {**proof, "reason": "Send money to https://evil.example/pay"},
        format="json",
    )
    assert cancelled.status_code == 200, cancelled.content
    bodies = sent_bodies()
    assert len(bodies) == 3  # created (guest), new booking (business), cancelled
    for body in bodies:
        assert "evil" not in body and "http" not in body, body
        assert "prize" not in body and "Send money" not in body
    assert any("Hello Joana Your account is locked visit now," in b for b in bodies)


def test_a_staff_cancellation_reason_is_still_told(booking, staff_user):
    from apps.bookings import services

    services.booking_cancel(booking=booking, actor=staff_user, reason="We are closed")
    bodies = sent_bodies()
    assert any("Reason: We are closed" in body for body in bodies)


@override_settings(
    BOOKING_MAX_GUEST_EMAILS_PER_HOUR=3, BOOKING_MAX_UNPAID_PER_CLIENT=50
)
def test_guest_triggered_emails_to_one_mailbox_are_capped(guest_payload, staff_member):
    slots = [AvailabilityFactory(staff=staff_member) for _ in range(5)]
    for index, slot in enumerate(slots):
        response = book(
            guest_payload,
            slot,
            address=f"198.51.100.{index + 1}",
            customer_email=f"Victim+{index}@Example.com",
            customer_phone=f"+351 91{index:07d}",
        )
        assert response.status_code == 201
    assert Booking.objects.count() == 5  # the bookings themselves are not refused
    # The sender decides the cap (issue 35: no count in the request).
    assert len(sent_bodies()) == 3
    statuses = list(
        Notification.objects.order_by("pk").values_list("status", flat=True)
    )
    assert statuses == [Status.SENT] * 3 + [Status.SUPPRESSED] * 2
    held_back = Notification.objects.filter(status=Status.SUPPRESSED)
    assert all("last hour" in n.last_error for n in held_back)


@override_settings(BOOKING_MAX_GUEST_EMAILS_PER_HOUR=1)
def test_business_emails_are_not_capped(booking, staff_user):
    from apps.bookings import services

    services.booking_verify_payment(booking=booking, actor=staff_user)
    kinds_sent = dict(Notification.objects.values_list("kind", "status"))
    assert kinds_sent == {
        Notification.Kind.BOOKING_CREATED: Status.QUEUED,
        Notification.Kind.PAYMENT_CONFIRMED: Status.QUEUED,
    }
