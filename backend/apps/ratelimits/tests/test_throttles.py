"""The fixed-window throttle: limits, windows, clients, staff, statements."""

import logging
import time

import pytest
from django.core.management import call_command
from django.db import connection
from django.test.utils import CaptureQueriesContext
from rest_framework.test import APIClient

from apps.bookings.tests.threads import in_threads
from apps.ratelimits import checks
from apps.ratelimits.models import Counter
from apps.ratelimits.services import ratelimit_counters_purge, ratelimit_hit

NOW = 1_800_000_000 + 15.5  # the throttle_clock fixture's time


@pytest.fixture
def rates(settings):
    settings.REDIS_URL = ""
    settings.REST_FRAMEWORK = {
        **settings.REST_FRAMEWORK,
        "DEFAULT_THROTTLE_RATES": {"booking_create": "3/min", "booking_lookup": "2/h"},
    }


def create(client):
    return client.post("/api/bookings/", {}, format="json")


@pytest.mark.django_db
def test_the_request_past_the_rate_gets_429_with_the_seconds_left(
    api_client, rates, throttle_clock
):
    assert [create(api_client).status_code for _ in range(3)] == [400] * 3
    throttled = create(api_client)
    assert throttled.status_code == 429
    assert throttled.json()["code"] == "throttled"
    assert throttled.headers["Retry-After"] == "45"  # 44.5 s left, rounded up
    throttle_clock.advance(40)
    assert create(api_client).headers["Retry-After"] == "5"
    # An hourly rate's window is the hour.
    lookups = [api_client.post("/api/bookings/lookup/", {}) for _ in range(3)]
    assert [r.status_code for r in lookups] == [400, 400, 429]
    assert lookups[-1].headers["Retry-After"] == str(3600 - 55)


@pytest.mark.django_db
def test_a_new_window_starts_from_zero(api_client, rates, throttle_clock):
    assert [create(api_client).status_code for _ in range(4)][-1] == 429
    throttle_clock.advance(44)  # still the same minute
    assert create(api_client).status_code == 429
    throttle_clock.advance(1)  # the next minute
    assert [create(api_client).status_code for _ in range(4)] == [400] * 3 + [429]


@pytest.mark.django_db
def test_clients_are_counted_apart(api_client, rates, throttle_clock):
    assert [create(api_client).status_code for _ in range(4)][-1] == 429
    other = APIClient(REMOTE_ADDR="10.9.8.7")
    assert [create(other).status_code for _ in range(4)] == [400] * 3 + [429]
    # The table holds a keyed hash of the client, not its address.
    assert Counter.objects.count() == 2
    assert not Counter.objects.filter(key__contains="10.9.8.7").exists()


@pytest.mark.django_db
def test_staff_are_exempt(staff_client, rates, throttle_clock):
    assert {create(staff_client).status_code for _ in range(6)} == {400}
    assert not Counter.objects.exists()


@pytest.mark.django_db
def test_a_throttle_check_is_one_statement(api_client, rates, throttle_clock):
    # An empty body is refused before any look-up, so the throttle is the
    # only statement left; that holds for the request refused with 429 too.
    for expected_status in (400, 400, 400, 429, 429):
        with CaptureQueriesContext(connection) as captured:
            assert create(api_client).status_code == expected_status
        assert len(captured) == 1, [q["sql"] for q in captured]
        assert captured[0]["sql"].startswith("INSERT INTO")
    # Refusals stop writing: the count stays at the limit.
    assert Counter.objects.get().hits == 3


@pytest.mark.django_db(transaction=True)
def test_a_hit_commits_on_its_own_without_a_transaction(rates):
    assert connection.get_autocommit() and not connection.in_atomic_block
    with CaptureQueriesContext(connection) as captured:
        assert ratelimit_hit(key="k", limit=5, period=60, now=NOW).allowed
    assert [q["sql"].split()[0] for q in captured] == ["INSERT"]
    assert not connection.in_atomic_block
    # Another connection sees it at once: nothing is left to commit.
    assert in_threads(1, lambda _: Counter.objects.get(key="k").hits) == [1]


@pytest.mark.django_db(transaction=True)
def test_atomic_requests_is_refused_because_it_would_undo_counts(
    api_client, rates, throttle_clock, settings
):
    """The control shows why: inside the request's transaction, DRF's rollback
    on each 400 takes the count with it and the client is never throttled."""
    connection.settings_dict["ATOMIC_REQUESTS"] = True
    try:
        statuses = [create(api_client).status_code for _ in range(4)]
        errors = checks.atomic_requests_off(None)
        settings.REDIS_URL = "redis://127.0.0.1:6379/13"
        errors_with_redis = checks.atomic_requests_off(None)
    finally:
        connection.settings_dict["ATOMIC_REQUESTS"] = False
    assert statuses == [400] * 4
    assert [error.id for error in errors] == ["ratelimits.E001"]
    assert errors_with_redis == []
    assert checks.atomic_requests_off(None) == []


@pytest.mark.postgresql_only
@pytest.mark.django_db(transaction=True)
def test_concurrent_hits_are_all_counted(rates):
    threads = 16
    results = in_threads(
        threads,
        lambda _: ratelimit_hit(key="many", limit=1000, period=60, now=NOW).allowed,
    )
    assert all(results)
    assert Counter.objects.get(key="many").hits == threads
    # At a limit below the crowd, exactly the limit get through.
    results = in_threads(
        threads,
        lambda _: ratelimit_hit(key="few", limit=5, period=60, now=NOW).allowed,
    )
    assert results.count(True) == 5
    assert Counter.objects.get(key="few").hits == 5


@pytest.mark.django_db(transaction=True)
def test_a_failing_database_store_lets_the_request_through(rates, monkeypatch, caplog):
    monkeypatch.setattr(Counter._meta, "db_table", "ratelimits_missing")
    with caplog.at_level(logging.WARNING, logger="apps.ratelimits"):
        assert ratelimit_hit(key="k", limit=1, period=60, now=NOW).allowed
    assert "rate limit store failed" in caplog.text
    # The connection is still usable afterwards.
    monkeypatch.undo()
    assert ratelimit_hit(key="k", limit=1, period=60, now=NOW).allowed


@pytest.mark.django_db
def test_the_purge_removes_only_ended_windows(rates):
    for window_start in (NOW // 60 * 60 - 120, NOW // 60 * 60 - 60):
        ratelimit_hit(key="old", limit=9, period=60, now=window_start)
    ratelimit_hit(key="current", limit=9, period=60, now=NOW)
    ratelimit_hit(key="this hour", limit=9, period=3600, now=NOW - 10)
    assert ratelimit_counters_purge(now=NOW) == 2
    assert sorted(Counter.objects.values_list("key", flat=True)) == [
        "current",
        "this hour",
    ]


@pytest.mark.django_db
def test_the_scheduled_jobs_purge_the_counters(rates, capsys):
    ratelimit_hit(key="an hour ago", limit=9, period=60, now=time.time() - 3600)
    call_command("run_scheduled_jobs")
    assert "Purged 1 rate-limit counters" in capsys.readouterr().out
    assert not Counter.objects.exists()


@pytest.mark.postgresql_only
@pytest.mark.django_db
def test_the_counters_skip_the_write_ahead_log_on_postgresql():
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT relpersistence FROM pg_class WHERE relname = %s",
            [Counter._meta.db_table],
        )
        assert cursor.fetchone() == ("u",)
