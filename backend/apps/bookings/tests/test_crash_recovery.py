"""A real gunicorn worker killed (`kill -9`) in the middle of a booking.

The server is the production stack (gunicorn with `gunicorn.conf.py`, two
workers) against the test database. The moment of the kill is made exact by a
trigger created in the test database only (no hook in the application):

- **before the commit**: a BEFORE INSERT trigger on the booking sleeps, and the
  worker dies inside its open transaction. Nothing may commit, and the retry
  must book at once (no key left "in progress" by a dead worker);
- **during the commit**: a deferred constraint trigger on the idempotency
  key sleeps while the worker waits for COMMIT, the worker dies, and the
  database finishes the commit without it. The guest was never told; the
  retry must get that booking (`Idempotent-Replayed: true`), never a 409.

The client retries as docs/api.md tells it: with the same key, on a network
error, a 5xx or 409 `request_in_progress`, after `Retry-After`.
"""

import http.client
import json
import os
import signal
import socket
import sqlite3
import subprocess
import sys
import threading
import time
from contextlib import contextmanager
from pathlib import Path

import pytest
from django.conf import settings
from django.db import connection

from apps.bookings.models import Booking, IdempotencyKey

PROJECT_DIR = Path(settings.PROJECT_DIR)
RETRY_DEADLINE_SECONDS = 5


def _free_port():
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _database_url(db):
    if db["ENGINE"].endswith("sqlite3"):
        return f"sqlite:///{db['NAME']}"
    password = f":{db['PASSWORD']}" if db["PASSWORD"] else ""
    return f"postgres://{db['USER']}{password}@{db['HOST']}:{db['PORT']}/{db['NAME']}"


@pytest.fixture(scope="module")
def server(django_db_setup, tmp_path_factory):
    """gunicorn as production runs it, on the test database; yields (port, pid)."""
    port = int(os.environ.get("DOCEAMOR_TEST_SERVER_PORT") or _free_port())
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "config.settings.test",
        "DATABASE_URL": _database_url(connection.settings_dict),
        "GUNICORN_BIND": f"127.0.0.1:{port}",
        "GUNICORN_WORKERS": "2",
    }
    log = tmp_path_factory.mktemp("gunicorn") / "gunicorn.log"
    process = subprocess.Popen(
        [sys.executable, "-m", "gunicorn", "--config", "gunicorn.conf.py"],
        cwd=PROJECT_DIR,
        env=env,
        stdout=log.open("w"),
        stderr=subprocess.STDOUT,
    )
    try:
        deadline = time.monotonic() + 30
        while len(_workers(process.pid)) < 2 or not _healthy(port):
            assert process.poll() is None, log.read_text()
            assert time.monotonic() < deadline, log.read_text()
            time.sleep(0.2)
        yield port, process.pid
    finally:
        process.terminate()
        process.wait(timeout=30)


def _healthy(port):
    try:
        status, _, _ = _post_or_get(port, "GET", "/api/health/")
    except OSError:
        return False
    return status == 200


def _post_or_get(port, method, path, body=None, headers=None, conn=None):
    conn = conn or http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    try:
        payload = json.dumps(body).encode() if body is not None else None
        conn.request(
            method,
            path,
            body=payload,
            headers={"Content-Type": "application/json", **(headers or {})},
        )
        response = conn.getresponse()
        return response.status, dict(response.getheaders()), response.read()
    finally:
        conn.close()


def _workers(master_pid):
    children = []
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                stat = Path(f"/proc/{entry}/stat").read_text()
            except OSError:
                continue
            if int(stat.rsplit(")", 1)[1].split()[1]) == master_pid:
                children.append(int(entry))
    return children


def _worker_serving(master_pid, server_port, client_port):
    """The worker process holding the server end of our TCP connection."""
    inodes = set()
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):
        for line in Path(table).read_text().splitlines()[1:]:
            fields = line.split()
            local_port = int(fields[1].rsplit(":", 1)[1], 16)
            remote_port = int(fields[2].rsplit(":", 1)[1], 16)
            if (local_port, remote_port) == (server_port, client_port):
                inodes.add(f"socket:[{fields[9]}]")
    for pid in _workers(master_pid):
        try:
            fds = os.listdir(f"/proc/{pid}/fd")
        except OSError:
            continue
        for fd in fds:
            try:
                if os.readlink(f"/proc/{pid}/fd/{fd}") in inodes:
                    return pid
            except OSError:
                continue
    return None


def _wait_for(condition, timeout=15, what="condition"):
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, f"timed out waiting for {what}"
        time.sleep(0.02)


def _retry_as_the_docs_say(port, payload, key):
    """Resend with the same key until there is an answer to keep."""
    deadline = time.monotonic() + 15
    while True:
        try:
            status, headers, body = _post_or_get(
                port, "POST", "/api/bookings/", payload, {"Idempotency-Key": key}
            )
        except OSError:
            status, headers, body = None, {}, b""
        retriable = (
            status is None
            or status >= 500
            or (status == 409 and json.loads(body)["code"] == "request_in_progress")
        )
        if not retriable or time.monotonic() > deadline:
            return status, headers, json.loads(body) if body else None
        time.sleep(float(headers.get("Retry-After", 0.2)))


