import io
import json
from datetime import timedelta

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import call_command
from django.utils import timezone
from rest_framework.test import APIClient

from apps.availability.models import Availability
from apps.availability.tests.factories import AvailabilityFactory
from apps.bookings.models import Booking, BookingSlot
from apps.bookings.tests.factories import StaffUserFactory
from apps.webhooks.models import WebhookDelivery, WebhookEndpoint

ERASURES = "/api/privacy/erasures/"
EXPORT = "/api/privacy/export/"


def client_for(user):
    client = APIClient()
    if user is not None:
        client.force_authenticate(user)
    return client


@pytest.fixture
def manager(db):
    return StaffUserFactory(username="privacy-manager", role="manager")


@pytest.fixture
def manager_client(manager):
    return client_for(manager)


@pytest.fixture
def desk_client(db):
    return client_for(StaffUserFactory(username="privacy-desk", role="desk"))


@pytest.fixture
def new_slot(staff_member):
    """Free one-hour slots of the staff member, one per call, days ahead."""
    made = []

    def make(days=1):
        start = timezone.now().replace(microsecond=0) + timedelta(
            days=days, hours=len(made)
        )
        made.append(
            AvailabilityFactory(
                staff=staff_member,
                start_time=start,
                end_time=start + timedelta(hours=1),
            )
        )
        return made[-1]

    return make


@pytest.fixture
def guest_books(service, new_slot, settings):
    """Book through the guest API with an Idempotency-Key, as the page does."""
    settings.BOOKING_NOTIFY_EMAIL = "desk@business.example"

    def book(name, email, phone, *, notes="", key=None):
        slot = new_slot()
        response = APIClient().post(
            "/api/bookings/",
            {
                "service": service.pk,
                "availability": slot.pk,
                "customer_name": name,
                "customer_email": email,
                "customer_phone": phone,
                "notes": notes,
            },
            format="json",
            HTTP_IDEMPOTENCY_KEY=key or f"key-{email}-{slot.pk}",
        )
        assert response.status_code == 201, response.content
        return Booking.objects.get(reference=response.json()["reference"])

    return book


@pytest.fixture
def contact_webhook(db, settings):
    settings.BOOKING_WEBHOOK_ALLOW_PRIVATE = True
    return WebhookEndpoint.objects.create(
        url="https://hooks.example.com/in",
        events=[
            "booking.created",
            "booking.confirmed",
            "booking.completed",
            "booking.cancelled",
            "payment.unmatched",
        ],
        include_contact=True,
    )


def run_jobs():
    call_command("run_scheduled_jobs", stdout=io.StringIO())


CSV_MAP = {
    "date": "date",
    "amount": "amount",
    "currency": "currency",
    "remittance": "remittance",
    "counterparty": "counterparty",
    "counterparty_account": "counterparty_account",
    "transaction_id": "transaction_id",
}


def pay_by_csv(client, booking, *, payer, iban):
    content = (
        "date,amount,currency,remittance,counterparty,counterparty_account,"
        "transaction_id\n"
        f"{timezone.localdate().isoformat()},{booking.amount_due},EUR,"
        f"Reserva {booking.reference} {payer},{payer},{iban},TX-{booking.reference}\n"
    )
    response = client.post(
        "/api/payments/imports/",
        {
            "file": SimpleUploadedFile("statement.csv", content.encode()),
            "csv_map": json.dumps(CSV_MAP),
        },
        format="multipart",
    )
    assert response.status_code == 201, response.content
    return response


def move_to_past(booking, *, days):
    """Time passes: the booking's slots now lie `days` ago."""
    shift = timedelta(days=days)
    for hold in BookingSlot.objects.filter(booking=booking):
        Availability.objects.filter(pk=hold.availability_id).update(
            start_time=hold.availability.start_time - shift,
            end_time=hold.availability.end_time - shift,
        )
    Booking.objects.filter(pk=booking.pk).update(ends_at=booking.ends_at - shift)
    booking.refresh_from_db()


def deliveries_exist():
    return WebhookDelivery.objects.exists()
