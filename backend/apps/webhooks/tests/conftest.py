import pytest
from rest_framework.test import APIClient

from apps.bookings.tests.factories import StaffUserFactory


@pytest.fixture
def allow_loopback(settings):
    """BOOKING_WEBHOOK_ALLOW_PRIVATE=1: the receivers of the tests are on 127.0.0.1."""
    settings.BOOKING_WEBHOOK_ALLOW_PRIVATE = True


@pytest.fixture
def manager_client(db):
    client = APIClient()
    client.force_authenticate(StaffUserFactory(role="manager"))
    return client


@pytest.fixture
def desk_client(db):
    client = APIClient()
    client.force_authenticate(StaffUserFactory(role="desk"))
    return client
