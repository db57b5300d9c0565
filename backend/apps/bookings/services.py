"""The booking domain layer: every write that changes a booking's state.

The API, the admin and the expiry command all call these functions, so the
rules live in one place. Each transition has the same shape:

1. open `write_transaction()`;
2. lock the rows it touches with `select_for_update()`, in the one lock order
   (staff, then slot, then booking: see `common.db`);
3. read the clock, then re-read and re-check the state under the lock
   against `ALLOWED_TRANSITIONS` (a clock read before the lock would let a
   transition that waited be stamped before the one it waited for);
4. change it, keep `Availability.is_booked` in step, and write one
   `BookingEvent`.
"""

import logging
import time
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from django.conf import settings
from django.db import IntegrityError, connection, transaction
from django.db.models import Count, F, Func, Q, TextField, Value
from django.utils import timezone

from apps.availability.models import Availability
from apps.availability.services import lock_availabilities
from apps.bookings import exceptions
from apps.bookings.models import (
    Booking,
    BookingEvent,
    email_key,
    generate_reference,
)
from apps.bookings.phones import normalize_phone, phone_key
from apps.notifications import services as notifications
from apps.services.models import Service
from apps.staff.models import Staff
from common.db import ClashingInsert, run_write_transaction, write_transaction
from common.exceptions import LockTimeout

logger = logging.getLogger(__name__)

Status = Booking.Status
Source = BookingEvent.Source

PAYMENT_TIMEOUT_NOTE = "payment timeout"
PAYMENT_TIMEOUT_REASON = "Payment was not received before the deadline."
BOOKING_CONTACT_FIELDS = ("customer_name", "customer_email", "customer_phone", "notes")


def payment_deadline(created_at: datetime) -> datetime:
    return created_at + timedelta(minutes=settings.BOOKING_PAYMENT_TIMEOUT_MINUTES)


# --- locking helpers ------------------------------------------------------


class _SlotMoved(Exception):
    """The booking moved to another slot between reading and locking it."""


_LOCK_ATTEMPTS = 3


def _lock_booking(booking_id: int, *, also_slot_id: int | None = None) -> Booking:
    """Lock a booking's slot (and `also_slot_id`), then the booking itself.

    Slots first, in primary-key order, like every other writer. The slot id
    is read before any lock, so a reschedule committing in between can move
    the booking off the slot just locked: the attempt runs in a savepoint,
    whose rollback releases its locks, and starts again with the new slot.
    """
    for _ in range(_LOCK_ATTEMPTS):
        availability_id = (
            Booking.objects.filter(pk=booking_id)
            .values_list("availability_id", flat=True)
            .get()
        )
        slot_ids = sorted({availability_id, also_slot_id} - {None})
        try:
            with transaction.atomic():
                lock_availabilities(slot_ids)
                booking = (
                    Booking.objects.select_for_update(no_key=True, of=("self",))
                    .select_related("availability", "service", "staff")
                    .get(pk=booking_id)
                )
                if booking.availability_id != availability_id:
                    raise _SlotMoved()
                return booking
        except _SlotMoved:
            continue
    raise LockTimeout()


def _record_event(
    booking: Booking,
    *,
    from_status: str,
    actor,
    source: str,
    note: str = "",
    now: datetime,
) -> BookingEvent:
    return BookingEvent.objects.create(
        booking=booking,
        from_status=from_status,
        to_status=booking.status,
        actor=actor if actor is not None and actor.is_authenticated else None,
        source=source,
        note=note,
        created_at=now,
    )


def _set_slot_booked(availability: Availability, is_booked: bool) -> None:
    availability.is_booked = is_booked
    availability.save(update_fields=["is_booked", "updated_at"])


def _check_transition(booking: Booking, to_status: str) -> None:
    if not booking.can_transition_to(to_status):
        raise exceptions.InvalidTransition(
            f"A booking in status '{booking.status}' cannot become '{to_status}'."
        )


# --- booking creation -----------------------------------------------------


