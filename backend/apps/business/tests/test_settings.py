"""The business's settings (issue 28): read by any staff role, changed by a
Manager (API and the one admin page), IBAN and BIC validated, and the next
booking's payment instructions and EPC QR code carry a new IBAN at once."""

import pytest
from rest_framework.test import APIClient

from apps.bookings.tests.factories import StaffUserFactory
from apps.business.models import BusinessSettings
from apps.business.selectors import business_settings

pytestmark = pytest.mark.django_db

URL = "/api/business-settings/"
IBAN = "DE89370400440532013000"
BIC = "COBADEFFXXX"


def client_for(role):
    client = APIClient()
    if role != "anonymous":
        client.force_authenticate(StaffUserFactory(role=role))
    return client


def book(guest_payload, language="en"):
    response = APIClient().post(
        "/api/bookings/",
        guest_payload,
        format="json",
        headers={"accept-language": language},
    )
    assert response.status_code == 201, response.content
    return response.json()["payment_instructions"]


def test_any_staff_role_reads_them_with_the_environment_as_first_run_values(
    settings,
):
    settings.BOOKING_BUSINESS_NAME = "Salão Rosa"
    body = client_for("desk").get(URL).json()
    assert body["name"] == "Salão Rosa"
    assert body["sender_email"] == settings.DEFAULT_FROM_EMAIL
    assert not BusinessSettings.objects.exists()


@pytest.mark.parametrize("role", ["anonymous", "desk"])
def test_only_a_manager_changes_them(role):
    response = client_for(role).patch(URL, {"name": "Hijacked"}, format="json")
    assert response.status_code == (401 if role == "anonymous" else 403)
    assert not BusinessSettings.objects.exists()
    if role == "anonymous":
        assert client_for(role).get(URL).status_code == 401


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("iban", "PT50000201231234567890155"),  # wrong check digits
        ("iban", "not an iban"),
        ("bic", "XYZ"),
        ("sender_email", "nobody"),
        ("website", "not a url"),
    ],
)
def test_bad_values_are_field_errors_and_nothing_is_saved(field, value):
    response = client_for("manager").patch(URL, {field: value}, format="json")
    assert response.status_code == 400
    assert field in response.json()["errors"]
    assert not BusinessSettings.objects.exists()


def test_a_new_iban_reaches_the_next_booking_without_a_restart(
    guest_payload, service, staff_member
):
    before = book(guest_payload)
    assert "epc_qr" not in before  # no account configured yet

    response = client_for("manager").patch(
        URL,
        {
            "iban": "DE89 3704 0044 0532 0130 00",
            "bic": BIC,
            "beneficiary": "Salão Rosa Lda",
            "payment_instructions": "Transfira para a nossa conta.",
            "payment_instructions_en": "Transfer to our account.",
        },
        format="json",
    )
    assert response.status_code == 200, response.content
    assert response.json()["iban"] == IBAN
    assert response.json()["updated_by"]

    from apps.availability.tests.factories import AvailabilityFactory

    next_slot = AvailabilityFactory(staff=staff_member)
    after = book(
        {
            **guest_payload,
            "availability": next_slot.pk,
            "customer_email": "b@example.com",
        }
    )
    assert "DE89 3704 0044 0532 0130 00" in after["instructions"]
    assert after["instructions"].startswith("Transfer to our account.")
    assert after["epc_qr"].splitlines()[4:7] == [BIC, "Salão Rosa Lda", IBAN]


def test_the_admin_settings_page_changes_them_and_titles_the_admin(
    client, guest_payload
):
    manager = StaffUserFactory(role="manager")
    client.force_login(manager)
    assert client.get("/admin/business/businesssettings/").status_code == 302
    url = f"/admin/business/businesssettings/{BusinessSettings.SINGLETON_ID}/change/"
    page = client.get(url)
    assert page.status_code == 200
    form = {
        "name": "Salão Rosa",
        "welcome_text": "Olá",
        "phone": "+351 210 000 000",
        "address": "Rua A, Lisboa",
        "website": "https://salao-rosa.example",
        "payment_instructions": "Pay by transfer.",
        "iban": IBAN,
        "bic": "",
        "beneficiary": "Salão Rosa Lda",
        "sender_email": "Salão Rosa <reservas@salao-rosa.example>",
        "reply_to": "ola@salao-rosa.example",
    }
    assert client.post(url, {**form, "iban": "DE00123"}).status_code == 200
    assert not BusinessSettings.objects.exists()

    response = client.post(url, form)

    assert response.status_code == 302, response.content
    stored = BusinessSettings.objects.get()
    assert (stored.iban, stored.updated_by) == (IBAN, manager)
    assert business_settings().name == "Salão Rosa"
    assert "Salão Rosa administration" in client.get("/admin/").content.decode()
    assert IBAN in book(guest_payload)["epc_qr"]


def test_front_desk_sees_the_settings_page_read_only(client):
    client.force_login(StaffUserFactory(role="desk"))
    url = f"/admin/business/businesssettings/{BusinessSettings.SINGLETON_ID}/change/"
    page = client.get(url)
    assert page.status_code == 200
    assert 'name="iban"' not in page.content.decode()
    assert client.post(url, {"name": "X"}).status_code == 403


def test_guests_read_the_business_texts_of_their_language(
    guest_payload, staff_member, client
):
    from apps.availability.tests.factories import AvailabilityFactory

    response = client_for("manager").patch(
        URL,
        {
            "name": "Salão Rosa",
            "name_en": "Pink Salon",
            "welcome_text": "Bem-vinda ao Salão Rosa.",
            "welcome_text_en": "Welcome to the Pink Salon.",
            "payment_instructions": "Transfira para a nossa conta.",
            "payment_instructions_en": "",
        },
        format="json",
    )
    assert response.status_code == 200, response.content

    portuguese = book(guest_payload, "pt-PT")
    assert portuguese["instructions"] == "Transfira para a nossa conta."
    # No English text: the Portuguese one, never an empty paragraph.
    english = book(
        {
            **guest_payload,
            "availability": AvailabilityFactory(staff=staff_member).pk,
            "customer_email": "b@example.com",
        },
        "en",
    )
    assert english["instructions"] == "Transfira para a nossa conta."

    page = client.get("/", headers={"accept-language": "pt-PT"}).content.decode()
    assert "Bem-vinda ao Salão Rosa." in page and "Salão Rosa" in page
    assert "Welcome to the Pink Salon." not in page
    page = client.get("/?lang=en", headers={"accept-language": "pt-PT"})
    assert "Welcome to the Pink Salon." in page.content.decode()
    assert "Pink Salon" in page.content.decode()
