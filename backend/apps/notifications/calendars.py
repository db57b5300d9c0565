"""iCalendar (RFC 5545) files: a booking's invite and a staff member's feed,
and the feed's secret token.

Built with the `icalendar` library. Times are written in UTC, which means the
same instant in every calendar whatever its zone or daylight-saving rules;
the business's timezone is named (X-WR-TIMEZONE, and the local time in the
description) for people reading the file.
"""

from datetime import UTC, datetime
from email.utils import parseaddr

from django.conf import settings
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext
from icalendar import Calendar, Event, vCalAddress

from apps.business.selectors import business_settings
from apps.notifications.localize import local_time
from apps.notifications.models import StaffCalendarFeed

PRODID = "-//Doceamor//Booking//EN"
METHOD_REQUEST = "REQUEST"
METHOD_CANCEL = "CANCEL"


def booking_uid(booking) -> str:
    """Stable for the life of a booking, so updates replace the same event."""
    return f"booking-{booking.reference}@{settings.BOOKING_CALENDAR_UID_DOMAIN}"


def _calendar(*, method: str | None = None, name: str | None = None) -> Calendar:
    calendar = Calendar()
    calendar.add("prodid", PRODID)
    calendar.add("version", "2.0")
    calendar.add("calscale", "GREGORIAN")
    if method:
        calendar.add("method", method)
    if name:
        calendar.add("x-wr-calname", name)
    calendar.add("x-wr-timezone", settings.BOOKING_TIMEZONE)
    return calendar


def _local_text(moment: datetime) -> str:
    # local_time ends with "(WET)"; the zone's name goes in too.
    return local_time(moment).replace(" (", f" ({settings.BOOKING_TIMEZONE}, ", 1)


def booking_invite(booking, *, method: str, sequence: int, now: datetime) -> bytes:
    """One VEVENT for the guest: REQUEST to add or move it, CANCEL to remove it."""
    slot = booking.availability
    calendar = _calendar(method=method)
    event = Event()
    event.add("uid", booking_uid(booking))
    event.add("sequence", sequence)
    event.add("dtstamp", now.astimezone(UTC))
    event.add("dtstart", slot.start_time.astimezone(UTC))
    event.add("dtend", (booking.ends_at or slot.end_time).astimezone(UTC))
    # In the active language: rendering.render_invite sets the booking's.
    event.add(
        "summary",
        gettext("%(service)s with %(staff)s")
        % {"service": booking.service.name, "staff": booking.staff.name},
    )
    event.add(
        "description",
        gettext("Booking reference: %(reference)s") % {"reference": booking.reference}
        + "\n"
        + gettext("Starts: %(start)s") % {"start": _local_text(slot.start_time)},
    )
    event.add("status", "CANCELLED" if method == METHOD_CANCEL else "CONFIRMED")
    organizer_address = parseaddr(business_settings().sender_email)[1]
    organizer = vCalAddress(f"mailto:{organizer_address}")
    organizer.params["cn"] = settings.BOOKING_CALENDAR_ORGANIZER_NAME
    event.add("organizer", organizer)
    # The guest's address only: no text the guest typed goes into an email.
    attendee = vCalAddress(f"mailto:{booking.customer_email}")
    attendee.params["role"] = "REQ-PARTICIPANT"
    attendee.params["partstat"] = "ACCEPTED"
    event.add("attendee", attendee)
    calendar.add_component(event)
    return calendar.to_ical()


def staff_feed(staff, bookings, *, now: datetime) -> bytes:
    """A subscribable calendar of one staff member's bookings.

    Guest data is limited to the name and the booking reference: no email,
    phone or notes, since the feed URL ends up in third-party calendars.
    """
    calendar = _calendar(name=f"Doceamor: {staff.name}")
    for booking in bookings:
        slot = booking.availability
        event = Event()
        event.add("uid", booking_uid(booking))
        event.add("dtstamp", now.astimezone(UTC))
        event.add("dtstart", slot.start_time.astimezone(UTC))
        event.add("dtend", (booking.ends_at or slot.end_time).astimezone(UTC))
        event.add("summary", f"{booking.service.name}: {booking.customer_name}")
        event.add(
            "description",
            gettext("Booking reference: %(reference)s")
            % {"reference": booking.reference},
        )
        event.add(
            "status",
            "CONFIRMED" if booking.status != "awaiting_payment" else "TENTATIVE",
        )
        calendar.add_component(event)
    return calendar.to_ical()


def staff_calendar_feed_rotate(
    *, staff, now: datetime | None = None
) -> StaffCalendarFeed:
    """Give a staff member a new feed token (the first one, or a replacement):
    the old URL stops working at once."""
    now = now or timezone.now()
    with transaction.atomic():
        feed = StaffCalendarFeed.objects.select_for_update().filter(staff=staff).first()
        if feed is None:
            return StaffCalendarFeed.objects.create(staff=staff, rotated_at=now)
        feed.token = StaffCalendarFeed._meta.get_field("token").default()
        feed.rotated_at = now
        feed.save(update_fields=["token", "rotated_at"])
    return feed
