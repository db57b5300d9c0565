"""Races through the real API, with real threads and real transactions.

Every test here runs with `transaction=True`: a test wrapped in one
transaction would share one connection across threads and hide locking
mistakes. The control test proves the harness can see a double booking.
"""

import itertools
import json
import threading
import time
import urllib.error
import urllib.request
from datetime import timedelta
from wsgiref.simple_server import WSGIRequestHandler, make_server

import pytest
import time_machine
from django.core.handlers.wsgi import WSGIHandler
from django.db import connection, connections, transaction
from django.db.models import Count
from django.utils import timezone
from rest_framework.test import APIClient

from apps.availability.models import Availability
from apps.availability.tests.factories import AvailabilityFactory
from apps.bookings import services
from apps.bookings.models import ACTIVE_STATUSES, Booking, BookingEvent, BookingSlot
from apps.bookings.services import holds, locking, payment, transitions
from apps.bookings.tests.factories import StaffUserFactory, unpaid_booking
from apps.bookings.tests.test_services import assert_is_booked_invariant
from apps.bookings.tests.threads import in_threads
from apps.services.tests.factories import ServiceFactory
from apps.staff.tests.factories import StaffFactory
from common.db import write_transaction

Status = Booking.Status
pytestmark = pytest.mark.django_db(transaction=True)
CLIENTS_PER_SLOT = 16


@pytest.fixture
def catalogue():
    service = ServiceFactory(duration_minutes=60)
    staff = StaffFactory(services=[service])
    return service, staff


def new_slots(staff, count):
    return [AvailabilityFactory(staff=staff) for _ in range(count)]


def guest_payload(service, slot, index=0):
    return {
        "service": service.pk,
        "availability": slot.pk,
        "customer_name": f"Guest {index}",
        "customer_email": f"guest{index}@example.com",
        "customer_phone": f"+351 91{index:07d}",
    }


def staff_api(user):
    client = APIClient()
    client.force_authenticate(user)
    return client


def assert_consistent():
    """No slot with two active bookings; flags and events agree with statuses."""
    doubled = (
        Booking.objects.filter(status__in=ACTIVE_STATUSES)
        .values("availability")
        .annotate(n=Count("id"))
        .filter(n__gt=1)
    )
    assert list(doubled) == []
    assert_is_booked_invariant()
    for booking in Booking.objects.prefetch_related("events"):
        chain = [(e.from_status, e.to_status) for e in booking.events.all()]
        # Exactly one event per applied transition, each starting where the
        # previous one ended, and the last one is the booking's status.
        assert chain[0] == ("", Status.AWAITING_PAYMENT)
        for previous, current in itertools.pairwise(chain):
            assert current[0] == previous[1], chain
        assert chain[-1][1] == booking.status


# --- parallel creates -----------------------------------------------------------------


def test_parallel_creates_for_one_slot_give_one_booking(catalogue):
    service, staff = catalogue
    slots = new_slots(staff, 6)

    for slot in slots:
        responses = in_threads(
            CLIENTS_PER_SLOT,
            # Each guest from an address of its own, as on the internet.
            lambda i, slot=slot: APIClient().post(
                "/api/bookings/",
                guest_payload(service, slot, slot.pk * 100 + i),
                format="json",
                REMOTE_ADDR=f"10.{slot.pk % 250}.0.{i + 1}",
            ),
        )
        statuses = sorted(r.status_code for r in responses)
        assert statuses == [201] + [409] * (CLIENTS_PER_SLOT - 1)
        codes = {r.json()["code"] for r in responses if r.status_code == 409}
        assert codes == {"slot_unavailable"}
        winner = next(r.json() for r in responses if r.status_code == 201)
        assert Booking.objects.get(availability=slot).pk == winner["id"]

    assert Booking.objects.count() == len(slots)
    assert all(slot.is_booked for slot in Availability.objects.all())
    assert_consistent()


def test_parallel_creates_over_many_slots_book_each_once(catalogue):
    """Clients spread over a few slots at once: every slot is booked exactly once."""
    service, staff = catalogue
    slots = new_slots(staff, 4)
    responses = in_threads(
        CLIENTS_PER_SLOT * 2,
        lambda i: APIClient().post(
            "/api/bookings/",
            guest_payload(service, slots[i % len(slots)], i),
            format="json",
            REMOTE_ADDR=f"10.200.0.{i + 1}",
        ),
    )
    assert sorted(r.status_code for r in responses).count(201) == len(slots)
    assert {r.status_code for r in responses} == {201, 409}
    assert Booking.objects.count() == len(slots)
    assert_consistent()


