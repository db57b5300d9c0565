"""Idempotency keys: answers that commit with the booking, locks that die with
their transaction, and keys that belong to the client that sent them."""

import logging
import threading

import psycopg
import pytest
from django.db import OperationalError, connection, connections
from rest_framework.test import APIClient

from apps.bookings import services, views
from apps.bookings.models import Booking, IdempotencyKey


def book(client, payload, key, **extra):
    return client.post(
        "/api/bookings/",
        payload,
        format="json",
        headers={"Idempotency-Key": key},
        **extra,
    )


@pytest.fixture
def slow_create(monkeypatch):
    """Hold the first booking_create inside its transaction until released."""
    entered, release = threading.Event(), threading.Event()
    original = services.booking_create

    def held(**kwargs):
        booking = original(**kwargs)
        entered.set()
        assert release.wait(10)
        return booking

    monkeypatch.setattr(services, "booking_create", held)
    return entered, release


@pytest.mark.django_db(transaction=True)
def test_a_retry_while_the_first_request_runs_never_books_twice(
    guest_payload, slow_create
):
    """PostgreSQL tells the retry at once (409 request_in_progress, Retry-After:
    1); SQLite's single writer makes it wait and replay the first answer."""
    entered, release = slow_create
    first, retry = {}, {}

    def send(into):
        into["response"] = book(APIClient(), guest_payload, "k-running")
        connections.close_all()

    first_thread = threading.Thread(target=send, args=(first,))
    first_thread.start()
    assert entered.wait(10)
    retry_thread = threading.Thread(target=send, args=(retry,))
    retry_thread.start()
    if connection.vendor == "postgresql":
        retry_thread.join(5)
        assert retry["response"].status_code == 409
        assert retry["response"].json()["code"] == "request_in_progress"
        assert retry["response"].headers["Retry-After"] == "1"
    release.set()
    first_thread.join(10)
    retry_thread.join(10)
    assert first["response"].status_code == 201
    booking_id = first["response"].json()["id"]
    if connection.vendor == "sqlite":
        assert retry["response"].status_code == 201
        assert retry["response"].headers["Idempotent-Replayed"] == "true"
        assert retry["response"].json()["id"] == booking_id
    again = book(APIClient(), guest_payload, "k-running")
    assert (again.status_code, again.json()["id"]) == (201, booking_id)
    assert again.headers["Idempotent-Replayed"] == "true"
    assert list(Booking.objects.values_list("pk", flat=True)) == [booking_id]


@pytest.mark.django_db(transaction=True)
def test_the_answer_commits_with_the_booking_or_not_at_all(guest_payload, monkeypatch):
    """A failure after the booking's insert leaves neither booking nor key."""

    def fail_after_booking(*args, **kwargs):
        raise OperationalError("the connection was lost after the insert")

    # The 201 body is built after the insert (issue 35: a plain dict).
    monkeypatch.setattr(views, "booking_body", fail_after_booking)
    response = book(APIClient(), guest_payload, "k-atomic")
    assert response.status_code == 503
    assert not Booking.objects.exists()
    assert not IdempotencyKey.objects.exists()
    monkeypatch.undo()
    retry = book(APIClient(), guest_payload, "k-atomic")
    assert retry.status_code == 201
    assert "Idempotent-Replayed" not in retry.headers
    key = IdempotencyKey.objects.get()
    assert key.booking_id == retry.json()["id"] == Booking.objects.get().pk
    assert key.response_status == 201


@pytest.mark.django_db(transaction=True)
def test_a_database_outage_is_a_clean_503_and_frees_the_key_at_once(
    guest_payload, monkeypatch, caplog
):
    """The database goes away in the middle of the create: 503 with a short
    Retry-After, no traceback, nothing written, and once it is back the
    retry books at once (no key left "in progress")."""
    settings_dict = connections.settings["default"]
    saved = dict(settings_dict)
    original = services.booking_create

    def database_goes_down(**kwargs):
        if connection.vendor == "postgresql":
            with connections["default"].cursor() as cursor:
                cursor.execute("SELECT pg_backend_pid()")
                backend = cursor.fetchone()[0]
            settings_dict["PORT"] = "1"  # and it does not come back yet
            with psycopg.connect(
                host=saved["HOST"],
                port=saved["PORT"],
                user=saved["USER"],
                password=saved["PASSWORD"],
                dbname=saved["NAME"],
                autocommit=True,
            ) as killer:
                killer.execute("SELECT pg_terminate_backend(%s)", [backend])
            return original(**kwargs)
        settings_dict["NAME"] = "/nonexistent-directory/db.sqlite3"
        raise OperationalError("disk I/O error")

    monkeypatch.setattr(services, "booking_create", database_goes_down)
    caplog.set_level(logging.INFO)
    try:
        response = book(APIClient(), guest_payload, "k-outage")
    finally:
        connections["default"].close()
        settings_dict.update(saved)
    assert response.status_code == 503
    assert response.json()["code"] == "database_unavailable"
    assert response.headers["Retry-After"] == "1"
    assert [r for r in caplog.records if r.exc_info] == []
    assert not Booking.objects.exists()
    monkeypatch.setattr(services, "booking_create", original)
    retry = book(APIClient(), guest_payload, "k-outage")
    assert retry.status_code == 201
    assert Booking.objects.get().pk == retry.json()["id"]


