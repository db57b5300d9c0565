"""A booking holds one or several slots (BookingSlot), ends at `ends_at`, and
a closure is a source of its events."""

import django.db.models.deletion
from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("availability", "0003_slot_source_and_closed"),
        ("bookings", "0013_drop_unused_cache_table"),
    ]

    operations = [
        migrations.AddField(
            model_name="booking",
            name="ends_at",
            field=models.DateTimeField(blank=True, null=True),
        ),
        migrations.AlterField(
            model_name="bookingevent",
            name="source",
            field=models.CharField(
                choices=[
                    ("guest", "Guest"),
                    ("staff", "Staff"),
                    ("system", "System"),
                    ("bank", "Bank statement"),
                    ("closure", "Closure"),
                ],
                max_length=10,
            ),
        ),
        migrations.CreateModel(
            name="BookingSlot",
            fields=[
                (
                    "id",
                    models.BigAutoField(
                        auto_created=True,
                        primary_key=True,
                        serialize=False,
                        verbose_name="ID",
                    ),
                ),
                ("active", models.BooleanField(default=True)),
                (
                    "availability",
                    models.ForeignKey(
                        on_delete=django.db.models.deletion.CASCADE,
                        related_name="booking_holds",
                        to="availability.availability",
                    ),
                ),
                (
                    "booking",
                    models.ForeignKey(
                        on_delete=django.db.models.deletion.CASCADE,
                        related_name="slot_holds",
                        to="bookings.booking",
                    ),
                ),
            ],
            options={
                "constraints": [
                    models.UniqueConstraint(
                        condition=models.Q(("active", True)),
                        fields=("availability",),
                        name="bookingslot_one_active_per_availability",
                    )
                ],
            },
        ),
    ]