# --- transitions racing each other ----------------------------------------------------


def booked(service, slot):
    return unpaid_booking(service, slot)


def test_verify_and_cancel_at_once_resolve_to_a_serial_order(catalogue):
    """Verify and cancel on one booking, released together, many times.

    The transitions table allows `confirmed -> cancelled`, so two serial
    orders exist, and every outcome must be exactly one of them:
    cancel first (verify refused, 409) or verify first then cancel (both 200).
    Never both applied to `awaiting_payment`, never a lost or doubled event.
    """
    service, staff = catalogue
    desk = StaffUserFactory()
    orders = set()
    for slot in new_slots(staff, 10):
        booking = booked(service, slot)
        verify, cancel = in_threads(
            2,
            lambda i, pk=booking.pk: staff_api(desk).post(
                f"/api/bookings/{pk}/{'verify-payment' if i == 0 else 'cancel'}/"
            ),
        )
        booking.refresh_from_db()
        events = list(booking.events.values_list("to_status", flat=True))
        if verify.status_code == 200:
            assert cancel.status_code == 200
            assert events == ["awaiting_payment", "confirmed", "cancelled"]
            assert booking.payment_verified_by == desk
            orders.add("verify, then cancel")
        else:
            assert verify.status_code == 409
            assert verify.json()["code"] == "invalid_transition"
            assert cancel.status_code == 200
            assert events == ["awaiting_payment", "cancelled"]
            assert booking.payment_verified_at is None
            orders.add("cancel first")
        assert booking.status == Status.CANCELLED
        assert not Availability.objects.get(pk=slot.pk).is_booked
    assert orders  # at least one order observed; which ones is up to the scheduler
    assert_consistent()


def test_a_transition_that_waited_for_a_lock_is_stamped_after_the_winner(catalogue):
    """Audit times follow the order transitions were applied, not requested.

    The cancel is requested while the verification holds the locks; it
    applies second, so its event and timestamps must come second.
    """
    service, staff = catalogue
    (slot,) = new_slots(staff, 1)
    booking = booked(service, slot)
    desk = StaffUserFactory()
    holding, cancel_requested = threading.Event(), threading.Event()

    def race(index):
        if index == 0:
            with write_transaction():
                locked = locking.lock_booking(booking.pk)
                holding.set()
                cancel_requested.wait(timeout=10)
                time.sleep(0.3)  # the cancel is now waiting for the lock
                payment.verify_payment_locked(
                    locked, actor=desk, source="staff", now=timezone.now()
                )
            return None
        holding.wait(timeout=10)
        cancel_requested.set()
        return services.booking_cancel(booking=booking, actor=desk)

    in_threads(2, race)

    booking.refresh_from_db()
    events = list(booking.events.values_list("to_status", "created_at"))
    assert [status for status, _ in events] == [
        Status.AWAITING_PAYMENT,
        Status.CONFIRMED,
        Status.CANCELLED,
    ]
    assert events[1][1] < events[2][1]
    assert booking.payment_verified_at < booking.updated_at


@pytest.mark.parametrize(
    ("start_status", "actions", "final_by_winner"),
    [
        (
            Status.AWAITING_PAYMENT,
            ("cancel", "cancel"),
            {"cancel": Status.CANCELLED},
        ),
        # Cancel is refused once the appointment started, complete before
        # (issue 28), so the two no longer race: two completes do.
        (
            Status.CONFIRMED,
            ("complete", "complete"),
            {"complete": Status.COMPLETED},
        ),
        (
            Status.AWAITING_PAYMENT,
            ("verify-payment", "verify-payment"),
            {"verify-payment": Status.CONFIRMED},
        ),
    ],
    ids=["cancel-vs-cancel", "complete-vs-complete", "verify-vs-verify"],
)
def test_exactly_one_of_two_exclusive_transitions_wins(
    catalogue, start_status, actions, final_by_winner
):

    service, staff = catalogue
    desk = StaffUserFactory()
    for slot in new_slots(staff, 8):
        booking = booked(service, slot)
        if start_status == Status.CONFIRMED:
            services.booking_verify_payment(booking=booking, actor=desk)
        events_before = booking.events.count()
        # Complete is accepted from the start; the others before it.
        moment = slot.start_time if "complete" in actions else None
        with time_machine.travel(moment or timezone.now(), tick=True):
            responses = in_threads(
                2,
                lambda i, pk=booking.pk: staff_api(desk).post(
                    f"/api/bookings/{pk}/{actions[i]}/"
                ),
            )
        statuses = [r.status_code for r in responses]
        assert sorted(statuses) == [200, 409], statuses
        assert responses[statuses.index(409)].json()["code"] == "invalid_transition"
        winner = actions[statuses.index(200)]
        booking.refresh_from_db()
        assert booking.status == final_by_winner[winner]
        assert booking.events.count() == events_before + 1
        assert Availability.objects.get(pk=slot.pk).is_booked == (
            booking.status in ACTIVE_STATUSES
        )
    assert_consistent()


