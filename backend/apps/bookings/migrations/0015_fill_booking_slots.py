"""Every existing booking holds its one slot: a BookingSlot row each (active
for the active statuses) and `ends_at` from its slot."""

from django.db import migrations
from django.db.models import OuterRef, Subquery

ACTIVE = ("awaiting_payment", "confirmed", "completed")
CHUNK = 2000


def forwards(apps, schema_editor):
    Booking = apps.get_model("bookings", "Booking")
    BookingSlot = apps.get_model("bookings", "BookingSlot")
    Availability = apps.get_model("availability", "Availability")
    Booking.objects.filter(availability__isnull=False).update(
        ends_at=Subquery(
            Availability.objects.filter(pk=OuterRef("availability_id")).values(
                "end_time"
            )[:1]
        )
    )
    rows = Booking.objects.filter(availability__isnull=False).values_list(
        "pk", "availability_id", "status"
    )
    batch = []
    for booking_id, slot_id, status in rows.iterator(chunk_size=CHUNK):
        batch.append(
            BookingSlot(
                booking_id=booking_id,
                availability_id=slot_id,
                active=status in ACTIVE,
            )
        )
        if len(batch) >= CHUNK:
            BookingSlot.objects.bulk_create(batch)
            batch = []
    BookingSlot.objects.bulk_create(batch)


def backwards(apps, schema_editor):
    apps.get_model("bookings", "BookingSlot").objects.all().delete()


class Migration(migrations.Migration):
    dependencies = [("bookings", "0014_booking_slots")]

    operations = [migrations.RunPython(forwards, backwards)]
