"""Erasure on request, end to end through the API: nothing of the guest is left
in any table, and what the accountant needs stays."""

import json
from decimal import Decimal

import pytest
from rest_framework.test import APIClient

from apps.bookings.models import Booking, BookingEvent, IdempotencyKey
from apps.notifications.models import Notification
from apps.payments.models import BankTransaction
from apps.privacy.contacts import ERASED_EMAIL, MARKER
from apps.privacy.models import ErasureRecord
from apps.privacy.tests.conftest import (
    ERASURES,
    move_to_past,
    pay_by_csv,
    run_jobs,
)
from apps.privacy.tests.traces import traces_of
from apps.webhooks.models import WebhookDelivery

pytestmark = pytest.mark.django_db

NAME = "Zuzanna Kowalczyk"
EMAIL = "zuzanna.kowalczyk.7q@example.org"
PHONE = "+351 913 222 444"
PHONE_FORMS = ["+351913222444", "351913222444", "913222444", "913 222 444"]
PAYER = "Zuzanna K Kowalczyk"
IBAN = "PT50003506510000000000133"
NEEDLES = [NAME, EMAIL, *PHONE_FORMS, PAYER, IBAN, "Kowalczyk"]


def paid_and_past(guest_books, manager_client, *, notes="Call Zuzanna on 913 222 444"):
    """A booking through the whole flow: booked, emailed, paid by a bank
    CSV, emailed again, its appointment over and marked completed."""
    booking = guest_books(NAME, EMAIL, PHONE, notes=notes)
    run_jobs()
    pay_by_csv(manager_client, booking, payer=PAYER, iban=IBAN)
    run_jobs()
    booking.refresh_from_db()
    assert booking.status == Booking.Status.CONFIRMED
    move_to_past(booking, days=3)
    response = manager_client.post(f"/api/bookings/{booking.pk}/complete/")
    assert response.status_code == 200, response.content
    run_jobs()
    return booking


def test_erasure_leaves_no_trace_and_keeps_the_books(
    guest_books, manager_client, contact_webhook, mailoutbox
):
    booking = paid_and_past(guest_books, manager_client)
    # Everything the flow copies the guest into exists before the erasure.
    assert Notification.objects.filter(booking=booking, status="sent").count() >= 2
    assert IdempotencyKey.objects.filter(booking=booking).exists()
    assert WebhookDelivery.objects.filter(booking=booking).exists()
    tx = BankTransaction.objects.get(booking=booking)
    assert tx.counterparty_account == IBAN
    assert traces_of(NEEDLES), "the test must see the data before erasing it"

    response = manager_client.post(
        ERASURES, {"email": EMAIL, "reason": f"{NAME} asked by email"}, format="json"
    )

    assert response.status_code == 201, response.content
    body = response.json()
    assert body["erased"] == [booking.reference] and body["kept"] == []
    assert traces_of(NEEDLES) == []
    booking.refresh_from_db()
    assert (booking.reference, booking.status, booking.amount_due) == (
        booking.reference,
        Booking.Status.COMPLETED,
        Decimal(booking.amount_due),
    )
    assert booking.customer_name == MARKER and booking.customer_email == ERASED_EMAIL
    assert booking.payment_verified_at is not None
    tx.refresh_from_db()
    assert tx.booking_id == booking.pk and tx.outcome == BankTransaction.Outcome.MATCHED
    assert tx.amount == booking.amount_due and booking.reference in tx.remittance
    # The audit trail's transitions stay.
    assert list(
        BookingEvent.objects.filter(booking=booking).values_list("kind", flat=True)
    ) == ["created", "payment_verified", "completed"]
    record = ErasureRecord.objects.get()
    assert record.reason == f"{MARKER} asked by email"
    assert EMAIL not in json.dumps(body)


def test_a_second_erasure_answers_that_nothing_is_left(guest_books, manager_client):
    paid_and_past(guest_books, manager_client)
    first = manager_client.post(
        ERASURES, {"phone": "913222444", "reason": "asked"}, format="json"
    )
    assert first.status_code == 201 and len(first.json()["erased"]) == 1

    again = manager_client.post(
        ERASURES, {"email": EMAIL, "reason": "asked again"}, format="json"
    )
    second = manager_client.post(
        ERASURES, {"phone": PHONE, "reason": "asked again"}, format="json"
    )

    assert again.status_code == 201
    assert again.json()["nothing_left"] is True and again.json()["erased"] == []
    # By phone, the same contact is recognised: it was erased before.
    assert second.json()["nothing_left"] is True
    assert len(second.json()["previous_erasures"]) == 1
    assert "erased before" in second.json()["detail"]


