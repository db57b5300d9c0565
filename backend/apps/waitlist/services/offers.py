"""Offers: a free time held for one waiting entry, passed on when unanswered.

An offer is made under the slot's lock (the booking domain's own lock
statement), re-checked with the booking domain's own rules, and holds its
slots with `Availability.is_held`, which booking creation refuses (409) for
anyone but the offer's guest. Accepting runs the normal create path, which
turns the hold into the booking in the update that books the slots.
"""

from dataclasses import dataclass
from datetime import datetime, timedelta

from django.conf import settings
from django.db import IntegrityError
from django.db.models import Exists, OuterRef
from django.utils import timezone

from apps.availability.selectors import availability_bookable
from apps.availability.services import availabilities_set_held, lock_availabilities
from apps.bookings.models import Booking, BookingEvent
from apps.bookings.services import booking_create, check_slots_bookable
from apps.bookings.services.offering import lock_slot_offering
from apps.waitlist import emails, exceptions
from apps.waitlist.models import WaitlistEntry, WaitlistOffer, new_token, token_hash
from apps.waitlist.selectors import fits_window
from common.dates import local_day_bounds
from common.db import run_write_transaction, write_transaction
from common.exceptions import DomainError

EntryStatus = WaitlistEntry.Status
OfferStatus = WaitlistOffer.Status

# Free slots looked at per entry and run: the first that fits its window wins.
_CANDIDATES_PER_ENTRY = 200


def offers_hold_slots() -> bool:
    """One offer at a time holding the slot ("first"), or everyone matching
    told at once with nothing held ("all": the first to book wins)."""
    return settings.BOOKING_WAITLIST_OFFER_MODE != "all"


def release_offer(offer: WaitlistOffer, *, status: str, now: datetime) -> None:
    """End an open offer the caller locked: its held slots go free."""
    if offer.held:
        lock_availabilities(offer.slot_ids)
        availabilities_set_held(offer.slot_ids, held=False, now=now)
    offer.status, offer.answered_at = status, now
    offer.save(update_fields=["status", "answered_at"])


def waitlist_offer_make(
    *,
    entry_id: int,
    availability_id: int,
    held: bool = True,
    made_by=None,
    check_window: bool = False,
    now: datetime | None = None,
) -> WaitlistOffer:
    """Offer one slot to one waiting entry: hold it and email the link.

    The slot and the ones a booking of the entry's service would take are
    locked with the booking domain's lock statement and checked with its
    rules (free, open, not held, far enough ahead, long enough); the entry is
    taken only if nobody holds it and it is still waiting. Raises a domain
    error when the offer cannot be made (staff offering by hand see why).
    """
    with write_transaction():
        entry = (
            WaitlistEntry.objects.select_related("service").filter(pk=entry_id).first()
        )
        if entry is None or entry.status != EntryStatus.WAITING:
            raise exceptions.EntryClosed()
        slots, service, _ = lock_slot_offering(
            availability_id=availability_id,
            service_id=entry.service_id,
            client_lock=None,
        )
        # Read after the lock, like every booking write.
        now = now or timezone.now()
        first = next((slot for slot in slots if slot.pk == availability_id), None)
        if (
            not service.is_active
            or first is None
            or (entry.staff_id is not None and first.staff_id != entry.staff_id)
            or (
                check_window
                and not fits_window(entry, first.start_time, service.duration_minutes)
            )
        ):
            raise exceptions.NoMatchingSlot()
        run = check_slots_bookable(
            slots, first_slot_id=availability_id, service=service, now=now
        )
        entry = (
            WaitlistEntry.objects.select_for_update(skip_locked=True)
            .filter(pk=entry_id, status=EntryStatus.WAITING)
            .first()
        )
        if entry is None:
            raise exceptions.EntryClosed()
        run_ids = [slot.pk for slot in run]
        # Writes from here on. The slots were checked free under their lock,
        # so the hold takes them all; the database's check (never booked and
        # held) and the one-open-hold-per-slot index back that up.
        if held and availabilities_set_held(run_ids, held=True, now=now) != len(
            run_ids
        ):
            raise exceptions.NoMatchingSlot()
        token, hashed = new_token()
        try:
            offer = WaitlistOffer.objects.create(
                entry=entry,
                availability_id=availability_id,
                slot_ids=run_ids,
                held=held,
                token_hash=hashed,
                expires_at=now
                + timedelta(minutes=settings.BOOKING_WAITLIST_OFFER_MINUTES),
                made_by=made_by,
                created_at=now,
            )
        except IntegrityError as error:
            raise exceptions.NoMatchingSlot() from error
        entry.status = EntryStatus.OFFERED
        entry.save(update_fields=["status"])
        emails.offer_made(
            offer, entry=entry, service=service, slot=first, token=token, now=now
        )
    return offer


