"""A booking's language (issue 29): chosen at create, kept, edited by staff;
error texts follow Accept-Language while their codes stay the same."""

from datetime import timedelta

import pytest

from apps.availability.tests.factories import AvailabilityFactory
from apps.bookings import services
from apps.bookings.models import Booking
from apps.bookings.tests.factories import unpaid_booking

pytestmark = pytest.mark.django_db


def book(client, payload, **headers):
    return client.post("/api/bookings/", payload, format="json", headers=headers)


@pytest.mark.parametrize(
    ("accept_language", "locale"),
    [
        ("pt-PT", "pt-pt"),
        ("pt", "pt-pt"),
        ("pt-BR,pt;q=0.9", "pt-pt"),
        ("en-US,en;q=0.8", "en"),
        ("en", "en"),
        # A language the business does not speak: the business's own.
        ("de-DE", "en"),
    ],
)
def test_create_takes_the_language_of_the_request(
    api_client, guest_payload, accept_language, locale
):
    response = book(api_client, guest_payload, accept_language=accept_language)
    assert response.status_code == 201, response.content
    assert Booking.objects.get().locale == locale


def test_an_explicit_locale_wins_over_accept_language(api_client, guest_payload):
    response = book(
        api_client, {**guest_payload, "locale": "pt-PT"}, accept_language="en"
    )
    assert response.status_code == 201, response.content
    assert Booking.objects.get().locale == "pt-pt"


def test_an_unknown_locale_is_a_field_error(api_client, guest_payload):
    response = book(api_client, {**guest_payload, "locale": "klingon"})
    assert response.status_code == 400
    assert response.json()["code"] == "invalid"
    assert "locale" in response.json()["errors"]
    assert not Booking.objects.exists()


def test_staff_see_and_edit_the_locale(staff_client, service, slot):
    booking = unpaid_booking(service, slot, locale="en")
    url = f"/api/bookings/{booking.pk}/"
    assert staff_client.get(url).json()["locale"] == "en"
    response = staff_client.patch(url, {"locale": "pt-pt"}, format="json")
    assert response.status_code == 200, response.content
    assert response.json()["locale"] == "pt-pt"
    booking.refresh_from_db()
    assert booking.locale == "pt-pt"
    assert booking.events.filter(kind="contact_changed").get().data == {
        "fields": ["locale"]
    }
    response = staff_client.patch(url, {"locale": "fr"}, format="json")
    assert response.status_code == 400
    assert "locale" in response.json()["errors"]


def test_reschedule_keeps_the_locale(service, slot, staff_member):
    booking = unpaid_booking(service, slot, locale="pt-pt")
    target = AvailabilityFactory(
        staff=staff_member,
        start_time=slot.start_time + timedelta(days=2),
        end_time=slot.end_time + timedelta(days=2),
    )
    services.booking_reschedule(booking=booking, availability=target)
    booking.refresh_from_db()
    assert booking.availability == target
    assert booking.locale == "pt-pt"


# --- error texts: translated detail, the same code ---------------------------


def test_a_taken_slot_answers_slot_unavailable_in_both_languages(
    api_client, guest_payload
):
    assert book(api_client, guest_payload).status_code == 201
    other = {
        **guest_payload,
        "customer_email": "rui@example.com",
        "customer_phone": "+351 913 000 111",
    }
    english = book(api_client, other, accept_language="en").json()
    portuguese = book(api_client, other, accept_language="pt-PT").json()
    assert english["code"] == portuguese["code"] == "slot_unavailable"
    assert (
        english["detail"] == "This slot has just been taken. Please choose another one."
    )
    assert (
        portuguese["detail"]
        == "Este horário acabou de ser marcado. Escolha outro, por favor."
    )


def test_field_errors_follow_the_language(api_client, guest_payload):
    bad = {**guest_payload, "customer_phone": "12", "customer_name": ""}
    english = book(api_client, bad, accept_language="en").json()
    portuguese = book(api_client, bad, accept_language="pt-PT").json()
    assert english["code"] == portuguese["code"] == "invalid"
    assert english["detail"] == "The request has invalid fields."
    assert portuguese["detail"] == "O pedido tem campos inválidos."
    # Our own message, and DRF's (from its pt_PT catalog).
    assert portuguese["errors"]["customer_phone"][0].startswith(
        "Introduza um número de telefone válido"
    )
    assert english["errors"]["customer_name"] == ["This field may not be blank."]
    assert portuguese["errors"]["customer_name"] == [
        "Este campo não pode ser em branco."
    ]
