"""The app behind Debian's PgBouncer in `pool_mode = transaction` (issue 33).

Each test starts a real pgbouncer on a free loopback port (the `pgbouncer`
fixture, backend/conftest.py) and sends this test's Django connection
through it (`through_pgbouncer`). Transaction pooling hands each transaction
whatever server connection is free, so anything kept on a session (a `SET`,
an advisory lock, a `WITH HOLD` cursor, a prepared statement) is lost or
leaks to another client. The lock timeout is therefore set per transaction
(common.postgresql), and these tests prove it holds through the pooler and
that the booking flows leave nothing on the server connection.
"""

import threading
import time
from contextlib import contextmanager
from datetime import timedelta

import psycopg
import pytest
from django.core.management import call_command
from django.db import DatabaseError, connection, transaction
from django.utils import timezone
from rest_framework.test import APIClient

from apps.availability.tests.factories import AvailabilityFactory
from apps.bookings.models import Booking
from apps.bookings.tests.factories import StaffUserFactory, unpaid_booking
from apps.exports import selectors as export_selectors
from apps.services.tests.factories import ServiceFactory
from apps.staff.tests.factories import StaffFactory

pytestmark = [pytest.mark.topology, pytest.mark.django_db(transaction=True)]

# Parameters PgBouncer itself tracks per client and sets on the server
# connection it hands over (its "varcache"): a SET of these is safe.
TRACKED_BY_PGBOUNCER = {
    "client_encoding",
    "DateStyle",
    "TimeZone",
    "standard_conforming_strings",
    "application_name",
    "IntervalStyle",
}


def direct_url():
    """The test database, straight to PostgreSQL (as migrations connect)."""
    database = connection.settings_dict
    return (
        f"postgres://{database['USER'] or 'postgres'}@{database['HOST']}:"
        f"{database['PORT'] or 5432}/{database['NAME']}"
    )


def guest(service, slot, index=0):
    return {
        "service": service.pk,
        "availability": slot.pk,
        "customer_name": f"Guest {index}",
        "customer_email": f"guest{index}@example.com",
        "customer_phone": f"+351 91{index:07d}",
    }


@pytest.fixture
def pgbouncer_factory(topology, tmp_path, transactional_db):
    """Starts Debian's pgbouncer (transaction mode) on a free loopback port in
    front of the tests' PostgreSQL server; stops it after the test."""
    started = []

    def start(name="pgbouncer", **options):
        database = connection.settings_dict
        bouncer = topology.PgBouncer(
            tmp_path / name,
            pg_host=database["HOST"] or "127.0.0.1",
            pg_port=int(database["PORT"] or 5432),
            users=(database["USER"] or "postgres",),
            **options,
        )
        started.append(bouncer.start())
        return bouncer

    yield start
    for bouncer in started:
        bouncer.stop()


@contextmanager
def django_through(bouncer):
    """This thread's Django connection goes through `bouncer` (the test
    database is still created, migrated and flushed directly)."""
    database = connection.settings_dict
    direct = database["HOST"], database["PORT"]
    connection.close()
    database["HOST"], database["PORT"] = "127.0.0.1", str(bouncer.port)
    try:
        yield bouncer
    finally:
        connection.close()
        database["HOST"], database["PORT"] = direct


@pytest.fixture
def pgbouncer(pgbouncer_factory):
    return pgbouncer_factory()


@pytest.fixture
def through_pgbouncer(pgbouncer):
    with django_through(pgbouncer):
        yield pgbouncer


@pytest.fixture
def one_server_connection(pgbouncer_factory):
    """A pgbouncer whose pool holds one server connection, and this test's
    Django connection through it: every client shares that connection, so
    whatever a flow leaves on it, the next client finds."""
    with django_through(pgbouncer_factory("pool-of-one", pool_size=1)) as bouncer:
        yield bouncer


@pytest.fixture
def catalogue():
    service = ServiceFactory(duration_minutes=60)
    return service, StaffFactory(services=[service])


# --- the lock timeout ---------------------------------------------------------------


