"""Joining and leaving the waiting list over HTTP: bounds, throttles, links."""

import re
from datetime import timedelta

import pytest
from django.test import override_settings
from django.utils import timezone

from apps.notifications.models import Notification
from apps.services.tests.factories import ServiceFactory
from apps.staff.tests.factories import StaffFactory
from apps.waitlist.models import WaitlistEntry

pytestmark = pytest.mark.django_db

URL = "/api/waitlist/"


def payload(of_service, **changes):
    today = timezone.localdate()
    body = {
        "service": of_service.pk,
        "date_from": today.isoformat(),
        "date_to": (today + timedelta(days=6)).isoformat(),
        "time_from": "09:00",
        "time_to": "13:00",
        "name": "Rita Sousa",
        "email": "rita@example.com",
        "phone": "+351 913 000 111",
        "language": "pt",
    }
    body.update(changes)
    return {key: value for key, value in body.items() if value is not None}


def test_a_guest_joins_and_gets_a_confirmation_with_a_leave_link(
    api_client, service, staff_member
):
    response = api_client.post(URL, payload(service), format="json")

    assert response.status_code == 202, response.data
    entry = WaitlistEntry.objects.get()
    assert (entry.status, entry.language, entry.phone) == (
        "waiting",
        "pt",
        "+351913000111",
    )
    assert entry.client_key  # counted per client, as a keyed hash
    email = Notification.objects.get(kind="waitlist_joined")
    assert email.recipient == "rita@example.com" and email.guest_triggered
    token = re.search(r"/booking/waitlist/leave/\?token=([\w-]+)", email.body_text)[1]

    left = api_client.post(URL + "leave/", {"token": token}, format="json")
    assert left.status_code == 200 and left.data == {"status": "left"}
    entry.refresh_from_db()
    assert entry.status == "left" and entry.closed_at is not None
    again = api_client.post(URL + "leave/", {"token": token}, format="json")
    assert again.status_code == 200 and again.data == {"status": "left"}


def test_the_answer_is_the_same_whether_or_not_the_contact_is_listed(
    api_client, service, staff_member
):
    first = api_client.post(URL, payload(service), format="json")
    # Same contact, same days, another client: nothing new, same answer.
    second = api_client.post(
        URL, payload(service), format="json", REMOTE_ADDR="203.0.113.9"
    )

    assert (first.status_code, first.data) == (second.status_code, second.data)
    assert WaitlistEntry.objects.count() == 1
    assert Notification.objects.filter(kind="waitlist_joined").count() == 1


@override_settings(BOOKING_WAITLIST_MAX_PER_CONTACT=2)
def test_a_contact_is_listed_at_most_the_per_contact_limit_silently(
    api_client, staff_member
):
    services = [ServiceFactory() for _ in range(3)]
    for other in services:
        staff_member.services.add(other)
    answers = [
        api_client.post(
            URL, payload(other), format="json", REMOTE_ADDR=f"203.0.113.{i}"
        )
        for i, other in enumerate(services)
    ]

    assert {answer.status_code for answer in answers} == {202}
    assert WaitlistEntry.objects.count() == 2


@override_settings(BOOKING_WAITLIST_MAX_PER_CLIENT=2)
def test_more_than_the_per_client_limit_is_refused_with_a_code(
    api_client, service, staff_member
):
    for n in range(2):
        answer = api_client.post(
            URL,
            payload(service, email=f"g{n}@example.com", phone=f"91300{n:04d}"),
            format="json",
        )
        assert answer.status_code == 202
    refused = api_client.post(
        URL, payload(service, email="g9@example.com", phone="913009999"), format="json"
    )

    assert refused.status_code == 409
    assert refused.data["code"] == "waitlist_limit_reached"
    assert WaitlistEntry.objects.count() == 2


def test_phone_is_required(api_client, service):
    answer = api_client.post(URL, payload(service, phone=None), format="json")
    assert answer.status_code == 400 and "phone" in answer.data["errors"]


@pytest.mark.parametrize(
    ("changes", "code", "field"),
    [
        ({"date_from": -1}, "dates_out_of_range", "date_from"),
        ({"date_to": 91}, "dates_out_of_range", "date_to"),
        ({"date_from": 5, "date_to": 3}, "dates_out_of_range", "date_to"),
        ({"time_from": "14:00", "time_to": "10:00"}, "invalid_time_window", "time_to"),
        ({"service": 999999}, "unknown_service", "service"),
        ({"staff": 999999}, "unknown_staff", "staff"),
        ({"date_from": "2026-13-01"}, "invalid", "date_from"),
        ({"email": "not-an-email"}, "invalid", "email"),
        ({"language": "<script>"}, "invalid", "language"),
    ],
)
def test_bad_input_is_a_400_with_a_clear_code(
    api_client, service, staff_member, changes, code, field
):
    today = timezone.localdate()
    for key in ("date_from", "date_to"):
        if isinstance(changes.get(key), int):
            changes[key] = (today + timedelta(days=changes[key])).isoformat()

    answer = api_client.post(URL, payload(service, **changes), format="json")

    assert answer.status_code == 400, answer.data
    assert answer.data["code"] == code
    assert field in answer.data["errors"]
    assert not WaitlistEntry.objects.exists()


def test_staff_who_do_not_offer_the_service_are_refused(api_client, service):
    other = StaffFactory()
    answer = api_client.post(URL, payload(service, staff=other.pk), format="json")
    assert answer.status_code == 400 and answer.data["code"] == "unknown_staff"


def test_an_inactive_service_is_refused(api_client, staff_member):
    inactive = ServiceFactory(is_active=False)
    answer = api_client.post(URL, payload(inactive), format="json")
    assert answer.status_code == 400 and answer.data["code"] == "unknown_service"


@override_settings(BOOKING_WAITLIST_MAX_PER_CLIENT=50)
def test_joining_is_throttled_per_client(
    api_client, service, staff_member, settings, throttle_clock
):
    settings.REST_FRAMEWORK = {
        **settings.REST_FRAMEWORK,
        "DEFAULT_THROTTLE_RATES": {"waitlist_join": "5/min"},
    }
    answers = [
        api_client.post(
            URL,
            payload(service, email=f"t{n}@example.com", phone=f"91400{n:04d}"),
            format="json",
        )
        for n in range(6)
    ]

    assert [answer.status_code for answer in answers] == [202] * 5 + [429]
    assert answers[-1].data["code"] == "throttled"
    assert int(answers[-1].headers["Retry-After"]) > 0
    assert WaitlistEntry.objects.count() == 5


def test_an_unknown_leave_link_is_404(api_client):
    answer = api_client.post(URL + "leave/", {"token": "nope"}, format="json")
    assert answer.status_code == 404 and answer.data["code"] == "waitlist_link_unknown"


def test_guests_cannot_list_the_waiting_list(api_client, user_client):
    assert api_client.get(URL).status_code in (401, 403)
    assert user_client.get(URL).status_code == 403