def test_booking_racing_a_staff_delete_of_its_slot(catalogue):
    service, staff = catalogue
    desk = StaffUserFactory()
    outcomes = set()
    for slot in new_slots(staff, 10):
        create, delete = in_threads(
            2,
            lambda i, slot=slot: (
                APIClient().post(
                    "/api/bookings/", guest_payload(service, slot), format="json"
                )
                if i == 0
                else staff_api(desk).delete(f"/api/availability/{slot.pk}/")
            ),
        )
        if create.status_code == 201:
            assert delete.status_code == 409
            assert delete.json()["code"] == "slot_booked"
            assert Availability.objects.get(pk=slot.pk).is_booked
            outcomes.add("booked")
        else:
            assert delete.status_code == 204
            # Refused either at validation (the slot id no longer exists) or
            # under the lock (it vanished after validation): never a 500.
            assert create.status_code in (400, 409), create.content
            assert not Availability.objects.filter(pk=slot.pk).exists()
            outcomes.add("deleted")
    assert Booking.objects.count() == sum(
        1 for _ in Booking.objects.filter(status__in=ACTIVE_STATUSES)
    )
    assert outcomes
    assert_consistent()


# --- the control: the harness must be able to fail ------------------------------------

ONE_ACTIVE = next(
    c
    for c in Booking._meta.constraints
    if c.name == "booking_one_active_per_availability"
)


@pytest.fixture
def without_unique_constraint():
    """Take the database's double-booking guard away for the test's length."""
    with connection.schema_editor() as editor:
        editor.remove_constraint(Booking, ONE_ACTIVE)
    yield
    Booking.objects.all().delete()
    with connection.schema_editor() as editor:
        editor.add_constraint(Booking, ONE_ACTIVE)


def naive_check_then_insert(service, slot_id, index):
    """What a booking system without locks does: read, decide, write.

    Test-only, deliberately wrong. The sleep stands for the work a real
    request does between its check and its insert.
    """
    with transaction.atomic():
        slot = Availability.objects.get(pk=slot_id)  # no lock
        if slot.is_booked:
            return False
        time.sleep(0.02)
        Booking.objects.create(
            service=service,
            staff_id=slot.staff_id,
            availability=slot,
            customer_name=f"Guest {index}",
            customer_email=f"g{index}@example.com",
            customer_phone="912345678",
            amount_due=service.price,
            payment_expires_at=timezone.now() + timedelta(minutes=30),
        )
        Availability.objects.filter(pk=slot_id).update(is_booked=True)
        return True


def active_bookings_per_slot(slots):
    return [
        Booking.objects.filter(availability=slot, status__in=ACTIVE_STATUSES).count()
        for slot in slots
    ]


@pytest.mark.postgresql_only
def test_control_unlocked_path_double_books_where_the_real_one_does_not(
    catalogue, without_unique_constraint
):
    service, staff = catalogue

    naive_slots = new_slots(staff, 3)
    for slot in naive_slots:
        in_threads(
            CLIENTS_PER_SLOT,
            lambda i, pk=slot.pk: naive_check_then_insert(service, pk, i),
        )
    naive_counts = active_bookings_per_slot(naive_slots)
    assert max(naive_counts) >= 2, (
        f"the control never double-booked ({naive_counts}): the harness does not "
        "overlap requests, so the race tests below would prove nothing"
    )

    # The same load through the real API, with the constraint still removed:
    # the row lock alone keeps every slot to one booking.
    locked_slots = new_slots(staff, 3)
    for slot in locked_slots:
        responses = in_threads(
            CLIENTS_PER_SLOT,
            lambda i, slot=slot: APIClient().post(
                "/api/bookings/", guest_payload(service, slot, i), format="json"
            ),
        )
        assert sorted(r.status_code for r in responses).count(201) == 1
    assert active_bookings_per_slot(locked_slots) == [1, 1, 1]


# --- bounded lock waits ---------------------------------------------------------------


