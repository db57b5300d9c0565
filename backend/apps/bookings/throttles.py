"""Per-IP limits on the public booking endpoints, shared by every worker."""

from rest_framework.settings import api_settings
from rest_framework.throttling import SimpleRateThrottle

from common.http import client_identity


class GuestRateThrottle(SimpleRateThrottle):
    """Counts requests per client (common.http) in a shared cache; staff exempt."""

    def get_rate(self):
        # Read at request time rather than import time, so settings changes
        # (and tests overriding them) take effect.
        return api_settings.DEFAULT_THROTTLE_RATES[self.scope]

    def get_ident(self, request):
        return client_identity(request)

    def get_cache_key(self, request, view):
        if request.user and request.user.is_staff:
            return None
        return self.cache_format % {
            "scope": self.scope,
            "ident": self.get_ident(request),
        }


class BookingCreateThrottle(GuestRateThrottle):
    scope = "booking_create"


class BookingLookupThrottle(GuestRateThrottle):
    scope = "booking_lookup"
