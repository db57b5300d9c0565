"""Booking creation: one lock statement, every rule re-checked, a fixed few
statements (a booking of several slots costs what a booking of one does)."""

import logging
from datetime import datetime, timedelta
from typing import NamedTuple

from django.conf import settings
from django.db import IntegrityError, connection
from django.db.models import Q
from django.utils import timezone

from apps.availability.models import Availability
from apps.bookings import exceptions
from apps.bookings.models import (
    ACTIVE_STATUSES,
    Booking,
    BookingEvent,
    email_key,
    generate_reference,
)
from apps.bookings.phones import normalize_phone, phone_digits
from apps.bookings.services.events import record_event
from apps.bookings.services.holds import check_run_open, slot_run, take_slots
from apps.bookings.services.offering import (
    NearDayLimit,
    lock_slot_offering,
    service_day_tickets,
)
from apps.bookings.services.payment import verify_payment_locked
from apps.services.models import Service
from apps.staff.models import Staff
from common.bulk import insert_row
from common.dates import local_day_bounds
from common.db import ClashingInsert, run_write_transaction

logger = logging.getLogger(__name__)

Status = Booking.Status
Source = BookingEvent.Source


def payment_deadline(created_at: datetime) -> datetime:
    return created_at + timedelta(minutes=settings.BOOKING_PAYMENT_TIMEOUT_MINUTES)


def booking_create(
    *,
    service_id: int,
    availability_id: int,
    customer_name: str,
    customer_phone: str,
    customer_email: str = "",
    notes: str = "",
    locale: str = "",
    staff_id: int | None = None,
    paid_at_desk: str = "",
    actor=None,
    source: str = Source.GUEST,
    client_key: str = "",
    client_site_key: str = "",
    client_network_key: str = "",
    held_slot_ids: frozenset[int] = frozenset(),
    now: datetime | None = None,
) -> Booking:
    """Book a slot for a service: the slot rows are locked and every rule re-checked.

    A service longer than the slot takes the consecutive slots after it too
    (all locked in the one statement that locks the first, all marked booked
    together). The ids are checked here, once, under the lock: an unknown
    service, slot or staff member is a field error (400). `client_key` names
    the client a guest booked from (common.http.client_key), `client_site_key`
    and `client_network_key` its IPv6 /56 and /48 (common.http.client_keys);
    the unpaid-booking limits count per client, per network and per
    service-day. `held_slot_ids` are slots held for this guest (an offer they
    accepted): they may be taken, and their hold ends in the update that
    books them; any other held slot is taken (409). Returns the booking in
    `awaiting_payment`, with its payment deadline and its service, staff
    member and slot loaded.

    Staff booking for a guest at the desk (source `staff`) skip the guest
    limits, may leave the email empty, and with `paid_at_desk` (a
    `DeskPayment`) record the payment in the same transaction: the booking
    is returned `confirmed`, the audit trail naming who, when and how, and
    the guest is sent the confirmation instead of payment instructions.

    Every domain error is raised before the first write (see
    `run_write_transaction`, which also redoes the rare reference clash).
    """
    return run_write_transaction(
        lambda: _booking_create(
            service_id=service_id,
            availability_id=availability_id,
            customer_name=customer_name,
            customer_email=customer_email,
            customer_phone=customer_phone,
            notes=notes,
            locale=locale or settings.LANGUAGE_CODE,
            staff_id=staff_id,
            paid_at_desk=paid_at_desk,
            actor=actor,
            source=source,
            client_key=client_key,
            client_site_key=client_site_key,
            client_network_key=client_network_key,
            held_slot_ids=held_slot_ids,
            now=now,
        )
    )


