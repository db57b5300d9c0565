"""Plan section 5.2: carry legacy rows to the target statuses and fields.

- `pending` becomes `awaiting_payment`;
- `payment_expires_at` is backfilled as `created_at + timeout` (for unpaid
  bookings that is their live deadline, so the expiry job cancels those
  already past it on its next run; for the others it is historical);
- every booking gets a reference;
- `amount_due` is the service's current price (the baseline kept none);
- `Availability.is_booked` is resynchronised with the active bookings.

A legacy slot holding two active bookings cannot be resolved by a machine
(which guest keeps it is a business decision), so the migration stops and
names the slots instead of picking one.
"""

import secrets
from datetime import timedelta

from django.conf import settings
from django.db import migrations
from django.db.models import Count, Exists, OuterRef

ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"
LEGACY_ACTIVE = ["pending", "awaiting_payment", "confirmed", "completed"]
ACTIVE = ["awaiting_payment", "confirmed", "completed"]


def _new_reference(taken: set[str]) -> str:
    while True:
        reference = "".join(secrets.choice(ALPHABET) for _ in range(8))
        if reference not in taken:
            taken.add(reference)
            return reference


def forwards(apps, schema_editor):
    Booking = apps.get_model("bookings", "Booking")
    Availability = apps.get_model("availability", "Availability")

    doubly_booked = list(
        Booking.objects.filter(status__in=LEGACY_ACTIVE)
        .values("availability_id")
        .annotate(active=Count("id"))
        .filter(active__gt=1)
        .values_list("availability_id", flat=True)
    )
    if doubly_booked:
        raise RuntimeError(
            "Cannot migrate: these availability slots hold more than one active "
            f"booking: {sorted(doubly_booked)}. Cancel the extra bookings "
            "(status 'cancelled') and run the migration again."
        )

    Booking.objects.filter(status="pending").update(status="awaiting_payment")

    timeout = timedelta(minutes=settings.BOOKING_PAYMENT_TIMEOUT_MINUTES)
    taken = set(
        Booking.objects.exclude(reference=None).values_list("reference", flat=True)
    )
    legacy = (
        Booking.objects.filter(reference=None)
        | Booking.objects.filter(payment_expires_at=None)
        | Booking.objects.filter(amount_due=None)
    )
    for booking in legacy.select_related("service"):
        booking.reference = booking.reference or _new_reference(taken)
        booking.payment_expires_at = booking.payment_expires_at or (
            booking.created_at + timeout
        )
        if booking.amount_due is None:
            booking.amount_due = booking.service.price
        booking.save(update_fields=["reference", "payment_expires_at", "amount_due"])

    has_active = Exists(
        Booking.objects.filter(availability=OuterRef("pk"), status__in=ACTIVE)
    )
    Availability.objects.annotate(has_active=has_active).filter(
        has_active=True, is_booked=False
    ).update(is_booked=True)
    Availability.objects.annotate(has_active=has_active).filter(
        has_active=False, is_booked=True
    ).update(is_booked=False)


def backwards(apps, schema_editor):
    Booking = apps.get_model("bookings", "Booking")
    Booking.objects.filter(status="awaiting_payment").update(status="pending")


class Migration(migrations.Migration):
    dependencies = [
        ("availability", "0001_initial"),
        ("bookings", "0002_target_schema"),
    ]

    operations = [migrations.RunPython(forwards, backwards)]
