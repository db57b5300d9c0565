"""The business's settings as every reader sees them, cached per process.

A booking's payment instructions, its emails and the guest page read them on
every request, so they are kept in memory for BUSINESS_SETTINGS_CACHE_SECONDS
(the booking's statement budget stays as it was). A save clears this
process's copy at once (`forget`); other worker processes see it within that
many seconds. No restart is needed either way.
"""

import threading
import time
from dataclasses import dataclass, fields, replace

from django.conf import settings
from django.utils import translation

from apps.business.models import BusinessSettings

# The texts guests read, kept per language: Portuguese in the plain field,
# English in `<name>_en`.
TRANSLATED_TEXTS = ("name", "welcome_text", "payment_instructions")


@dataclass(frozen=True)
class Business:
    name: str
    name_en: str
    welcome_text: str
    welcome_text_en: str
    payment_instructions: str
    payment_instructions_en: str
    iban: str
    bic: str
    beneficiary: str
    sender_email: str
    reply_to: str
    phone: str
    address: str
    website: str

    def in_language(self, language: str | None = None) -> "Business":
        """These settings with the guest-facing texts of `language` (the
        active one by default): English reads the `_en` texts, or the
        Portuguese where one is empty; every other language the Portuguese."""
        language = language or translation.get_language() or settings.LANGUAGE_CODE
        if language.split("-")[0] != "en":
            return self
        return replace(
            self,
            **{
                name: getattr(self, f"{name}_en") or getattr(self, name)
                for name in TRANSLATED_TEXTS
            },
        )


FIELD_NAMES = tuple(field.name for field in fields(Business))

_lock = threading.Lock()
# (valid until, the stored row's values or None when nothing is stored yet).
_cached: tuple[float, Business | None] | None = None


def env_defaults() -> dict[str, str]:
    """The first-run values: the environment's (see config/settings/base.py)."""
    return {
        "name": settings.BOOKING_BUSINESS_NAME,
        "name_en": settings.BOOKING_BUSINESS_NAME_EN,
        "welcome_text": settings.BOOKING_WELCOME_TEXT,
        "welcome_text_en": settings.BOOKING_WELCOME_TEXT_EN,
        "payment_instructions": settings.BOOKING_PAYMENT_INSTRUCTIONS,
        "payment_instructions_en": settings.BOOKING_PAYMENT_INSTRUCTIONS_EN,
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
