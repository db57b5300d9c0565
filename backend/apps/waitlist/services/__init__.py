"""The waiting list's domain layer: every write to entries and offers.

- `entries`: joining (bounded per client and per contact) and leaving;
- `offers`: making an offer (holding its slots), the job that offers free
  times first come first served, expiry (passing the slot on), and the
  answers: accept (the normal booking create path) and decline.

Lock order: offer, then slot (availability's helpers, and through them the
booking domain's order), then entry. The jobs that start from a slot (the
offer sweep) take every later lock with SKIP LOCKED, so they never wait
while holding one.
"""

from apps.waitlist.services.entries import (
    waitlist_entries_purge,
    waitlist_join,
    waitlist_leave,
)
from apps.waitlist.services.offers import (
    OfferRunResult,
    waitlist_offer_accept,
    waitlist_offer_decline,
    waitlist_offer_due,
    waitlist_offer_make,
    waitlist_offers_expire,
)

__all__ = [
    "OfferRunResult",
    "waitlist_entries_purge",
    "waitlist_join",
    "waitlist_leave",
    "waitlist_offer_accept",
    "waitlist_offer_decline",
    "waitlist_offer_due",
    "waitlist_offer_make",
    "waitlist_offers_expire",
]
