from datetime import timedelta
from decimal import Decimal

import pytest
import segno
import segno.helpers
from defusedxml import ElementTree
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils import timezone
from rest_framework.test import APIClient

from apps.availability.tests.factories import AvailabilityFactory
from apps.bookings import services as booking_services
from apps.bookings.models import Booking
from apps.bookings.payment_instructions import epc_payload, epc_qr_png
from apps.bookings.tests.factories import StaffUserFactory, unpaid_booking
from apps.payments.models import BankTransaction
from apps.payments.tests import samples

pytestmark = pytest.mark.django_db
IMPORTS = "/api/payments/imports/"
TRANSACTIONS = "/api/payments/transactions/"
IBAN = "DE89370400440532013000"


@pytest.fixture
def roles(db):
    """The real role groups: Manager imports and acts, Front desk only views."""
    return {
        "manager": StaffUserFactory(username="manager", role="manager"),
        "front_desk": StaffUserFactory(username="frontdesk", role="desk"),
        "staff_without_permission": StaffUserFactory(username="plainstaff", role=""),
        "anonymous": None,
    }


def client_for(user):
    client = APIClient()
    if user is not None:
        client.force_authenticate(user)
    return client


@pytest.fixture
def late_booking(service, staff_member):
    start = timezone.now().replace(microsecond=0) + timedelta(days=2)
    slot = AvailabilityFactory(
        staff=staff_member, start_time=start, end_time=start + timedelta(hours=1)
    )
    booking = unpaid_booking(service, slot)
    booking_services.booking_cancel(booking=booking, actor=None, source="system")
    return booking


def upload(content, name="statement.xml", **fields):
    return {"file": SimpleUploadedFile(name, content), **fields}


# Every role against every endpoint: (method, url builder, expected per role).
MATRIX = [
    ("get", lambda t: IMPORTS, {"manager": 200, "front_desk": 200}),
    ("get", lambda t: TRANSACTIONS, {"manager": 200, "front_desk": 200}),
    ("get", lambda t: f"{TRANSACTIONS}{t.pk}/", {"manager": 200, "front_desk": 200}),
    ("post", lambda t: IMPORTS, {"manager": 200, "front_desk": 403}),
    (
        "post",
        lambda t: f"{TRANSACTIONS}{t.pk}/rebook/",
        {"manager": 200, "front_desk": 403},
    ),
    (
        "post",
        lambda t: f"{TRANSACTIONS}{t.pk}/mark-refunded/",
        {"manager": 200, "front_desk": 403},
    ),
    (
        "post",
        lambda t: f"{TRANSACTIONS}{t.pk}/match/",
        {"manager": 409, "front_desk": 403},
    ),
    (
        "post",
        lambda t: f"{TRANSACTIONS}{t.pk}/accept-suggestion/",
        {"manager": 409, "front_desk": 403},
    ),
    (
        "get",
        lambda t: f"{TRANSACTIONS}refunds-sepa/",
        {"manager": 400, "front_desk": 403},
    ),
]


@pytest.mark.parametrize(
    "role", ["manager", "front_desk", "staff_without_permission", "anonymous"]
)
@pytest.mark.parametrize(("method", "url", "expected"), MATRIX)
def test_permission_matrix(roles, role, method, url, expected, late_booking):
    from apps.payments import services

    services.bank_statement_import(
        content=samples.camt053(
            [{"amount": late_booking.amount_due, "text": late_booking.reference}]
        ),
        file_name="s.xml",
    )
    transaction = BankTransaction.objects.get()
    client = client_for(roles[role])
    body = {}
    if url(transaction) == IMPORTS and method == "post":
        body = upload(samples.camt053([]), dry_run="true")
    elif url(transaction).endswith("/match/"):
        body = {"booking": late_booking.reference}
    response = getattr(client, method)(
        url(transaction), body, format="multipart" if "file" in body else "json"
    )
    wanted = expected.get(role, 401 if role == "anonymous" else 403)
    assert response.status_code == wanted, response.content