@pytest.mark.postgresql_only
@pytest.mark.django_db(transaction=True)
def test_every_transaction_opens_with_the_lock_timeout_and_no_session_keeps_it(
    settings,
):
    # SET LOCAL as each transaction begins (common.postgresql), never on the
    # session: behind PgBouncer in transaction mode the next transaction may
    # run on another server connection, and this one may serve another client.
    def lock_timeout():
        with connection.cursor() as cursor:
            cursor.execute("SHOW lock_timeout")
            return cursor.fetchone()[0]

    assert lock_timeout() == "0"
    with transaction.atomic():
        assert lock_timeout() == f"{settings.BOOKING_LOCK_TIMEOUT_SECONDS}s"
    assert lock_timeout() == "0"
    settings.BOOKING_LOCK_TIMEOUT_SECONDS = 1
    with transaction.atomic():
        assert lock_timeout() == "1s"


@pytest.mark.postgresql_only
def test_a_request_that_cannot_get_its_lock_gets_503_not_a_hang(catalogue, settings):
    # The configured timeout (3 s by default), as a worker's connection has it.
    timeout = settings.BOOKING_LOCK_TIMEOUT_SECONDS
    service, staff = catalogue
    (slot,) = new_slots(staff, 1)
    holding, release = threading.Event(), threading.Event()
    # The tests' OpenAPI validator loads the schema on its first response (a
    # few seconds when this test runs alone); that is not the request's time.
    assert APIClient().get("/api/health/").status_code == 200

    def hold_slot_lock(index):
        if index == 0:
            with transaction.atomic():
                list(Availability.objects.select_for_update().filter(pk=slot.pk))
                holding.set()
                release.wait(timeout=20)
            return None
        holding.wait(timeout=10)
        started = time.monotonic()
        try:
            response = APIClient().post(
                "/api/bookings/", guest_payload(service, slot), format="json"
            )
        finally:
            release.set()
        return response, time.monotonic() - started

    _, (response, elapsed) = in_threads(2, hold_slot_lock)

    assert response.status_code == 503
    assert response.json()["code"] == "lock_timeout"
    assert response.headers["Retry-After"] == "2"
    assert timeout - 0.1 < elapsed < timeout + 2
    assert not Booking.objects.exists()
    # Once the lock is released the same request goes through.
    response = APIClient().post(
        "/api/bookings/", guest_payload(service, slot), format="json"
    )
    assert response.status_code == 201


@pytest.mark.postgresql_only
def test_staff_transition_waiting_on_a_lock_also_times_out(catalogue):
    service, staff = catalogue
    (slot,) = new_slots(staff, 1)
    booking = booked(service, slot)
    desk = StaffUserFactory()
    holding, release = threading.Event(), threading.Event()

    def race(index):
        if index == 0:
            with transaction.atomic():
                list(Booking.objects.select_for_update().filter(pk=booking.pk))
                holding.set()
                release.wait(timeout=20)
            return None
        holding.wait(timeout=10)
        try:
            return staff_api(desk).post(f"/api/bookings/{booking.pk}/verify-payment/")
        finally:
            release.set()

    _, response = in_threads(2, race)
    assert response.status_code == 503
    assert response.json()["code"] == "lock_timeout"
    booking.refresh_from_db()
    assert booking.status == Status.AWAITING_PAYMENT
    assert booking.events.count() == 1


# --- no partial writes ----------------------------------------------------------------


def failing(name):
    def fail(*args, **kwargs):
        raise RuntimeError(f"injected failure in {name}")

    return fail


def test_a_failure_between_booking_insert_and_slot_update_rolls_back_both(
    catalogue, monkeypatch
):
    service, staff = catalogue
    (slot,) = new_slots(staff, 1)
    # After the booking and its holds are inserted, before the slot flags; on
    # PostgreSQL one statement writes both (issue 35), so right after it.
    if connection.vendor == "postgresql":
        take = holds._take_in_one_statement

        def take_then_fail(*args, **kwargs):
            take(*args, **kwargs)
            failing("after the holds and flags")()

        monkeypatch.setattr(holds, "_take_in_one_statement", take_then_fail)
    else:
        monkeypatch.setattr(
            holds, "availabilities_set_booked", failing("availabilities_set_booked")
        )
    client = APIClient(raise_request_exception=False)

    response = client.post(
        "/api/bookings/", guest_payload(service, slot), format="json"
    )

    assert response.status_code == 500
    assert response.json() == {
        "code": "server_error",
        "detail": "Something went wrong on our side.",
    }
    assert "Traceback" not in response.content.decode()
    assert not Booking.objects.exists()
    assert not BookingEvent.objects.exists()
    assert not BookingSlot.objects.exists()
    assert not Availability.objects.get(pk=slot.pk).is_booked


