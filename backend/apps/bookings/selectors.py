"""Read-only queries of bookings: what staff see, what a guest may look up."""

import hmac
from datetime import date, datetime, timedelta

from django.db.models import F, Prefetch, Q, QuerySet, prefetch_related_objects
from django.db.models.functions import TruncDate

from apps.bookings.models import ACTIVE_STATUSES, Booking, BookingEvent, BookingSlot
from apps.bookings.phones import phone_key
from common.dates import local_day_bounds


def booking_list() -> QuerySet[Booking]:
    return Booking.objects.select_related(
        "service", "staff", "availability", "payment_verified_by"
    )


def bookings_unpaid_with_deadline_within(
    *, now: datetime, window: timedelta
) -> QuerySet[Booking]:
    """Unpaid bookings whose deadline falls in the next `window`, made before
    that window opened (a booking made inside it was just told its deadline).

    Served by the unpaid-deadline index (`booking_unpaid_expiry_idx`).
    """
    return Booking.objects.filter(
        status=Booking.Status.AWAITING_PAYMENT,
        payment_expires_at__gt=now,
        payment_expires_at__lte=now + window,
        created_at__lt=F("payment_expires_at") - window,
    )


def bookings_active_of_staff(
    *, staff_id: int, starts_from: datetime, starts_before: datetime
) -> QuerySet[Booking]:
    """Active bookings of one staff member starting in a range, by start time."""
    return (
        Booking.objects.filter(
            staff_id=staff_id,
            status__in=ACTIVE_STATUSES,
            availability__start_time__gte=starts_from,
            availability__start_time__lt=starts_before,
        )
        .select_related("service", "availability")
        .order_by("availability__start_time", "pk")
    )


def bookings_holding_time(
    *, start: datetime, end: datetime, staff_id: int | None = None
) -> QuerySet[Booking]:
    """Bookings awaiting payment or confirmed that hold a slot overlapping
    [start, end): of one staff member, or of anyone with None."""
    held = BookingSlot.objects.filter(
        active=True, availability__start_time__lt=end, availability__end_time__gt=start
    )
    # A booking's first slot counts without a hold row too (rows written by
    # plain SQL, as the benchmarks' harness writes them).
    first = Q(availability__start_time__lt=end, availability__end_time__gt=start)
    if staff_id is not None:
        held = held.filter(availability__staff_id=staff_id)
        first &= Q(staff_id=staff_id)
    return booking_list().filter(
        Q(pk__in=held.values("booking_id")) | first,
        status__in=(Booking.Status.AWAITING_PAYMENT, Booking.Status.CONFIRMED),
    )


def booking_for_guest(
    *, reference: str, email: str = "", phone: str = ""
) -> Booking | None:
    """The booking with this reference, if the email or phone matches it.

    A wrong contact and an unknown reference give the same None, so the
    lookup reveals nothing about other people's bookings.
    """
    booking = booking_list().filter(reference=reference.strip().upper()).first()
    if booking is None:
        return None
    email_matches = bool(email) and hmac.compare_digest(
        booking.customer_email.strip().lower(), email.strip().lower()
    )
    digits = phone_key(phone) if phone else ""
    phone_matches = bool(digits) and hmac.compare_digest(
        booking.customer_phone_digits, digits
    )
    return booking if email_matches or phone_matches else None


# --- the desk: the business's day, for the front desk ---------------------------

DESK_ROW_LIMIT = 200


def desk_unpaid(*, limit: int = DESK_ROW_LIMIT) -> list[Booking]:
    """Bookings awaiting payment, soonest deadline first."""
    return list(
        booking_list()
        .filter(status=Booking.Status.AWAITING_PAYMENT)
        .order_by("payment_expires_at", "pk")[:limit]
    )