def _booking_create(
    *,
    service_id,
    availability_id,
    customer_name,
    customer_email,
    customer_phone,
    notes,
    locale,
    staff_id,
    paid_at_desk,
    actor,
    source,
    client_key,
    client_site_key,
    client_network_key,
    held_slot_ids,
    now,
) -> Booking:
    guest = source == Source.GUEST
    if guest and not customer_email:
        raise exceptions.EmailRequired()
    if guest and paid_at_desk:
        raise ValueError("only staff take a payment at the desk")
    slots, service, day_count_exact = lock_slot_offering(
        availability_id=availability_id,
        service_id=service_id,
        client_lock=f"booking-client:{client_key}" if guest else None,
        network_locks=_network_locks(client_site_key, client_network_key),
    )
    # The clock is read after the lock, so audit times follow the order in
    # which writes were applied.
    now = now or timezone.now()
    slot = next((slot for slot in slots if slot.pk == availability_id), slots[0])
    if staff_id is not None and staff_id != slot.staff_id:
        if not Staff.objects.filter(pk=staff_id).exists():
            raise exceptions.UnknownStaff(staff_id)
        raise exceptions.StaffMismatch()
    if not service.is_active:
        raise exceptions.InactiveService()
    run = check_slots_bookable(
        slots,
        first_slot_id=availability_id,
        service=service,
        now=now,
        held_slot_ids=held_slot_ids,
    )
    # Parsed once: a phone the API validated comes parsed (phones.ParsedPhone).
    customer_phone = normalize_phone(customer_phone)
    customer_phone_digits = phone_digits(customer_phone)
    customer_email_key = email_key(customer_email)
    if guest:
        _check_unpaid_limits(
            client_key=client_key,
            email_key=customer_email_key,
            phone_digits=customer_phone_digits,
            networks=UnpaidNetworks(client_site_key, client_network_key),
            slot=slot,
            service=service,
            day_count_exact=day_count_exact,
        )

    # Writes from here on; no domain error below this line.
    booking = _insert_booking(
        Booking(
            customer_name=customer_name,
            customer_email=customer_email,
            notes=notes,
            locale=locale,
            service=service,
            staff=slot.staff,
            availability=slot,
            ends_at=run[-1].end_time,
            customer_phone=customer_phone,
            customer_phone_digits=customer_phone_digits,
            customer_email_key=customer_email_key,
            client_key=client_key,
            client_site_key=client_site_key,
            client_network_key=client_network_key,
            amount_due=service.price,
            status=Status.AWAITING_PAYMENT,
            created_at=now,
            payment_expires_at=payment_deadline(now),
        )
    )
    take_slots(booking, run, now=now)
    record_event(
        booking,
        kind=BookingEvent.Kind.CREATED,
        from_status="",
        actor=actor,
        source=source,
        now=now,
        # Paid on the spot: the guest gets the confirmation, not instructions.
        notify_guest=not paid_at_desk,
    )
    if paid_at_desk:
        verify_payment_locked(
            booking, actor=actor, source=source, now=now, desk_method=paid_at_desk
        )
    logger.info(
        "booking %s created for slots %s",
        booking.reference,
        ",".join(str(taken.pk) for taken in run),
    )
    return booking


def check_slots_bookable(
    slots: list[Availability],
    *,
    first_slot_id: int,
    service: Service,
    now: datetime,
    own_slot_ids: frozenset[int] = frozenset(),
    held_slot_ids: frozenset[int] = frozenset(),
) -> list[Availability]:
    """The rules a booking of `service` from `first_slot_id` must meet (create
    and move); returns the slots it takes.

    `slots` are the locked slots of the first one's staff member starting
    before the service would end (see `holds.slot_run`); `own_slot_ids` are
    the slots a booking being moved holds already. That the staff member
    offers the service is checked by the caller: creation reads it with the
    lock (`lock_slot_offering`).
    """
    first = next((slot for slot in slots if slot.pk == first_slot_id), None)
    if first is None:
        raise exceptions.SlotUnavailable()
    if not first.staff.is_active:
        raise exceptions.InactiveStaff()
    run = slot_run(slots, first_slot_id=first_slot_id, service=service)
    if first.has_started(now):
        raise exceptions.SlotInPast()
    if first.start_time <= now + timedelta(minutes=settings.BOOKING_MIN_NOTICE_MINUTES):
        raise exceptions.SlotTooSoon()
    check_run_open(run, own_slot_ids, held_slot_ids)
    return run


