"""The Redis store (REDIS_URL): the same windows, one round trip per check.

Needs a redis-server at 127.0.0.1:6379 (database 13, keys under a prefix of
this run); skipped without one, except under CI=true, where it fails.
"""

import logging
import os
import uuid

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from apps.ratelimits.models import Counter
from apps.ratelimits.services import REDIS_CLOCK_SLACK_SECONDS, ratelimit_hit

REDIS_URL = "redis://127.0.0.1:6379/13"
NOW = 1_800_000_000 + 15.5


@pytest.fixture
def redis_store(settings):
    import redis

    client = redis.Redis.from_url(REDIS_URL, socket_connect_timeout=1)
    try:
        client.ping()
    except redis.RedisError as error:
        message = f"Redis at {REDIS_URL} is not reachable ({type(error).__name__})"
        if os.environ.get("CI") == "true":
            pytest.fail(message)
        pytest.skip(message)
    prefix = f"test-ratelimit-{uuid.uuid4().hex}:"
    settings.REDIS_URL = REDIS_URL
    settings.RATELIMIT_REDIS_PREFIX = prefix
    settings.REST_FRAMEWORK = {
        **settings.REST_FRAMEWORK,
        "DEFAULT_THROTTLE_RATES": {"booking_create": "3/min", "booking_lookup": "2/h"},
    }
    yield client, prefix
    keys = list(client.scan_iter(f"{prefix}*"))
    if keys:
        client.delete(*keys)


@pytest.mark.django_db
def test_redis_counts_the_window_without_touching_the_database(redis_store):
    client, prefix = redis_store
    with CaptureQueriesContext(connection) as captured:
        hits = [ratelimit_hit(key="k", limit=3, period=60, now=NOW) for _ in range(5)]
    assert [hit.allowed for hit in hits] == [True] * 3 + [False] * 2
    assert {hit.retry_after for hit in hits} == {45}
    assert len(captured) == 0 and not Counter.objects.exists()
    window_start = int(NOW) - int(NOW) % 60
    key = f"{prefix}k:{window_start}"
    assert int(client.get(key)) == 5
    # Expires with its window (plus the clock slack), whatever the clock says now.
    assert client.expiretime(key) == window_start + 60 + REDIS_CLOCK_SLACK_SECONDS
    # The next window starts from zero; another key is counted apart.
    assert ratelimit_hit(key="k", limit=3, period=60, now=NOW + 45).allowed
    assert ratelimit_hit(key="other", limit=3, period=60, now=NOW).allowed


@pytest.mark.django_db
def test_redis_throttles_the_api_with_retry_after(
    api_client, staff_client, redis_store, throttle_clock
):
    statuses = [api_client.post("/api/bookings/", {}).status_code for _ in range(3)]
    throttled = api_client.post("/api/bookings/", {})
    assert statuses == [400] * 3
    assert throttled.status_code == 429
    assert throttled.headers["Retry-After"] == "45"
    assert {staff_client.post("/api/bookings/", {}).status_code for _ in range(5)} == {
        400
    }


@pytest.mark.django_db
def test_an_unreachable_redis_lets_requests_through(settings, caplog):
    # Nothing listens on port 1: the connection is refused at once.
    settings.REDIS_URL = "redis://127.0.0.1:1/0"
    with caplog.at_level(logging.WARNING, logger="apps.ratelimits"):
        hits = [ratelimit_hit(key="k", limit=1, period=60, now=NOW) for _ in range(3)]
    assert all(hit.allowed for hit in hits)
    assert "rate limit store failed, request allowed: ConnectionError" in caplog.text