def desk_appointments(
    *, first_day: date, days: int = 2, limit: int = DESK_ROW_LIMIT
) -> list[Booking]:
    """Active bookings starting on `days` calendar days from `first_day`
    (business timezone), by staff member then start time."""
    start, _ = local_day_bounds(first_day)
    end, _ = local_day_bounds(first_day + timedelta(days=days))
    return list(
        booking_list()
        .filter(
            status__in=(Booking.Status.AWAITING_PAYMENT, Booking.Status.CONFIRMED),
            availability__start_time__gte=start,
            availability__start_time__lt=end,
        )
        .order_by("staff__name", "staff_id", "availability__start_time", "pk")[:limit]
    )


def desk_recently_expired(
    *, now: datetime, hours: int = 24, limit: int = DESK_ROW_LIMIT
) -> list[Booking]:
    """Bookings the payment timeout cancelled in the last `hours`."""
    expired_ids = BookingEvent.objects.filter(
        kind=BookingEvent.Kind.EXPIRED,
        created_at__gte=now - timedelta(hours=hours),
    ).values("booking_id")
    return list(
        booking_list()
        .filter(pk__in=expired_ids, status=Booking.Status.CANCELLED)
        .order_by("-updated_at", "-pk")[:limit]
    )


def booking_by_reference(reference: str) -> Booking | None:
    return booking_list().filter(reference=reference.strip().upper()).first()


def desk_search(text: str, *, limit: int = 50) -> list[Booking]:
    """Bookings whose reference, guest name, email or phone match `text`,
    newest appointment first. A phone is compared by its digits, however it
    was typed (`912 345 678`, `+351912345678`)."""
    text = text.strip()
    if not text:
        return []
    matches = (
        Q(reference__iexact=text)
        | Q(customer_name__icontains=text)
        | Q(customer_email__icontains=text)
    )
    digits = "".join(character for character in text if character.isdigit())
    if len(digits) >= 6:
        matches |= Q(customer_phone_digits__endswith=digits[-9:])
    return list(
        booking_list()
        .filter(matches)
        .order_by("-availability__start_time", "-pk")[:limit]
    )


def desk_week(*, staff_id: int, first_day: date) -> list[Booking]:
    """One staff member's active bookings over seven days from `first_day`."""
    start, _ = local_day_bounds(first_day)
    end, _ = local_day_bounds(first_day + timedelta(days=7))
    return list(
        booking_list()
        .filter(
            staff_id=staff_id,
            status__in=(
                Booking.Status.AWAITING_PAYMENT,
                Booking.Status.CONFIRMED,
                Booking.Status.COMPLETED,
            ),
            availability__start_time__gte=start,
            availability__start_time__lt=end,
        )
        .order_by("availability__start_time", "pk")
    )


def events_load_bookings(events: list[BookingEvent]) -> None:
    """Give each event its booking (with service, staff and first slot), in one
    query for those not loaded yet: a listener of a batch announcement
    (`record_events`) calls it only when it reads the bookings, so a batch
    pays for no model nobody reads.

    Of the relations, only what listeners read is loaded (the names, the
    slot's times): an expiry batch's thousand services, staff members and
    slots otherwise cost more to build than the bookings themselves. Reading
    another of their fields costs a query per booking.
    """
    bookings = Booking.objects.select_related("service", "staff", "availability")
    prefetch_related_objects(
        events,
        Prefetch(
            "booking",
            queryset=bookings.only(
                *(field.name for field in Booking._meta.concrete_fields),
                "service__name",
                "staff__name",
                "availability__start_time",
                "availability__end_time",
            ),
        ),
    )


def booking_slot_days(booking_ids: list[int]) -> set[date]:
    """The local days (the current timezone's) on which the first slots of
    these bookings start, in one query: a few dates for a thousand bookings,
    not a moment each to convert."""
    return set(
        Booking.objects.filter(pk__in_ids=booking_ids, availability__isnull=False)
        # No ordering: the model's would join DISTINCT and return every row.
        .order_by()
        .annotate(day=TruncDate("availability__start_time"))
        .values_list("day", flat=True)
        .distinct()
    )
