"""Per-client limits on the public booking endpoints, shared by every worker."""

from apps.ratelimits.throttles import FixedWindowThrottle


class BookingCreateThrottle(FixedWindowThrottle):
    scope = "booking_create"


class BookingLookupThrottle(FixedWindowThrottle):
    scope = "booking_lookup"
