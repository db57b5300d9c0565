"""Erasure (apps.privacy) covers the waiting list: the guest's entries go."""

import pytest

from apps.privacy.services import personal_data_erase
from apps.waitlist.models import WaitlistEntry
from apps.waitlist.tests.factories import join

pytestmark = pytest.mark.django_db


def test_an_erasure_deletes_the_guests_waitlist_entries(service, staff_member):
    join(service, email="Erase.Me+tag@example.com")
    kept = join(service, email="someone-else@example.com")

    personal_data_erase(email="erase.me@example.com", reason="asked")

    assert list(WaitlistEntry.objects.all()) == [kept]
