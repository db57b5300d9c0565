"""send_webhooks against real receivers: backoff, log, disabling, rotation."""

import json
from datetime import timedelta

import pytest
import time_machine
from django.utils import timezone
from standardwebhooks.webhooks import Webhook

from apps.bookings.tests.factories import StaffUserFactory, UserFactory
from apps.notifications.models import Notification
from apps.webhooks import services
from apps.webhooks.models import WebhookDelivery, WebhookEndpoint
from apps.webhooks.sending import backoff, webhooks_send_due
from apps.webhooks.tests.receiver import Receiver, SilentReceiver

pytestmark = pytest.mark.django_db


def endpoint_for(url, events=("booking.created",), **fields):
    return services.webhook_endpoint_create(url=url, events=list(events), **fields)


def test_the_backoff_schedule():
    waits = [backoff(n).total_seconds() for n in range(1, 10)]
    assert waits == [5, 30, 120, 600, 1800, 3600, 3600, 3600, 3600]


def test_every_attempt_is_logged_with_the_first_kilobyte(allow_loopback, service, slot):
    from apps.bookings.services import booking_cancel
    from apps.bookings.tests.factories import unpaid_booking

    answer = b"x" * 5000
    with Receiver(statuses=[503], answer=answer) as receiver:
        endpoint_for(receiver.url)
        booking_cancel(booking=unpaid_booking(service, slot), actor=None)
        webhooks_send_due()  # booking.created; booking.cancelled not subscribed
    delivery = WebhookDelivery.objects.get()
    attempt = delivery.attempt_log.get()
    assert attempt.status_code == 503
    assert attempt.response_excerpt == "x" * 1024
    assert attempt.duration_ms >= 0
    assert delivery.status == "queued" and delivery.last_error == "HTTP 503"
    assert delivery.next_attempt_at > timezone.now() + timedelta(seconds=3)


def test_redirects_are_not_followed(allow_loopback, booking):
    with (
        Receiver() as target,
        Receiver(statuses=[302], location=target.url) as redirecting,
    ):
        endpoint_for(redirecting.url)
        from apps.webhooks.outbox import Occurrence, queue

        queue(
            [
                Occurrence(
                    event_type="booking.created",
                    timestamp=timezone.now(),
                    data=lambda contact: {"n": 1},
                )
            ]
        )
        result = webhooks_send_due()
    assert result.retried == 1
    assert target.received == []
    assert "redirects are not followed" in WebhookDelivery.objects.get().last_error


def test_a_410_disables_the_endpoint_and_emails_the_managers(
    allow_loopback, service, slot
):
    StaffUserFactory(role="manager", email="boss@example.com")
    StaffUserFactory(role="desk", email="desk@example.com")
    UserFactory(email="nobody@example.com")
    with Receiver(statuses=[410]) as receiver:
        endpoint = endpoint_for(receiver.url)
        from apps.bookings.tests.factories import unpaid_booking

        unpaid_booking(service, slot)
        result = webhooks_send_due()
    assert result.failed == 1
    endpoint.refresh_from_db()
    assert not endpoint.enabled and "410" in endpoint.disabled_reason
    assert WebhookDelivery.objects.get().status == "failed"
    alerts = Notification.objects.filter(kind=Notification.Kind.STAFF_ALERT)
    assert [a.recipient for a in alerts] == ["boss@example.com"]
    assert endpoint.url in alerts[0].subject
    assert "410" in alerts[0].body_text


def test_each_manager_reads_the_alert_in_their_own_language(
    allow_loopback, service, slot
):
    from apps.staff.models import StaffLanguage

    StaffUserFactory(role="manager", email="boss@example.com")
    chefe = StaffUserFactory(role="manager", email="chefe@example.com")
    StaffLanguage.objects.create(user=chefe, language="pt-pt")
    with Receiver(statuses=[410]) as receiver:
        endpoint = endpoint_for(receiver.url)
        from apps.bookings.tests.factories import unpaid_booking

        unpaid_booking(service, slot)
        webhooks_send_due()
    alerts = {
        alert.recipient: alert
        for alert in Notification.objects.filter(kind=Notification.Kind.STAFF_ALERT)
    }
    assert set(alerts) == {"boss@example.com", "chefe@example.com"}
    english, portuguese = alerts["boss@example.com"], alerts["chefe@example.com"]
    assert english.subject == f"Webhook endpoint disabled: {endpoint.url}"
    assert portuguese.subject == f"Endpoint de webhook desativado: {endpoint.url}"
    assert "foi desativado e deixou de receber mensagens" in portuguese.body_text
    assert "Motivo: " in portuguese.body_text and "410" in portuguese.body_text


