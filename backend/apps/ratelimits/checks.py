"""Settings the database counters cannot work under."""

from django.conf import settings
from django.core import checks
from django.db import connections


@checks.register(checks.Tags.database)
def atomic_requests_off(app_configs, **kwargs):
    """ATOMIC_REQUESTS would put each hit in the request's transaction, and DRF
    rolls that back on every error response: a client sending bad requests
    would never be counted (and the counter row stay locked until the request
    ends). Redis counts outside any transaction, so it is unaffected."""
    if settings.REDIS_URL:
        return []
    return [
        checks.Error(
            f"DATABASES[{alias!r}]['ATOMIC_REQUESTS'] is on: DRF rolls back "
            "a request's transaction on every error response, which would "
            "undo the throttle's count of it.",
            hint="Turn ATOMIC_REQUESTS off (services open their own "
            "transactions), or count in Redis with REDIS_URL.",
            id="ratelimits.E001",
        )
        for alias in connections
        if connections[alias].settings_dict.get("ATOMIC_REQUESTS")
    ]
