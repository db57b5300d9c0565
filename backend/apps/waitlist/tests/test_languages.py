"""Waiting-list emails in the guest's language (issue 29): the one the guest
named, else the one their browser asked for, as every booking email."""

from datetime import timedelta

import pytest
from django.utils import timezone

from apps.notifications.models import Notification
from apps.waitlist.models import WaitlistEntry
from apps.waitlist.services import waitlist_offer_due

pytestmark = pytest.mark.django_db

URL = "/api/waitlist/"


def join(api_client, service, time_from="09:00", **headers):
    today = timezone.localdate()
    body = {
        "service": service.pk,
        "date_from": today.isoformat(),
        "date_to": (today + timedelta(days=6)).isoformat(),
        "name": "Rita Sousa",
        "email": "rita@example.com",
        "phone": "+351 913 000 111",
    }
    if time_from:
        body["time_from"] = time_from
    response = api_client.post(URL, body, format="json", **headers)
    assert response.status_code == 202, response.data
    return Notification.objects.get(kind="waitlist_joined")


def test_a_portuguese_browser_gets_a_portuguese_confirmation(
    api_client, service, staff_member
):
    email = join(api_client, service, HTTP_ACCEPT_LANGUAGE="pt-PT,pt;q=0.9")

    assert WaitlistEntry.objects.get().language == "pt-pt"
    assert email.subject == f"Está na lista de espera para {service.name}"
    assert email.body_text.startswith("Olá Rita Sousa,")
    assert "a partir das 09:00" in email.body_text
    assert (
        "-feira, " in email.body_text
        or "sábado, " in email.body_text
        or ("domingo, " in email.body_text)
    )
    assert "Para sair da lista de espera, abra esta ligação:" in email.body_text


def test_an_english_browser_gets_english(api_client, service, staff_member):
    email = join(api_client, service, HTTP_ACCEPT_LANGUAGE="en-GB,en;q=0.8")

    assert email.subject == f"You are on the waiting list for {service.name}"
    assert "from 09:00" in email.body_text
    assert "To leave the waiting list, open this link:" in email.body_text


def test_a_language_the_business_does_not_speak_gets_the_business_default(
    api_client, service, staff_member, settings
):
    settings.LANGUAGE_CODE = "pt-pt"
    email = join(api_client, service, HTTP_ACCEPT_LANGUAGE="de-DE")

    assert email.subject.startswith("Está na lista de espera")


def test_the_offer_email_follows_the_entry_language(api_client, service, slot):
    join(api_client, service, time_from=None, HTTP_ACCEPT_LANGUAGE="pt-PT")

    assert waitlist_offer_due().offered == 1
    offers = Notification.objects.filter(kind="waitlist_offer")
    assert offers.count() == 1
    assert offers.get().subject.startswith("Há uma hora livre: ")
    assert "ficou livre uma hora por que esperava:" in offers.get().body_text
