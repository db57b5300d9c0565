"""Row locks of the booking domain, in the one lock order of `common.db`.

Staff, then slot, then booking: a booking's slot is locked before the
booking itself, slots in primary-key order, through availability's helpers.
"""

from django.db import connection, transaction
from django.db.models import F, Func, QuerySet, TextField, Value

from apps.availability.models import Availability
from apps.availability.services import lock_availabilities
from apps.bookings import exceptions
from apps.bookings.models import Booking
from apps.services.models import Service
from common.exceptions import LockTimeout


class _SlotMoved(Exception):
    """The booking moved to another slot between reading and locking it."""


_LOCK_ATTEMPTS = 3


def lock_booking(booking_id: int, *, also_slot_id: int | None = None) -> Booking:
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


def booking_lock(*, booking_id: int) -> Booking:
    """Lock a booking (and its slot first) inside the caller's transaction.

    For other apps that decide something about a booking and must not race
    its transitions (bank reconciliation); the caller opens the transaction.
    """
    return lock_booking(booking_id)


def bookings_lock_skipping_held(bookings: QuerySet[Booking]) -> list[Booking]:
    """Lock the bookings of a query that no other writer holds; skip the rest.

    For jobs that act on many bookings in the caller's transaction (the
    reminders): a held booking is being changed, and a later run sees the
    result. Only the booking rows are locked; nothing waits, so the lock
    order cannot be crossed.
    """
    return list(
        bookings.select_for_update(no_key=True, skip_locked=True, of=("self",))
        .select_related("service", "staff", "availability")
        .order_by("pk")
    )


_SERVICE_FIELDS = ("id", "name", "duration_minutes", "price", "is_active")


def lock_slot_offering(
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