@dataclass
class OfferRunResult:
    offered: int = 0
    expired_entries: int = 0
    looked_at: int = 0

    def summary(self) -> str:
        return (
            f"Offered {self.offered} free times to waiting-list entries "
            f"({self.looked_at} looked at, {self.expired_entries} past their dates)."
        )


def waitlist_offer_due(
    *,
    now: datetime | None = None,
    batch_size: int = 200,
    days: set | None = None,
) -> OfferRunResult:
    """Offer free times to waiting entries, first come first served.

    Each waiting entry, oldest first, gets the earliest free time that fits
    it and that it was not offered before; an offer holds its slot, so the
    next entry looks past it. Entries whose last day has passed end here.
    With `days`, only entries that could use one of those days are looked at
    (the slots a booking change just freed).
    """
    result = OfferRunResult()
    moment = now or timezone.now()
    result.expired_entries = WaitlistEntry.objects.filter(
        status=EntryStatus.WAITING, date_to__lt=timezone.localdate(moment)
    ).update(status=EntryStatus.EXPIRED, closed_at=moment)
    # An entry whose offer went with its slot (a slot deleted while offered
    # to everyone, mode "all") waits again.
    WaitlistEntry.objects.filter(status=EntryStatus.OFFERED).exclude(
        Exists(
            WaitlistOffer.objects.filter(entry=OuterRef("pk"), status=OfferStatus.OPEN)
        )
    ).update(status=EntryStatus.WAITING)
    entries = WaitlistEntry.objects.filter(status=EntryStatus.WAITING).select_related(
        "service"
    )
    if days:
        entries = entries.filter(date_from__lte=max(days), date_to__gte=min(days))
    held = offers_hold_slots()
    for entry in entries.order_by("created_at", "id")[:batch_size]:
        result.looked_at += 1
        for slot_id in candidate_slot_ids(entry, now=moment):
            try:
                waitlist_offer_make(
                    entry_id=entry.pk, availability_id=slot_id, held=held, now=now
                )
            except exceptions.EntryClosed:
                break
            except DomainError:
                continue
            result.offered += 1
            break
    return result


def candidate_slot_ids(entry: WaitlistEntry, *, now: datetime | None = None):
    """Free slots where the entry's service fits, in its days and window,
    earliest first, leaving out the ones it was offered before."""
    now = now or timezone.now()
    first_day = max(entry.date_from, timezone.localdate(now))
    start, _ = local_day_bounds(first_day)
    _, end = local_day_bounds(entry.date_to)
    slots = (
        availability_bookable(
            service_id=entry.service_id, staff_id=entry.staff_id, now=now
        )
        .filter(start_time__gte=start, start_time__lt=end)
        .exclude(
            pk__in=WaitlistOffer.objects.filter(entry=entry).values("availability_id")
        )
        .select_related(None)
        .values_list("pk", "start_time")
    )
    duration = entry.service.duration_minutes
    for slot_id, start_time in slots[:_CANDIDATES_PER_ENTRY]:
        if fits_window(entry, start_time, duration):
            yield slot_id


