"""What an email says: the templates rendered from an email's snapshot, and
its invite. Called by the sender (`sending`), once per email.

Templates come through Django's loader, which caches compiled templates per
process (a sender renders thousands of emails per run).
"""

import re

from django.conf import settings
from django.template.loader import render_to_string
from django.utils import timezone, translation
from django.utils.dateparse import parse_datetime

from apps.business.selectors import business_settings
from apps.notifications import calendars
from apps.notifications.snapshots import snapshot_booking, snapshot_extra

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


def local_time(moment) -> str:
    """A moment as emails write it: the business's day and time, and zone."""
    if moment is None:
        return ""
    local = timezone.localtime(moment)
    return f"{local:%A %d %B %Y, %H:%M} ({local.tzname()})"


def render_email(kind: str, snapshot: dict) -> tuple[str, str]:
    """(subject, plain-text body) of the email `kind`, from its snapshot
    (`snapshots.booking_snapshot`), in the guest's language and the
    business's timezone. The signature is the business's as it sends."""
    with (
        translation.override(snapshot["locale"]),
        timezone.override(settings.BOOKING_TIMEZONE),
    ):
        booking = snapshot_booking(snapshot)
        slot = booking.availability
        context = {
            "booking": booking,
            "greeting_name": greeting_name(booking.customer_name),
            "start": local_time(slot.start_time if slot else None),
            "pay_by": local_time(booking.payment_expires_at),
            "currency": snapshot["currency"],
            "instructions": snapshot["instructions"],
            "business": business_settings(),
            **snapshot_extra(snapshot, moment_text=local_time),
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
    """(filename, content type, bytes) of the snapshot's calendar invite, if any."""
    invite = snapshot.get("invite")
    if not invite:
        return None
    method = invite["method"]
    with timezone.override(settings.BOOKING_TIMEZONE):
        content = calendars.booking_invite(
            snapshot_booking(snapshot),
            method=method,
            sequence=invite["sequence"],
            now=parse_datetime(invite["stamp"]),
        )
    return ICS_FILENAME, f"text/calendar; method={method}", content