def _check_unpaid_limits(
    *,
    client_key: str,
    email_key: str,
    phone_digits: str,
    networks: "UnpaidNetworks",
    slot: Availability,
    service: Service,
    day_count_exact: bool,
):
    """Limit the unpaid bookings (held slots) of one client, and of one contact.

    A client (one address, see common.http) holds at most
    BOOKING_MAX_UNPAID_PER_CLIENT unpaid bookings, whatever contacts it writes;
    within a client, one email or phone at most BOOKING_MAX_UNPAID_PER_CONTACT.
    Holds are counted per client only, so nobody elsewhere can use up a guest's
    limit by booking with the guest's phone or email, and a refusal says
    nothing about anyone else's bookings. An IPv6 client's /56 and /48 hold
    at most BOOKING_MAX_UNPAID_PER_SITE and _PER_NETWORK, and all guests
    together at most BOOKING_MAX_UNPAID_PER_SERVICE_DAY for one service on
    one day: rotating through addresses never holds a whole day.

    One statement counts them all. On PostgreSQL the caller holds
    transaction-scoped advisory locks on the client, its networks and one or
    all of the service-day's tickets (`offering.lock_slot_offering` takes
    them), which makes the counts and the insert atomic, so parallel requests
    cannot slip past the limits together. With one ticket, up to
    `service_day_tickets() - 1` other bookings of the day may be in flight,
    unseen: the day's count is safe only that far below the limit, and
    nearer it the booking is redone under every ticket (`NearDayLimit`).
    SQLite's IMMEDIATE transactions already serialise them.
    """
    counts = unpaid_counts(
        client_key=client_key,
        email_key=email_key,
        phone_digits=phone_digits,
        networks=networks,
        slot=slot,
        service=service,
    )
    if client_key and counts["held"] >= settings.BOOKING_MAX_UNPAID_PER_CLIENT:
        raise exceptions.TooManyUnpaidBookings(exceptions.TOO_MANY_HOLDS_FOR_CLIENT)
    if counts["held_by_contact"] >= settings.BOOKING_MAX_UNPAID_PER_CONTACT:
        raise exceptions.TooManyUnpaidBookings()
    if (
        counts["held_by_site"] >= settings.BOOKING_MAX_UNPAID_PER_SITE
        or counts["held_by_network"] >= settings.BOOKING_MAX_UNPAID_PER_NETWORK
    ):
        raise exceptions.TooManyUnpaidBookings(exceptions.TOO_MANY_HOLDS_FOR_NETWORK)
    day_limit = settings.BOOKING_MAX_UNPAID_PER_SERVICE_DAY
    if counts["held_on_day"] >= day_limit:
        raise exceptions.TooManyUnpaidBookings(exceptions.TOO_MANY_HOLDS_FOR_DAY)
    if (
        not day_count_exact
        and counts["held_on_day"] + service_day_tickets() > day_limit
    ):
        raise NearDayLimit()


class UnpaidNetworks(NamedTuple):
    """An IPv6 client's /56 and /48 keys; empty for IPv4 (no wider bucket)."""

    site_key: str
    network_key: str


def _network_locks(site_key: str, network_key: str) -> tuple[str, ...]:
    return tuple(
        f"booking-{label}:{key}"
        for label, key in (("site", site_key), ("network", network_key))
        if key
    )


