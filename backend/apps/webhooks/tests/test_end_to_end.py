"""A booking made and paid over HTTP reaches a real receiver, signed."""

import io
import json
from datetime import timedelta

import pytest
import time_machine
from django.core.management import call_command
from django.utils import timezone
from standardwebhooks.webhooks import Webhook, WebhookVerificationError

from apps.webhooks.models import WebhookDelivery
from apps.webhooks.sending import webhooks_send_due
from apps.webhooks.tests.receiver import Receiver

pytestmark = pytest.mark.django_db


def _verify(secret, received):
    return Webhook(secret).verify(received.body, received.headers)


def test_created_then_confirmed_reach_the_receiver_signed(
    allow_loopback, manager_client, desk_client, api_client, guest_payload
):
    with Receiver() as receiver:
        created = manager_client.post(
            "/api/webhooks/",
            {"url": receiver.url, "events": ["booking.created", "booking.confirmed"]},
        )
        assert created.status_code == 201, created.content
        secret = created.json()["secret"]
        assert secret.startswith("whsec_")

        booking = api_client.post("/api/bookings/", guest_payload)
        assert booking.status_code == 201
        booking_id = booking.json()["id"]
        verified = desk_client.post(f"/api/bookings/{booking_id}/verify-payment/")
        assert verified.status_code == 200
        # Nothing was sent by either request: the messages wait in the outbox.
        assert receiver.received == []
        assert WebhookDelivery.objects.filter(status="queued").count() == 2

        output = io.StringIO()
        call_command("run_scheduled_jobs", stdout=output)

    assert "send_webhooks: Delivered 2 webhooks" in output.getvalue()
    first, second = receiver.received
    messages = [_verify(secret, first), _verify(secret, second)]
    assert [m["type"] for m in messages] == ["booking.created", "booking.confirmed"]
    assert set(messages[0]) == {"type", "timestamp", "data"}
    data = messages[1]["data"]
    assert data["booking_id"] == booking_id
    assert data["reference"] == booking.json()["reference"]
    assert data["status"] == "confirmed"
    assert data["payment"]["source"] == "staff"
    assert data["service"]["id"] == guest_payload["service"]
    assert "guest" not in data  # the endpoint did not opt in to contact data
    assert first.headers["webhook-id"] != second.headers["webhook-id"]
    assert WebhookDelivery.objects.filter(status="delivered").count() == 2


def test_a_tampered_body_or_an_old_timestamp_fails_verification(
    allow_loopback, manager_client, api_client, guest_payload
):
    with Receiver() as receiver:
        secret = manager_client.post(
            "/api/webhooks/", {"url": receiver.url, "events": ["booking.created"]}
        ).json()["secret"]
        api_client.post("/api/bookings/", guest_payload)
        webhooks_send_due()
    (received,) = receiver.received
    assert _verify(secret, received)["type"] == "booking.created"

    tampered = received.body.replace(b"booking.created", b"booking.cancelled")
    with pytest.raises(WebhookVerificationError):
        Webhook(secret).verify(tampered, received.headers)
    with pytest.raises(WebhookVerificationError):
        Webhook("whsec_" + "A" * 43 + "=").verify(received.body, received.headers)
    six_minutes_later = timezone.now() + timedelta(minutes=6)
    with (
        time_machine.travel(six_minutes_later),
        pytest.raises(WebhookVerificationError, match="too old"),
    ):
        _verify(secret, received)


def test_500_twice_then_200_is_retried_to_success_under_the_same_id(
    allow_loopback, manager_client, api_client, guest_payload
):
    with Receiver(statuses=[500, 500, 200]) as receiver:
        secret = manager_client.post(
            "/api/webhooks/", {"url": receiver.url, "events": ["booking.created"]}
        ).json()["secret"]
        api_client.post("/api/bookings/", guest_payload)
        start = timezone.now()
        results = []
        # The backoff is 5 s, then 30 s: each run is at a time the row is due.
        for offset in (0, 6, 40):
            moment = start + timedelta(seconds=offset)
            with time_machine.travel(moment, tick=False):
                results.append(webhooks_send_due(now=moment))
                Webhook(secret).verify(
                    receiver.received[-1].body, receiver.received[-1].headers
                )

    assert [(r.delivered, r.retried) for r in results] == [(0, 1), (0, 1), (1, 0)]
    ids = {item.headers["webhook-id"] for item in receiver.received}
    stamps = [item.headers["webhook-timestamp"] for item in receiver.received]
    bodies = {item.body for item in receiver.received}
    assert len(receiver.received) == 3 and len(ids) == 1 and len(bodies) == 1
    assert len(set(stamps)) == 3  # re-signed with a fresh timestamp each time
    delivery = WebhookDelivery.objects.get()
    assert delivery.status == "delivered" and delivery.attempts == 3
    assert [a.status_code for a in delivery.attempt_log.all()] == [500, 500, 200]
    assert json.loads(delivery.body)["type"] == "booking.created"
