"""Guest self-service and the protections of the public booking endpoints."""

import os
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from datetime import timedelta
from pathlib import Path

import pytest
from django.conf import settings
from django.core.management import call_command
from django.test import override_settings
from django.utils import timezone
from rest_framework.test import APIClient

from apps.availability.models import Availability
from apps.availability.tests.factories import AvailabilityFactory
from apps.bookings import services
from apps.bookings.models import Booking, IdempotencyKey
from apps.bookings.tests.threads import in_threads
from common.tests.connections import live_database_url

Status = Booking.Status
PROJECT_DIR = Path(settings.PROJECT_DIR)


def book(client, payload, **headers):
    return client.post("/api/bookings/", payload, format="json", headers=headers)


@pytest.fixture
def guest_booking(api_client, guest_payload):
    response = book(api_client, guest_payload)
    assert response.status_code == 201
    return Booking.objects.get(pk=response.json()["id"])


def more_slots(staff_member, count):
    return [AvailabilityFactory(staff=staff_member) for _ in range(count)]


# --- lookup ---------------------------------------------------------------------------


@pytest.mark.django_db
@pytest.mark.parametrize(
    "proof",
    [
        {"email": "JOANA@example.com "},
        {"phone": "351-912-345-678"},
        {"email": "wrong@example.com", "phone": "+351 912 345 678"},
        # E.164 is compared: a national number is read in BOOKING_PHONE_REGION.
        {"phone": "912 345 678"},
        {"phone": "00351 912345678"},
    ],
    ids=[
        "email-any-case",
        "phone-any-format",
        "either-matches",
        "phone-national",
        "phone-00-prefix",
    ],
)
def test_lookup_by_reference_and_contact(api_client, guest_booking, service, proof):
    response = api_client.post(
        "/api/bookings/lookup/",
        {"reference": guest_booking.reference.lower(), **proof},
    )
    assert response.status_code == 200, response.content
    data = response.json()
    assert data["reference"] == guest_booking.reference
    assert data["status"] == "awaiting_payment"
    assert data["service"] == service.id
    assert data["service_name"] == service.name
    assert data["amount_due"] == str(service.price)
    assert data["payment_instructions"]["reference"] == guest_booking.reference
    assert data["payment_expires_at"]
    assert "customer_email" not in data and "customer_phone" not in data


@pytest.mark.django_db
def test_lookup_gives_nothing_away(api_client, guest_booking, staff_member, service):
    other = services.booking_create(
        service_id=service.pk,
        availability_id=more_slots(staff_member, 1)[0].pk,
        customer_name="Someone else",
        customer_email="else@example.com",
        customer_phone="+44 20 7946 0000",
    )
    unknown = api_client.post(
        "/api/bookings/lookup/", {"reference": "ZZZZZZZZ", "email": "a@example.com"}
    )
    wrong_pair = api_client.post(
        "/api/bookings/lookup/",
        {"reference": other.reference, "email": guest_booking.customer_email},
    )
    assert unknown.status_code == wrong_pair.status_code == 404
    assert unknown.json() == wrong_pair.json()
    missing_proof = api_client.post(
        "/api/bookings/lookup/", {"reference": other.reference}
    )
    assert missing_proof.status_code == 400
    assert "email" in missing_proof.json()["errors"]


# --- guest cancel ---------------------------------------------------------------------


@pytest.mark.django_db
def test_guest_cancels_an_unpaid_booking(api_client, guest_booking):
    response = api_client.post(
        "/api/bookings/lookup/cancel/",
        {
            "reference": guest_booking.reference,
            "email": guest_booking.customer_email,
            "reason": "Plans changed",
        },
    )
    assert response.status_code == 200, response.content
    assert response.json()["status"] == "cancelled"
    guest_booking.refresh_from_db()
    assert guest_booking.cancel_reason == "Plans changed"
    assert guest_booking.events.last().source == "guest"
    assert guest_booking.events.last().actor is None
    assert not Availability.objects.get(pk=guest_booking.availability_id).is_booked


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("hours_before_start", "expected"),
    [(30, 200), (24, 200), (23, 409)],
)
def test_guest_cancels_a_confirmed_booking_only_before_the_notice(
    api_client, guest_booking, staff_user, time_machine, hours_before_start, expected
):
    services.booking_verify_payment(booking=guest_booking, actor=staff_user)
    start = guest_booking.availability.start_time
    time_machine.move_to(start - timedelta(hours=hours_before_start), tick=False)
    response = api_client.post(
        "/api/bookings/lookup/cancel/",
        {"reference": guest_booking.reference, "phone": "+351 912 345 678"},
    )
    assert response.status_code == expected, response.content
    guest_booking.refresh_from_db()
    if expected == 409:
        assert response.json()["code"] == "cancel_notice_passed"
        assert guest_booking.status == Status.CONFIRMED
    else:
        assert guest_booking.status == Status.CANCELLED