def test_a_future_confirmed_booking_is_kept_and_the_rest_erased(
    guest_books, manager_client
):
    past = paid_and_past(guest_books, manager_client)
    ahead = guest_books(NAME, EMAIL, PHONE)
    pay_by_csv(manager_client, ahead, payer=PAYER, iban=IBAN)
    unpaid = guest_books(NAME, "zuzanna.kowalczyk.7q+spa@example.org", PHONE)
    cancelled = guest_books(NAME, EMAIL, PHONE)
    manager_client.post(f"/api/bookings/{cancelled.pk}/cancel/", {"reason": "ill"})

    response = manager_client.post(
        ERASURES, {"email": EMAIL, "reason": "asked"}, format="json"
    )

    body = response.json()
    assert sorted(body["erased"]) == sorted([past.reference, cancelled.reference])
    assert {row["reference"]: row["reason"] for row in body["kept"]} == {
        ahead.reference: "confirmed appointment still ahead",
        unpaid.reference: "awaiting payment: the booking is still open",
    }
    ahead.refresh_from_db()
    cancelled.refresh_from_db()
    assert ahead.customer_email == EMAIL and ahead.status == "confirmed"
    assert cancelled.customer_name == MARKER and cancelled.cancel_reason == MARKER
    assert Notification.objects.filter(booking=ahead, recipient=EMAIL).exists()


def test_bad_requests_are_field_errors(manager_client):
    for data in (
        {"reason": "x"},
        {"email": EMAIL, "phone": PHONE, "reason": "x"},
        {"phone": "12", "reason": "x"},
        {"email": EMAIL},
    ):
        response = manager_client.post(ERASURES, data, format="json")
        assert response.status_code == 400, (data, response.content)
    assert not ErasureRecord.objects.exists()


def test_a_queued_email_and_the_admin_history_lose_the_guest_too(
    guest_books, manager_client, manager
):
    from django.contrib.admin.models import CHANGE, LogEntry
    from django.contrib.contenttypes.models import ContentType

    booking = guest_books(NAME, EMAIL, PHONE)
    manager_client.post(f"/api/bookings/{booking.pk}/cancel/", {"reason": "ill"})
    queued = Notification.objects.filter(booking=booking, status="queued")
    assert queued.exists()  # not sent yet: no job ran
    notification = queued.first()
    LogEntry.objects.create(
        user=manager,
        content_type=ContentType.objects.get_for_model(Notification),
        object_id=str(notification.pk),
        object_repr=str(notification),
        action_flag=CHANGE,
        change_message=f"Sent again to {EMAIL}",
    )

    manager_client.post(ERASURES, {"email": EMAIL, "reason": "asked"}, format="json")

    notification.refresh_from_db()
    assert notification.status == "failed" and "erased" in notification.last_error
    entry = LogEntry.objects.get()
    assert EMAIL not in entry.object_repr and EMAIL not in entry.change_message
    run_jobs()
    assert Notification.objects.filter(booking=booking, status="sent").count() == 0
    assert traces_of(NEEDLES) == []


def test_an_anonymised_booking_shows_as_such_and_opens_to_no_proof(
    guest_books, manager_client
):
    booking = guest_books(NAME, EMAIL, PHONE)
    manager_client.post(f"/api/bookings/{booking.pk}/cancel/", {"reason": "ill"})
    manager_client.post(ERASURES, {"email": EMAIL, "reason": "asked"}, format="json")

    detail = manager_client.get(f"/api/bookings/{booking.pk}/")
    assert detail.status_code == 200
    assert detail.json()["customer_email"] == ERASED_EMAIL
    for proof in ({"email": ERASED_EMAIL}, {"phone": MARKER}, {"email": EMAIL}):
        response = APIClient().post(
            "/api/bookings/lookup/", {"reference": booking.reference, **proof}
        )
        assert response.status_code in (400, 404), (proof, response.content)
