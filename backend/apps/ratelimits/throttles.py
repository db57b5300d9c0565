"""A DRF throttle on the fixed-window counters of services.py."""

import time

from rest_framework.settings import api_settings
from rest_framework.throttling import BaseThrottle

from apps.ratelimits.services import ratelimit_hit
from common.http import client_key

PERIODS = {"s": 1, "m": 60, "h": 3600, "d": 86400}


def parse_rate(rate: str) -> tuple[int, int]:
    """'10/min' -> (10, 60): DRF's rate syntax (s, m, h, d by first letter)."""
    number, period = rate.split("/")
    return int(number), PERIODS[period[0]]


class FixedWindowThrottle(BaseThrottle):
    """Counts requests per client (common.http) and scope; staff exempt.

    The rate is DEFAULT_THROTTLE_RATES[scope], read per request so settings
    overrides take effect. The key holds the keyed hash of the client's
    address, never the address itself.
    """

    scope: str
    timer = staticmethod(time.time)

    def allow_request(self, request, view):
        if request.user and request.user.is_staff:
            return True
        rate = api_settings.DEFAULT_THROTTLE_RATES.get(self.scope)
        if rate is None:
            return True
        limit, period = parse_rate(rate)
        hit = ratelimit_hit(
            key=f"{self.scope}:{client_key(request)}",
            limit=limit,
            period=period,
            now=self.timer(),
        )
        self.retry_after = hit.retry_after
        return hit.allowed

    def wait(self):
        return self.retry_after
