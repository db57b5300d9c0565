"""Joining and leaving the waiting list."""

from datetime import date, datetime, time, timedelta

from django.conf import settings
from django.db import connection
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from apps.bookings.models import email_key
from apps.bookings.phones import normalize_phone, phone_key
from apps.services.models import Service
from apps.staff.models import Staff
from apps.waitlist import emails, exceptions
from apps.waitlist.models import (
    OPEN_STATUSES,
    WaitlistEntry,
    WaitlistOffer,
    new_token,
    token_hash,
)
from apps.waitlist.services.offers import release_offer
from common.db import write_transaction

Status = WaitlistEntry.Status


def waitlist_join(
    *,
    service_id: int,
    date_from: date,
    date_to: date,
    name: str,
    email: str,
    phone: str,
    staff_id: int | None = None,
    time_from: time | None = None,
    time_to: time | None = None,
    language: str = "en",
    client_key: str = "",
    now: datetime | None = None,
) -> WaitlistEntry | None:
    """Put a guest on the list for a service, days and maybe a daily window.

    A client (common.http.client_key) keeps at most
    BOOKING_WAITLIST_MAX_PER_CLIENT open entries (429 beyond). One contact
    (email or phone) is listed at most BOOKING_WAITLIST_MAX_PER_CONTACT times
    and once per service and overlapping days; past that nothing is written
    and None comes back, so the caller answers exactly as it does for a new
    entry: nobody learns whether an address is on the list. A new entry's
    confirmation, with the link that leaves the list, goes to its address.
    """
    now = now or timezone.now()
    _check_dates(date_from, date_to, timezone.localdate(now))
    if time_from is not None and time_to is not None and time_to <= time_from:
        raise exceptions.InvalidTimeWindow()
    with write_transaction():
        service = Service.objects.filter(pk=service_id, is_active=True).first()
        if service is None:
            raise exceptions.UnknownService()
        if (
            staff_id is not None
            and not Staff.objects.filter(
                pk=staff_id, is_active=True, services=service_id
            ).exists()
        ):
            raise exceptions.UnknownStaff()
        _lock_client(client_key)
        open_entries = WaitlistEntry.objects.filter(status__in=OPEN_STATUSES)
        if (
            client_key
            and open_entries.filter(client_key=client_key).count()
            >= settings.BOOKING_WAITLIST_MAX_PER_CLIENT
        ):
            raise exceptions.TooManyEntries()
        phone = normalize_phone(phone)
        contact_email, contact_phone = email_key(email), phone_key(phone)
        contact = Q(email_key=contact_email)
        if contact_phone:
            contact |= Q(phone_digits=contact_phone)
        of_contact = open_entries.filter(contact)
        if (
            of_contact.count() >= settings.BOOKING_WAITLIST_MAX_PER_CONTACT
            or of_contact.filter(
                service_id=service_id, date_from__lte=date_to, date_to__gte=date_from
            ).exists()
        ):
            return None
        token, hashed = new_token()
        entry = WaitlistEntry.objects.create(
            service=service,
            staff_id=staff_id,
            date_from=date_from,
            date_to=date_to,
            time_from=time_from,
            time_to=time_to,
            name=name,
            email=email,
            phone=phone,
            email_key=contact_email,
            phone_digits=contact_phone,
            language=language or settings.LANGUAGE_CODE,
            client_key=client_key,
            leave_token_hash=hashed,
            created_at=now,
        )
        emails.entry_joined(entry, leave_token=token, now=now)
    return entry


def _check_dates(date_from: date, date_to: date, today: date) -> None:
    if date_from < today:
        raise exceptions.DatesOutOfRange(
            _("The first day cannot be in the past."), field="date_from"
        )
    if date_to < date_from:
        raise exceptions.DatesOutOfRange(
            _("The last day must not be before the first."), field="date_to"
        )
    last = today + timedelta(days=settings.BOOKING_WAITLIST_MAX_DAYS)
    if date_to > last:
        raise exceptions.DatesOutOfRange(
            _("The last day can be at most %(days)d days ahead (%(last)s).")
            % {"days": settings.BOOKING_WAITLIST_MAX_DAYS, "last": last.isoformat()},
            field="date_to",
        )


def _lock_client(client_key: str) -> None:
    """Make the per-client count and the insert atomic on PostgreSQL (a
    transaction-scoped advisory lock); SQLite's IMMEDIATE transactions
    serialise joins already."""
    if client_key and connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT pg_advisory_xact_lock(hashtext(%s))",
                [f"waitlist-client:{client_key}"],
            )


_LEAVE_ATTEMPTS = 3


def waitlist_leave(*, token: str, now: datetime | None = None) -> WaitlistEntry:
    """Take an entry off the list through its link; an open offer is
    withdrawn and its slots go free. Leaving twice answers the same."""
    entry_id = (
        WaitlistEntry.objects.filter(leave_token_hash=token_hash(token))
        .values_list("pk", flat=True)
        .first()
    )
    if entry_id is None:
        raise exceptions.UnknownToken()
    for _attempt in range(_LEAVE_ATTEMPTS):
        with write_transaction():
            # Offer first, then its slots, then the entry (the lock order).
            offer = (
                WaitlistOffer.objects.select_for_update()
                .filter(entry_id=entry_id, status=WaitlistOffer.Status.OPEN)
                .first()
            )
            moment = now or timezone.now()
            if offer is not None:
                release_offer(offer, status=WaitlistOffer.Status.WITHDRAWN, now=moment)
            entry = WaitlistEntry.objects.select_for_update().get(pk=entry_id)
            if entry.status == Status.OFFERED and offer is None:
                # An offer was made after we looked; lock it on the next try.
                continue
            if entry.is_open:
                entry.status, entry.closed_at = Status.LEFT, moment
                entry.save(update_fields=["status", "closed_at"])
            return entry
    raise exceptions.EntryClosed()


def waitlist_entries_purge(*, now: datetime | None = None) -> int:
    """Delete entries closed more than BOOKING_WAITLIST_PURGE_DAYS ago (their
    offers go with them): a guest's contact is kept no longer than needed."""
    now = now or timezone.now()
    cutoff = now - timedelta(days=settings.BOOKING_WAITLIST_PURGE_DAYS)
    deleted, _ = (
        WaitlistEntry.objects.exclude(status__in=OPEN_STATUSES)
        .filter(closed_at__lt=cutoff)
        .delete()
    )
    return deleted