# --- keys belong to their client ------------------------------------------------------


@pytest.mark.django_db
def test_a_key_replayed_by_another_client_gets_no_stored_answer(guest_payload):
    first = book(APIClient(REMOTE_ADDR="10.0.0.1"), guest_payload, "k-owned")
    assert first.status_code == 201
    stolen = book(APIClient(REMOTE_ADDR="10.0.0.2"), guest_payload, "k-owned")
    other_body = book(
        APIClient(REMOTE_ADDR="10.0.0.1"),
        {**guest_payload, "customer_name": "Someone else"},
        "k-owned",
    )
    # The same refusal as for a reused key: nothing about the first request.
    assert stolen.status_code == other_body.status_code == 422
    assert stolen.json() == other_body.json()
    assert stolen.json()["code"] == "idempotency_key_reused"
    assert first.json()["reference"] not in stolen.content.decode()
    assert "Idempotent-Replayed" not in stolen.headers
    owner = book(APIClient(REMOTE_ADDR="10.0.0.1"), guest_payload, "k-owned")
    assert owner.json() == first.json()
    assert Booking.objects.count() == 1


@pytest.mark.django_db
def test_only_a_keyed_hash_of_the_client_address_is_stored(guest_payload):
    book(APIClient(REMOTE_ADDR="203.0.113.77"), guest_payload, "k-private")
    stored = IdempotencyKey.objects.values().get()
    assert "203.0.113.77" not in repr(stored)
    assert len(stored["client_fingerprint"]) == 32


@pytest.mark.django_db
def test_behind_a_proxy_clients_are_told_apart_by_x_forwarded_for(
    guest_payload, settings
):
    settings.REST_FRAMEWORK = {**settings.REST_FRAMEWORK, "NUM_PROXIES": 1}

    def via_proxy(client_address):
        return APIClient(REMOTE_ADDR="10.0.0.254", HTTP_X_FORWARDED_FOR=client_address)

    first = book(via_proxy("198.51.100.1"), guest_payload, "k-proxy")
    assert first.status_code == 201
    assert book(via_proxy("198.51.100.2"), guest_payload, "k-proxy").status_code == 422
    replay = book(via_proxy("198.51.100.1"), guest_payload, "k-proxy")
    assert replay.headers["Idempotent-Replayed"] == "true"


@pytest.mark.django_db
def test_without_a_trusted_proxy_a_forged_x_forwarded_for_changes_nothing(
    guest_payload,
):
    owner = APIClient(REMOTE_ADDR="10.0.0.1", HTTP_X_FORWARDED_FOR="192.0.2.1")
    assert book(owner, guest_payload, "k-forged").status_code == 201
    forger = APIClient(REMOTE_ADDR="10.0.0.2", HTTP_X_FORWARDED_FOR="192.0.2.1")
    assert book(forger, guest_payload, "k-forged").status_code == 422


@pytest.mark.django_db
def test_an_ipv6_client_keeps_its_key_across_addresses_of_its_64(guest_payload):
    first = book(APIClient(REMOTE_ADDR="2001:db8:1:2::10"), guest_payload, "k-v6")
    same_64 = book(
        APIClient(REMOTE_ADDR="2001:db8:1:2:aaaa::99"), guest_payload, "k-v6"
    )
    other_64 = book(APIClient(REMOTE_ADDR="2001:db8:1:3::10"), guest_payload, "k-v6")
    assert first.status_code == same_64.status_code == 201
    assert same_64.json() == first.json()
    assert other_64.status_code == 422