def waitlist_offers_expire(
    *, now: datetime | None = None, batch_size: int = 500
) -> int:
    """End the offers whose time ran out; their slots go free for the next
    entry (the offer sweep runs next). An entry that let a held offer run out
    leaves the list (as pretix's unused voucher does); one told along with
    everyone else (mode "all") waits on. Each offer in a transaction of its
    own; one another writer holds is left for the next run."""
    moment = now or timezone.now()
    due = list(
        WaitlistOffer.objects.filter(status=OfferStatus.OPEN, expires_at__lte=moment)
        .order_by("expires_at", "id")
        .values_list("pk", flat=True)[:batch_size]
    )
    expired = 0
    for offer_id in due:
        with write_transaction():
            offer = (
                WaitlistOffer.objects.select_for_update(skip_locked=True)
                .filter(pk=offer_id, status=OfferStatus.OPEN, expires_at__lte=moment)
                .first()
            )
            if offer is None:
                continue
            release_offer(offer, status=OfferStatus.EXPIRED, now=moment)
            after = EntryStatus.LAPSED if offer.held else EntryStatus.WAITING
            WaitlistEntry.objects.filter(
                pk=offer.entry_id, status=EntryStatus.OFFERED
            ).update(status=after, closed_at=moment if offer.held else None)
            expired += 1
    return expired


def _locked_open_offer(token: str) -> WaitlistOffer:
    offer = (
        WaitlistOffer.objects.select_for_update(of=("self",))
        .select_related("entry")
        .filter(token_hash=token_hash(token))
        .first()
    )
    if offer is None:
        raise exceptions.UnknownToken()
    if offer.status != OfferStatus.OPEN:
        raise exceptions.OfferClosed()
    return offer


def waitlist_offer_accept(
    *,
    token: str,
    client_key: str = "",
    client_site_key: str = "",
    client_network_key: str = "",
    now: datetime | None = None,
) -> Booking:
    """Book the offered time for the entry's guest: the normal create path
    (limits, payment deadline, events and emails), given the offer's holds.

    The offer is locked first, so a second click waits and then finds it
    accepted (409); a refusal of the create leaves the offer open.
    """
    return run_write_transaction(
        lambda: _accept(
            token=token,
            client_key=client_key,
            client_site_key=client_site_key,
            client_network_key=client_network_key,
            now=now,
        )
    )


def _accept(*, token, client_key, client_site_key, client_network_key, now):
    offer = _locked_open_offer(token)
    if offer.expires_at <= (now or timezone.now()):
        raise exceptions.OfferExpired()
    entry = offer.entry
    booking = booking_create(
        service_id=entry.service_id,
        availability_id=offer.availability_id,
        customer_name=entry.name,
        customer_email=entry.email,
        customer_phone=entry.phone,
        source=BookingEvent.Source.GUEST,
        client_key=client_key,
        client_site_key=client_site_key,
        client_network_key=client_network_key,
        held_slot_ids=frozenset(offer.slot_ids) if offer.held else frozenset(),
        now=now,
    )
    moment = booking.created_at
    # A held slot the booking did not take (the service got shorter) goes free.
    availabilities_set_held(offer.slot_ids, held=False, now=moment)
    offer.status, offer.answered_at, offer.booking = (
        OfferStatus.ACCEPTED,
        moment,
        booking,
    )
    offer.save(update_fields=["status", "answered_at", "booking"])
    WaitlistEntry.objects.filter(pk=entry.pk).update(
        status=EntryStatus.BOOKED, booking=booking, closed_at=moment
    )
    return booking


def waitlist_offer_decline(*, token: str, now: datetime | None = None) -> WaitlistOffer:
    """Say no to an offer: its slots go free for the next entry, and the
    entry waits on for another time (it is not offered this one again)."""
    with write_transaction():
        offer = _locked_open_offer(token)
        moment = now or timezone.now()
        release_offer(offer, status=OfferStatus.DECLINED, now=moment)
        WaitlistEntry.objects.filter(
            pk=offer.entry_id, status=EntryStatus.OFFERED
        ).update(status=EntryStatus.WAITING)
    return offer
