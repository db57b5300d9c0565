"""Writing for a reader in their language: the active translation and the
business's timezone, dates with the language's day and month names, money
the way the language writes it (Babel, from CLDR)."""

from collections.abc import Iterator
from contextlib import contextmanager
from decimal import Decimal

from babel.dates import format_date, format_datetime
from babel.numbers import format_currency
from django.conf import settings
from django.utils import timezone, translation

# A day, and a moment, as each language writes it in a sentence (CLDR
# patterns); a language not listed gets its locale's own full date.
DATE_PATTERNS = {"pt": "EEEE, d 'de' MMMM 'de' y", "en": "EEEE dd MMMM y"}
DATE_TIME_PATTERNS = {
    "pt": "EEEE, d 'de' MMMM 'de' y, HH:mm",
    # As English emails wrote it before translations: "Tuesday 08 December".
    "en": "EEEE dd MMMM y, HH:mm",
}


@contextmanager
def in_language(locale: str) -> Iterator[None]:
    """Translations in `locale`, times in the business's timezone."""
    with translation.override(locale), timezone.override(settings.BOOKING_TIMEZONE):
        yield


def supported_language(tag: str) -> str:
    """The language of settings.LANGUAGES a guest's tag asks for (`pt-PT`,
    `pt` -> pt-pt), or the business's own for one it does not speak."""
    try:
        return translation.get_supported_language_variant((tag or "").lower())
    except LookupError:
        return settings.LANGUAGE_CODE


def _babel_locale() -> str:
    return translation.to_locale(translation.get_language() or settings.LANGUAGE_CODE)


def local_time(moment) -> str:
    """A moment as emails write it: the business's day and time, and zone,
    in the active language (`terça-feira, 8 de dezembro de 2026, 15:00 (WET)`)."""
    if moment is None:
        return ""
    local = timezone.localtime(moment, timezone.get_current_timezone())
    language = (translation.get_language() or settings.LANGUAGE_CODE).split("-")[0]
    pattern = DATE_TIME_PATTERNS.get(language, "full")
    text = format_datetime(local, pattern, tzinfo=local.tzinfo, locale=_babel_locale())
    return f"{text} ({local.tzname()})"


def local_date(day) -> str:
    """A calendar day in the active language (`segunda-feira, 7 de dezembro
    de 2026`)."""
    language = (translation.get_language() or settings.LANGUAGE_CODE).split("-")[0]
    pattern = DATE_PATTERNS.get(language, "full")
    return format_date(day, pattern, locale=_babel_locale())


def money(amount: Decimal) -> str:
    """An amount in the business's currency, as the active language writes it
    (`25,00 €`, `€25.00`). A plain space, not CLDR's no-break one: the text
    is a plain-text email, and readers (and searches) expect a space."""
    return format_currency(
        amount, settings.BOOKING_CURRENCY, locale=_babel_locale()
    ).replace("\xa0", " ")
