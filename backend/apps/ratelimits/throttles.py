"""A DRF throttle on the fixed-window counters of services.py."""

import time

from rest_framework.settings import api_settings
from rest_framework.throttling import BaseThrottle

from apps.ratelimits.services import Limit, ratelimit_hit_all
from common.http import client_keys

PERIODS = {"s": 1, "m": 60, "h": 3600, "d": 86400}


def parse_rate(rate: str) -> tuple[int, int]:
    """'10/min' -> (10, 60): DRF's rate syntax (s, m, h, d by first letter)."""
    number, period = rate.split("/")
    return int(number), PERIODS[period[0]]


class FixedWindowThrottle(BaseThrottle):
    """Counts requests per client (common.http) and scope; staff exempt.

    The rate is DEFAULT_THROTTLE_RATES[scope], read per request so settings
    overrides take effect. An IPv6 client is also counted with its whole /48
    at the rate `<scope>_network`, in the same statement: rotating through
    the /64s of one network does not multiply the budget. The keys hold
    keyed hashes of the addresses, never the addresses themselves.
    """

    scope: str
    timer = staticmethod(time.time)

    def allow_request(self, request, view):
        if request.user and request.user.is_staff:
            return True
        rates = api_settings.DEFAULT_THROTTLE_RATES
        keys = client_keys(request)
        counted = [(f"{self.scope}:{keys.client}", rates.get(self.scope))]
        if keys.network:
            network_scope = f"{self.scope}_network"
            counted.append(
                (f"{network_scope}:{keys.network}", rates.get(network_scope))
            )
        limits = [
            Limit(key=key, limit=parse_rate(rate)[0], period=parse_rate(rate)[1])
            for key, rate in counted
            if rate is not None
        ]
        if not limits:
            return True
        hit = ratelimit_hit_all(limits=limits, now=self.timer())
        self.retry_after = hit.retry_after
        return hit.allowed

    def wait(self):
        return self.retry_after