def test_upload_applies_and_returns_transactions(roles, service, staff_member):
    slot = AvailabilityFactory(staff=staff_member)
    booking = unpaid_booking(service, slot)
    content = samples.camt053(
        [
            {"amount": booking.amount_due, "text": booking.reference},
            {"amount": "3.00", "text": "fee", "ind": "DBIT"},
        ]
    )
    client = client_for(roles["manager"])
    dry = client.post(IMPORTS, upload(content, dry_run="true"), format="multipart")
    assert dry.status_code == 200
    assert dry.json()["dry_run"] is True and dry.json()["id"] is None
    assert not BankTransaction.objects.exists()
    response = client.post(
        IMPORTS, upload(content, format="camt053"), format="multipart"
    )
    assert response.status_code == 201, response.json()
    body = response.json()
    assert body["summary"]["matched"] == 1 and body["summary"]["debits_ignored"] == 1
    assert body["transactions"][0]["booking"] == booking.reference
    booking.refresh_from_db()
    assert booking.status == Booking.Status.CONFIRMED
    assert BankTransaction.objects.get().statement_import_id == body["id"]
    listed = client_for(roles["front_desk"]).get(TRANSACTIONS, {"outcome": "matched"})
    assert listed.json()["count"] == 1


@pytest.mark.parametrize(
    ("content", "fields", "code"),
    [
        (samples.BILLION_LAUGHS, {}, "statement_unreadable"),
        (b"date,amount\n2026-01-01,abc\n", {"format": "csv"}, "statement_unreadable"),
        (b"a;b\n1;2\n", {"csv_preset": "nope"}, "invalid"),
        (b"x", {"csv_map": "{not json"}, "statement_unreadable"),
    ],
)
def test_bad_upload_is_400_with_field_errors(roles, content, fields, code):
    response = client_for(roles["manager"]).post(
        IMPORTS, upload(content, **fields), format="multipart"
    )
    assert response.status_code == 400, response.content
    assert response.json()["code"] == code
    assert response.json()["errors"]
    assert not BankTransaction.objects.exists()


def test_upload_over_limit_is_400(roles, settings):
    settings.BANK_STATEMENT_MAX_BYTES = 1024
    response = client_for(roles["manager"]).post(
        IMPORTS, upload(b"x" * 5000), format="multipart"
    )
    assert response.status_code == 400
    assert response.json()["code"] == "statement_too_large"


def test_late_list_rebook_and_sepa_export(roles, late_booking, settings):
    settings.BOOKING_PAYMENT_IBAN = "PT50000201231234567890154"
    settings.BOOKING_PAYMENT_BENEFICIARY = "Doceamor Lda"
    client = client_for(roles["manager"])
    content = samples.camt053(
        [{"amount": late_booking.amount_due + 10, "text": late_booking.reference}]
    )
    client.post(IMPORTS, upload(content), format="multipart")
    late = client.get(TRANSACTIONS, {"late": "true"}).json()
    assert late["count"] == 1 and late["results"][0]["outcome"] == "late"
    pk = late["results"][0]["id"]

    export = client.get(f"{TRANSACTIONS}refunds-sepa/")
    assert export.status_code == 200
    document = ElementTree.fromstring(export.content)
    ns = {"p": "urn:iso:std:iso:20022:tech:xsd:pain.001.001.03"}
    amounts = document.findall(".//p:CdtTrfTxInf/p:Amt/p:InstdAmt", ns)
    assert [Decimal(a.text) for a in amounts] == [late_booking.amount_due + 10]
    assert (
        document.find(".//p:CdtrAcct/p:Id/p:IBAN", ns).text
        == samples.DEFAULT_PAYER_IBAN
    )

    rebooked = client.post(f"{TRANSACTIONS}{pk}/rebook/")
    assert rebooked.status_code == 200, rebooked.json()
    assert rebooked.json()["refund_status"] == "due"  # the 10 overpaid
    assert rebooked.json()["refund_amount"] == "10.00"
    new = Booking.objects.get(reference=rebooked.json()["rebooked_booking"])
    assert new.status == Booking.Status.CONFIRMED
    assert client.get(TRANSACTIONS, {"late": "true"}).json()["count"] == 0
    refunded = client.post(f"{TRANSACTIONS}{pk}/mark-refunded/")
    assert refunded.json()["refund_status"] == "refunded"
    assert client.get(f"{TRANSACTIONS}refunds-sepa/").status_code == 204


