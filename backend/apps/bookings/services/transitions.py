"""Booking transitions: verify payment, cancel, complete, reschedule, edit, delete.

Each has the same shape: open `write_transaction()`, lock the booking's slot
and then the booking (`lock_booking`), read the clock after the lock,
re-check the state against `ALLOWED_TRANSITIONS`, change it, keep the slot's
`is_booked` in step through availability, and record one event.
"""

import logging
from datetime import datetime, timedelta

from django.conf import settings
from django.utils import timezone

from apps.availability.models import Availability
from apps.availability.services import availability_set_booked
from apps.bookings import exceptions
from apps.bookings.models import Booking, BookingEvent, email_key
from apps.bookings.phones import normalize_phone, phone_key
from apps.bookings.services.create import check_slot_bookable
from apps.bookings.services.events import record_event
from apps.bookings.services.locking import lock_booking
from common.db import write_transaction

logger = logging.getLogger(__name__)

Status = Booking.Status
Source = BookingEvent.Source
Kind = BookingEvent.Kind

BOOKING_CONTACT_FIELDS = ("customer_name", "customer_email", "customer_phone", "notes")
RESCHEDULABLE_STATUSES = (Status.AWAITING_PAYMENT, Status.CONFIRMED)


def _check_transition(booking: Booking, to_status: str) -> None:
    if not booking.can_transition_to(to_status):
        raise exceptions.InvalidTransition(
            f"A booking in status '{booking.status}' cannot become '{to_status}'."
        )


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
    record_event(
        booking,
        kind=Kind.PAYMENT_VERIFIED,
        from_status=from_status,
        actor=actor,
        source=source,
        note=note,
        now=now,
    )


def _guest_notice_passed(booking: Booking, *, source: str, now: datetime) -> bool:
    """A guest may cancel or move a confirmed booking only up to the notice."""
    return (
        source == Source.GUEST
        and booking.status == Status.CONFIRMED
        and booking.availability.start_time - now
        < timedelta(hours=settings.BOOKING_GUEST_CANCEL_NOTICE_HOURS)
    )


def _cancel_locked(booking: Booking, *, actor, source: str, reason: str, now):
    _check_transition(booking, Status.CANCELLED)
    if source != Source.SYSTEM and booking.availability.has_started(now):
        raise exceptions.BookingAlreadyStarted()
    if _guest_notice_passed(booking, source=source, now=now):
        raise exceptions.CancellationNoticePassed()
    from_status = booking.status
    booking.status = Status.CANCELLED
    booking.cancel_reason = reason
    booking.save(update_fields=["status", "cancel_reason", "updated_at"])
    availability_set_booked(booking.availability, booked=False)
    record_event(
        booking,
        kind=Kind.CANCELLED,
        from_status=from_status,
        actor=actor,
        source=source,
        note=reason,
        now=now,
    )


def _complete_locked(booking: Booking, *, actor, source: str, now: datetime):
    _check_transition(booking, Status.COMPLETED)
    from_status = booking.status
    booking.status = Status.COMPLETED
    booking.save(update_fields=["status", "updated_at"])
    record_event(
        booking,
        kind=Kind.COMPLETED,
        from_status=from_status,
        actor=actor,
        source=source,
        now=now,
    )


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
        booking = lock_booking(booking.pk)
        now = now or timezone.now()
        _verify_payment_locked(booking, actor=actor, source=source, note=note, now=now)
    return booking


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
        booking = lock_booking(booking.pk)
        now = now or timezone.now()
        _cancel_locked(booking, actor=actor, source=source, reason=reason, now=now)
    return booking