def booking_create(
    *,
    service_id: int,
    availability_id: int,
    customer_name: str,
    customer_email: str,
    customer_phone: str,
    notes: str = "",
    staff_id: int | None = None,
    actor=None,
    source: str = Source.GUEST,
    client_key: str = "",
    now: datetime | None = None,
) -> Booking:
    """Book a slot for a service: the slot row is locked and every rule re-checked.

    The ids are checked here, once, under the lock: an unknown service, slot
    or staff member is a field error (400). `client_key` names the client a
    guest booked from (common.http.client_key); the unpaid-booking limits
    count per client. Returns the booking in `awaiting_payment`, with its
    payment deadline and its service, staff member and slot loaded.

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
            staff_id=staff_id,
            actor=actor,
            source=source,
            client_key=client_key,
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
    staff_id,
    actor,
    source,
    client_key,
    now,
) -> Booking:
    guest = source == Source.GUEST
    slot, service = _lock_slot_offering(
        availability_id=availability_id,
        service_id=service_id,
        client_lock=f"booking-client:{client_key}" if guest else None,
    )
    now = now or timezone.now()  # after the lock: see the module docstring
    if staff_id is not None and staff_id != slot.staff_id:
        if not Staff.objects.filter(pk=staff_id).exists():
            raise exceptions.UnknownStaff(staff_id)
        raise exceptions.StaffMismatch()
    if not service.is_active:
        raise exceptions.InactiveService()
    _check_slot_bookable(slot, service, now=now)
    customer_phone = normalize_phone(customer_phone)
    customer_phone_digits = phone_key(customer_phone)
    customer_email_key = email_key(customer_email)
    if guest:
        _check_unpaid_limits(
            client_key=client_key,
            email_key=customer_email_key,
            phone_digits=customer_phone_digits,
        )

    # Writes from here on; no domain error below this line.
    booking = _insert_booking(
        Booking(
            customer_name=customer_name,
            customer_email=customer_email,
            notes=notes,
            service=service,
            staff=slot.staff,
            availability=slot,
            customer_phone=customer_phone,
            customer_phone_digits=customer_phone_digits,
            customer_email_key=customer_email_key,
            client_key=client_key,
            amount_due=service.price,
            status=Status.AWAITING_PAYMENT,
            created_at=now,
            payment_expires_at=payment_deadline(now),
        )
    )
    _set_slot_booked(slot, True)
    _record_event(booking, from_status="", actor=actor, source=source, now=now)
    notifications.notification_queue_booking_created(
        booking=booking, now=now, guest_triggered=guest
    )
    logger.info("booking %s created for slot %s", booking.reference, slot.pk)
    return booking


_SERVICE_FIELDS = ("id", "name", "duration_minutes", "price", "is_active")


def _lock_slot_offering(
    *, availability_id: int, service_id: int, client_lock: str | None
) -> tuple[Availability, Service]:
    """Lock a slot and read its staff member and the service, in one statement.

    The row comes back only if the slot's staff member offers the service;
    otherwise a second look says which id was wrong (the error path may cost
    more). With `client_lock` on PostgreSQL, the same statement takes that
    transaction-scoped advisory lock: PostgreSQL computes the row before it
    locks it, so the client lock comes first. Only booking creation takes a
    client lock, and nothing that holds a slot waits for one, so adding it
    ahead of the lock order of `common.db` cannot close a cycle; the limits'
    count runs as the next statement, whose snapshot is taken after both.
    """
    service_columns = {
        f"service_{name}": F(f"staff__services__{name}") for name in _SERVICE_FIELDS
    }
    if client_lock is not None and connection.vendor == "postgresql":
        service_columns["client_locked"] = Func(
            Func(Value(client_lock), function="hashtext"),
            function="pg_advisory_xact_lock",
            output_field=TextField(),
        )
    slot = (
        Availability.objects.select_for_update(no_key=True, of=("self",))
        .select_related("staff")
        .filter(pk=availability_id, staff__services=service_id)
        .annotate(**service_columns)
        .first()
    )
    if slot is None:
        if not Availability.objects.filter(pk=availability_id).exists():
            raise exceptions.UnknownSlot(availability_id)
        if not Service.objects.filter(pk=service_id).exists():
            raise exceptions.UnknownService(service_id)
        raise exceptions.ServiceNotOffered()
    service = Service.from_db(
        connection.alias,
        list(_SERVICE_FIELDS),
        [getattr(slot, f"service_{name}") for name in _SERVICE_FIELDS],
    )
    return slot, service


def _check_unpaid_limits(*, client_key: str, email_key: str, phone_digits: str):
    """Limit the unpaid bookings (held slots) of one client, and of one contact.

    A client (one address, see common.http) holds at most
    BOOKING_MAX_UNPAID_PER_CLIENT unpaid bookings, whatever contacts it writes;
    within a client, one email or phone at most BOOKING_MAX_UNPAID_PER_CONTACT.
    Holds are counted per client only, so nobody elsewhere can use up a guest's
    limit by booking with the guest's phone or email, and a refusal says
    nothing about anyone else's bookings.

    On PostgreSQL the caller holds a transaction-scoped advisory lock on the
    client (`_lock_slot_offering` takes it), which makes the counts and the
    insert atomic, so parallel requests of one client cannot slip past the
    limits together. SQLite's IMMEDIATE transactions already serialise them.
    """
    counts = unpaid_bookings_of_client(client_key=client_key).aggregate(
        held=Count("pk"),
        held_by_contact=Count(
            "pk",
            filter=same_contact(email_key=email_key, phone_digits=phone_digits),
        ),
    )
    if client_key and counts["held"] >= settings.BOOKING_MAX_UNPAID_PER_CLIENT:
        raise exceptions.TooManyUnpaidBookings(exceptions.TOO_MANY_HOLDS_FOR_CLIENT)
    if counts["held_by_contact"] >= settings.BOOKING_MAX_UNPAID_PER_CONTACT:
        raise exceptions.TooManyUnpaidBookings()


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
    unless `is_booked` is stale, answers that the slot is taken.
    """
    booking.reference = generate_reference()
    try:
        booking.save(force_insert=True)
    except IntegrityError as error:
        # PostgreSQL names the constraint, SQLite the column.
        if "reference" in str(error):
            raise ClashingInsert() from error
        raise ClashingInsert(answer=exceptions.SlotUnavailable()) from error
    return booking


