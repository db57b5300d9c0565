"""Erasure (apps.privacy) covers the waiting list: the guest's entries go."""

import pytest

from apps.privacy.services import personal_data_erase, personal_data_export
from apps.waitlist.models import WaitlistEntry
from apps.waitlist.tests.factories import join

pytestmark = pytest.mark.django_db


def test_an_erasure_deletes_the_guests_waitlist_entries(service, staff_member):
    join(service, email="Erase.Me+tag@example.com")
    kept = join(service, email="someone-else@example.com")

    personal_data_erase(email="erase.me@example.com", reason="asked")

    assert list(WaitlistEntry.objects.all()) == [kept]


def test_an_erasure_by_phone_deletes_the_entries_of_a_guest_with_no_booking(
    service, staff_member
):
    join(service, email="waited@example.com", phone="+351 912 000 111")
    kept = join(service, email="someone-else@example.com", phone="+351 912 000 222")

    result = personal_data_erase(phone="912 000 111", reason="asked by phone")

    assert list(WaitlistEntry.objects.all()) == [kept]
    assert result.record.counts["waitlist"] == 1


def test_an_export_by_phone_lists_the_entries_of_a_guest_with_no_booking(
    service, staff_member
):
    join(service, email="waited@example.com", phone="+351 912 000 111")

    data = personal_data_export(phone="+351912000111")

    assert [entry["email"] for entry in data["waitlist"]] == ["waited@example.com"]
