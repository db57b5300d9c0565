"""Booking transitions: verify payment, cancel, complete, reschedule, edit, delete.

Each has the same shape: open `write_transaction()`, lock the booking's slots
and then the booking (`lock_booking`), read the clock after the lock,
re-check the state against `ALLOWED_TRANSITIONS`, change it, keep the slots'
holds and `is_booked` flags in step (`holds`), and record one event.
"""

import logging
from datetime import datetime, timedelta

from django.conf import settings
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from apps.availability.models import Availability
from apps.availability.selectors import availability_run_ids
from apps.bookings import exceptions
from apps.bookings.models import Booking, BookingEvent, email_key
from apps.bookings.phones import normalize_phone, phone_key
from apps.bookings.services.create import check_slots_bookable
from apps.bookings.services.events import record_event
from apps.bookings.services.holds import release_slots, take_slots
from apps.bookings.services.locking import lock_booking
from apps.bookings.services.payment import check_transition, verify_payment_locked
from common.db import ClashingInsert, write_transaction

logger = logging.getLogger(__name__)

Status = Booking.Status
Source = BookingEvent.Source
Kind = BookingEvent.Kind

BOOKING_CONTACT_FIELDS = (
    "customer_name",
    "customer_email",
    "customer_phone",
    "notes",
    "locale",
)
RESCHEDULABLE_STATUSES = (Status.AWAITING_PAYMENT, Status.CONFIRMED)


def _guest_notice_passed(booking: Booking, *, source: str, now: datetime) -> bool:
    """A guest may cancel or move a confirmed booking only up to the notice."""
    return (
        source == Source.GUEST
        and booking.status == Status.CONFIRMED
        and booking.availability.start_time - now
        < timedelta(hours=settings.BOOKING_GUEST_CANCEL_NOTICE_HOURS)
    )


def _cancel_locked(
    booking: Booking,
    *,
    actor,
    source: str,
    reason: str,
    now,
    refund_due: bool = False,
    notify_guest: bool = True,
):
    check_transition(booking, Status.CANCELLED)
    if source != Source.SYSTEM and booking.availability.has_started(now):
        raise exceptions.BookingAlreadyStarted()
    if _guest_notice_passed(booking, source=source, now=now):
        raise exceptions.CancellationNoticePassed()
    if refund_due and booking.payment_verified_at is None:
        raise exceptions.NothingToRefund()
    from_status = booking.status
    booking.status = Status.CANCELLED
    booking.cancel_reason = reason
    booking.refund_due = refund_due
    booking.save(update_fields=["status", "cancel_reason", "refund_due", "updated_at"])
    release_slots(booking, booking.held_slot_ids, now=now)
    data = {"notify_guest": notify_guest}
    if booking.payment_verified_at is not None:
        # Listeners (payments: the bank credit to give back) read it here.
        data["refund_due"] = refund_due
    record_event(
        booking,
        kind=Kind.CANCELLED,
        from_status=from_status,
        actor=actor,
        source=source,
        note=reason,
        data=data,
        notify_guest=notify_guest,
        now=now,
    )


def _complete_locked(booking: Booking, *, actor, source: str, now: datetime):
    check_transition(booking, Status.COMPLETED)
    # Completed is final: marking it before the guest came would lose the
    # booking (no cancel, no move) if they never do.
    if not booking.availability.has_started(now):
        raise exceptions.BookingNotStarted()
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
        verify_payment_locked(booking, actor=actor, source=source, note=note, now=now)
    return booking


def booking_cancel(
    *,
    booking: Booking,
    actor=None,
    source: str = Source.STAFF,
    reason: str = "",
    refund_due: bool = False,
    notify_guest: bool = True,
    now: datetime | None = None,
) -> Booking:
    """Cancel a booking before its slot starts, and free the slot.

    `refund_due` (a paid booking only, else 400 `nothing_to_refund`) records
    that the business owes the guest the money back; `notify_guest` False
    sends the guest no email (they were told at the desk).
    """
    with write_transaction():
        booking = lock_booking(booking.pk)
        now = now or timezone.now()
        _cancel_locked(
            booking,
            actor=actor,
            source=source,
            reason=reason,
            refund_due=refund_due,
            notify_guest=notify_guest,
            now=now,
        )
    return booking


