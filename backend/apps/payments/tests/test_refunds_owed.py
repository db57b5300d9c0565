"""A paid booking staff cancel with a refund owed (issue 28): the bank credit
that paid it becomes a refund due, for all of its amount, and goes into the
SEPA refunds export; a booking paid at the desk shows it in the accountant's
payments list."""

from decimal import Decimal
from xml.etree import ElementTree

import pytest
from django.utils import timezone
from rest_framework.test import APIClient

from apps.bookings import services as booking_services
from apps.bookings.tests.factories import StaffUserFactory
from apps.payments.models import BankTransaction
from apps.payments.selectors import bank_transactions_refund_due
from apps.payments.services import bank_statement_import
from apps.payments.tests.samples import camt053

pytestmark = pytest.mark.django_db


@pytest.fixture
def account(settings):
    settings.BOOKING_PAYMENT_IBAN = "PT50000201231234567890154"
    settings.BOOKING_PAYMENT_BENEFICIARY = "Doceamor Lda"


def pay_by_bank(booking):
    bank_statement_import(
        content=camt053(
            [
                {
                    "amount": str(booking.amount_due),
                    "text": f"Ref {booking.reference}",
                    "date": timezone.localdate().isoformat(),
                }
            ]
        ),
        file_name="today.xml",
    )
    credit = BankTransaction.objects.get()
    assert credit.outcome == BankTransaction.Outcome.MATCHED
    return credit


def desk_client():
    client = APIClient()
    client.force_authenticate(StaffUserFactory(role="desk"))
    return client


def cancel(booking, **data):
    return desk_client().post(
        f"/api/bookings/{booking.pk}/cancel/", {"reason": "x", **data}, format="json"
    )


def test_a_refund_owed_makes_the_bank_credit_a_refund_due_of_all_of_it(
    booking, account
):
    credit = pay_by_bank(booking)
    assert credit.refund_status == BankTransaction.Refund.NONE

    assert cancel(booking, refund_due=True).status_code == 200

    credit.refresh_from_db()
    assert credit.refund_status == BankTransaction.Refund.DUE
    assert credit.refund_amount == booking.amount_due
    assert list(bank_transactions_refund_due()) == [credit]
    manager = APIClient()
    manager.force_authenticate(StaffUserFactory(role="manager"))
    export = manager.get("/api/payments/transactions/refunds-sepa/")
    assert export.status_code == 200, export.content
    document = ElementTree.fromstring(export.content)
    ns = {"p": "urn:iso:std:iso:20022:tech:xsd:pain.001.001.03"}
    amounts = document.findall(".//p:CdtTrfTxInf/p:Amt/p:InstdAmt", ns)
    assert [Decimal(a.text) for a in amounts] == [booking.amount_due]
    assert booking.reference in export.content.decode()


def test_no_refund_owed_leaves_the_credit_alone(booking, account):
    credit = pay_by_bank(booking)
    assert cancel(booking, refund_due=False).status_code == 200
    credit.refresh_from_db()
    assert credit.refund_status == BankTransaction.Refund.NONE
    assert credit.refund_amount == Decimal("0")


def test_a_desk_payment_owed_back_shows_in_the_payments_export(booking):
    booking_services.booking_verify_payment(booking=booking, actor=None)
    assert cancel(booking, refund_due=True).status_code == 200
    manager = APIClient()
    manager.force_authenticate(StaffUserFactory(role="manager"))
    today = timezone.localdate().isoformat()
    response = manager.get(
        "/api/exports/payments/",
        {"from": today, "to": today, "format": "csv"},
    )
    assert response.status_code == 200
    text = b"".join(response.streaming_content).decode("utf-8-sig")
    (line,) = [row for row in text.splitlines() if booking.reference in row]
    assert "Due" in line