def test_a_held_slot_lock_answers_503_with_retry_after_through_pgbouncer(
    through_pgbouncer, catalogue, settings
):
    service, staff = catalogue
    slot = AvailabilityFactory(staff=staff)
    direct = direct_url()
    holding, release = threading.Event(), threading.Event()

    def hold_slot_lock():
        # Another transaction (straight to PostgreSQL) holds the slot's row.
        with psycopg.connect(direct) as conn:
            conn.execute(
                "SELECT 1 FROM availability_availability WHERE id = %s FOR UPDATE",
                [slot.pk],
            )
            holding.set()
            release.wait(timeout=30)

    # The tests' OpenAPI validator loads the schema on its first response;
    # that is not the request's time.
    assert APIClient().get("/api/health/").status_code == 200
    holder = threading.Thread(target=hold_slot_lock)
    holder.start()
    try:
        assert holding.wait(timeout=10)
        started = time.monotonic()
        response = APIClient().post("/api/bookings/", guest(service, slot))
        elapsed = time.monotonic() - started
    finally:
        release.set()
        holder.join()

    assert response.status_code == 503, response.content
    assert response.json()["code"] == "lock_timeout"
    assert response.headers["Retry-After"] == "2"
    timeout = settings.BOOKING_LOCK_TIMEOUT_SECONDS
    assert timeout - 0.1 < elapsed < 5
    assert not Booking.objects.exists()
    # The lock released, the same request books the slot, still pooled.
    response = APIClient().post("/api/bookings/", guest(service, slot))
    assert response.status_code == 201


def test_without_the_fix_every_request_fails_or_the_timeout_is_lost(
    through_pgbouncer, pgbouncer_factory, catalogue
):
    """The control: the lock timeout as it was set before issue 33, in the
    connection's startup packet (`options=-c lock_timeout=3000ms`)."""
    service, staff = catalogue
    slot = AvailabilityFactory(staff=staff)
    old_options = "-c lock_timeout=3000ms"

    # PgBouncer refuses the startup parameter, so every request that touches
    # the database answers 503 database_unavailable.
    connection.close()
    connection.settings_dict["OPTIONS"]["options"] = old_options
    try:
        response = APIClient().post("/api/bookings/", guest(service, slot))
    finally:
        del connection.settings_dict["OPTIONS"]["options"]
        connection.close()
    assert response.status_code == 503
    assert response.json()["code"] == "database_unavailable"
    with pytest.raises(psycopg.OperationalError, match="unsupported startup"):
        psycopg.connect(through_pgbouncer.url("postgres"), options=old_options)

    # Told to ignore it, PgBouncer connects, and the timeout silently goes:
    # a write waiting on a held lock would wait for as long as it is held.
    ignoring = pgbouncer_factory(
        "ignoring", extra="ignore_startup_parameters = options"
    )
    url = ignoring.url(connection.settings_dict["NAME"])
    with psycopg.connect(url, options=old_options) as conn:
        assert conn.execute("SHOW lock_timeout").fetchone()[0] == "0"


def test_every_transaction_through_pgbouncer_has_the_lock_timeout(
    through_pgbouncer, settings
):
    def lock_timeout():
        with connection.cursor() as cursor:
            cursor.execute("SHOW lock_timeout")
            return cursor.fetchone()[0]

    for _ in range(3):
        with transaction.atomic():
            assert lock_timeout() == f"{settings.BOOKING_LOCK_TIMEOUT_SECONDS}s"
        # Nothing is left on the server connection for the next client.
        assert lock_timeout() == "0"


# --- no session state ---------------------------------------------------------------


def session_state(conn):
    """What a server connection keeps beyond a transaction, read on it."""
    rows = conn.execute(
        "SELECT name FROM pg_settings WHERE source = 'session'"
    ).fetchall()
    return {
        "settings": sorted({name for (name,) in rows} - TRACKED_BY_PGBOUNCER),
        "advisory_locks": conn.execute(
            "SELECT count(*) FROM pg_locks"
            " WHERE locktype = 'advisory' AND pid = pg_backend_pid()"
        ).fetchone()[0],
        "cursors": conn.execute("SELECT count(*) FROM pg_cursors").fetchone()[0],
        "prepared": conn.execute(
            "SELECT count(*) FROM pg_prepared_statements"
        ).fetchone()[0],
        "temp_tables": conn.execute(
            "SELECT count(*) FROM pg_class WHERE relnamespace = pg_my_temp_schema()"
        ).fetchone()[0],
        "listening": conn.execute(
            "SELECT count(*) FROM pg_listening_channels()"
        ).fetchone()[0],
    }


CLEAN = {
    "settings": [],
    "advisory_locks": 0,
    "cursors": 0,
    "prepared": 0,
    "temp_tables": 0,
    "listening": 0,
}