def _kill_the_worker_while(server, payload, key, *, in_the_trap):
    """Send a keyed create, kill -9 its worker once `in_the_trap()`, then retry.

    Returns the retry's (status, headers, body) and its seconds after the kill.
    """
    port, master_pid = server
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    conn.connect()
    client_port = conn.sock.getsockname()[1]
    outcome = {}

    def first_attempt():
        try:
            outcome["answer"] = _post_or_get(
                port,
                "POST",
                "/api/bookings/",
                payload,
                {"Idempotency-Key": key},
                conn=conn,
            )
        except OSError as error:
            outcome["error"] = error

    thread = threading.Thread(target=first_attempt)
    thread.start()
    _wait_for(in_the_trap, what="the worker to reach the trap")
    worker = _worker_serving(master_pid, port, client_port)
    assert worker is not None
    os.kill(worker, signal.SIGKILL)
    killed_at = time.monotonic()
    thread.join(30)
    assert "error" in outcome, f"the first attempt was answered: {outcome}"
    answer = _retry_as_the_docs_say(port, payload, key)
    return answer, time.monotonic() - killed_at


def _sleeping_in_the_test_database():
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT count(*) FROM pg_stat_activity "
            "WHERE datname = current_database() AND wait_event = 'PgSleep'"
        )
        return cursor.fetchone()[0] > 0


@contextmanager
def postgresql_trigger(table, *, at_commit, sleep_seconds):
    """A trigger on `table` that sleeps on its first firing only: at the insert,
    or (a deferred constraint trigger) in the COMMIT of the inserting
    transaction."""
    if at_commit:
        create = (
            "CREATE CONSTRAINT TRIGGER crash_test_trigger AFTER INSERT ON {table} "
            "DEFERRABLE INITIALLY DEFERRED FOR EACH ROW "
            "EXECUTE FUNCTION crash_test_sleep()"
        )
    else:
        create = (
            "CREATE TRIGGER crash_test_trigger BEFORE INSERT ON {table} "
            "FOR EACH ROW EXECUTE FUNCTION crash_test_sleep()"
        )
    with connection.cursor() as cursor:
        # A sequence, not a table: its counter survives the killed transaction.
        cursor.execute("CREATE SEQUENCE crash_test_firings")
        cursor.execute(
            "CREATE FUNCTION crash_test_sleep() RETURNS trigger LANGUAGE plpgsql AS "
            "$$ BEGIN IF nextval('crash_test_firings') = 1 THEN "
            f"PERFORM pg_sleep({sleep_seconds}); END IF; RETURN NEW; END $$"
        )
        cursor.execute(create.format(table=table))
    try:
        yield
    finally:
        with connection.cursor() as cursor:
            cursor.execute(f"DROP TRIGGER crash_test_trigger ON {table}")
            cursor.execute("DROP FUNCTION crash_test_sleep()")
            cursor.execute("DROP SEQUENCE crash_test_firings")


@contextmanager
def sqlite_slow_insert(table):
    """SQLite cannot sleep in a trigger: this one counts a 27-million-row cross
    join instead, which keeps the writer inside its transaction for a while."""
    with connection.cursor() as cursor:
        cursor.execute("CREATE TABLE crash_test_rows (n integer)")
        cursor.execute(
            "WITH RECURSIVE c(n) AS (SELECT 1 UNION ALL SELECT n + 1 FROM c "
            "WHERE n < 300) INSERT INTO crash_test_rows SELECT n FROM c"
        )
        cursor.execute(
            f"CREATE TRIGGER crash_test_trigger BEFORE INSERT ON {table} BEGIN "
            "SELECT count(*) FROM crash_test_rows a, crash_test_rows b, "
            "crash_test_rows c; END"
        )
    try:
        yield
    finally:
        with connection.cursor() as cursor:
            cursor.execute("DROP TRIGGER crash_test_trigger")
            cursor.execute("DROP TABLE crash_test_rows")


def _sqlite_writer_active():
    """True while another process holds SQLite's write lock on the test database."""
    probe = sqlite3.connect(connection.settings_dict["NAME"], timeout=0)
    try:
        probe.execute("BEGIN IMMEDIATE")
    except sqlite3.OperationalError:
        return True
    else:
        probe.rollback()
        return False
    finally:
        probe.close()


@pytest.mark.django_db(transaction=True)
def test_a_worker_killed_before_the_commit_leaves_nothing_and_the_retry_books(
    server, guest_payload
):
    if connection.vendor == "postgresql":
        trap = postgresql_trigger("bookings_booking", at_commit=False, sleep_seconds=2)
        in_the_trap = _sleeping_in_the_test_database
    else:
        trap, in_the_trap = (
            sqlite_slow_insert("bookings_booking"),
            _sqlite_writer_active,
        )
    with trap:
        (status, headers, body), seconds = _kill_the_worker_while(
            server, guest_payload, "crash-before-commit", in_the_trap=in_the_trap
        )
    assert status == 201, body
    assert "Idempotent-Replayed" not in headers  # the first attempt rolled back
    assert seconds < RETRY_DEADLINE_SECONDS
    assert list(Booking.objects.values_list("pk", flat=True)) == [body["id"]]
    key = IdempotencyKey.objects.get(key="crash-before-commit")
    assert key.booking_id == body["id"]


@pytest.mark.postgresql_only
@pytest.mark.django_db(transaction=True)
def test_a_worker_killed_during_the_commit_its_guest_gets_the_booking_on_retry(
    server, guest_payload
):
    """(SQLite has no way to pause a commit from outside the process; there the
    same guarantee rests on the one transaction, tested in test_idempotency.)"""
    with postgresql_trigger("bookings_idempotencykey", at_commit=True, sleep_seconds=2):
        (status, headers, body), seconds = _kill_the_worker_while(
            server,
            guest_payload,
            "crash-in-commit",
            in_the_trap=_sleeping_in_the_test_database,
        )
    assert status == 201, body
    assert headers.get("Idempotent-Replayed") == "true"
    assert seconds < RETRY_DEADLINE_SECONDS
    assert list(Booking.objects.values_list("pk", flat=True)) == [body["id"]]
    key = IdempotencyKey.objects.get(key="crash-in-commit")
    assert key.booking_id == body["id"]
