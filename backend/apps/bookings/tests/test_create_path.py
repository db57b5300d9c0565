"""The lean booking create: ids checked once, a clash redone whole, few statements."""

import itertools
from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from rest_framework.test import APIClient

from apps.availability.tests.factories import AvailabilityFactory
from apps.bookings import idempotency, services
from apps.bookings.models import Booking, BookingEvent, IdempotencyKey
from apps.bookings.services import create
from apps.business.selectors import business_settings
from apps.notifications.models import Notification
from apps.services.tests.factories import ServiceFactory
from apps.staff.tests.factories import StaffFactory
from common.db import ClashingInsert, run_write_transaction
from common.exceptions import LockTimeout


def book(client, payload, **headers):
    return client.post("/api/bookings/", payload, format="json", headers=headers)


# --- ids ------------------------------------------------------------------------------


@pytest.mark.django_db
@pytest.mark.parametrize("field", ["service", "availability", "staff"])
def test_an_unknown_id_is_a_field_error_and_writes_nothing(
    api_client, guest_payload, field
):
    response = book(api_client, {**guest_payload, field: 999999})
    assert response.status_code == 400
    # The same body a serializer's field error has: the generic detail, the
    # specifics under `errors`.
    assert response.json() == {
        "code": "invalid",
        "detail": "The request has invalid fields.",
        "errors": {field: ['Invalid pk "999999" - object does not exist.']},
    }
    assert not Booking.objects.exists()
    assert not Notification.objects.exists()


@pytest.mark.django_db
def test_a_service_the_slots_staff_member_does_not_offer_is_refused(
    api_client, guest_payload
):
    other = ServiceFactory()
    response = book(api_client, {**guest_payload, "service": other.pk})
    assert response.status_code == 400
    assert response.json()["code"] == "service_not_offered"
    assert not Booking.objects.exists()


@pytest.mark.django_db
def test_another_staff_members_id_is_a_mismatch(api_client, guest_payload, service):
    other = StaffFactory(services=[service])
    response = book(api_client, {**guest_payload, "staff": other.pk})
    assert response.status_code == 400
    assert response.json()["code"] == "staff_mismatch"
    response = book(api_client, {**guest_payload, "staff": guest_payload["staff"]})
    assert response.status_code == 201


@pytest.fixture
def guest_payload(guest_payload, slot):
    return {**guest_payload, "staff": slot.staff_id}


# --- a clash redoes the whole transaction -------------------------------------------


@pytest.fixture
def first_reference_taken(monkeypatch, service, staff_member):
    """The next booking draws a reference already in use, then a fresh one."""
    taken = services.booking_create(
        service_id=service.pk,
        availability_id=_new_slot(staff_member).pk,
        customer_name="First",
        customer_email="first@example.com",
        customer_phone="+351 912 000 001",
        source="staff",
    ).reference
    draws = itertools.chain([taken], iter(["FRESH234", "FRESH567"]))
    monkeypatch.setattr(create, "generate_reference", lambda: next(draws))
    return taken


def _new_slot(staff_member):
    return AvailabilityFactory(staff=staff_member)


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("keyed", [False, True], ids=["without key", "with key"])
def test_a_reference_drawn_twice_is_redrawn_in_a_fresh_transaction(
    guest_payload, first_reference_taken, keyed
):
    headers = {"Idempotency-Key": "clash-1"} if keyed else {}
    response = book(APIClient(), guest_payload, **headers)

    assert response.status_code == 201, response.content
    assert response.json()["reference"] == "FRESH234"
    booking = Booking.objects.get(reference="FRESH234")
    # The aborted attempt left nothing behind: one of each row, not two.
    assert BookingEvent.objects.filter(booking=booking).count() == 1
    assert Notification.objects.filter(booking=booking).count() == 1
    assert Booking.objects.filter(availability=booking.availability).count() == 1
    assert IdempotencyKey.objects.count() == (1 if keyed else 0)


@pytest.mark.django_db(transaction=True)
def test_a_write_that_clashes_every_time_ends_in_its_exhausted_answer():
    """A redo that never settles (the service-day cap's NearDayLimit) gives
    the error it names, a 503 the guest may retry, not a 500."""
    attempts = []

    def work():
        attempts.append(Booking.objects.count())
        raise ClashingInsert(exhausted=LockTimeout())

    with pytest.raises(LockTimeout):
        run_write_transaction(work)
    assert len(attempts) == 3


@pytest.mark.django_db(transaction=True)
def test_a_key_stored_after_the_lookup_is_replayed_not_run_twice(
    guest_payload, monkeypatch
):
    """The lock and the lookup share one statement, whose snapshot predates
    the lock: a request committing the key in between is not seen. Its insert
    clash redoes the transaction, which then replays the stored answer."""
    client = APIClient()
    first = book(client, guest_payload, **{"Idempotency-Key": "late-1"})
    assert first.status_code == 201
    real_lookup = idempotency._lock_and_look_up
    lookups = []

    def stale_first_lookup(key):
        lookups.append(key)
        locked, stored = real_lookup(key)
        return (locked, None) if len(lookups) == 1 else (locked, stored)

    monkeypatch.setattr(idempotency, "_lock_and_look_up", stale_first_lookup)

    retry = book(client, guest_payload, **{"Idempotency-Key": "late-1"})

    assert len(lookups) == 2
    assert (retry.status_code, retry.json()) == (201, first.json())
    assert retry.headers["Idempotent-Replayed"] == "true"
    assert Booking.objects.count() == 1
    assert IdempotencyKey.objects.count() == 1


