"""A guest exports or erases their data from the guest page, confirmed by a
single-use link emailed to the address; a stranger learns nothing."""

import re
import statistics
import time

import pytest
from django.conf import settings as django_settings
from rest_framework.test import APIClient

from apps.bookings.models import Booking
from apps.privacy.contacts import MARKER
from apps.privacy.models import ErasureRecord, GuestRequest
from apps.privacy.tests.conftest import run_jobs
from apps.privacy.tests.test_erasure import EMAIL, NAME, PHONE
from apps.privacy.tests.traces import traces_of

pytestmark = pytest.mark.django_db

REQUESTS = "/api/privacy/requests/"
CONFIRM = "/api/privacy/requests/confirm/"


@pytest.fixture
def roomy_throttle(settings):
    rates = {**django_settings.REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"]}
    rates["booking_lookup"] = rates["booking_lookup_network"] = "10000/min"
    settings.REST_FRAMEWORK = {
        **django_settings.REST_FRAMEWORK,
        "DEFAULT_THROTTLE_RATES": rates,
    }


def ask(email, action):
    return APIClient().post(REQUESTS, {"email": email, "action": action})


def emailed_token(mailoutbox) -> str:
    (message,) = [m for m in mailoutbox if "#privacy=" in m.body]
    return re.search(r"#privacy=([\w-]+)", message.body)[1]


def test_a_guest_erases_their_data_through_the_emailed_link(
    guest_books, manager_client, mailoutbox
):
    booking = guest_books(NAME, EMAIL, PHONE, notes="Ring twice")
    manager_client.post(f"/api/bookings/{booking.pk}/cancel/", {"reason": "ill"})
    run_jobs()
    mailoutbox.clear()

    answer = ask(EMAIL, "erase")
    run_jobs()

    assert answer.status_code == 202
    token = emailed_token(mailoutbox)
    assert mailoutbox[0].to == [EMAIL]
    done = APIClient().post(CONFIRM, {"token": token})
    assert done.status_code == 200, done.content
    assert done.json()["erasure"]["erased"] == [booking.reference]
    booking.refresh_from_db()
    assert booking.customer_name == MARKER
    assert ErasureRecord.objects.get().source == "guest"
    assert traces_of([NAME, EMAIL, "913222444"]) == []
    again = APIClient().post(CONFIRM, {"token": token})
    assert again.status_code == 400
    assert again.json()["code"] == "privacy_link_invalid"


def test_a_guest_exports_their_data_once(guest_books, mailoutbox):
    booking = guest_books(NAME, EMAIL, PHONE)
    run_jobs()
    mailoutbox.clear()

    ask(EMAIL.upper(), "export")
    run_jobs()
    done = APIClient().post(CONFIRM, {"token": emailed_token(mailoutbox)})

    assert done.status_code == 200
    bookings = done.json()["export"]["bookings"]
    assert [b["reference"] for b in bookings] == [booking.reference]
    assert Booking.objects.get(pk=booking.pk).customer_email == EMAIL
    assert GuestRequest.objects.get().email == ""


def test_an_unknown_address_gets_the_same_answer_and_no_email(guest_books, mailoutbox):
    guest_books(NAME, EMAIL, PHONE)
    run_jobs()
    mailoutbox.clear()

    known = ask(EMAIL, "erase")
    unknown = ask("nobody.here@example.org", "erase")
    run_jobs()

    assert (known.status_code, known.json()) == (unknown.status_code, unknown.json())
    assert [m.to for m in mailoutbox] == [[EMAIL]]
    # The unknown address is forgotten by the job that found it unknown.
    assert not GuestRequest.objects.filter(email="nobody.here@example.org").exists()


def test_a_wrong_or_expired_token_opens_nothing(guest_books, mailoutbox):
    guest_books(NAME, EMAIL, PHONE)
    ask(EMAIL, "erase")
    run_jobs()
    token = emailed_token(mailoutbox)
    GuestRequest.objects.update(expires_at=GuestRequest.objects.get().created_at)

    for attempt in (token, "x" * 43, ""):
        response = APIClient().post(CONFIRM, {"token": attempt})
        assert response.status_code == 400
    assert not ErasureRecord.objects.exists()


def test_requests_are_throttled_like_lookups(db, settings, throttle_clock):
    settings.REST_FRAMEWORK = {
        **settings.REST_FRAMEWORK,
        "DEFAULT_THROTTLE_RATES": {"booking_lookup": "20/min"},
    }
    answers = [ask(f"guest{n}@example.org", "export").status_code for n in range(21)]
    assert answers[:20] == [202] * 20 and answers[20] == 429


def test_the_timing_does_not_tell_a_known_address(guest_books, roomy_throttle):
    guest_books(NAME, EMAIL, PHONE)
    for n in range(5):  # warm up
        ask(f"warm{n}@example.org", "export")
    known, unknown = [], []
    for n in range(40):
        for email, times in ((EMAIL, known), (f"stranger{n}@example.org", unknown)):
            started = time.perf_counter()
            assert ask(email, "erase").status_code == 202
            times.append(time.perf_counter() - started)
    gap = abs(statistics.median(known) - statistics.median(unknown))
    # The same single insert either way: the medians differ by noise only.
    assert gap < 0.25 * statistics.median(unknown) + 0.002, (known, unknown)
