"""Black box (issue 29): a guest's emails come in the language they booked in.

A booking is made over the API with `Accept-Language`; its emails leave
through `run_scheduled_jobs` to a real SMTP server (aiosmtpd on a free
loopback port) and are read back from what that server received.
"""

from datetime import timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
from django.conf import settings
from django.core.management import call_command
from django.test import override_settings
from django.utils import timezone
from icalendar import Calendar

from apps.bookings.models import Booking
from apps.notifications.tests.test_smtp import SMTP_SETTINGS, smtp_server  # noqa: F401
from apps.services.tests.factories import ServiceFactory

pytestmark = pytest.mark.django_db

MONTHS = {
    "pt": [
        "janeiro",
        "fevereiro",
        "março",
        "abril",
        "maio",
        "junho",
        "julho",
        "agosto",
        "setembro",
        "outubro",
        "novembro",
        "dezembro",
    ],
    "en": [
        "January",
        "February",
        "March",
        "April",
        "May",
        "June",
        "July",
        "August",
        "September",
        "October",
        "November",
        "December",
    ],
}
# What each language's emails say (and the other's must not).
EXPECTED = {
    "pt-PT": {
        "locale": "pt-pt",
        "months": MONTHS["pt"],
        "date": "{day} de {month} de {year}",
        "amount": "25,00 €",
        "created_subject": "A sua marcação {reference}: pague até",
        "created_body": "Montante:   25,00 €",
        "instructions": "BOOKING_PAYMENT_INSTRUCTIONS",
        "reminder_subject": "Lembrete: a marcação {reference} aguarda pagamento",
        "reminder_body": "ainda não recebemos o pagamento",
        "expired_subject": "Marcação {reference} cancelada",
        "expired_body": "não recebemos o seu pagamento dentro do prazo",
        "confirmed_subject": "Marcação {reference} confirmada",
        "confirmed_body": "recebemos o seu pagamento de 25,00 €",
        "summary": "{service} com {staff}",
        "staff_language": "en",
    },
    "en": {
        "locale": "en",
        "months": MONTHS["en"],
        "date": "{day:02d} {month} {year}",
        "amount": "€25.00",
        "created_subject": "Your booking {reference}: please pay by",
        "created_body": "Amount:    €25.00",
        "instructions": "BOOKING_PAYMENT_INSTRUCTIONS_EN",
        "reminder_subject": "Reminder: booking {reference} awaits payment",
        "reminder_body": "we have not yet received the payment",
        "expired_subject": "Booking {reference} cancelled",
        "expired_body": "we did not receive your payment before the deadline",
        "confirmed_subject": "Booking {reference} confirmed",
        "confirmed_body": "we have received your payment of €25.00",
        "summary": "{service} with {staff}",
        "staff_language": "pt-PT",
    },
}
OTHER = {"pt-PT": "en", "en": "pt-PT"}


@pytest.fixture
def service(db):
    return ServiceFactory(duration_minutes=60, price=Decimal("25.00"))


@pytest.fixture
def mail_server(smtp_server):  # noqa: F811
    controller, inbox = smtp_server
    with override_settings(**SMTP_SETTINGS, EMAIL_PORT=controller.port):
        yield inbox


def guest_mail(inbox, address="joana@example.com"):
    """What the guest received, (subject, body, message), oldest first."""
    # strip(): Python's parser keeps the space of Django's folded header line.
    return [
        (str(message["Subject"]).strip(), message.get_body().get_content(), message)
        for recipients, message in inbox.messages
        if recipients == [address]
    ]


def book(api_client, guest_payload, language) -> Booking:
    response = api_client.post(
        "/api/bookings/",
        guest_payload,
        format="json",
        headers={"accept-language": language},
    )
    assert response.status_code == 201, response.content
    booking = Booking.objects.get(pk=response.json()["id"])
    assert booking.locale == EXPECTED[language]["locale"]
    return booking


def written_date(booking, expected) -> str:
    local = booking.availability.start_time.astimezone(
        ZoneInfo(settings.BOOKING_TIMEZONE)
    )
    return expected["date"].format(
        day=local.day, month=expected["months"][local.month - 1], year=local.year
    )


@pytest.mark.parametrize("language", ["pt-PT", "en"])
def test_payment_instructions_reminder_and_expiry_in_the_guest_language(
    api_client, guest_payload, mail_server, language
):
    expected, other = EXPECTED[language], EXPECTED[OTHER[language]]
    booking = book(api_client, guest_payload, language)
    reference = booking.reference

    call_command("run_scheduled_jobs")
    ((subject, body, _),) = guest_mail(mail_server)
    assert subject.startswith(expected["created_subject"].format(reference=reference))
    assert expected["created_body"] in body
    assert written_date(booking, expected) in body
    assert other["amount"] not in body
    # The business's own paragraph, in the same language.
    assert getattr(settings, expected["instructions"]) in body
    assert getattr(settings, other["instructions"]) not in body

    now = timezone.now()
    Booking.objects.filter(pk=booking.pk).update(
        created_at=now - timedelta(minutes=25),
        payment_expires_at=now + timedelta(minutes=5),
    )
    call_command("run_scheduled_jobs")
    subject, body, _ = guest_mail(mail_server)[-1]
    assert subject.startswith(expected["reminder_subject"].format(reference=reference))
    assert expected["reminder_body"] in body
    assert expected["amount"] in body

    Booking.objects.filter(pk=booking.pk).update(
        payment_expires_at=now - timedelta(minutes=1)
    )
    call_command("run_scheduled_jobs")
    subject, body, _ = guest_mail(mail_server)[-1]
    assert subject == expected["expired_subject"].format(reference=reference)
    assert expected["expired_body"] in body
    assert len(guest_mail(mail_server)) == 3


@pytest.mark.parametrize("language", ["pt-PT", "en"])
def test_confirmation_and_invite_in_the_guest_language(
    api_client, guest_payload, staff_client, mail_server, language
):
    expected = EXPECTED[language]
    booking = book(api_client, guest_payload, language)
    # The staff member's own language does not change the guest's email.
    response = staff_client.post(
        f"/api/bookings/{booking.pk}/verify-payment/",
        headers={"accept-language": expected["staff_language"]},
    )
    assert response.status_code == 200, response.content

    call_command("run_scheduled_jobs")
    (subject, body, message) = guest_mail(mail_server)[-1]
    assert subject.startswith(
        expected["confirmed_subject"].format(reference=booking.reference)
    )
    assert expected["confirmed_body"] in body
    assert written_date(booking, expected) in body
    (invite,) = message.iter_attachments()
    (event,) = Calendar.from_ical(invite.get_payload(decode=True)).walk("VEVENT")
    assert str(event["summary"]) == expected["summary"].format(
        service=booking.service.name, staff=booking.staff.name
    )
    assert written_date(booking, expected) in str(event["description"])