def booking_complete(
    *, booking: Booking, actor, source: str = Source.STAFF, now: datetime | None = None
) -> Booking:
    """Mark a confirmed booking as done; from here on it is immutable."""
    with write_transaction():
        booking = lock_booking(booking.pk)
        now = now or timezone.now()
        _complete_locked(booking, actor=actor, source=source, now=now)
    return booking


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
            booking = lock_booking(booking.pk, also_slot_id=availability.pk)
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
        if _guest_notice_passed(booking, source=source, now=now):
            raise exceptions.RescheduleNoticePassed()
        if target.pk == current.pk:
            raise exceptions.SameSlot()
        if not target.staff.services.filter(pk=booking.service_id).exists():
            # The guest chose the slot, not the service: point at the slot.
            raise exceptions.ServiceNotOffered(field="availability")
        check_slot_bookable(target, booking.service, now=now)
        availability_set_booked(current, booked=False)
        booking.availability = target
        booking.staff = target.staff
        booking.save(update_fields=["availability", "staff", "updated_at"])
        availability_set_booked(target, booked=True)
        record_event(
            booking,
            kind=Kind.RESCHEDULED,
            from_status=booking.status,
            actor=actor,
            source=source,
            note=(
                f"Rescheduled from {_local_time(current.start_time)} "
                f"to {_local_time(target.start_time)}."
            ),
            data={
                "from_availability": current.pk,
                "from_start_time": current.start_time.isoformat(),
                "to_availability": target.pk,
                "to_start_time": target.start_time.isoformat(),
            },
            now=now,
        )
    logger.info(
        "booking %s moved from slot %s to slot %s",
        booking.reference,
        current.pk,
        target.pk,
    )
    return booking


def booking_update(
    *,
    booking: Booking,
    actor,
    changes: dict,
    source: str = Source.STAFF,
    now: datetime | None = None,
) -> Booking:
    """Edit contact fields and notes; a `status` change runs the transition rules.

    Completed bookings cannot be edited at all. A change of contact details
    is recorded as a `contact_changed` event naming the fields (not their
    values).
    """
    unknown = set(changes) - set(BOOKING_CONTACT_FIELDS) - {"status"}
    if unknown:
        raise ValueError(f"booking_update cannot change {sorted(unknown)}")
    with write_transaction():
        booking = lock_booking(booking.pk)
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
            _change_contact(booking, changes, changed)
            record_event(
                booking,
                kind=Kind.CONTACT_CHANGED,
                from_status=booking.status,
                actor=actor,
                source=source,
                data={"fields": changed},
                now=now,
            )
        new_status = changes.get("status")
        if new_status is not None and new_status != booking.status:
            _apply_status_change(
                booking, new_status, actor=actor, source=source, now=now
            )
    return booking


def _change_contact(booking: Booking, changes: dict, changed: list[str]) -> None:
    for name in changed:
        setattr(booking, name, changes[name])
    update_fields = [*changed, "updated_at"]
    if "customer_phone" in changed:
        booking.customer_phone_digits = phone_key(booking.customer_phone)
        update_fields.append("customer_phone_digits")
    if "customer_email" in changed:
        booking.customer_email_key = email_key(booking.customer_email)
        update_fields.append("customer_email_key")
    booking.save(update_fields=update_fields)


def _apply_status_change(booking: Booking, new_status: str, *, actor, source, now):
    if new_status == Status.CONFIRMED:
        _verify_payment_locked(booking, actor=actor, source=source, now=now)
    elif new_status == Status.CANCELLED:
        _cancel_locked(booking, actor=actor, source=source, reason="", now=now)
    elif new_status == Status.COMPLETED:
        _complete_locked(booking, actor=actor, source=source, now=now)
    else:
        _check_transition(booking, new_status)  # nothing leads back; raises


def booking_delete(*, booking: Booking, actor) -> None:
    """Delete a booking that is not completed, freeing its slot in one transaction."""
    with write_transaction():
        booking = lock_booking(booking.pk)
        if booking.status == Status.COMPLETED:
            raise exceptions.BookingImmutable()
        if booking.is_active:
            availability_set_booked(booking.availability, booked=False)
        reference, status = booking.reference, booking.status
        booking.delete()
    logger.info(
        "booking %s (%s) deleted by %s", reference, status, getattr(actor, "pk", None)
    )