# --- transitions ------------------------------------------------------------


def _verify_payment_locked(
    booking: Booking, *, actor, source: str, now: datetime, note: str = ""
):
    _check_transition(booking, Status.CONFIRMED)
    from_status = booking.status
    booking.status = Status.CONFIRMED
    booking.payment_verified_at = now
    booking.payment_verified_by = actor
    booking.save(
        update_fields=[
            "status",
            "payment_verified_at",
            "payment_verified_by",
            "updated_at",
        ]
    )
    _record_event(
        booking,
        from_status=from_status,
        actor=actor,
        source=source,
        note=note,
        now=now,
    )
    notifications.notification_queue_payment_confirmed(booking=booking, now=now)


def _cancel_locked(
    booking: Booking, *, actor, source: str, reason: str, note: str, now: datetime
):
    _check_transition(booking, Status.CANCELLED)
    if source != Source.SYSTEM and booking.availability.has_started(now):
        raise exceptions.BookingAlreadyStarted()
    if (
        source == Source.GUEST
        and booking.status == Status.CONFIRMED
        and booking.availability.start_time - now
        < timedelta(hours=settings.BOOKING_GUEST_CANCEL_NOTICE_HOURS)
    ):
        raise exceptions.CancellationNoticePassed()
    from_status = booking.status
    booking.status = Status.CANCELLED
    booking.cancel_reason = reason
    booking.save(update_fields=["status", "cancel_reason", "updated_at"])
    _set_slot_booked(booking.availability, False)
    _record_event(
        booking,
        from_status=from_status,
        actor=actor,
        source=source,
        note=note or reason,
        now=now,
    )
    notifications.notification_queue_booking_cancelled(
        booking=booking, source=source, now=now
    )


def _complete_locked(booking: Booking, *, actor, source: str, now: datetime):
    _check_transition(booking, Status.COMPLETED)
    from_status = booking.status
    booking.status = Status.COMPLETED
    booking.save(update_fields=["status", "updated_at"])
    _record_event(booking, from_status=from_status, actor=actor, source=source, now=now)