@pytest.mark.django_db
@override_settings(BOOKING_GUEST_CANCEL_NOTICE_HOURS=2)
def test_guest_cancel_notice_follows_the_setting(
    api_client, guest_booking, staff_user, time_machine
):
    services.booking_verify_payment(booking=guest_booking, actor=staff_user)
    time_machine.move_to(
        guest_booking.availability.start_time - timedelta(hours=3), tick=False
    )
    response = api_client.post(
        "/api/bookings/lookup/cancel/",
        {"reference": guest_booking.reference, "email": guest_booking.customer_email},
    )
    assert response.status_code == 200


@pytest.mark.django_db
def test_guest_cannot_cancel_a_final_booking(api_client, guest_booking, staff_user):
    services.booking_cancel(booking=guest_booking, actor=staff_user)
    response = api_client.post(
        "/api/bookings/lookup/cancel/",
        {"reference": guest_booking.reference, "email": guest_booking.customer_email},
    )
    assert response.status_code == 409
    assert response.json()["code"] == "invalid_transition"


# --- slot hoarding --------------------------------------------------------------------


@pytest.mark.django_db
def test_one_contact_holds_at_most_two_unpaid_bookings(
    api_client, guest_payload, staff_member, staff_user
):
    slots = more_slots(staff_member, 3)
    first = book(api_client, guest_payload)
    second = book(api_client, {**guest_payload, "availability": slots[0].pk})
    assert (first.status_code, second.status_code) == (201, 201)

    # The same person by email (any case) or by phone (any format).
    same_email = {
        **guest_payload,
        "availability": slots[1].pk,
        "customer_email": "JOANA@EXAMPLE.COM",
        "customer_phone": "+44 20 7946 0000",
    }
    same_phone = {
        **guest_payload,
        "availability": slots[1].pk,
        "customer_email": "other@example.com",
        "customer_phone": "(351) 912-345-678",
    }
    same_phone_national = {
        **same_phone,
        "customer_email": "third@example.com",
        "customer_phone": "912 345 678",
    }
    for payload in (same_email, same_phone, same_phone_national):
        response = book(api_client, payload)
        assert response.status_code == 409
        assert response.json()["code"] == "too_many_unpaid_bookings"
    assert Booking.objects.count() == 2

    # Paying for one frees a place; staff booking on someone's behalf is exempt.
    services.booking_verify_payment(
        booking=Booking.objects.get(pk=first.json()["id"]), actor=staff_user
    )
    assert book(api_client, same_email).status_code == 201
    staff = APIClient()
    staff.force_authenticate(staff_user)
    assert book(staff, {**same_phone, "availability": slots[2].pk}).status_code == 201


@override_settings(BOOKING_MAX_UNPAID_PER_CONTACT=1)
@pytest.mark.django_db(transaction=True)
def test_parallel_bookings_by_one_contact_respect_the_limit(
    guest_payload, staff_member
):
    slots = more_slots(staff_member, 8)
    responses = in_threads(
        len(slots),
        lambda i: book(APIClient(), {**guest_payload, "availability": slots[i].pk}),
    )
    statuses = sorted(r.status_code for r in responses)
    assert statuses == [201] + [409] * (len(slots) - 1)
    assert Booking.objects.count() == 1


# --- minimum notice -------------------------------------------------------------------