def test_the_booking_flows_leave_no_session_state(one_server_connection, catalogue):
    service, staff = catalogue
    slots = [AvailabilityFactory(staff=staff) for _ in range(3)]
    guest_client, desk = APIClient(), APIClient()
    desk.force_authenticate(StaffUserFactory(role="manager"))

    # A guest books (with a key: its transaction-scoped advisory lock), looks
    # the booking up, and books again; staff verify one and export the month.
    created = guest_client.post(
        "/api/bookings/", guest(service, slots[0]), HTTP_IDEMPOTENCY_KEY="k-1"
    )
    assert created.status_code == 201, created.content
    replayed = guest_client.post(
        "/api/bookings/", guest(service, slots[0]), HTTP_IDEMPOTENCY_KEY="k-1"
    )
    assert replayed.headers["Idempotent-Replayed"] == "true"
    lookup = guest_client.post(
        "/api/bookings/lookup/",
        {"reference": created.json()["reference"], "email": "guest0@example.com"},
    )
    assert lookup.status_code == 200, lookup.content
    second = guest_client.post("/api/bookings/", guest(service, slots[1], 1))
    assert second.status_code == 201
    verified = desk.post(f"/api/bookings/{second.json()['id']}/verify-payment/")
    assert verified.status_code == 200, verified.content
    cancelled = guest_client.post(
        "/api/bookings/lookup/cancel/",
        {"reference": created.json()["reference"], "email": "guest0@example.com"},
    )
    assert cancelled.status_code == 200, cancelled.content
    today = timezone.localdate()
    export = desk.get(
        "/api/exports/bookings/",
        {"from": today.isoformat(), "to": (today + timedelta(days=60)).isoformat()},
    )
    assert export.status_code == 200
    b"".join(export.streaming_content)
    # Every scheduled job (expiry, reminders, the email and webhook outboxes
    # claiming rows with SKIP LOCKED), as cron or Celery beat runs them.
    call_command("run_scheduled_jobs")

    with psycopg.connect(
        one_server_connection.url(connection.settings_dict["NAME"])
    ) as c:
        # The same server connection the flows used (the pool holds one).
        assert session_state(c) == CLEAN


def test_the_control_a_session_setting_is_seen_by_the_next_client(
    one_server_connection,
):
    # What the test above would catch: a session SET, an advisory lock taken
    # outside a transaction, a WITH HOLD cursor, all outlive their client.
    url = one_server_connection.url(connection.settings_dict["NAME"])
    with psycopg.connect(url, autocommit=True) as first:
        first.execute("SET lock_timeout = '3s'")
        first.execute("SELECT pg_advisory_lock(33)")
        first.execute("DECLARE held CURSOR WITH HOLD FOR SELECT 1")
    with psycopg.connect(url, autocommit=True) as second:
        state = session_state(second)
        second.execute("SELECT pg_advisory_unlock_all()")
        second.execute("CLOSE ALL")
        second.execute("RESET ALL")
    assert state["settings"] == ["lock_timeout"]
    assert (state["advisory_locks"], state["cursors"]) == (1, 1)


def test_no_server_side_cursors_nor_prepared_statements():
    # Settings, not luck: DISABLE_SERVER_SIDE_CURSORS (an export's chunked
    # read is otherwise a WITH HOLD cursor fetched across transactions), and
    # psycopg never preparing (client-side binding, no prepare_threshold).
    database = connection.settings_dict
    assert database["DISABLE_SERVER_SIDE_CURSORS"] is True
    assert database["OPTIONS"]["prepare_threshold"] is None
    assert database["OPTIONS"].get("server_side_binding") is not True
    assert "options" not in database["OPTIONS"]


def test_an_export_read_in_chunks_survives_another_client_taking_the_connection(
    pgbouncer, catalogue, monkeypatch
):
    """The control for DISABLE_SERVER_SIDE_CURSORS: an export reads its rows in
    chunks while another client takes the server connection in between."""
    service, staff = catalogue
    for index in range(3):
        unpaid_booking(
            service,
            AvailabilityFactory(staff=staff),
            customer_email=f"export{index}@example.com",
            customer_phone=f"91200000{index}",
        )
    monkeypatch.setattr(export_selectors, "CHUNK_SIZE", 1)
    today = timezone.localdate()
    query = export_selectors.ExportQuery(
        date_from=today - timedelta(days=1),
        date_to=today + timedelta(days=400),
        date_basis=export_selectors.CREATED,
    )
    name = connection.settings_dict["NAME"]

    def read_with_another_client_in_between(rows):
        first = next(rows)
        # PgBouncer hands the most recently freed server connection to the
        # next client: this one, mid-transaction, takes the export's.
        with psycopg.connect(pgbouncer.url(name)) as other:
            other.execute("SELECT 1")
            return [first, *rows]

    with django_through(pgbouncer):
        rows = export_selectors.bookings_for_export(query)
        assert len(read_with_another_client_in_between(rows)) == 3
    # The hazard the export avoids: with server-side cursors (Django's
    # default), `.iterator()` fetches its chunks from a WITH HOLD cursor on a
    # server connection this client no longer has, and breaks.
    monkeypatch.setitem(connection.settings_dict, "DISABLE_SERVER_SIDE_CURSORS", False)
    with (
        django_through(pgbouncer),
        pytest.raises((DatabaseError, psycopg.Error), match="does not exist"),
    ):
        read_with_another_client_in_between(
            Booking.objects.order_by("pk").iterator(chunk_size=1)
        )
