"""The waiting list's emails, rendered here and queued in notifications'
outbox in the transaction of the change (they leave with send_notifications).

Rendered in the entry's language (its templates are English until a
translation is added); the only text a guest typed is the greeting, cleaned
by notifications' `greeting_name`.
"""

from datetime import datetime
from urllib.parse import urlencode

from django.conf import settings
from django.template.loader import render_to_string
from django.utils import timezone, translation

from apps.notifications.models import Notification
from apps.notifications.services import greeting_name, guest_email_queue

TEXT_TEMPLATES = "text"


def link(path: str, token: str) -> str:
    return f"{settings.BOOKING_SITE_URL}{path}?{urlencode({'token': token})}"


def local_time(moment: datetime) -> str:
    local = timezone.localtime(moment)
    return f"{local:%A %d %B %Y, %H:%M} ({local.tzname()})"


def _queue(kind: str, template: str, entry, context: dict, now: datetime) -> None:
    context = {
        "greeting_name": greeting_name(entry.name),
        "business": settings.BOOKING_BUSINESS_NAME,
        **context,
    }
    with translation.override(entry.language or settings.LANGUAGE_CODE):
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
            "start": local_time(slot.start_time),
            "held": offer.held,
            "until": local_time(offer.expires_at),
            "offer_link": link("/booking/offer/", token),
        },
        now,
    )
