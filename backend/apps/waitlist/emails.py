"""The waiting list's emails, rendered here and queued in notifications'
outbox in the transaction of the change (they leave with send_notifications).

Rendered in the entry's language (the one its guest joined in) and the
business's timezone, dates as that language writes them; the only text a
guest typed is the greeting, cleaned by notifications' `greeting_name`.
"""

from datetime import date, datetime
from urllib.parse import urlencode

from django.conf import settings
from django.template.loader import render_to_string

from apps.notifications.models import Notification
from apps.notifications.services import (
    greeting_name,
    guest_email_queue,
    in_language,
    local_date,
    local_time,
    supported_language,
)

TEXT_TEMPLATES = "text"


def link(path: str, token: str) -> str:
    return f"{settings.BOOKING_SITE_URL}{path}?{urlencode({'token': token})}"


def _written(value):
    """A day or a moment as the active language writes it; others as they are."""
    if isinstance(value, datetime):
        return local_time(value)
    if isinstance(value, date):
        return local_date(value)
    return value


def _queue(kind: str, template: str, entry, context: dict, now: datetime) -> None:
    with in_language(supported_language(entry.language)):
        context = {
            "greeting_name": greeting_name(entry.name),
            "business": settings.BOOKING_BUSINESS_NAME,
            **{name: _written(value) for name, value in context.items()},
        }
        subject = render_to_string(
            f"waitlist/email/{template}_subject.txt", context, using=TEXT_TEMPLATES
        )
        body = render_to_string(
            f"waitlist/email/{template}.txt", context, using=TEXT_TEMPLATES
        )
    guest_email_queue(
        kind=kind,
        recipient=entry.email,
        subject=" ".join(subject.split()),
        body_text=body,
        now=now,
    )


def entry_joined(entry, *, leave_token: str, now: datetime) -> None:
    _queue(
        Notification.Kind.WAITLIST_JOINED,
        "joined",
        entry,
        {
            "service": entry.service.name,
            "date_from": entry.date_from,
            "date_to": entry.date_to,
            "time_from": entry.time_from,
            "time_to": entry.time_to,
            "minutes": settings.BOOKING_WAITLIST_OFFER_MINUTES,
            "leave_link": link("/booking/waitlist/leave/", leave_token),
        },
        now,
    )


def offer_made(offer, *, entry, service, slot, token: str, now: datetime) -> None:
    _queue(
        Notification.Kind.WAITLIST_OFFER,
        "offer",
        entry,
        {
            "service": service.name,
            "staff": slot.staff.name,
            "start": slot.start_time,
            "held": offer.held,
            "until": offer.expires_at,
            "offer_link": link("/booking/offer/", token),
        },
        now,
    )
