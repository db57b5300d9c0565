"""What an email says: the templates rendered for a booking, and its invite.

Every email about a booking is written in the booking's language
(`Booking.locale`, the one its guest booked in) and the business's timezone,
whoever causes it and whenever: `render_email` is the one place that sets
both, with dates and money written the way that language writes them
(Babel: `terça-feira, 8 de dezembro de 2026`, `25,00 €`).

Templates come through Django's loader, which caches compiled templates per
process (the expiry job renders thousands of emails per run).
"""

import re
from datetime import datetime

from django.conf import settings
from django.template.loader import render_to_string
from django.utils.translation import gettext

from apps.bookings.models import Booking
from apps.bookings.payment_instructions import payment_instructions_text
from apps.business.selectors import business_settings
from apps.notifications import calendars
from apps.notifications.localize import in_language, local_time, money

__all__ = ["in_language", "local_time", "money", "render_email", "render_invite"]

ICS_FILENAME = "booking.ics"
# The template engine without HTML autoescaping (settings.TEMPLATES).
TEXT_TEMPLATES = "text"

# A link in any dress: a scheme, "www.", or a word with a domain-like dot.
_LINK = re.compile(
    r"(?:[a-z][a-z0-9+.\-]*:)?//\S*|www\.\S*|\S*\w\.[a-z]{2,}\S*", re.IGNORECASE
)
# Letters (any script), spaces and the punctuation names carry.
_NOT_A_NAME_CHARACTER = re.compile(r"[^\w .'\-]|[\d_]")
GREETING_NAME_LENGTH = 40


def greeting_name(name: str) -> str:
    """The guest's name as an email may greet them, or "" to leave it out.

    A guest types the name, and the email goes to an address nobody has
    verified: links go, then everything but letters, spaces and name
    punctuation (so no line break either), and it is cut short, so the
    business's email cannot carry someone else's message or link.
    """
    words = _NOT_A_NAME_CHARACTER.sub(" ", _LINK.sub(" ", name)).split()
    return " ".join(words)[:GREETING_NAME_LENGTH].strip(" .-'")


def _localized(name: str, value):
    """An extra context value written in the active language: moments as
    local_time, and a reschedule offer's `suggestions` ((start, staff name)
    pairs) as sentences."""
    if isinstance(value, datetime):
        return local_time(value)
    if name == "suggestions":
        return [
            gettext("%(start)s with %(staff)s")
            % {"start": local_time(start), "staff": staff_name}
            for start, staff_name in value
        ]
    return value


def render_email(
    kind: str, booking: Booking, *, locale: str | None = None, **extra
) -> tuple[str, str]:
    """(subject, plain-text body) of the email `kind` about `booking`, in
    `locale` (the booking's language unless given: the business's own for
    its staff) and the business's timezone."""
    with in_language(locale or booking.locale):
        slot = booking.availability
        context = {
            "booking": booking,
            "greeting_name": greeting_name(booking.customer_name),
            "start": local_time(slot.start_time if slot else None),
            "pay_by": local_time(booking.payment_expires_at),
            "currency": settings.BOOKING_CURRENCY,
            "amount": money(booking.amount_due),
            "instructions": payment_instructions_text(),
            "business": business_settings().in_language(),
            **{name: _localized(name, value) for name, value in extra.items()},
        }
        subject = render_to_string(
            f"notifications/email/{kind}_subject.txt", context, using=TEXT_TEMPLATES
        )
        body_text = render_to_string(
            f"notifications/email/{kind}.txt", context, using=TEXT_TEMPLATES
        ) + render_to_string(
            "notifications/email/signature.txt", context, using=TEXT_TEMPLATES
        )
    return " ".join(subject.split()), body_text


def render_invite(
    booking: Booking, *, method: str, sequence: int, now: datetime
) -> tuple[str, str, bytes]:
    """(filename, content type, bytes) of the booking's calendar invite, its
    texts in the booking's language."""
    with in_language(booking.locale):
        content = calendars.booking_invite(
            booking, method=method, sequence=sequence, now=now
        )
    return ICS_FILENAME, f"text/calendar; method={method}", content
