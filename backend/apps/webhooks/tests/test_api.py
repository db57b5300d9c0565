"""The webhooks API: the secret shown once, rotation, test events, send again."""

import json

import pytest

from apps.payments.services import bank_statement_import
from apps.payments.tests.samples import camt053
from apps.webhooks.models import WebhookDelivery, WebhookEndpoint
from apps.webhooks.sending import webhooks_send_due
from apps.webhooks.tests.receiver import Receiver

pytestmark = pytest.mark.django_db

EVENTS = ["booking.created", "payment.unmatched"]


def create(client, url="http://127.0.0.1:9/hook", **fields):
    return client.post("/api/webhooks/", {"url": url, "events": EVENTS, **fields})


def test_the_secret_is_shown_on_create_and_never_again(manager_client, allow_loopback):
    created = create(manager_client, description="CRM")
    assert created.status_code == 201
    body = created.json()
    assert body["secret"].startswith("whsec_") and len(body["secret"]) > 40
    assert body["events"] == EVENTS and body["enabled"] is True
    endpoint = WebhookEndpoint.objects.get()
    assert endpoint.secret == body["secret"]

    listed = manager_client.get("/api/webhooks/").json()["results"]
    detail = manager_client.get(f"/api/webhooks/{endpoint.pk}/").json()
    assert "secret" not in listed[0] and "secret" not in detail
    assert body["secret"] not in str(listed) + str(detail)


def test_rotation_answers_the_new_secret_once(manager_client, allow_loopback):
    endpoint_id = create(manager_client).json()["id"]
    old = WebhookEndpoint.objects.get().secret
    rotated = manager_client.post(f"/api/webhooks/{endpoint_id}/rotate-secret/")
    assert rotated.status_code == 200
    endpoint = WebhookEndpoint.objects.get()
    assert rotated.json()["secret"] == endpoint.secret != old
    assert endpoint.previous_secret == old
    assert rotated.json()["previous_secret_expires_at"] is not None


@pytest.mark.parametrize(
    ("payload", "field"),
    [
        ({"url": "http://127.0.0.1:9/", "events": []}, "events"),
        ({"url": "http://127.0.0.1:9/", "events": ["booking.nope"]}, "events"),
        ({"events": ["booking.created"]}, "url"),
    ],
)
def test_bad_input_is_a_field_error(manager_client, allow_loopback, payload, field):
    response = manager_client.post("/api/webhooks/", payload)
    assert response.status_code == 400
    assert field in response.json()["errors"]
    assert not WebhookEndpoint.objects.exists()


def test_a_changed_url_is_checked_again(manager_client, allow_loopback, settings):
    endpoint_id = create(manager_client).json()["id"]
    settings.BOOKING_WEBHOOK_ALLOW_PRIVATE = False
    response = manager_client.patch(
        f"/api/webhooks/{endpoint_id}/", {"url": "http://10.0.0.1/x"}
    )
    assert response.status_code == 400
    assert WebhookEndpoint.objects.get().url == "http://127.0.0.1:9/hook"
    renamed = manager_client.patch(
        f"/api/webhooks/{endpoint_id}/", {"description": "Accounting"}
    )
    assert renamed.status_code == 200 and renamed.json()["description"] == "Accounting"


def test_re_enabling_clears_the_reason(manager_client, allow_loopback):
    endpoint_id = create(manager_client).json()["id"]
    WebhookEndpoint.objects.update(enabled=False, disabled_reason="410")
    response = manager_client.patch(f"/api/webhooks/{endpoint_id}/", {"enabled": True})
    assert response.json()["enabled"] is True
    assert response.json()["disabled_reason"] == ""


def test_a_test_event_then_send_again(manager_client, allow_loopback):
    with Receiver() as receiver:
        endpoint_id = create(manager_client, url=receiver.url).json()["id"]
        queued = manager_client.post(f"/api/webhooks/{endpoint_id}/test/")
        assert queued.status_code == 202
        assert queued.json()["event_type"] == "webhook.test"
        assert queued.json()["status"] == "queued"
        delivery_id = queued.json()["id"]
        again = manager_client.post(
            f"/api/webhooks/deliveries/{delivery_id}/send-again/"
        )
        assert again.status_code == 409
        assert again.json()["code"] == "delivery_queued"
        webhooks_send_due()
        again = manager_client.post(
            f"/api/webhooks/deliveries/{delivery_id}/send-again/"
        )
        assert again.status_code == 202 and again.json()["attempts"] == 0
        webhooks_send_due()
    first, second = receiver.received
    assert first.headers["webhook-id"] == second.headers["webhook-id"]
    detail = manager_client.get(f"/api/webhooks/deliveries/{delivery_id}/").json()
    assert detail["payload"]["type"] == "webhook.test"
    assert [a["status_code"] for a in detail["attempt_log"]] == [200, 200]
    listed = manager_client.get(
        "/api/webhooks/deliveries/", {"endpoint": endpoint_id, "status": "delivered"}
    )
    assert listed.json()["count"] == 1


def test_a_disabled_endpoint_gets_no_test_event(manager_client, allow_loopback):
    endpoint_id = create(manager_client, enabled=False).json()["id"]
    response = manager_client.post(f"/api/webhooks/{endpoint_id}/test/")
    assert response.status_code == 409
    assert response.json()["code"] == "endpoint_disabled"


def test_a_bank_line_that_matched_nothing_is_announced(manager_client, allow_loopback):
    create(manager_client, include_contact=True)
    bank_statement_import(
        content=camt053([{"amount": "30.00", "text": "no reference", "name": "Ana"}]),
        file_name="s.xml",
    )
    delivery = WebhookDelivery.objects.get()
    assert delivery.event_type == "payment.unmatched"
    assert delivery.bank_transaction.outcome == "unmatched"
    data = json.loads(delivery.body)["data"]
    assert data["amount"] == "30.00" and data["payer"]["name"] == "Ana"
