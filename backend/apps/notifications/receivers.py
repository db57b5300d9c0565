"""What each booking change sends: the listener of the booking domain's events.

`booking_events_recorded` is sent inside the change's transaction, so the
outbox rows written here commit or roll back with the change: a committed
change always has its email, a rolled-back one never. Connected in
`NotificationsConfig.ready()`.
"""

from itertools import groupby
from urllib.parse import urlencode

from django.conf import settings
from django.db import connection
from django.dispatch import receiver
from django.utils import timezone

from apps.bookings.models import Booking, BookingEvent
from apps.bookings.selectors import events_load_bookings
from apps.bookings.signals import booking_access_link_issued, booking_events_recorded
from apps.notifications import batch_sql, calendars, outbox
from apps.notifications.models import Notification
from apps.notifications.reminders import arm_appointment_reminder
from apps.schedules.signals import closure_reschedule_offered

Kind = Notification.Kind
EventKind = BookingEvent.Kind
Source = BookingEvent.Source

# Sources whose cancellations count against the guest's mailbox cap: the
# guest's own acts, and the deadline a guest let pass.
GUEST_CAUSED_SOURCES = frozenset({Source.GUEST, Source.SYSTEM})


@receiver(booking_events_recorded, dispatch_uid="notifications.queue_emails")
def queue_booking_emails(sender, *, events, notify_guest=True, **kwargs):
    if notify_guest and connection.vendor == "postgresql":
        events = _expired_in_sql(events)
    if notify_guest or any(event.kind not in _SILENT_KINDS for event in events):
        # A batch's bookings in one query (none for bookings already loaded).
        events_load_bookings(events)
    pending: list[outbox.PendingEmail] = []
    for event in events:
        emails_for = _EMAILS_BY_KIND.get(event.kind)
        if emails_for is not None:
            pending.extend(emails_for(event, notify_guest=notify_guest))
    outbox.queue(pending)


def _created(event: BookingEvent, *, notify_guest: bool):
    """Payment instructions for the guest, and a note to the business.

    The payment reminder needs no row here: the reminder job finds unpaid
    bookings by their deadline.
    """
    booking = event.booking
    emails = []
    if notify_guest:
        emails.append(
            outbox.build_to_guest(
                Kind.BOOKING_CREATED,
                booking,
                now=event.created_at,
                guest_triggered=event.source == Source.GUEST,
            )
        )
    if settings.BOOKING_NOTIFY_EMAIL:
        emails.append(
            outbox.build(
                Kind.NEW_BOOKING_STAFF,
                booking,
                settings.BOOKING_NOTIFY_EMAIL,
                now=event.created_at,
                # The business's address: its own language, not the guest's.
                locale=settings.LANGUAGE_CODE,
            )
        )
    return emails


def _next_sequence(booking: Booking) -> int:
    return outbox.ics_sequences([booking.pk]).get(booking.pk, -1) + 1


def _payment_verified(event: BookingEvent, *, notify_guest: bool):
    """The confirmation with the calendar invite; arms the appointment reminder."""
    booking, now = event.booking, event.created_at
    arm_appointment_reminder(booking, now=now)
    if not notify_guest:
        return []
    return [
        outbox.build_to_guest(
            Kind.PAYMENT_CONFIRMED,
            booking,
            now=now,
            invite_method=calendars.METHOD_REQUEST,
            ics_sequence=_next_sequence(booking),
        )
    ]


def book_again_url() -> str:
    """The guest page, where a guest books."""
    return f"{settings.BOOKING_SITE_URL}/"


def manage_url(booking: Booking) -> str:
    """The guest page's "Manage my booking", the reference filled in."""
    query = urlencode({"reference": booking.reference})
    return f"{settings.BOOKING_SITE_URL}/booking/?{query}"


def _cancelled(event: BookingEvent, *, notify_guest: bool):
    """Tell the guest who cancelled, and why when a closure did; withdraw the
    invite if one was sent."""
    if not notify_guest:
        return []
    booking = event.booking
    previous = outbox.ics_sequences([booking.pk]).get(booking.pk)
    return [
        outbox.build_to_guest(
            Kind.BOOKING_CANCELLED,
            booking,
            now=event.created_at,
            invite_method=None if previous is None else calendars.METHOD_CANCEL,
            ics_sequence=None if previous is None else previous + 1,
            cancelled_by=event.source,
            guest_triggered=event.source in GUEST_CAUSED_SOURCES,
            book_again_url=book_again_url(),
        )
    ]


