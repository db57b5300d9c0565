"""The real SMTP path: a local SMTP server started by the test on a free port."""

import socket
import time
from datetime import timedelta
from email import message_from_bytes, policy

import pytest
from aiosmtpd.controller import Controller
from django.test import override_settings
from django.utils import timezone
from icalendar import Calendar

from apps.bookings.models import Booking
from apps.notifications.models import Notification
from apps.notifications.services import notifications_send_due

pytestmark = pytest.mark.django_db

SMTP_SETTINGS = {
    "EMAIL_BACKEND": "django.core.mail.backends.smtp.EmailBackend",
    "EMAIL_HOST": "127.0.0.1",
    "EMAIL_USE_TLS": False,
    "EMAIL_HOST_USER": "",
    "EMAIL_HOST_PASSWORD": "",
    "EMAIL_TIMEOUT": 5,
}


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


class Inbox:
    """aiosmtpd handler keeping every message it accepts."""

    def __init__(self):
        self.messages = []

    async def handle_DATA(self, server, session, envelope):
        self.messages.append(
            (
                envelope.rcpt_tos,
                message_from_bytes(envelope.content, policy=policy.SMTP),
            )
        )
        return "250 Message accepted for delivery"


@pytest.fixture
def smtp_server():
    inbox = Inbox()
    controller = Controller(inbox, hostname="127.0.0.1", port=free_port())
    controller.start()
    try:
        yield controller, inbox
    finally:
        controller.stop()


@pytest.fixture
def black_hole():
    """A port that accepts connections and never answers: a hung mail server."""
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(16)
    try:
        yield listener.getsockname()[1]
    finally:
        listener.close()


def test_a_hung_mail_server_does_not_slow_a_booking(
    api_client, guest_payload, black_hole, django_capture_on_commit_callbacks
):
    with (
        override_settings(**SMTP_SETTINGS, EMAIL_PORT=black_hole),
        # Anything left to run after the commit runs inside the request too.
        django_capture_on_commit_callbacks(execute=True),
    ):
        started = time.perf_counter()
        response = api_client.post("/api/bookings/", guest_payload, format="json")
        elapsed = time.perf_counter() - started
    assert response.status_code == 201
    # Sending in the request would wait EMAIL_TIMEOUT (5 s) for the greeting.
    assert elapsed < 2, elapsed
    assert Notification.objects.get().status == Notification.Status.QUEUED


def test_queued_while_the_server_is_down_delivered_once_it_is_up(
    api_client, guest_payload, staff_client, smtp_server
):
    closed_port = free_port()  # nothing listens there
    with override_settings(**SMTP_SETTINGS, EMAIL_PORT=closed_port):
        response = api_client.post("/api/bookings/", guest_payload, format="json")
        assert response.status_code == 201
        result = notifications_send_due()
    assert (result.sent, result.retried) == (0, 1)
    queued = Notification.objects.get()
    assert queued.status == Notification.Status.QUEUED
    assert queued.attempts == 1
    assert "ConnectionRefusedError" in queued.last_error

    controller, inbox = smtp_server
    booking = Booking.objects.get()
    with override_settings(**SMTP_SETTINGS, EMAIL_PORT=controller.port):
        # Not before its backoff ends...
        assert notifications_send_due().sent == 0
        later = timezone.now() + timedelta(minutes=1)
        assert notifications_send_due(now=later).sent == 1
        staff_client.post(f"/api/bookings/{booking.pk}/verify-payment/")
        assert notifications_send_due(now=later).sent == 1

    (created_to, created_mail), (confirmed_to, confirmed_mail) = inbox.messages
    assert created_to == ["joana@example.com"]
    assert booking.reference in created_mail["Subject"]
    assert "Pay by bank transfer" in created_mail.get_body().get_content()
    assert confirmed_to == ["joana@example.com"]
    assert "confirmed" in confirmed_mail["Subject"]
    (invite,) = [p for p in confirmed_mail.iter_attachments()]
    assert invite.get_content_type() == "text/calendar"
    assert invite.get_param("method") == "REQUEST"
    calendar = Calendar.from_ical(invite.get_payload(decode=True))
    (event,) = calendar.walk("VEVENT")
    assert event.decoded("dtstart") == booking.availability.start_time
    assert str(event["uid"]).startswith(f"booking-{booking.reference}@")
    queued.refresh_from_db()
    assert (queued.status, queued.attempts) == (Notification.Status.SENT, 2)