@pytest.mark.parametrize(
    ("action", "start_status", "point"),
    [
        ("verify-payment", Status.AWAITING_PAYMENT, "record_event"),
        ("cancel", Status.CONFIRMED, "record_event"),
        ("cancel", Status.AWAITING_PAYMENT, "release_slots"),
        ("complete", Status.CONFIRMED, "record_event"),
    ],
)
def test_a_failure_inside_a_transition_changes_nothing(
    catalogue, monkeypatch, action, start_status, point
):
    service, staff = catalogue
    (slot,) = new_slots(staff, 1)
    booking = booked(service, slot)
    desk = StaffUserFactory()
    if start_status == Status.CONFIRMED:
        services.booking_verify_payment(booking=booking, actor=desk)
    before = Booking.objects.values().get(pk=booking.pk)
    events = booking.events.count()
    # Verifying records its event in the module it shares with desk payments.
    module = payment if action == "verify-payment" else transitions
    monkeypatch.setattr(module, point, failing(point))
    client = APIClient(raise_request_exception=False)
    client.force_authenticate(desk)

    moment = slot.start_time if action == "complete" else timezone.now()
    with time_machine.travel(moment, tick=True):
        response = client.post(f"/api/bookings/{booking.pk}/{action}/")

    assert response.status_code == 500
    assert Booking.objects.values().get(pk=booking.pk) == before
    assert booking.events.count() == events
    assert Availability.objects.get(pk=slot.pk).is_booked


def test_a_failure_in_the_expiry_job_changes_nothing_of_its_batch(
    catalogue, monkeypatch
):
    service, staff = catalogue
    (slot,) = new_slots(staff, 1)
    booking = unpaid_booking(service, slot, now=timezone.now() - timedelta(hours=1))
    monkeypatch.setattr(
        BookingEvent.objects, "bulk_create", failing("BookingEvent.bulk_create")
    )
    with pytest.raises(RuntimeError):
        services.bookings_expire_unpaid()
    booking.refresh_from_db()
    assert booking.status == Status.AWAITING_PAYMENT
    assert Availability.objects.get(pk=slot.pk).is_booked


# --- the database briefly unavailable -------------------------------------------------


class QuietHandler(WSGIRequestHandler):
    def log_message(self, *args):
        pass


@pytest.fixture
def live_server_url():
    """The real WSGI app behind a real HTTP server, as in production.

    The test client skips Django's per-request connection housekeeping; a
    real server runs it, and that is what recovery after an outage relies on.
    """
    server = make_server("127.0.0.1", 0, WSGIHandler(), handler_class=QuietHandler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}"
    server.shutdown()
    server.server_close()
    thread.join(timeout=10)
    # The server thread's persistent connection outlives it; end it so the
    # test database can be dropped.
    terminate_other_sessions()


def terminate_other_sessions():
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                "WHERE datname = current_database() AND pid <> pg_backend_pid()"
            )


def http_get(url):
    try:
        with urllib.request.urlopen(url, timeout=30) as response:
            return response.status, dict(response.headers), json.loads(response.read())
    except urllib.error.HTTPError as error:
        return error.code, dict(error.headers), json.loads(error.read())


def break_database(settings_dict):
    """Make new connections fail, and cut the ones that are open."""
    if connection.vendor == "postgresql":
        terminate_other_sessions()
        settings_dict["PORT"] = "1"
    else:
        settings_dict["NAME"] = "/nonexistent-directory/unavailable.sqlite3"


def test_api_answers_503_while_the_database_is_down_and_recovers(
    catalogue, live_server_url
):
    url = f"{live_server_url}/api/services/"
    status, _, body = http_get(url)
    assert status == 200 and body["count"] == 1

    settings_dict = connections.settings["default"]
    saved = dict(settings_dict)
    try:
        break_database(settings_dict)
        status, headers, body = http_get(url)
        assert status == 503
        assert body["code"] == "database_unavailable"
        assert headers["Retry-After"] == "1"  # measured: docs/reliability.md
        assert "Traceback" not in json.dumps(body)
    finally:
        settings_dict.update(saved)

    # Back up: the same server process answers again, no restart.
    status, _, body = http_get(url)
    assert status == 200 and body["count"] == 1
