"""What an email says: the templates rendered from an email's snapshot, and
its invite. Called by the sender (`sending`), once per email.

Every email about a booking is written in the booking's language
(`Booking.locale`, the one its guest booked in) and the business's timezone,
whoever causes it and whenever: `render_email` is the one place that sets
both, with dates and money written the way that language writes them
(Babel: `terça-feira, 8 de dezembro de 2026`, `25,00 €`).

Templates come through Django's loader, which caches compiled templates per
process (a sender renders thousands of emails per run).
"""

import re

from django.template.loader import render_to_string
from django.utils.dateparse import parse_datetime
from django.utils.translation import gettext

from apps.business.selectors import business_settings
from apps.notifications import calendars
from apps.notifications.localize import in_language, local_time, money
from apps.notifications.snapshots import snapshot_booking, snapshot_extra

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
    """An extra context value written in the active language: a reschedule
    offer's `suggestions` ((start, staff name) pairs) as sentences."""
    if name == "suggestions":
        return [
            gettext("%(start)s with %(staff)s")
            % {"start": local_time(parse_datetime(start)), "staff": staff_name}
            for start, staff_name in value
        ]
    return value


def render_email(kind: str, snapshot: dict) -> tuple[str, str]:
    """(subject, plain-text body) of the email `kind`, from its snapshot
    (`snapshots.booking_snapshot`), in its language (the booking's; the
    business's own for its staff) and the business's timezone. The signature
    is the business's as it sends."""
    with in_language(snapshot["locale"]):
        booking = snapshot_booking(snapshot)
        slot = booking.availability
        extra = snapshot_extra(snapshot, moment_text=local_time)
        context = {
            "booking": booking,
            "greeting_name": greeting_name(booking.customer_name),
            "start": local_time(slot.start_time if slot else None),
            "pay_by": local_time(booking.payment_expires_at),
            "currency": snapshot["currency"],
            "amount": money(booking.amount_due),
            "instructions": snapshot["instructions"],
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


def render_invite(snapshot: dict) -> tuple[str, str, bytes] | None:
    """(filename, content type, bytes) of the snapshot's calendar invite, if
    any, its texts in the snapshot's language."""
    invite = snapshot.get("invite")
    if not invite:
        return None
    method = invite["method"]
    with in_language(snapshot["locale"]):
        content = calendars.booking_invite(
            snapshot_booking(snapshot),
            method=method,
            sequence=invite["sequence"],
            now=parse_datetime(invite["stamp"]),
        )
    return ICS_FILENAME, f"text/calendar; method={method}", content
