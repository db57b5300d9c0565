"""Per-client limits on the public booking endpoints, shared by every worker."""

import time

from rest_framework.settings import api_settings
from rest_framework.throttling import BaseThrottle

from apps.ratelimits.services import ratelimit_hit
from apps.ratelimits.throttles import FixedWindowThrottle, parse_rate


class BookingCreateThrottle(FixedWindowThrottle):
    scope = "booking_create"


class BookingLookupThrottle(FixedWindowThrottle):
    scope = "booking_lookup"


class DeskBookingThrottle(BaseThrottle):
    """Bookings staff take, counted per staff user: they skip the guests'
    per-client throttle and unpaid limits, so a leaked staff token or a
    runaway script is still bounded. Guests are not counted here."""

    scope = "booking_create_desk"
    timer = staticmethod(time.time)

    def allow_request(self, request, view):
        user = request.user
        rate = api_settings.DEFAULT_THROTTLE_RATES.get(self.scope)
        if not (user and user.is_authenticated and user.is_staff) or rate is None:
            return True
        limit, period = parse_rate(rate)
        hit = ratelimit_hit(
            key=f"{self.scope}:{user.pk}", limit=limit, period=period, now=self.timer()
        )
        self.retry_after = hit.retry_after
        return hit.allowed

    def wait(self):
        return self.retry_after