def test_three_days_of_failures_disable_the_endpoint_once(
    allow_loopback, service, slot
):
    StaffUserFactory(role="manager", email="boss@example.com")
    from apps.bookings.tests.factories import unpaid_booking

    with Receiver(statuses=[500] * 200) as receiver:
        endpoint = endpoint_for(receiver.url)
        unpaid_booking(service, slot)
        start = timezone.now()
        moment, runs = start, 0
        while WebhookDelivery.objects.filter(status="queued").exists():
            with time_machine.travel(moment, tick=False):
                webhooks_send_due(now=moment)
            moment = WebhookDelivery.objects.get().next_attempt_at + timedelta(
                seconds=1
            )
            runs += 1
            assert runs < 100
    delivery = WebhookDelivery.objects.get()
    endpoint.refresh_from_db()
    assert delivery.status == "failed"
    # 5 s, 30 s, 2, 10, 30 min, then hourly: 77 tries in three days.
    assert 75 <= delivery.attempts <= 78
    assert not endpoint.enabled
    # Disabled by the last attempt its three days allowed.
    assert endpoint.disabled_at - start > timedelta(hours=71)
    assert Notification.objects.filter(kind="staff_alert").count() == 1


def test_a_hung_receiver_costs_one_timeout_a_batch(allow_loopback, settings, service):
    """Messages after the first to a receiver that never answers wait for the
    next attempt instead of each costing a timeout; other endpoints go on."""
    settings.BOOKING_WEBHOOK_TIMEOUT_SECONDS = 1
    from apps.availability.tests.factories import AvailabilityFactory
    from apps.bookings.tests.factories import unpaid_booking
    from apps.staff.tests.factories import StaffFactory

    member = StaffFactory(services=[service])
    with SilentReceiver() as hung, Receiver() as working:
        endpoint_for(hung.url)
        endpoint_for(working.url)
        for index in range(3):
            unpaid_booking(
                service,
                AvailabilityFactory(staff=member),
                customer_email=f"g{index}@example.com",
                customer_phone=f"91234500{index}",
            )
        started = timezone.now()
        result = webhooks_send_due()
        elapsed = (timezone.now() - started).total_seconds()
    assert (result.delivered, result.retried, result.postponed) == (3, 1, 2)
    assert elapsed < 5
    assert len(working.received) == 3
    failed = WebhookDelivery.objects.get(attempts=1, status="queued")
    assert "within 1 s" in failed.last_error


def test_during_a_rotation_both_secrets_sign(allow_loopback, booking):
    with Receiver() as receiver:
        endpoint = endpoint_for(receiver.url, events=["booking.confirmed"])
        old_secret = endpoint.secret
        rotated = services.webhook_endpoint_rotate_secret(endpoint=endpoint)
        assert rotated.secret != old_secret
        from apps.bookings.services import booking_verify_payment

        booking_verify_payment(booking=booking, actor=None)
        webhooks_send_due()
        later = timezone.now() + timedelta(hours=25)
        services.webhook_delivery_resend(delivery=WebhookDelivery.objects.get())
        with time_machine.travel(later, tick=False):
            webhooks_send_due(now=later)
            after_overlap = receiver.received[-1]
            Webhook(rotated.secret).verify(after_overlap.body, after_overlap.headers)
    during = receiver.received[0]
    assert len(during.headers["webhook-signature"].split(" ")) == 2
    for secret in (old_secret, rotated.secret):
        assert Webhook(secret).verify(during.body, during.headers)["type"] == (
            "booking.confirmed"
        )
    assert len(after_overlap.headers["webhook-signature"].split(" ")) == 1
    assert json.loads(during.body)["data"]["payment"]["source"] == "staff"