def _expired(event: BookingEvent, *, notify_guest: bool):
    """The cancellation for an unpaid booking; it never had an invite to withdraw."""
    if not notify_guest:
        return []
    return [
        outbox.build_to_guest(
            Kind.BOOKING_CANCELLED,
            event.booking,
            now=event.created_at,
            cancelled_by=event.source,
            guest_triggered=True,
        )
    ]


def _expired_in_sql(events: list[BookingEvent]) -> list[BookingEvent]:
    """Queue the expired bookings' emails in SQL (an expiry batch: no booking
    loaded, no snapshot built in Python); return the events left to the
    Python path."""
    expired = [event for event in events if event.kind == EventKind.EXPIRED]
    if not expired:
        return events
    remaining = [event for event in events if event.kind != EventKind.EXPIRED]

    def moment_and_source(event):
        return event.created_at, event.source

    left: set[int] = set()
    for (now, source), group in groupby(
        sorted(expired, key=moment_and_source), key=moment_and_source
    ):
        left.update(
            batch_sql.cancellations_insert(
                [event.booking_id for event in group], cancelled_by=source, now=now
            )
        )
    return remaining + [event for event in expired if event.booking_id in left]


def _rescheduled(event: BookingEvent, *, notify_guest: bool):
    """The new time; for a confirmed booking a new invite (same UID, higher
    SEQUENCE) and the appointment reminder re-armed for the new time."""
    booking, now = event.booking, event.created_at
    confirmed = booking.status == Booking.Status.CONFIRMED
    if confirmed:
        arm_appointment_reminder(booking, now=now)
    if not notify_guest:
        return []
    return [
        outbox.build_to_guest(
            Kind.BOOKING_RESCHEDULED,
            booking,
            now=now,
            invite_method=calendars.METHOD_REQUEST if confirmed else None,
            ics_sequence=_next_sequence(booking) if confirmed else None,
            guest_triggered=event.source == Source.GUEST,
        )
    ]


@receiver(closure_reschedule_offered, dispatch_uid="notifications.reschedule_offers")
def queue_reschedule_offers(sender, *, closure, offers, now, **kwargs):
    """A closure kept confirmed bookings inside it and asks their guests to
    move: each gets their reschedule link and the nearest free times. Written
    in the closure's transaction, like every email of a change."""
    outbox.queue(
        [
            outbox.build_to_guest(
                Kind.RESCHEDULE_OFFER,
                booking,
                now=now,
                reason=closure.public_note,
                manage_url=manage_url(booking),
                # Written in the booking's language by render_email.
                suggestions=[
                    (time["start_time"], time["staff_name"]) for time in times
                ],
            )
            for booking, times in offers
        ]
    )


@receiver(booking_access_link_issued, dispatch_uid="notifications.access_link")
def queue_access_link(sender, *, booking, token, expires_at, **kwargs):
    """The link to a booking whose reference was guessed at, to its own address.

    Counted in the mailbox's hourly cap: only someone who gave the right
    proof (the guest) causes one.
    """
    link = (
        f"{settings.BOOKING_SITE_URL}/booking/"
        f"#reference={booking.reference}&access={token}"
    )
    outbox.queue(
        [
            outbox.build_to_guest(
                Kind.ACCESS_LINK,
                booking,
                now=timezone.now(),
                guest_triggered=True,
                link=link,
                link_expires=expires_at,
            )
        ]
    )


# Kinds whose only work is the guest's email: when the guest is not to be
# told (an expiry backlog cleared with --no-email), their bookings are not read.
_SILENT_KINDS = frozenset({EventKind.CANCELLED, EventKind.EXPIRED})

_EMAILS_BY_KIND = {
    EventKind.CREATED: _created,
    EventKind.PAYMENT_VERIFIED: _payment_verified,
    EventKind.CANCELLED: _cancelled,
    EventKind.EXPIRED: _expired,
    EventKind.RESCHEDULED: _rescheduled,
}
