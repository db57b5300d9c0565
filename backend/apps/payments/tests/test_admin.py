import re

import pytest
from django.contrib.auth.models import Permission
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client

from apps.availability.tests.factories import AvailabilityFactory
from apps.bookings.models import Booking
from apps.bookings.tests.factories import StaffUserFactory, unpaid_booking
from apps.payments.models import BankTransaction
from apps.payments.tests import samples

pytestmark = pytest.mark.django_db
IMPORT_URL = "/admin/payments/bankstatementimport/import/"


def logged_in(*codenames, role=""):
    user = StaffUserFactory(role=role)
    user.user_permissions.set(Permission.objects.filter(codename__in=codenames))
    client = Client()
    client.force_login(user)
    return client


def test_preview_then_apply(service, staff_member):
    booking = unpaid_booking(service, AvailabilityFactory(staff=staff_member))
    content = samples.camt053(
        [{"amount": booking.amount_due, "text": booking.reference}]
    )
    client = logged_in(
        "import_bank_statement", "view_bankstatementimport", "view_banktransaction"
    )
    assert (
        "Import bank statement"
        in client.get("/admin/payments/bankstatementimport/").content.decode()
    )
    preview = client.post(
        IMPORT_URL, {"file": SimpleUploadedFile("s.xml", content), "preview": "1"}
    )
    page = preview.content.decode()
    assert (
        preview.status_code == 200
        and "matched: 1" in page
        and booking.reference in page
    )
    assert not BankTransaction.objects.exists()
    sha = re.search(r'name="file_sha256" value="([0-9a-f]{64})"', page).group(1)
    applied = client.post(IMPORT_URL, {"file_sha256": sha, "apply": "1"})
    assert applied.status_code == 302
    booking.refresh_from_db()
    assert booking.status == Booking.Status.CONFIRMED
    assert BankTransaction.objects.get().outcome == "matched"


def test_bad_file_shows_the_error():
    client = logged_in("import_bank_statement")
    response = client.post(
        IMPORT_URL, {"file": SimpleUploadedFile("x.xml", samples.BILLION_LAUGHS)}
    )
    assert "refused" in response.content.decode()
    assert not BankTransaction.objects.exists()


def test_front_desk_cannot_import():
    client = logged_in(role="desk")
    assert client.get(IMPORT_URL).status_code == 403
    assert client.get("/admin/payments/banktransaction/").status_code == 200


def test_a_manager_can_import():
    client = logged_in(role="manager")
    assert client.get(IMPORT_URL).status_code == 200