def test_guest_contact_only_for_an_endpoint_that_opted_in(allow_loopback, booking):
    from apps.bookings.services import booking_complete, booking_verify_payment

    with Receiver() as plain, Receiver() as with_contact:
        endpoint_for(plain.url, events=["booking.completed"])
        endpoint_for(
            with_contact.url, events=["booking.completed"], include_contact=True
        )
        booking_verify_payment(booking=booking, actor=None)
        later = booking.availability.end_time + timedelta(minutes=1)
        booking_complete(booking=booking, actor=None, now=later)
        with time_machine.travel(later, tick=False):
            webhooks_send_due(now=later)
    (sent_plain,), (sent_contact,) = plain.received, with_contact.received
    assert "guest" not in json.loads(sent_plain.body)["data"]
    assert json.loads(sent_contact.body)["data"]["guest"] == {
        "name": "Joana",
        "email": "joana@example.com",
        "phone": booking.customer_phone,
    }
    assert b"joana" not in sent_plain.body


def test_an_unsubscribed_or_disabled_endpoint_gets_nothing(allow_loopback, booking):
    endpoint_for("http://127.0.0.1:9/a", events=["booking.cancelled"])
    endpoint_for("http://127.0.0.1:9/b", enabled=False)
    from apps.bookings.services import booking_verify_payment

    booking_verify_payment(booking=booking, actor=None)
    assert not WebhookDelivery.objects.exists()


def test_expired_and_rescheduled_and_cancelled_events(allow_loopback, service, slot):
    from apps.availability.tests.factories import AvailabilityFactory
    from apps.bookings import services as booking_services
    from apps.bookings.tests.factories import unpaid_booking

    endpoint_for(
        "http://127.0.0.1:9/all",
        events=["booking.expired", "booking.rescheduled", "booking.cancelled"],
    )
    moved = unpaid_booking(service, slot)
    other = AvailabilityFactory(staff=slot.staff)
    booking_services.booking_reschedule(booking=moved, availability=other, actor=None)
    booking_services.bookings_expire_unpaid(now=timezone.now() + timedelta(hours=2))
    types = [d.event_type for d in WebhookDelivery.objects.order_by("id")]
    assert types == ["booking.rescheduled", "booking.expired"]
    rescheduled = json.loads(WebhookDelivery.objects.order_by("id")[0].body)["data"]
    assert rescheduled["previous"]["availability_id"] == slot.pk


def test_a_rolled_back_booking_change_leaves_no_message(allow_loopback, booking):
    from django.db import transaction

    from apps.bookings.services import booking_verify_payment

    endpoint_for("http://127.0.0.1:9/x", events=["booking.confirmed"])
    with pytest.raises(RuntimeError), transaction.atomic():
        booking_verify_payment(booking=booking, actor=None)
        assert WebhookDelivery.objects.count() == 1
        raise RuntimeError
    assert not WebhookDelivery.objects.exists()


def test_deliveries_are_pruned_after_30_days(allow_loopback, booking):
    endpoint = endpoint_for("http://127.0.0.1:9/x")
    old = WebhookDelivery.objects.create(
        endpoint=endpoint,
        event_type="booking.created",
        body="{}",
        status="delivered",
        created_at=timezone.now() - timedelta(days=31),
        retry_until=timezone.now(),
    )
    assert services.webhook_deliveries_prune() == 1
    assert not WebhookDelivery.objects.filter(pk=old.pk).exists()
    assert WebhookDelivery.objects.count() == 0 or all(
        d.created_at > timezone.now() - timedelta(days=30)
        for d in WebhookDelivery.objects.all()
    )
    assert WebhookEndpoint.objects.filter(pk=endpoint.pk).exists()


def test_the_erasure_hook_redacts_stored_messages(allow_loopback, booking):
    """The hook issue 30 (personal-data erasure) calls: no trace of the guest
    stays in stored messages or the receivers' answers."""
    with Receiver(answer=b'{"echo": "joana@example.com"}') as receiver:
        endpoint_for(receiver.url, include_contact=True)
        from apps.webhooks.outbox import Occurrence, queue
        from apps.webhooks.payloads import guest_contact

        queue(
            [
                Occurrence(
                    event_type="booking.created",
                    timestamp=timezone.now(),
                    data=lambda contact: {"guest": guest_contact(booking)},
                    booking_id=booking.pk,
                )
            ]
        )
        webhooks_send_due()
    assert services.webhook_deliveries_redact(booking_ids=[booking.pk]) == 1
    delivery = WebhookDelivery.objects.get()
    assert "joana" not in delivery.body.lower()
    assert json.loads(delivery.body)["data"]["guest"]["email"] == "[erased]"
    assert all(a.response_excerpt == "" for a in delivery.attempt_log.all())