@pytest.mark.django_db
def test_slots_inside_the_minimum_notice_are_neither_listed_nor_bookable(
    api_client, guest_payload, service, staff_member, settings
):
    now = timezone.now()
    soon = AvailabilityFactory(
        staff=staff_member,
        start_time=now + timedelta(minutes=50),
        end_time=now + timedelta(minutes=110),
    )
    listed = lambda: [  # noqa: E731
        s["id"]
        for s in api_client.get(
            "/api/bookings/availability/", {"service": service.pk}
        ).json()["results"]
    ]
    assert soon.pk in listed()
    settings.BOOKING_MIN_NOTICE_MINUTES = 60
    assert soon.pk not in listed()
    assert guest_payload["availability"] in listed()
    response = book(api_client, {**guest_payload, "availability": soon.pk})
    assert response.status_code == 400
    assert response.json()["code"] == "slot_too_soon"


# --- idempotent creation --------------------------------------------------------------


@pytest.mark.django_db
def test_a_retry_with_the_same_key_returns_the_same_booking(api_client, guest_payload):
    first = book(api_client, guest_payload, **{"Idempotency-Key": "key-1"})
    retry = book(api_client, guest_payload, **{"Idempotency-Key": "key-1"})
    assert first.status_code == retry.status_code == 201
    assert retry.json() == first.json()
    assert retry.headers["Idempotent-Replayed"] == "true"
    assert Booking.objects.count() == 1
    # Without the key, the same body is a new attempt: the slot is taken.
    assert book(api_client, guest_payload).status_code == 409


@pytest.mark.django_db
def test_the_same_key_with_another_body_is_422(api_client, guest_payload):
    book(api_client, guest_payload, **{"Idempotency-Key": "key-2"})
    response = book(
        api_client,
        {**guest_payload, "customer_name": "Someone else"},
        **{"Idempotency-Key": "key-2"},
    )
    assert response.status_code == 422
    assert response.json()["code"] == "idempotency_key_reused"
    assert Booking.objects.count() == 1


@pytest.mark.django_db
def test_a_refused_request_is_refused_the_same_way_on_retry(
    api_client, guest_payload, guest_booking
):
    first = book(api_client, guest_payload, **{"Idempotency-Key": "key-3"})
    assert first.status_code == 409
    services.booking_cancel(booking=guest_booking, source="staff")
    retry = book(api_client, guest_payload, **{"Idempotency-Key": "key-3"})
    assert (retry.status_code, retry.json()) == (409, first.json())


@pytest.mark.django_db
def test_keys_expire_after_24_hours(
    api_client, guest_payload, staff_member, time_machine, staff_user
):
    start = timezone.now() + timedelta(days=3)
    later_slot = AvailabilityFactory(
        staff=staff_member, start_time=start, end_time=start + timedelta(hours=1)
    )
    guest_payload = {**guest_payload, "availability": later_slot.pk}
    first = book(api_client, guest_payload, **{"Idempotency-Key": "key-5"})
    services.booking_cancel(
        booking=Booking.objects.get(pk=first.json()["id"]), actor=staff_user
    )
    time_machine.move_to(timezone.now() + timedelta(hours=24, minutes=1))
    again = book(api_client, guest_payload, **{"Idempotency-Key": "key-5"})
    assert again.status_code == 201
    assert again.json()["id"] != first.json()["id"]


@pytest.mark.django_db
@pytest.mark.parametrize("key", ["", "x" * 256, "caf\u00e9"])
def test_malformed_keys_are_400(api_client, guest_payload, key):
    response = book(api_client, guest_payload, **{"Idempotency-Key": key})
    assert response.status_code == 400
    assert not Booking.objects.exists()


@pytest.mark.django_db(transaction=True)
def test_parallel_retries_with_one_key_make_one_booking(guest_payload):
    responses = in_threads(
        8,
        lambda i: book(APIClient(), guest_payload, **{"Idempotency-Key": "same"}),
    )
    statuses = sorted(r.status_code for r in responses)
    assert Booking.objects.count() == 1
    assert set(statuses) <= {201, 409}
    assert all(
        r.json()["code"] == "request_in_progress"
        for r in responses
        if r.status_code == 409
    )
    booking_ids = {r.json()["id"] for r in responses if r.status_code == 201}
    assert len(booking_ids) == 1


