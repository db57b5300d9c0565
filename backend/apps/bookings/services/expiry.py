"""The payment deadline: unpaid bookings past it are cancelled in batches."""

import json
import logging
import time
from dataclasses import dataclass, field
from datetime import datetime

from django.db import connection
from django.db.models import Q
from django.utils import timezone

from apps.availability.services import availabilities_release, lock_availabilities
from apps.bookings.models import Booking, BookingEvent, BookingSlot
from apps.bookings.services.events import record_events_alike
from common.db import write_transaction
from common.lookups import id_array

logger = logging.getLogger(__name__)

Status = Booking.Status

PAYMENT_TIMEOUT_NOTE = "payment timeout"
PAYMENT_TIMEOUT_REASON = "Payment was not received before the deadline."


@dataclass
class ExpiryResult:
    expired: int = 0
    slots_released: int = 0
    batches: int = 0
    duration_seconds: float = 0.0
    expired_references: list[str] = field(default_factory=list, repr=False)

    def summary(self) -> str:
        return (
            f"Expired {self.expired} unpaid bookings, released "
            f"{self.slots_released} slots in {self.batches} batches "
            f"({self.duration_seconds:.2f}s)."
        )


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
    holds them decides their fate, and a later run sees the result. With
    `notify` off, the `expired` events say the guests are not to be told.
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
        references, released = _expire_batch(candidates, now=now, notify=notify)
        result.batches += 1
        result.expired += len(references)
        result.slots_released += released
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
    candidates: list[tuple], *, now: datetime, notify: bool
) -> tuple[list[str], int]:
    """Expire one batch in one transaction; returns the references and the
    number of slots released (a booking longer than one slot frees them all)."""
    booking_ids = [pk for pk, _, _ in candidates]
    first_slot = {pk: slot_id for pk, slot_id, _ in candidates}
    slots_of: dict[int, set[int]] = {pk: {slot_id} for pk, slot_id, _ in candidates}
    for booking_id, slot_id in BookingSlot.objects.filter(
        booking_id__in_ids=booking_ids, active=True
    ).values_list("booking_id", "availability_id"):
        slots_of[booking_id].add(slot_id)
    # A batch lost to a crash just after its COMMIT is redone by the next run:
    # the commit need not wait for the disk (a fifth of the job's time).
    with write_transaction(wait_for_flush=False):
        locked_slot_ids = set(
            lock_availabilities(
                [slot for slots in slots_of.values() for slot in slots],
                skip_locked=True,
            )
        )
        # A booking is expired only with every one of its slots locked here.
        whole = [pk for pk, slots in slots_of.items() if slots <= locked_slot_ids]
        bookings = _cancel_unchanged([(pk, first_slot[pk]) for pk in whole], now=now)
        if not bookings:
            return [], 0
        expired_ids = [pk for pk, _, _ in bookings]
        released = sorted({slot for pk in expired_ids for slot in slots_of[pk]})
        BookingSlot.objects.filter(booking_id__in_ids=expired_ids, active=True).update(
            active=False
        )
        availabilities_release(released, now=now)
        record_events_alike(
            expired_ids,
            kind=BookingEvent.Kind.EXPIRED,
            from_status=Status.AWAITING_PAYMENT,
            to_status=Status.CANCELLED,
            source=BookingEvent.Source.SYSTEM,
            note=PAYMENT_TIMEOUT_NOTE,
            created_at=now,
            notify_guest=notify,
        )
    return [reference for _, _, reference in bookings], len(released)


def _cancel_unchanged(picked: list[tuple[int, int]], *, now: datetime) -> list[tuple]:
    """Lock, re-check and cancel the picked (booking, first slot) pairs in one
    set-based statement; return (pk, slot, reference) of those cancelled.

    Re-checked under the lock: a booking verified or cancelled since the
    candidates were read no longer matches and is left alone, and one moved
    since (a reschedule moves its first slot) holds other slots than the
    ones read, so it is left alone too. Rows another writer holds are
    skipped (PostgreSQL; SQLite's IMMEDIATE transactions serialise writers).
    """
    if not picked:
        return []
    ops = connection.ops
    table = ops.quote_name(Booking._meta.db_table)
    params = [
        Status.CANCELLED,
        PAYMENT_TIMEOUT_REASON,
        ops.adapt_datetimefield_value(now),
        Status.AWAITING_PAYMENT,
        ops.adapt_datetimefield_value(now),
    ]
    if connection.vendor == "postgresql":
        sql = f"""
            UPDATE {table} SET status = %s, cancel_reason = %s, updated_at = %s
            WHERE id IN (
                SELECT booking.id FROM {table} booking
                JOIN unnest(%s::bigint[], %s::bigint[]) AS picked (id, slot)
                    ON picked.id = booking.id AND picked.slot = booking.availability_id
                WHERE booking.status = %s AND booking.payment_expires_at <= %s
                ORDER BY booking.id
                FOR NO KEY UPDATE OF booking SKIP LOCKED
            )
            RETURNING id, availability_id, reference"""
        params[3:3] = [
            id_array(pk for pk, _ in picked),
            id_array(slot for _, slot in picked),
        ]
    else:
        sql = f"""
            UPDATE {table} SET status = %s, cancel_reason = %s, updated_at = %s
            WHERE status = %s AND payment_expires_at <= %s
            AND (id, availability_id) IN (
                SELECT json_extract(value, '$[0]'), json_extract(value, '$[1]')
                FROM json_each(%s)
            )
            RETURNING id, availability_id, reference"""
        params.append(json.dumps(picked))
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return sorted(cursor.fetchall())
