"""Emails: sent after commit, to the right people, never breaking a booking."""

import logging
from datetime import timedelta

import pytest
from django.core import mail
from django.db import transaction
from django.test import override_settings
from django.utils import timezone

from apps.bookings import services
from apps.bookings.models import Booking
from apps.bookings.tests.factories import unpaid_booking

pytestmark = pytest.mark.django_db


@pytest.fixture
def created(api_client, guest_payload, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        response = api_client.post("/api/bookings/", guest_payload, format="json")
    assert response.status_code == 201
    return Booking.objects.get(pk=response.json()["id"])


def test_guest_gets_payment_instructions_when_booking(created, service):
    (message,) = mail.outbox
    assert message.to == ["joana@example.com"]
    assert created.reference in message.subject
    body = message.body
    assert created.reference in body
    assert f"{service.price} EUR" in body
    assert "Pay by bank transfer" in body
    deadline = timezone.localtime(created.payment_expires_at)
    assert f"{deadline:%H:%M}" in body


@override_settings(BOOKING_NOTIFY_EMAIL="desk@example.com")
def test_the_business_hears_of_each_new_booking(
    api_client, guest_payload, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        api_client.post("/api/bookings/", guest_payload, format="json")
    assert sorted(m.to[0] for m in mail.outbox) == [
        "desk@example.com",
        "joana@example.com",
    ]
    staff_mail = next(m for m in mail.outbox if m.to == ["desk@example.com"])
    assert "+351 912 345 678" in staff_mail.body


def test_payment_confirmed_email(
    created, staff_client, django_capture_on_commit_callbacks
):
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        staff_client.post(f"/api/bookings/{created.pk}/verify-payment/")
    (message,) = mail.outbox
    assert "confirmed" in message.subject
    assert created.reference in message.body


@pytest.mark.parametrize(
    ("who", "phrase"),
    [
        ("staff", "by our team"),
        ("guest", "at your request"),
        ("system", "did not receive your payment"),
    ],
)
def test_cancellation_email_says_who_and_why(
    created, staff_user, django_capture_on_commit_callbacks, who, phrase
):
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        if who == "system":
            services.bookings_expire_unpaid(now=timezone.now() + timedelta(hours=1))
        else:
            services.booking_cancel(
                booking=created,
                actor=staff_user if who == "staff" else None,
                source=who,
                reason="Fully booked day" if who == "staff" else "",
            )
    (message,) = mail.outbox
    assert message.to == ["joana@example.com"]
    assert "cancelled" in message.subject
    assert phrase in message.body
    if who == "staff":
        assert "Reason: Fully booked day" in message.body


def test_no_email_when_the_transaction_rolls_back(
    service, slot, django_capture_on_commit_callbacks
):
    with (
        django_capture_on_commit_callbacks(execute=True) as callbacks,
        pytest.raises(RuntimeError),
        transaction.atomic(),
    ):
        unpaid_booking(service, slot)
        raise RuntimeError("rolled back after the booking")
    assert callbacks == []
    assert mail.outbox == []
    assert not Booking.objects.exists()


def test_emails_wait_for_the_commit(service, slot, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        unpaid_booking(service, slot)
        assert mail.outbox == []
    assert len(callbacks) == 1


def test_a_failing_mail_server_never_fails_the_booking(
    api_client, guest_payload, monkeypatch, caplog, django_capture_on_commit_callbacks
):
    def refuse(*args, **kwargs):
        raise ConnectionRefusedError("SMTP server down")

    monkeypatch.setattr("apps.bookings.notifications.send_mail", refuse)
    with (
        caplog.at_level(logging.ERROR, logger="apps.bookings.notifications"),
        django_capture_on_commit_callbacks(execute=True),
    ):
        response = api_client.post("/api/bookings/", guest_payload, format="json")
    assert response.status_code == 201
    assert Booking.objects.filter(status="awaiting_payment").count() == 1
    assert "could not send the booking_created email" in caplog.text


def test_expiry_emails_every_expired_guest_once(
    api_client, guest_payload, staff_member, django_capture_on_commit_callbacks
):
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
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        services.bookings_expire_unpaid(
            now=timezone.now() + timedelta(hours=1), batch_size=2
        )
    assert sorted(m.to[0] for m in mail.outbox) == [
        "guest0@example.com",
        "guest1@example.com",
        "guest2@example.com",
    ]


def test_expiry_can_skip_the_emails(
    created, django_capture_on_commit_callbacks, capsys
):
    from django.core.management import call_command

    mail.outbox.clear()
    Booking.objects.filter(pk=created.pk).update(
        payment_expires_at=timezone.now() - timedelta(minutes=1)
    )
    with django_capture_on_commit_callbacks(execute=True):
        call_command("expire_unpaid_bookings", "--no-email")
    created.refresh_from_db()
    assert created.status == "cancelled"
    assert mail.outbox == []
