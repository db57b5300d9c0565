"""Issue 26: a malformed statement is a 400 that writes nothing; an import is
never left half-described; large files apply in the background; the admin
keeps the previewed file on the server."""

import re

import pytest
from django.contrib.auth.models import Permission
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import call_command
from django.test import Client
from rest_framework.test import APIClient

from apps.availability.tests.factories import AvailabilityFactory
from apps.bookings.models import Booking
from apps.bookings.tests.factories import StaffUserFactory, unpaid_booking
from apps.payments.models import BankStatementImport, BankTransaction
from apps.payments.tests import samples

pytestmark = pytest.mark.django_db
IMPORTS = "/api/payments/imports/"
IMPORT_URL = "/admin/payments/bankstatementimport/import/"


@pytest.fixture
def manager():
    client = APIClient()
    client.force_authenticate(StaffUserFactory(role="manager"))
    return client


@pytest.fixture
def unpaid(service, staff_member):
    return unpaid_booking(service, AvailabilityFactory(staff=staff_member))


def upload(client, content, name="statement.xml", **fields):
    return client.post(
        IMPORTS,
        {"file": SimpleUploadedFile(name, content), **fields},
        format="multipart",
    )


def assert_unreadable(response, where):
    assert response.status_code == 400, response.content
    body = response.json()
    assert body["code"] == "statement_unreadable"
    assert where in body["detail"], body["detail"]


BAD_AMOUNTS = ["99999999999999999999.99", "NaN", "1E+30", "Infinity", "12.345", "0"]


@pytest.mark.parametrize("amount", BAD_AMOUNTS)
def test_a_bad_csv_amount_is_a_400_naming_the_record(manager, amount):
    content = (
        "date,amount,currency,remittance,counterparty,transaction_id\n"
        "2026-03-02,40.00,EUR,ok,A,T-1\n"
        f"2026-03-02,{amount},EUR,bad,B,T-2\n"
    ).encode()
    assert_unreadable(upload(manager, content, "s.csv"), "CSV record 3")
    assert not BankStatementImport.objects.exists()


@pytest.mark.parametrize("amount", [*BAD_AMOUNTS, "sNaN", "-5.00"])
def test_a_bad_camt_amount_is_a_400_and_applies_nothing(manager, unpaid, amount):
    content = samples.camt053(
        [
            {"amount": unpaid.amount_due, "text": unpaid.reference},
            {"amount": amount, "text": "bad"},
        ]
    )
    assert_unreadable(upload(manager, content), "<Ntry> 2")
    unpaid.refresh_from_db()
    assert unpaid.status == Booking.Status.AWAITING_PAYMENT
    assert not BankStatementImport.objects.exists()
    assert not BankTransaction.objects.exists()


@pytest.mark.parametrize("amount", ["1000000000000000000000000,00", "1e24"])
def test_an_out_of_range_mt940_amount_is_a_400(manager, amount):
    content = samples.MT940.format(ref="X").replace("C40,00NTRF", f"C{amount}NTRF")
    assert_unreadable(upload(manager, content.encode(), "s.sta"), "MT940 line 5")


@pytest.mark.parametrize(
    "mapping",
    [
        '{"delimiter": 5}',
        '{"delimiter": ";;"}',
        '{"decimal": "x"}',
        '{"date_formats": 7}',
        '{"date_formats": [1, 2]}',
        '{"encoding": "no-such-codec"}',
        '{"credit_marks": {"a": 1}}',
        '{"skip_rows_without_date": "yes"}',
        '{"default_currency": 12}',
        '{"date": 3}',
    ],
)
def test_every_csv_map_option_is_type_checked(manager, mapping):
    content = b"date,amount\n2026-03-02,40.00\n"
    response = upload(manager, content, "s.csv", csv_map=mapping)
    assert response.status_code == 400, response.content
    assert response.json()["code"] == "statement_unreadable"
    assert "csv_map" in response.json()["errors"]


def test_an_import_without_a_summary_does_not_break_the_list(manager):
    BankStatementImport.objects.create(
        file_name="old.xml", file_format="camt053", file_sha256="0" * 64, summary={}
    )
    response = manager.get(IMPORTS)
    assert response.status_code == 200
    assert response.json()["results"][0]["summary"]["matched"] == 0


def test_a_large_statement_is_applied_in_the_background(manager, unpaid, settings):
    settings.BANK_STATEMENT_BACKGROUND_CREDITS = 3
    entries = [{"amount": unpaid.amount_due, "text": unpaid.reference}]
    entries += [{"amount": "1.00", "text": f"other {i}"} for i in range(4)]
    response = upload(manager, samples.camt053(entries))
    assert response.status_code == 202, response.content
    queued = response.json()
    assert (queued["status"], queued["credits_total"]) == ("queued", 5)
    assert queued["credits_done"] == 0
    assert not BankTransaction.objects.exists()

    call_command("run_scheduled_jobs")

    done = manager.get(f"{IMPORTS}{queued['id']}/").json()
    assert (done["status"], done["credits_done"]) == ("done", 5)
    assert done["summary"]["matched"] == 1 and done["summary"]["unmatched"] == 4
    unpaid.refresh_from_db()
    assert unpaid.status == Booking.Status.CONFIRMED


def _big_camt(booking) -> bytes:
    """A 2.5 MB statement: one payment and a long comment, as banks' files are."""
    content = samples.camt053(
        [{"amount": booking.amount_due, "text": booking.reference}]
    )
    padding = b"<!--" + b"x" * 2_600_000 + b"-->\n"
    return content.replace(b"<BkToCstmrStmt>", padding + b"<BkToCstmrStmt>", 1)


def test_the_admin_applies_the_previewed_file_kept_on_the_server(unpaid):
    user = StaffUserFactory(role="manager")
    user.user_permissions.add(Permission.objects.get(codename="import_bank_statement"))
    client = Client()
    client.force_login(user)
    content = _big_camt(unpaid)
    assert len(content) > 2_500_000
    preview = client.post(
        IMPORT_URL, {"file": SimpleUploadedFile("big.xml", content), "preview": "1"}
    )
    page = preview.content.decode()
    assert preview.status_code == 200 and "matched: 1" in page
    assert 'name="content"' not in page
    sha = re.search(r'name="file_sha256" value="([0-9a-f]{64})"', page).group(1)
    applied = client.post(IMPORT_URL, {"file_sha256": sha, "apply": "1"})
    assert applied.status_code == 302, applied.content[:500]
    unpaid.refresh_from_db()
    assert unpaid.status == Booking.Status.CONFIRMED


def test_a_preview_reads_credits_in_a_few_queries_not_one_each(
    unpaid, django_assert_max_num_queries
):
    from apps.payments import services

    entries = [{"amount": unpaid.amount_due, "text": unpaid.reference}]
    entries += [{"amount": "1.00", "text": f"someone else {i}"} for i in range(60)]
    with django_assert_max_num_queries(5):
        result = services.bank_statement_import(
            content=samples.camt053(entries), file_name="s.xml", dry_run=True
        )
    assert result.summary["matched"] == 1 and result.summary["unmatched"] == 60
