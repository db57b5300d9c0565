"""Issue 26: failed proofs counted per reference; the emailed single-use link."""

import re
from datetime import timedelta

import pytest
from django.core import mail
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from rest_framework.test import APIClient

from apps.bookings.guest_access import access_links_send, booking_for_proof
from apps.bookings.models import BookingAccessLink, GuestProofWindow
from apps.notifications.models import Notification
from apps.notifications.services import notifications_send_due

pytestmark = pytest.mark.django_db
LOOKUP = "/api/bookings/lookup/"


@pytest.fixture
def locked(booking, settings):
    """The booking's reference after as many wrong proofs as it takes."""
    for i in range(settings.BOOKING_MAX_FAILED_PROOFS_PER_HOUR):
        guess = f"+35191200{i:04d}"
        assert booking_for_proof(reference=booking.reference, phone=guess) is None
    return booking


def lookup(body, address="203.0.113.90"):
    return APIClient().post(LOOKUP, body, format="json", REMOTE_ADDR=address)


def _statements(body):
    with CaptureQueriesContext(connection) as captured:
        response = lookup(body)
    assert response.status_code == 404
    # The same statements; only their parameters differ.
    parameters = r"'[^']*'|\b(true|false|\d+)\b"
    return [re.sub(parameters, "?", query["sql"]) for query in captured]


def test_a_locked_reference_costs_the_same_statements_as_an_unknown_one(locked):
    right = {"reference": locked.reference, "email": locked.customer_email}
    unknown = {"reference": "QQQQQQQQ", "email": locked.customer_email}
    wrong = {"reference": locked.reference, "email": "other@example.com"}
    assert _statements(right) == _statements(unknown) == _statements(wrong)


def test_below_the_limit_the_guest_still_opens_the_booking(booking, settings):
    for i in range(settings.BOOKING_MAX_FAILED_PROOFS_PER_HOUR - 1):
        lookup({"reference": booking.reference, "phone": f"+35191200{i:04d}"})
    found = lookup({"reference": booking.reference, "email": booking.customer_email})
    assert found.status_code == 200
    assert found.json()["access_token"] is None


def test_wrong_proofs_of_an_unknown_reference_lock_nothing_else(locked):
    assert GuestProofWindow.objects.get(reference=locked.reference).failures == 10
    right = {"reference": locked.reference, "email": locked.customer_email}
    assert lookup(right).status_code == 404
    # Only a right proof asks for a link: the guesser sends no email.
    window = GuestProofWindow.objects.get(reference=locked.reference)
    assert window.link_wanted


def test_wrong_proofs_alone_send_no_link(locked):
    assert access_links_send() == 0
    assert not Notification.objects.filter(kind="access_link").exists()


def _link_token(booking) -> str:
    assert (
        lookup(
            {"reference": booking.reference, "email": booking.customer_email}
        ).status_code
        == 404
    )
    assert access_links_send() == 1
    assert access_links_send() == 0  # one link per request for one
    mail.outbox.clear()
    notifications_send_due()
    (message,) = [m for m in mail.outbox if "access=" in m.body]
    assert message.to == [booking.customer_email]
    assert f"#reference={booking.reference}&access=" in message.body
    return re.search(r"access=([\w-]+)", message.body).group(1)


def test_the_link_is_stored_hashed_and_spent_by_its_use(locked):
    token = _link_token(locked)
    assert not BookingAccessLink.objects.filter(token_hash=token).exists()
    proof = {"reference": locked.reference, "access_token": token}
    first = lookup(proof)
    assert first.status_code == 200
    assert lookup(proof).status_code == 404
    following = first.json()["access_token"]
    assert following and following != token
    assert lookup({**proof, "access_token": following}).status_code == 200


def test_a_refused_change_leaves_the_token_unspent(locked, staff_member):
    token = _link_token(locked)
    response = APIClient().post(
        "/api/bookings/lookup/reschedule/",
        {"reference": locked.reference, "access_token": token, "availability": 999},
        format="json",
    )
    assert response.status_code == 400
    assert (
        lookup({"reference": locked.reference, "access_token": token}).status_code
        == 200
    )


def test_an_expired_link_opens_nothing(locked, settings):
    token = _link_token(locked)
    BookingAccessLink.objects.update(expires_at=timezone.now() - timedelta(seconds=1))
    assert (
        lookup({"reference": locked.reference, "access_token": token}).status_code
        == 404
    )


def test_a_link_opens_only_its_own_booking(locked, service, staff_member):
    from apps.availability.tests.factories import AvailabilityFactory
    from apps.bookings.tests.factories import unpaid_booking

    other = unpaid_booking(service, AvailabilityFactory(staff=staff_member))
    token = _link_token(locked)
    assert (
        lookup({"reference": other.reference, "access_token": token}).status_code == 404
    )
