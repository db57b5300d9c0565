"""The rows an export reads: bookings and payments in a date range, read in
chunks (their ids first, then each chunk's rows), so a year of them never
sits in memory.

Dates are calendar days of the business timezone, `date_from` to `date_to`
inclusive, of the chosen basis: the appointment's start, the booking's
creation, or (payments) the day the money was paid.
"""

from dataclasses import dataclass
from datetime import date

from django.db.models import F, Func, OuterRef, Q, QuerySet, Subquery

from apps.bookings.models import Booking, BookingEvent
from apps.payments.models import BankTransaction
from common.dates import local_day_bounds

APPOINTMENT, CREATED, PAID = "appointment", "created", "paid"
BOOKING_DATE_FIELDS = {APPOINTMENT: "availability__start_time", CREATED: "created_at"}
CHUNK_SIZE = 2000


@dataclass(frozen=True)
class ExportQuery:
    date_from: date
    date_to: date
    date_basis: str
    status: str = ""
    staff_id: int | None = None
    service_id: int | None = None

    def bounds(self):
        return local_day_bounds(self.date_from)[0], local_day_bounds(self.date_to)[1]


def _sum(queryset, field: str):
    # One aggregate per outer row, without a GROUP BY.
    return Subquery(
        queryset.order_by()
        .annotate(total=Func(F(field), function="SUM"))
        .values("total")[:1]
    )


def _bank_payments_of_booking():
    """Credits that paid the outer booking: matched to it, or a late payment
    that bought it as a new booking (rebooked)."""
    return BankTransaction.objects.filter(
        Q(booking=OuterRef("pk"), outcome=BankTransaction.Outcome.MATCHED)
        | Q(rebooked_booking=OuterRef("pk"))
    )


def _with_payment(bookings: QuerySet[Booking]) -> QuerySet[Booking]:
    """Each booking with who verified its payment and what the bank brought."""
    verified_by = (
        BookingEvent.objects.filter(
            booking=OuterRef("pk"), kind=BookingEvent.Kind.PAYMENT_VERIFIED
        )
        .order_by("-created_at", "-id")
        .values("source")[:1]
    )
    return bookings.annotate(
        payment_source=Subquery(verified_by),
        bank_paid=_sum(_bank_payments_of_booking(), "amount"),
        bank_paid_on=Subquery(
            _bank_payments_of_booking()
            .order_by("booking_date")
            .values("booking_date")[:1]
        ),
    )


def _booking_filters(query: ExportQuery, prefix: str = "") -> Q:
    conditions = Q()
    if query.status:
        conditions &= Q(**{f"{prefix}status": query.status})
    if query.staff_id:
        conditions &= Q(**{f"{prefix}staff_id": query.staff_id})
    if query.service_id:
        conditions &= Q(**{f"{prefix}service_id": query.service_id})
    return conditions


def _in_chunks(queryset: QuerySet):
    """The rows of `queryset`, in its order, CHUNK_SIZE at a time.

    Not a server-side cursor: behind PgBouncer in transaction mode one cannot
    outlive its statement (issue 33 turns them off), and without one
    `.iterator()` fetches every row at once. The ids come first (one integer
    column, ~4 MB for 100 000), then each chunk's rows in one query.
    """
    ids = list(queryset.values_list("pk", flat=True))
    for start in range(0, len(ids), CHUNK_SIZE):
        chunk = ids[start : start + CHUNK_SIZE]
        rows = {row.pk: row for row in queryset.filter(pk__in=chunk)}
        # A row deleted since the ids were read is left out.
        yield from (rows[pk] for pk in chunk if pk in rows)


def bookings_for_export(query: ExportQuery):
    """Bookings whose basis date lies in the range, oldest first, in chunks."""
    start, end = query.bounds()
    field = BOOKING_DATE_FIELDS[query.date_basis]
    bookings = (
        Booking.objects.select_related("service", "staff", "availability")
        .filter(
            _booking_filters(query), **{f"{field}__gte": start, f"{field}__lt": end}
        )
        .order_by(field, "id")
    )
    return _in_chunks(_with_payment(bookings))


def bank_payments_for_export(query: ExportQuery):
    """Every bank credit of the range (any outcome), by booking day."""
    transactions = BankTransaction.objects.select_related(
        "booking__service",
        "booking__staff",
        "booking__availability",
        "rebooked_booking__service",
        "rebooked_booking__staff",
        "rebooked_booking__availability",
    )
    if query.date_basis == PAID:
        transactions = transactions.filter(
            booking_date__gte=query.date_from, booking_date__lte=query.date_to
        )
    else:
        start, end = query.bounds()
        field = BOOKING_DATE_FIELDS[query.date_basis]
        transactions = transactions.filter(
            **{f"booking__{field}__gte": start, f"booking__{field}__lt": end}
        )
    transactions = transactions.filter(_booking_filters(query, prefix="booking__"))
    return _in_chunks(transactions.order_by("booking_date", "id"))


def staff_payments_for_export(query: ExportQuery):
    """Bookings whose payment staff verified (no bank credit), by that day."""
    start, end = query.bounds()
    field = (
        "payment_verified_at"
        if query.date_basis == PAID
        else BOOKING_DATE_FIELDS[query.date_basis]
    )
    bookings = (
        _with_payment(
            Booking.objects.select_related("service", "staff", "availability").filter(
                _booking_filters(query),
                payment_verified_at__isnull=False,
                **{f"{field}__gte": start, f"{field}__lt": end},
            )
        )
        .filter(payment_source=BookingEvent.Source.STAFF)
        .order_by("payment_verified_at", "id")
    )
    return _in_chunks(bookings)