@pytest.mark.django_db
def test_scheduled_jobs_purge_old_idempotency_keys(api_client, guest_payload):
    book(api_client, guest_payload, **{"Idempotency-Key": "old"})
    IdempotencyKey.objects.update(created_at=timezone.now() - timedelta(hours=25))
    book(api_client, {**guest_payload}, **{"Idempotency-Key": "new"})
    call_command("run_scheduled_jobs", stdout=open(os.devnull, "w"))  # noqa: SIM115
    assert list(IdempotencyKey.objects.values_list("key", flat=True)) == ["new"]


# --- throttling -----------------------------------------------------------------------


@pytest.mark.django_db
def test_booking_creation_is_throttled_per_client_ip(
    api_client, guest_payload, settings, throttle_clock
):
    settings.REST_FRAMEWORK = {
        **settings.REST_FRAMEWORK,
        "DEFAULT_THROTTLE_RATES": {
            "booking_create": "3/min",
            "booking_lookup": "2/min",
        },
    }
    statuses = [book(api_client, {}).status_code for _ in range(4)]
    assert statuses == [400, 400, 400, 429]
    throttled = book(api_client, {})
    assert throttled.json()["code"] == "throttled"
    assert int(throttled.headers["Retry-After"]) > 0
    other_ip = APIClient(REMOTE_ADDR="10.9.8.7")
    assert book(other_ip, {}).status_code == 400
    lookups = [
        api_client.post("/api/bookings/lookup/", {}).status_code for _ in range(3)
    ]
    assert lookups == [400, 400, 429]


def _free_port():
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.mark.django_db(transaction=True)
def test_two_server_processes_share_one_throttle(tmp_path):
    """Two app processes on one database admit the rate in total, not each."""
    # The windows are fixed: keep clear of an hour's edge, so all eight
    # requests fall in one window.
    seconds_left = 3600 - time.time() % 3600
    if seconds_left < 60:
        time.sleep(seconds_left + 1)
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "config.settings.dev",
        "DJANGO_DEBUG": "0",
        "DATABASE_URL": live_database_url(),
        "BOOKING_CREATE_THROTTLE_RATE": "4/hour",
    }
    env.pop("REDIS_URL", None)
    ports = [_free_port(), _free_port()]
    servers = [
        subprocess.Popen(
            [sys.executable, "manage.py", "runserver", f"127.0.0.1:{port}",
             "--noreload", "--skip-checks"],
            cwd=PROJECT_DIR,
            env=env,
            stdout=(tmp_path / f"server{port}.log").open("w"),
            stderr=subprocess.STDOUT,
        )
        for port in ports
    ]  # fmt: skip
    try:
        for port in ports:
            deadline = time.monotonic() + 30
            while True:
                try:
                    socket.create_connection(("127.0.0.1", port), timeout=1).close()
                    break
                except OSError:
                    assert time.monotonic() < deadline, "server did not start"
                    time.sleep(0.2)
        statuses = []
        for attempt in range(8):
            request = urllib.request.Request(
                f"http://127.0.0.1:{ports[attempt % 2]}/api/bookings/",
                data=b"{}",
                headers={"Content-Type": "application/json"},
                method="POST",
            )
            try:
                with urllib.request.urlopen(request, timeout=30) as response:
                    statuses.append(response.status)
            except urllib.error.HTTPError as error:
                statuses.append(error.code)
        assert statuses == [400] * 4 + [429] * 4
    finally:
        for server in servers:
            server.terminate()
            server.wait(timeout=10)


# --- CORS -----------------------------------------------------------------------------


@pytest.mark.django_db
def test_cors_allows_only_the_configured_origins(api_client, settings):
    settings.CORS_ALLOWED_ORIGINS = ["https://book.example.com"]
    allowed = api_client.options(
        "/api/bookings/",
        headers={
            "Origin": "https://book.example.com",
            "Access-Control-Request-Method": "POST",
        },
    )
    assert allowed.headers["Access-Control-Allow-Origin"] == "https://book.example.com"
    other = api_client.get("/api/services/", headers={"Origin": "https://evil.example"})
    assert "Access-Control-Allow-Origin" not in other.headers
