"""Writing messages: which endpoints a booking change writes to, read with
the outbox's one fixed statement on either database."""

import json

import pytest

from apps.bookings.tests.factories import unpaid_booking
from apps.webhooks import services
from apps.webhooks.models import WebhookDelivery
from apps.webhooks.outbox import EnabledEndpoint, enabled_endpoints

pytestmark = pytest.mark.django_db


def _endpoint(path, events, **fields):
    return services.webhook_endpoint_create(
        url=f"http://127.0.0.1:9/{path}", events=events, **fields
    )


def test_enabled_endpoints_come_back_parsed_in_id_order(allow_loopback):
    first = _endpoint("a", ["booking.created", "booking.cancelled"])
    off = _endpoint("b", ["booking.created"])
    off.enabled = False
    off.save(update_fields=["enabled"])
    contact = _endpoint("c", ["booking.confirmed"], include_contact=True)
    assert enabled_endpoints() == [
        EnabledEndpoint(first.pk, ["booking.created", "booking.cancelled"], False),
        EnabledEndpoint(contact.pk, ["booking.confirmed"], True),
    ]


def test_a_booking_writes_to_the_enabled_subscribers_only(
    allow_loopback, service, slot
):
    subscribed = _endpoint("a", ["booking.created"], include_contact=True)
    _endpoint("b", ["booking.cancelled"])
    disabled = _endpoint("c", ["booking.created"])
    disabled.enabled = False
    disabled.save(update_fields=["enabled"])
    booking = unpaid_booking(service=service, slot=slot)
    deliveries = WebhookDelivery.objects.filter(booking=booking)
    assert [(d.endpoint_id, d.event_type) for d in deliveries] == [
        (subscribed.pk, "booking.created")
    ]
    # include_contact read as a boolean: the guest's email is in the message.
    assert (
        json.loads(deliveries[0].body)["data"]["guest"]["email"] == "joana@example.com"
    )
