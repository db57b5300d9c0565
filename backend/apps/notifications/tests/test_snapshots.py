"""Issue 35: an email is written as a snapshot and rendered by the sender."""

from datetime import timedelta

import pytest
from django.core import mail
from django.utils import timezone, translation

from apps.bookings import services as booking_services
from apps.bookings.models import Booking
from apps.bookings.tests.factories import unpaid_booking
from apps.notifications import rendering, sending, services
from apps.notifications.localize import in_language, money
from apps.notifications.models import Notification

pytestmark = pytest.mark.django_db
Kind = Notification.Kind


def test_the_request_writes_a_snapshot_and_the_sender_renders_it(service, slot):
    booking = unpaid_booking(service, slot)
    email = Notification.objects.get(kind=Kind.BOOKING_CREATED)
    assert (email.subject, email.body_text) == ("", "")
    assert email.snapshot["booking"]["reference"] == booking.reference
    services.notifications_send_due()
    email.refresh_from_db()
    assert email.snapshot is None
    assert booking.reference in email.subject
    (message,) = mail.outbox
    assert (message.subject, message.body) == (email.subject, email.body_text)


def test_an_email_says_what_was_true_when_it_was_queued(service, slot):
    booking = unpaid_booking(service, slot)
    with in_language(booking.locale):
        price = money(booking.amount_due)
    Booking.objects.filter(pk=booking.pk).update(amount_due=999)
    service.name = "Renamed later"
    service.save()
    services.notifications_send_due()
    (message,) = mail.outbox
    assert price in message.body
    assert "Renamed later" not in message.body + message.subject


def test_a_retry_sends_the_text_the_first_attempt_rendered(
    service, slot, monkeypatch, refusing_server
):
    unpaid_booking(service, slot)
    now = timezone.now()
    assert services.notifications_send_due(now=now).retried == 1
    email = Notification.objects.get()
    first = (email.subject, email.body_text)
    assert first[0] and email.snapshot is None
    monkeypatch.undo()  # the server is back, and the templates render otherwise

    def other_text(kind, snapshot):
        raise AssertionError("rendered a second time")

    monkeypatch.setattr(sending, "render_email", other_text)
    assert services.notifications_send_due(now=now + timedelta(minutes=1)).sent == 1
    (message,) = mail.outbox
    assert (message.subject, message.body) == first


def test_it_renders_in_the_snapshots_language(service, slot, monkeypatch):
    booking = unpaid_booking(service, slot)
    Notification.objects.update(
        snapshot={**Notification.objects.get().snapshot, "locale": "pt-pt"}
    )
    languages = []
    render = rendering.render_to_string

    def recording(*args, **kwargs):
        languages.append(translation.get_language())
        return render(*args, **kwargs)

    monkeypatch.setattr(rendering, "render_to_string", recording)
    with translation.override("en"):
        services.notifications_send_due()
    assert set(languages) == {"pt-pt"}
    assert booking.reference in mail.outbox[0].subject


def test_the_snapshot_has_the_bookings_locale_or_the_sites(service, slot, settings):
    booking = unpaid_booking(service, slot)
    assert Notification.objects.get().snapshot["locale"] == settings.LANGUAGE_CODE
    booking.locale = "pt-pt"  # the field another change adds to Booking
    from apps.notifications.snapshots import booking_snapshot

    assert booking_snapshot(Kind.BOOKING_CREATED, booking)["locale"] == "pt-pt"


def test_the_expiry_batch_renders_nothing(service, slot, monkeypatch):
    booking = unpaid_booking(service, slot)

    def no_rendering(*args, **kwargs):
        raise AssertionError("rendered in the expiry batch")

    monkeypatch.setattr(rendering, "render_to_string", no_rendering)
    later = booking.payment_expires_at + timedelta(minutes=1)
    assert booking_services.bookings_expire_unpaid(now=later).expired == 1
    cancelled = Notification.objects.get(kind=Kind.BOOKING_CANCELLED)
    assert cancelled.snapshot["extra"]["cancelled_by"] == "system"
    monkeypatch.undo()
    services.notifications_send_due(now=later)
    assert any("because we did not receive your payment" in m.body for m in mail.outbox)