def booking_verify_payment(
    *,
    booking: Booking,
    actor,
    source: str = Source.STAFF,
    note: str = "",
    now: datetime | None = None,
) -> Booking:
    """Record that the payment arrived: `awaiting_payment` -> `confirmed`.

    Staff call it after seeing the money; a bank statement import calls it
    with source `bank` and the bank's transaction id as the note.
    """
    with write_transaction():
        booking = _lock_booking(booking.pk)
        now = now or timezone.now()
        _verify_payment_locked(booking, actor=actor, source=source, note=note, now=now)
    return booking


def booking_lock(*, booking_id: int) -> Booking:
    """Lock a booking (and its slot first) inside the caller's transaction.

    For other apps that decide something about a booking and must not race
    its transitions (bank reconciliation); the caller opens the transaction.
    """
    return _lock_booking(booking_id)


def booking_cancel(
    *,
    booking: Booking,
    actor=None,
    source: str = Source.STAFF,
    reason: str = "",
    now: datetime | None = None,
) -> Booking:
    """Cancel a booking before its slot starts, and free the slot."""
    with write_transaction():
        booking = _lock_booking(booking.pk)
        now = now or timezone.now()
        _cancel_locked(
            booking, actor=actor, source=source, reason=reason, note="", now=now
        )
    return booking


def booking_complete(
    *, booking: Booking, actor, source: str = Source.STAFF, now: datetime | None = None
) -> Booking:
    """Mark a confirmed booking as done; from here on it is immutable."""
    with write_transaction():
        booking = _lock_booking(booking.pk)
        now = now or timezone.now()
        _complete_locked(booking, actor=actor, source=source, now=now)
    return booking


RESCHEDULABLE_STATUSES = (Status.AWAITING_PAYMENT, Status.CONFIRMED)


def _local_time(moment: datetime) -> str:
    return timezone.localtime(moment).strftime("%Y-%m-%d %H:%M %Z")


def booking_reschedule(
    *,
    booking: Booking,
    availability: Availability,
    actor=None,
    source: str = Source.STAFF,
    now: datetime | None = None,
) -> Booking:
    """Move an active booking to another bookable slot, in one transaction.

    Both slots are locked in primary-key order, then the booking (the global
    order: slot before booking), and every rule is re-checked under the
    locks. Status, payment fields, reference, amount and deadline stay as
    they were; the staff member follows the slot. Guests may move a confirmed
    booking only up to BOOKING_GUEST_CANCEL_NOTICE_HOURS before it starts,
    as they may cancel it.
    """
    with write_transaction():
        try:
            booking = _lock_booking(booking.pk, also_slot_id=availability.pk)
            target = Availability.objects.select_related("staff").get(
                pk=availability.pk
            )
        except Availability.DoesNotExist:
            raise exceptions.SlotUnavailable() from None
        now = now or timezone.now()
        if booking.status not in RESCHEDULABLE_STATUSES:
            raise exceptions.InvalidTransition(
                f"A booking in status '{booking.status}' cannot be rescheduled."
            )
        current = booking.availability
        if current.has_started(now):
            raise exceptions.BookingAlreadyStarted(
                "The appointment has already started; it can no longer be moved."
            )
        if (
            source == Source.GUEST
            and booking.status == Status.CONFIRMED
            and current.start_time - now
            < timedelta(hours=settings.BOOKING_GUEST_CANCEL_NOTICE_HOURS)
        ):
            raise exceptions.RescheduleNoticePassed()
        if target.pk == current.pk:
            raise exceptions.SameSlot()
        if not target.staff.services.filter(pk=booking.service_id).exists():
            # The guest chose the slot, not the service: point at the slot.
            raise exceptions.ServiceNotOffered(field="availability")
        _check_slot_bookable(target, booking.service, now=now)
        _set_slot_booked(current, False)
        booking.availability = target
        booking.staff = target.staff
        booking.save(update_fields=["availability", "staff", "updated_at"])
        _set_slot_booked(target, True)
        _record_event(
            booking,
            from_status=booking.status,
            actor=actor,
            source=source,
            note=(
                f"Rescheduled from {_local_time(current.start_time)} "
                f"to {_local_time(target.start_time)}."
            ),
            now=now,
        )
        notifications.notification_queue_booking_rescheduled(
            booking=booking, now=now, guest_triggered=source == Source.GUEST
        )
    logger.info(
        "booking %s moved from slot %s to slot %s",
        booking.reference,
        current.pk,
        target.pk,
    )
    return booking