_BOOKINGS = Booking._meta.db_table
_SLOTS = Availability._meta.db_table
_UNPAID = f"{_BOOKINGS}.status = '{Status.AWAITING_PAYMENT}'"
# The condition of the unique index `booking_one_active_per_availability`.
_ACTIVE = ", ".join(f"'{status}'" for status in ACTIVE_STATUSES)
# Every count the limits need, in one fixed statement (one subquery each,
# each served by its partial index on unpaid bookings); an empty key counts
# nothing. Fixed text, so no query is compiled per booking. The day's count
# walks the day's booked slots and looks up each one's active booking by the
# slot alone, which the one-active-booking-per-slot unique index answers: a
# scalar subquery is never flattened into a join, and with nothing else in
# its WHERE the planner has no other index to pick. Statistics lag a
# fast-growing table ("few unpaid bookings", "few of this service"), and
# with the service or the status to filter on it would scan those instead:
# every unpaid booking, or every booking of the service, of every day.
_UNPAID_COUNTS_SQL = f"""
SELECT
 (SELECT COUNT(*) FROM {_BOOKINGS} WHERE {_UNPAID} AND client_key = %(client)s),
 (SELECT COUNT(*) FROM {_BOOKINGS} WHERE {_UNPAID} AND client_key = %(client)s
   AND (customer_email_key = %(email)s
        OR (%(phone)s <> '' AND customer_phone_digits = %(phone)s))),
 (SELECT COUNT(*) FROM {_BOOKINGS} WHERE %(site)s <> '' AND {_UNPAID}
   AND client_site_key = %(site)s),
 (SELECT COUNT(*) FROM {_BOOKINGS} WHERE %(network)s <> '' AND {_UNPAID}
   AND client_network_key = %(network)s),
 (SELECT COUNT(*) FROM {_SLOTS}
   WHERE {_SLOTS}.is_booked AND {_SLOTS}.start_time >= %(day_start)s
   AND {_SLOTS}.start_time < %(day_end)s
   AND (SELECT CASE WHEN {_UNPAID} AND {_BOOKINGS}.service_id = %(service)s
     AND {_BOOKINGS}.client_key <> '' THEN 1 ELSE 0 END
     FROM {_BOOKINGS} WHERE {_BOOKINGS}.availability_id = {_SLOTS}.id
     AND {_BOOKINGS}.status IN ({_ACTIVE})) = 1)
"""
UNPAID_COUNT_NAMES = (
    "held",
    "held_by_contact",
    "held_by_site",
    "held_by_network",
    "held_on_day",
)


def unpaid_counts_statement(
    *, client_key, email_key, phone_digits, networks, slot, service
) -> tuple[str, dict]:
    """The limits' one statement and its parameters: the client's holds,
    those with the same email or phone, its IPv6 site's and network's, and
    all guests' holds of the service on the slot's day (staff bookings have
    no client key; found through the day's booked slots)."""
    day_start, day_end = local_day_bounds(timezone.localdate(slot.start_time))
    return _UNPAID_COUNTS_SQL, {
        "client": client_key,
        "email": email_key,
        "phone": phone_digits,
        "site": networks.site_key,
        "network": networks.network_key,
        "service": service.pk,
        "day_start": day_start,
        "day_end": day_end,
    }


def unpaid_counts(**keys) -> dict[str, int]:
    """The counts of `unpaid_counts_statement`, by name."""
    sql, params = unpaid_counts_statement(**keys)
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        row = cursor.fetchone()
    return dict(zip(UNPAID_COUNT_NAMES, row, strict=True))


def same_contact(*, email_key: str, phone_digits: str) -> Q:
    contact = Q(customer_email_key=email_key)
    if phone_digits:
        contact |= Q(customer_phone_digits=phone_digits)
    return contact


def unpaid_bookings_of_client(*, client_key: str):
    """Unpaid bookings made from one client; served by a partial index."""
    return Booking.objects.filter(client_key=client_key, status=Status.AWAITING_PAYMENT)


def _insert_booking(booking: Booking) -> Booking:
    """Insert the booking with a fresh random reference.

    No savepoint per insert: a unique clash aborts the transaction. A
    reference drawn twice (about one in 10^12 per booking) redoes the whole
    transaction with a new one (`run_write_transaction`). A clash on the
    one-active-booking-per-slot constraint, which the slot lock rules out
    unless `is_booked` is stale, answers that the slot is taken (as a clash
    of the slots' holds does, `holds.take_slots`).
    """
    booking.reference = generate_reference()
    try:
        insert_row(booking)
    except IntegrityError as error:
        # PostgreSQL names the constraint, SQLite the column.
        if "reference" in str(error):
            raise ClashingInsert() from error
        raise ClashingInsert(answer=exceptions.SlotUnavailable()) from error
    return booking
