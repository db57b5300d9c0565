"""Counting requests in fixed windows, shared by every worker and app server.

One window per rate period, aligned to it (a minute rate counts from :00 to
:59 of each minute). On the database a hit is one autocommitted upsert; with
REDIS_URL set it is one round trip to Redis. A fixed window lets a client
send up to twice the rate across a window's edge; the per-client unpaid
limits, not the throttle, are what protect slots, so that burst is accepted
for a check this cheap.

Fails open: when the counter store errors the request is allowed and a
warning logged. A throttle that turned a Redis outage into refusing every
guest would be a worse outage than the abuse it guards against, and the
booking itself is still bounded per client by the unpaid limits (which live
in the booking's own transaction, not here).
"""

import functools
import logging
import math
from dataclasses import dataclass

from django.conf import settings
from django.db import DatabaseError, connection

from apps.ratelimits.models import Counter

logger = logging.getLogger(__name__)

# Redis keys outlive their window by this much, so app servers whose clocks
# differ by a few seconds still count into the same key.
REDIS_CLOCK_SLACK_SECONDS = 10
# A Redis that does not answer costs a request at most this, then fails open.
REDIS_TIMEOUT_SECONDS = 0.5


@dataclass(frozen=True)
class Window:
    start: int
    end: int


@dataclass(frozen=True)
class Hit:
    allowed: bool
    retry_after: int  # whole seconds until the window ends, at least 1


def ratelimit_window(*, now: float, period: int) -> Window:
    """The window of `period` seconds that `now` (Unix seconds) falls in."""
    start = int(now) - int(now) % period
    return Window(start=start, end=start + period)


@dataclass(frozen=True)
class Limit:
    """One counter of a request: its key, and how many hits per period."""

    key: str
    limit: int
    period: int


def ratelimit_hit(*, key: str, limit: int, period: int, now: float) -> Hit:
    """Count one request for `key`; allowed while the window holds <= `limit`."""
    return ratelimit_hit_all(limits=[Limit(key, limit, period)], now=now)


def ratelimit_hit_all(*, limits: list[Limit], now: float) -> Hit:
    """Count one request on every counter of `limits` (one statement, or one
    Redis round trip); allowed while each is within its limit."""
    windows = [ratelimit_window(now=now, period=limit.period) for limit in limits]
    try:
        if settings.REDIS_URL:
            over = _redis_hit(limits=limits, windows=windows)
        else:
            over = _database_hit(limits=limits, windows=windows)
    except _store_errors() as error:
        # Inside a transaction the failed statement has already spoilt it on
        # PostgreSQL; only the caller can roll back, so let it see the error.
        if not settings.REDIS_URL and connection.in_atomic_block:
            raise
        logger.warning(
            "rate limit store failed, request allowed: %s: %s",
            type(error).__name__,
            error,
        )
        over = set()
    refused = [
        window
        for limit, window in zip(limits, windows, strict=True)
        if limit.key in over
    ]
    # Retry when every full window has ended (or, allowed, when this one ends).
    ends = [window.end for window in refused or windows]
    retry_after = (
        max(1, math.ceil(max(ends) - now))
        if refused
        else max(1, math.ceil(min(ends) - now))
    )
    return Hit(allowed=not refused, retry_after=retry_after)


def ratelimit_counters_purge(*, now: float) -> int:
    """Delete the database counters of windows that have ended."""
    deleted, _ = Counter.objects.filter(window_end__lte=int(now)).delete()
    return deleted


def _database_hit(*, limits: list[Limit], windows: list[Window]) -> set[str]:
    # One statement, in autocommit when the request has no transaction open:
    # no BEGIN/COMMIT. The row lock of the conflict makes concurrent hits
    # count exactly. Once a window is full the WHERE stops writing, so a
    # flood costs no new row versions; RETURNING then leaves its key out.
    # Rows are written in the callers' fixed order (client, then network),
    # so two statements never wait for each other's rows in a cycle.
    table = connection.ops.quote_name(Counter._meta.db_table)
    rows = ", ".join(["(%s, %s, %s, 1)"] * len(limits))
    cases = " ".join(["WHEN %s THEN %s"] * len(limits))
    sql = (
        f"INSERT INTO {table} (key, window_start, window_end, hits) VALUES {rows} "
        f"ON CONFLICT (key, window_start) DO UPDATE SET hits = {table}.hits + 1 "
        f"WHERE {table}.hits < CASE {table}.key {cases} END RETURNING key"
    )
    params = [
        value
        for limit, window in zip(limits, windows, strict=True)
        for value in (limit.key, window.start, window.end)
    ]
    params += [value for limit in limits for value in (limit.key, limit.limit)]
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        counted = {row[0] for row in cursor.fetchall()}
    return {limit.key for limit in limits} - counted


def _redis_hit(*, limits: list[Limit], windows: list[Window]) -> set[str]:
    # MULTI/EXEC sent in one round trip: no key ever lives without its expiry.
    pipe = _redis_client(settings.REDIS_URL).pipeline(transaction=True)
    for limit, window in zip(limits, windows, strict=True):
        redis_key = f"{settings.RATELIMIT_REDIS_PREFIX}{limit.key}:{window.start}"
        pipe.incr(redis_key)
        pipe.expireat(redis_key, window.end + REDIS_CLOCK_SLACK_SECONDS)
    hits = pipe.execute()[::2]
    return {
        limit.key
        for limit, count in zip(limits, hits, strict=True)
        if count > limit.limit
    }


@functools.cache
def _redis_client(url: str):
    import redis

    return redis.Redis.from_url(
        url,
        socket_connect_timeout=REDIS_TIMEOUT_SECONDS,
        socket_timeout=REDIS_TIMEOUT_SECONDS,
    )


def _store_errors() -> tuple[type[Exception], ...]:
    import redis

    return (DatabaseError, redis.RedisError)