def _check_slot_bookable(slot: Availability, service: Service, *, now: datetime):
    """The rules a slot must meet to take a booking of `service` (create and move).

    That the slot's staff member offers the service is checked by the caller:
    creation reads it with the lock (`_lock_slot_offering`).
    """
    if not slot.staff.is_active:
        raise exceptions.InactiveStaff()
    if slot.duration_minutes < service.duration_minutes:
        raise exceptions.SlotTooShort()
    if slot.has_started(now):
        raise exceptions.SlotInPast()
    if slot.start_time <= now + timedelta(minutes=settings.BOOKING_MIN_NOTICE_MINUTES):
        raise exceptions.SlotTooSoon()
    if slot.is_booked:
        raise exceptions.SlotUnavailable()


def booking_update(
    *,
    booking: Booking,
    actor,
    changes: dict,
    source: str = Source.STAFF,
    now: datetime | None = None,
) -> Booking:
    """Edit contact fields and notes; a `status` change runs the transition rules.

    Completed bookings cannot be edited at all.
    """
    unknown = set(changes) - set(BOOKING_CONTACT_FIELDS) - {"status"}
    if unknown:
        raise ValueError(f"booking_update cannot change {sorted(unknown)}")
    with write_transaction():
        booking = _lock_booking(booking.pk)
        now = now or timezone.now()
        if booking.status == Status.COMPLETED:
            raise exceptions.BookingImmutable()
        if "customer_phone" in changes:
            changes = {
                **changes,
                "customer_phone": normalize_phone(changes["customer_phone"]),
            }
        changed = [
            name
            for name in BOOKING_CONTACT_FIELDS
            if name in changes and changes[name] != getattr(booking, name)
        ]
        if changed:
            for name in changed:
                setattr(booking, name, changes[name])
            if "customer_phone" in changed:
                booking.customer_phone_digits = phone_key(booking.customer_phone)
                changed.append("customer_phone_digits")
            if "customer_email" in changed:
                booking.customer_email_key = email_key(booking.customer_email)
                changed.append("customer_email_key")
            booking.save(update_fields=[*changed, "updated_at"])
        new_status = changes.get("status")
        if new_status is not None and new_status != booking.status:
            _apply_status_change(
                booking, new_status, actor=actor, source=source, now=now
            )
    return booking


def _apply_status_change(booking: Booking, new_status: str, *, actor, source, now):
    if new_status == Status.CONFIRMED:
        _verify_payment_locked(booking, actor=actor, source=source, now=now)
    elif new_status == Status.CANCELLED:
        _cancel_locked(booking, actor=actor, source=source, reason="", note="", now=now)
    elif new_status == Status.COMPLETED:
        _complete_locked(booking, actor=actor, source=source, now=now)
    else:
        _check_transition(booking, new_status)  # nothing leads back; raises


def booking_delete(*, booking: Booking, actor) -> None:
    """Delete a booking that is not completed, freeing its slot in one transaction."""
    with write_transaction():
        booking = _lock_booking(booking.pk)
        if booking.status == Status.COMPLETED:
            raise exceptions.BookingImmutable()
        if booking.is_active:
            _set_slot_booked(booking.availability, False)
        reference, status = booking.reference, booking.status
        booking.delete()
    logger.info(
        "booking %s (%s) deleted by %s", reference, status, getattr(actor, "pk", None)
    )


# --- payment expiry -----------------------------------------------------------


@dataclass
class ExpiryResult:
    expired: int = 0
    slots_released: int = 0
    batches: int = 0
    duration_seconds: float = 0.0
    expired_references: list[str] = field(default_factory=list, repr=False)


