"""The business's settings as every reader sees them, cached per process.

A booking's payment instructions, its emails and the guest page read them on
every request, so they are kept in memory for BUSINESS_SETTINGS_CACHE_SECONDS
(the booking's statement budget stays as it was). A save clears this
process's copy at once (`forget`); other worker processes see it within that
many seconds. No restart is needed either way.
"""

import threading
import time
from dataclasses import dataclass, fields

from django.conf import settings

from apps.business.models import BusinessSettings


@dataclass(frozen=True)
class Business:
    name: str
    welcome_text: str
    payment_instructions: str
    iban: str
    bic: str
    beneficiary: str
    sender_email: str
    reply_to: str
    phone: str
    address: str
    website: str


FIELD_NAMES = tuple(field.name for field in fields(Business))

_lock = threading.Lock()
# (valid until, the stored row's values or None when nothing is stored yet).
_cached: tuple[float, Business | None] | None = None


def env_defaults() -> dict[str, str]:
    """The first-run values: the environment's (see config/settings/base.py)."""
    return {
        "name": settings.BOOKING_BUSINESS_NAME,
        "welcome_text": settings.BOOKING_WELCOME_TEXT,
        "payment_instructions": settings.BOOKING_PAYMENT_INSTRUCTIONS,
        "iban": settings.BOOKING_PAYMENT_IBAN.replace(" ", "").upper(),
        "bic": settings.BOOKING_PAYMENT_BIC.strip().upper(),
        "beneficiary": settings.BOOKING_PAYMENT_BENEFICIARY,
        "sender_email": settings.DEFAULT_FROM_EMAIL,
        "reply_to": settings.BOOKING_REPLY_TO_EMAIL,
        "phone": settings.BOOKING_BUSINESS_PHONE,
        "address": settings.BOOKING_BUSINESS_ADDRESS,
        "website": settings.BOOKING_BUSINESS_WEBSITE,
    }


def _stored() -> BusinessSettings | None:
    return BusinessSettings.objects.filter(pk=BusinessSettings.SINGLETON_ID).first()


def business_settings_row() -> BusinessSettings:
    """The row to edit: the stored one, or an unsaved one from the defaults."""
    singleton = BusinessSettings.SINGLETON_ID
    stored = BusinessSettings.objects.filter(pk=singleton).first()
    return stored or BusinessSettings(pk=singleton, **env_defaults())


def business_settings() -> Business:
    """The settings now in force (at most BUSINESS_SETTINGS_CACHE_SECONDS old
    in another process; current in this one after a save here)."""
    global _cached
    cached = _cached
    now = time.monotonic()
    if cached is None or cached[0] <= now:
        row = _stored()
        stored = (
            Business(**{name: getattr(row, name) for name in FIELD_NAMES})
            if row is not None
            else None
        )
        with _lock:
            _cached = (now + settings.BUSINESS_SETTINGS_CACHE_SECONDS, stored)
        cached = _cached
    # Nothing stored yet: the environment's values, read now (no query).
    return cached[1] or Business(**env_defaults())


def forget() -> None:
    """Drop this process's copy (after a save, and between tests)."""
    global _cached
    with _lock:
        _cached = None