# --- EPC QR -----------------------------------------------------------------


@pytest.fixture
def payment_account(settings):
    settings.BOOKING_PAYMENT_IBAN = "PT50 0002 0123 1234 5678 9015 4"
    settings.BOOKING_PAYMENT_BENEFICIARY = "Doceamor Lda"
    settings.BOOKING_PAYMENT_BIC = ""
    settings.BOOKING_CURRENCY = "EUR"


def test_epc_payload_follows_epc069_12(payment_account):
    payload = epc_payload(amount=Decimal("35.5"), currency="EUR", reference="BYQZKW6M")
    lines = payload.split("\n")
    assert lines == [
        "BCD",
        "002",
        "1",
        "SCT",
        "",
        "Doceamor Lda",
        "PT50000201231234567890154",
        "EUR35.5",
        "",
        "",
        "BYQZKW6M",
    ]
    assert len(payload.encode()) <= 331
    assert (
        epc_payload(amount=Decimal("40.00"), currency="EUR", reference="R").split("\n")[
            7
        ]
        == "EUR40"
    )
    # The same code segno's own EPC helper draws from these fields.
    ours = segno.make(payload, error="m", micro=False, boost_error=False)
    helper = segno.helpers.make_epc_qr(
        name="Doceamor Lda",
        iban="PT50000201231234567890154",
        amount=Decimal("35.50"),
        text="BYQZKW6M",
        encoding=1,  # UTF-8, as our payload declares
    )
    assert ours.matrix == helper.matrix
    assert epc_qr_png(payload).startswith(b"\x89PNG")


def test_epc_absent_without_account_or_not_eur(settings, payment_account):
    assert epc_payload(amount=Decimal(10), currency="GBP", reference="X") is None
    settings.BOOKING_PAYMENT_IBAN = ""
    assert epc_payload(amount=Decimal(10), currency="EUR", reference="X") is None


def test_booking_response_and_lookup_carry_the_qr(payment_account, guest_payload):
    client = APIClient()
    created = client.post("/api/bookings/", guest_payload, format="json")
    assert created.status_code == 201
    instructions = created.json()["payment_instructions"]
    assert instructions["epc_qr"].split("\n")[-1] == created.json()["reference"]
    assert instructions["epc_qr_svg"].startswith("data:image/svg+xml;base64,")
    lookup = client.post(
        "/api/bookings/lookup/",
        {
            "reference": created.json()["reference"],
            "email": guest_payload["customer_email"],
        },
        format="json",
    )
    assert lookup.status_code == 200, lookup.json()
    assert lookup.json()["payment_instructions"]["epc_qr"] == instructions["epc_qr"]


def test_no_qr_when_unconfigured(guest_payload, settings):
    settings.BOOKING_PAYMENT_IBAN = ""
    created = APIClient().post("/api/bookings/", guest_payload, format="json")
    assert "epc_qr" not in created.json()["payment_instructions"]


def test_invalid_iban_fails_the_system_check(settings):
    from apps.payments.checks import payment_account_check

    settings.BOOKING_PAYMENT_IBAN = "PT50000201231234567890155"
    assert [error.id for error in payment_account_check(None)] == ["payments.E001"]
    settings.BOOKING_PAYMENT_IBAN = "PT50000201231234567890154"
    assert payment_account_check(None) == []


def test_schema_documents_payments(db):
    from django.test import Client

    schema = Client().get(reverse("schema")).content.decode()
    assert "/api/payments/imports/" in schema and "epc_qr_svg" in schema