def bookings_expire_unpaid(
    *,
    now: datetime | None = None,
    batch_size: int = 500,
    dry_run: bool = False,
    keep_references: bool = False,
    notify: bool = True,
) -> ExpiryResult:
    """Cancel unpaid bookings past their deadline and free their slots.

    Works in batches, each its own transaction, so a failure in one batch
    leaves the earlier ones applied and nothing of its own; the next run
    finishes the job. Rows another writer holds (a payment being verified,
    another copy of this job) are skipped rather than waited for: whoever
    holds them decides their fate, and a later run sees the result.
    """
    if batch_size < 1:
        raise ValueError("batch_size must be at least 1")
    now = now or timezone.now()
    started = time.monotonic()
    result = ExpiryResult()
    due = Booking.objects.filter(
        status=Status.AWAITING_PAYMENT, payment_expires_at__lte=now
    ).order_by("payment_expires_at", "pk")
    cursor: tuple[datetime, int] | None = None
    while True:
        page = due
        if cursor is not None:
            # Keyset pagination: never revisits a row, even one that was
            # skipped because it was locked, so the loop always ends.
            page = page.filter(
                Q(payment_expires_at__gt=cursor[0])
                | Q(payment_expires_at=cursor[0], pk__gt=cursor[1])
            )
        candidates = list(
            page.values_list("pk", "availability_id", "payment_expires_at")[:batch_size]
        )
        if not candidates:
            break
        cursor = (candidates[-1][2], candidates[-1][0])
        if dry_run:
            result.expired += len(candidates)
            continue
        references = _expire_batch(candidates, now=now, notify=notify)
        result.batches += 1
        result.expired += len(references)
        result.slots_released += len(references)
        if keep_references:
            result.expired_references.extend(references)
        logger.debug(
            "expiry batch %d: %d of %d candidates cancelled",
            result.batches,
            len(references),
            len(candidates),
        )
    result.duration_seconds = time.monotonic() - started
    logger.info(
        "expire_unpaid_bookings: expired=%d slots_released=%d batches=%d "
        "duration=%.3fs%s",
        result.expired,
        result.slots_released,
        result.batches,
        result.duration_seconds,
        " (dry run)" if dry_run else "",
    )
    return result


def _expire_batch(
    candidates: list[tuple], *, now: datetime, notify: bool = True
) -> list[str]:
    booking_ids = [pk for pk, _, _ in candidates]
    slot_ids = [slot_id for _, slot_id, _ in candidates]
    emails = (
        notifications.notifications_prepare_bookings_expired(
            booking_ids=booking_ids, reason=PAYMENT_TIMEOUT_REASON, now=now
        )
        if notify
        else {}
    )
    with write_transaction():
        locked_slot_ids = lock_availabilities(slot_ids, skip_locked=True)
        # Re-checked under the lock: a booking verified or cancelled since
        # the candidates were read no longer matches and is left alone.
        bookings = list(
            Booking.objects.select_for_update(no_key=True, skip_locked=True)
            .filter(
                pk__in=booking_ids,
                availability_id__in=locked_slot_ids,
                status=Status.AWAITING_PAYMENT,
                payment_expires_at__lte=now,
            )
            .order_by("pk")
            .values_list("pk", "availability_id", "reference")
        )
        if not bookings:
            return []
        expired_ids = [pk for pk, _, _ in bookings]
        Booking.objects.filter(pk__in=expired_ids).update(
            status=Status.CANCELLED,
            cancel_reason=PAYMENT_TIMEOUT_REASON,
            updated_at=now,
        )
        Availability.objects.filter(pk__in=[slot for _, slot, _ in bookings]).update(
            is_booked=False, updated_at=now
        )
        BookingEvent.objects.bulk_create(
            BookingEvent(
                booking_id=pk,
                from_status=Status.AWAITING_PAYMENT,
                to_status=Status.CANCELLED,
                source=Source.SYSTEM,
                note=PAYMENT_TIMEOUT_NOTE,
                created_at=now,
            )
            for pk in expired_ids
        )
        notifications.notifications_queue_prepared(
            prepared=emails, booking_ids=expired_ids
        )
    return [reference for _, _, reference in bookings]