# --- statements ----------------------------------------------------------------------


def _statements_of_create(payload, **headers):
    # Everything the request runs: the throttle's counter, the view's and the
    # domain layer's statements. The business settings are read once per
    # process every BUSINESS_SETTINGS_CACHE_SECONDS, not per booking: warm,
    # as a running server is.
    business_settings()
    with CaptureQueriesContext(connection) as captured:
        response = book(APIClient(), payload, **headers)
    assert response.status_code == 201, response.content
    return [query["sql"] for query in captured]


# PostgreSQL takes the slots' holds and flags them in one statement (a
# data-modifying CTE, bookings.services.holds); SQLite needs two.
_BUDGET = 10 if connection.vendor == "postgresql" else 11


@pytest.mark.django_db(transaction=True)
def test_a_create_costs_a_fixed_handful_of_statements(guest_payload, staff_member):
    """The throttle's upsert, BEGIN, the slots' lock (with their staff member,
    the service and, on PostgreSQL, the client's lock), the limits' count, the
    booking, its slots' holds, the slots' flags, the audit event, the email
    (a snapshot: issue 35 moved the hourly cap's count to the sender), the
    webhook endpoints' read (issue 31: a message per subscribed endpoint is
    written with the booking), COMMIT; a key adds its lock-and-lookup and its
    insert. The budget of issue 17 was 10 and 12; the webhooks' outbox adds
    one, and the holds' insert (issue 27: the database's one-active-booking
    guarantee over every slot a booking takes) one more; issue 35 takes the cap's
    count out, and on PostgreSQL the holds' insert and the flags' update are
    one statement: 10 and 12 again (scripts/bench/profile_create.py)."""
    without_key = _statements_of_create(guest_payload)
    keyed_payload = {**guest_payload, "availability": _new_slot(staff_member).pk}
    with_key = _statements_of_create(keyed_payload, **{"Idempotency-Key": "count-1"})

    assert len(without_key) == _BUDGET, "\n".join(without_key)
    assert len(with_key) == _BUDGET + 2, "\n".join(with_key)
    # The email is written, not rendered nor counted: no read of the outbox.
    assert not any('FROM "notifications_notification"' in sql for sql in without_key)
    assert any('FROM "webhooks_webhookendpoint"' in sql for sql in without_key)
    assert any('INSERT INTO "bookings_bookingslot"' in sql for sql in without_key)
    assert without_key[0].startswith('INSERT INTO "ratelimits_counter"')
    assert not any("SAVEPOINT" in sql for sql in without_key + with_key)
    # The lock timeout rides in the transaction's own BEGIN (one simple query,
    # common.postgresql), so PgBouncer's transaction pooling costs no statement.
    if connection.vendor == "postgresql":
        begins = [sql for sql in without_key if sql.startswith("BEGIN")]
        assert begins == ["BEGIN; SET LOCAL lock_timeout = '3000ms'"]
        assert sum("lock_timeout" in sql for sql in with_key) == 1


@pytest.mark.django_db(transaction=True)
def test_a_booking_of_three_slots_costs_what_one_of_one_slot_costs(guest_payload):
    """A 45-minute service on a 15-minute grid: the three slots are locked in
    the one lock statement, held in one insert and flagged in one update."""
    service = ServiceFactory(duration_minutes=45)
    member = StaffFactory(services=[service])
    start = AvailabilityFactory(staff=member).start_time
    grid = [
        AvailabilityFactory(
            staff=member,
            start_time=start + timedelta(days=30, minutes=15 * step),
            end_time=start + timedelta(days=30, minutes=15 * (step + 1)),
        )
        for step in range(3)
    ]
    payload = {
        **guest_payload,
        "service": service.pk,
        "staff": member.pk,
        "availability": grid[0].pk,
    }

    statements = _statements_of_create(payload)

    assert len(statements) == _BUDGET, "\n".join(statements)
    booking = Booking.objects.get()
    assert sorted(booking.slot_holds.values_list("availability_id", flat=True)) == [
        slot.pk for slot in grid
    ]


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("keyed", [False, True], ids=["without key", "with key"])
def test_a_stale_slot_flag_is_a_409_through_the_api(guest_payload, slot, keyed):
    """The one-active-booking constraint catches a slot whose flag went stale:
    the transaction rolls back and the guest is told the slot is taken."""
    assert book(APIClient(), guest_payload).status_code == 201
    slot.__class__.objects.filter(pk=slot.pk).update(is_booked=False)
    headers = {"Idempotency-Key": "stale-1"} if keyed else {}
    response = book(
        APIClient(), {**guest_payload, "customer_email": "b@example.com"}, **headers
    )
    assert response.status_code == 409
    assert response.json()["code"] == "slot_unavailable"
    assert Booking.objects.count() == 1
    assert not IdempotencyKey.objects.exists()
