"""Booking emails: queued with the change, sent by the sender, to the right people."""

from datetime import timedelta

import pytest
from django.core import mail
from django.core.management import call_command
from django.db import transaction
from django.test import override_settings
from django.utils import timezone

from apps.bookings import services
from apps.bookings.models import Booking
from apps.bookings.tests.factories import unpaid_booking
from apps.notifications.models import Notification
from apps.notifications.services import notifications_send_due
from apps.notifications.tests.helpers import attached_files

pytestmark = pytest.mark.django_db


def send_all(now=None):
    mail.outbox.clear()
    return notifications_send_due(now=now)


@pytest.fixture
def created(api_client, guest_payload):
    response = api_client.post("/api/bookings/", guest_payload, format="json")
    assert response.status_code == 201
    return Booking.objects.get(pk=response.json()["id"])


def test_the_request_queues_the_email_and_sends_nothing(created):
    assert mail.outbox == []
    (queued,) = Notification.objects.all()
    assert queued.status == Notification.Status.QUEUED
    assert queued.booking == created
    assert queued.kind == Notification.Kind.BOOKING_CREATED


def test_guest_gets_payment_instructions_when_booking(created, service):
    send_all()
    (message,) = mail.outbox
    assert message.to == ["joana@example.com"]
    assert created.reference in message.subject
    body = message.body
    assert created.reference in body
    assert f"€{service.price}" in body
    assert "Pay by bank transfer" in body
    deadline = timezone.localtime(created.payment_expires_at)
    assert f"{deadline:%H:%M}" in body
    assert Notification.objects.get().status == Notification.Status.SENT


@override_settings(BOOKING_NOTIFY_EMAIL="desk@example.com")
def test_the_business_hears_of_each_new_booking(api_client, guest_payload):
    api_client.post("/api/bookings/", guest_payload, format="json")
    send_all()
    assert sorted(m.to[0] for m in mail.outbox) == [
        "desk@example.com",
        "joana@example.com",
    ]
    staff_mail = next(m for m in mail.outbox if m.to == ["desk@example.com"])
    assert "+351 912 345 678" in staff_mail.body


def test_payment_confirmed_email_carries_the_invite(created, staff_client):
    send_all()
    staff_client.post(f"/api/bookings/{created.pk}/verify-payment/")
    send_all()
    (message,) = mail.outbox
    assert "confirmed" in message.subject
    assert created.reference in message.body
    ((filename, content_type, content),) = attached_files(message)
    assert filename == "booking.ics"
    assert content_type.startswith("text/calendar")
    assert 'method="REQUEST"' in content_type
    assert "METHOD:REQUEST" in content


@pytest.mark.parametrize(
    ("who", "phrase"),
    [
        ("staff", "by our team"),
        ("guest", "at your request"),
        ("system", "did not receive your payment"),
    ],
)
def test_cancellation_email_says_who_and_why(created, staff_user, who, phrase):
    send_all()
    later = timezone.now() + timedelta(hours=1)
    if who == "system":
        services.bookings_expire_unpaid(now=later)
    else:
        services.booking_cancel(
            booking=created,
            actor=staff_user if who == "staff" else None,
            source=who,
            reason="Fully booked day" if who == "staff" else "",
        )
    send_all(now=later)
    (message,) = mail.outbox
    assert message.to == ["joana@example.com"]
    assert "cancelled" in message.subject
    assert phrase in message.body
    if who == "staff":
        assert "Reason: Fully booked day" in message.body
    # It was never confirmed, so there is no invite to withdraw.
    assert attached_files(message) == []


def test_cancelling_a_confirmed_booking_withdraws_the_invite(
    created, staff_user, staff_client
):
    staff_client.post(f"/api/bookings/{created.pk}/verify-payment/")
    services.booking_cancel(booking=created, actor=staff_user, reason="Closed")
    send_all()
    cancellation = next(m for m in mail.outbox if "cancelled" in m.subject)
    ((_, content_type, content),) = attached_files(cancellation)
    assert 'method="CANCEL"' in content_type
    assert "METHOD:CANCEL" in content


def test_no_email_when_the_transaction_rolls_back(service, slot):
    with pytest.raises(RuntimeError), transaction.atomic():
        unpaid_booking(service, slot)
        assert Notification.objects.count() == 1
        raise RuntimeError("rolled back after the booking")
    assert not Booking.objects.exists()
    assert not Notification.objects.exists()
    send_all()
    assert mail.outbox == []


def test_the_email_is_rendered_when_queued(created):
    """A later edit of the booking does not change what was promised."""
    Booking.objects.filter(pk=created.pk).update(customer_name="Someone Else")
    send_all()
    (message,) = mail.outbox
    assert "Hello Joana Silva" in message.body
    assert "Someone Else" not in message.body


def test_a_failing_mail_server_never_fails_the_booking(
    api_client, guest_payload, monkeypatch
):
    def refuse(*args, **kwargs):
        raise ConnectionRefusedError("SMTP server down")

    monkeypatch.setattr(
        "django.core.mail.backends.locmem.EmailBackend.send_messages", refuse
    )
    response = api_client.post("/api/bookings/", guest_payload, format="json")
    assert response.status_code == 201
    result = notifications_send_due()
    assert (result.sent, result.retried) == (0, 1)
    queued = Notification.objects.get()
    assert queued.status == Notification.Status.QUEUED
    assert queued.attempts == 1
    assert "SMTP server down" in queued.last_error


def test_expiry_emails_every_expired_guest_once(staff_member):
    from apps.availability.tests.factories import AvailabilityFactory

    slots = [AvailabilityFactory(staff=staff_member) for _ in range(3)]
    for index, slot in enumerate(slots):
        unpaid_booking(
            staff_member.services.first(),
            slot,
            customer_name=f"Guest {index}",
            customer_email=f"guest{index}@example.com",
            customer_phone=f"91234567{index}",
        )
    send_all()
    mail.outbox.clear()
    later = timezone.now() + timedelta(hours=1)
    services.bookings_expire_unpaid(now=later, batch_size=2)
    assert mail.outbox == []  # the expiry batch itself sends nothing
    send_all(now=later)
    assert sorted(m.to[0] for m in mail.outbox) == [
        "guest0@example.com",
        "guest1@example.com",
        "guest2@example.com",
    ]
    send_all(now=later)
    assert mail.outbox == []


def test_expiry_can_skip_the_emails(created):
    send_all()
    Booking.objects.filter(pk=created.pk).update(
        payment_expires_at=timezone.now() - timedelta(minutes=1)
    )
    call_command("expire_unpaid_bookings", "--no-email")
    created.refresh_from_db()
    assert created.status == "cancelled"
    assert not Notification.objects.filter(kind="booking_cancelled").exists()
    send_all()
    assert mail.outbox == []
