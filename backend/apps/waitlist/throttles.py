"""Per-client limits on the waiting list's public endpoints."""

from apps.ratelimits.throttles import FixedWindowThrottle


class WaitlistJoinThrottle(FixedWindowThrottle):
    scope = "waitlist_join"


class WaitlistLinkThrottle(FixedWindowThrottle):
    scope = "waitlist_link"