def booking_complete(
    *, booking: Booking, actor, source: str = Source.STAFF, now: datetime | None = None
) -> Booking:
    """Mark a confirmed booking as done once it has started (409
    `booking_not_started` before); from here on it is immutable."""
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

    The booking's slots and the ones it would take from the target (as many
    consecutive slots as its service needs) are locked in primary-key order,
    then the booking (the global order: slot before booking), and every rule
    is re-checked under the locks; the old slots are freed and the new ones
    taken together. Status, payment fields, reference, amount and deadline
    stay as they were; the staff member follows the slot. Guests may move a
    confirmed booking only up to BOOKING_GUEST_CANCEL_NOTICE_HOURS before it
    starts, as they may cancel it.
    """
    try:
        with write_transaction():
            return _reschedule(
                booking=booking,
                availability=availability,
                actor=actor,
                source=source,
                now=now,
            )
    except ClashingInsert as clash:
        # A stale slot flag the holds' index caught; rolled back by now.
        raise clash.answer from clash.__cause__


def _reschedule(*, booking, availability, actor, source, now) -> Booking:
    minutes_needed = (
        Booking.objects.filter(pk=booking.pk)
        .values_list("service__duration_minutes", flat=True)
        .first()
    ) or 0
    target_ids = availability_run_ids(
        first_slot_id=availability.pk, minutes_needed=max(minutes_needed, 1)
    )
    booking = lock_booking(booking.pk, also_slot_ids=target_ids)
    target_run = list(
        Availability.objects.select_related("staff").filter(pk__in=target_ids)
    )
    now = now or timezone.now()
    if booking.status not in RESCHEDULABLE_STATUSES:
        raise exceptions.InvalidTransition(
            _("A booking in status '%(status)s' cannot be rescheduled.")
            % {"status": booking.status}
        )
    current = booking.availability
    if current.has_started(now):
        raise exceptions.BookingAlreadyStarted(
            _("The appointment has already started; it can no longer be moved.")
        )
    if _guest_notice_passed(booking, source=source, now=now):
        raise exceptions.RescheduleNoticePassed()
    target = next((slot for slot in target_run if slot.pk == availability.pk), None)
    if target is None:
        raise exceptions.SlotUnavailable()
    if target.pk == current.pk:
        raise exceptions.SameSlot()
    if not target.staff.services.filter(pk=booking.service_id).exists():
        # The guest chose the slot, not the service: point at the slot.
        raise exceptions.ServiceNotOffered(field="availability")
    run = check_slots_bookable(
        target_run,
        first_slot_id=target.pk,
        service=booking.service,
        now=now,
        own_slot_ids=frozenset(booking.held_slot_ids),
    )
    release_slots(booking, booking.held_slot_ids, now=now)
    booking.availability = target
    booking.staff = target.staff
    booking.ends_at = run[-1].end_time
    booking.save(update_fields=["availability", "staff", "ends_at", "updated_at"])
    take_slots(booking, run, now=now)
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
        verify_payment_locked(booking, actor=actor, source=source, now=now)
    elif new_status == Status.CANCELLED:
        _cancel_locked(booking, actor=actor, source=source, reason="", now=now)
    elif new_status == Status.COMPLETED:
        _complete_locked(booking, actor=actor, source=source, now=now)
    else:
        check_transition(booking, new_status)  # nothing leads back; raises


def booking_delete(*, booking: Booking, actor) -> None:
    """Delete a booking that is not completed, freeing its slot in one transaction."""
    with write_transaction():
        booking = lock_booking(booking.pk)
        if booking.status == Status.COMPLETED:
            raise exceptions.BookingImmutable()
        if booking.held_slot_ids:
            release_slots(booking, booking.held_slot_ids, now=timezone.now())
        reference, status = booking.reference, booking.status
        booking.delete()
    logger.info(
        "booking %s (%s) deleted by %s", reference, status, getattr(actor, "pk", None)
    )
