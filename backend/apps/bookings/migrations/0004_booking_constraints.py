"""Tighten the columns 0003 filled and add the double-booking guarantees."""

from django.db import migrations, models

import apps.bookings.models


class Migration(migrations.Migration):
    dependencies = [
        ("bookings", "0003_migrate_legacy_bookings"),
    ]

    operations = [
        migrations.AlterField(
            model_name="booking",
            name="reference",
            field=models.CharField(
                default=apps.bookings.models.generate_reference,
                max_length=8,
                unique=True,
            ),
        ),
        migrations.AlterField(
            model_name="booking",
            name="amount_due",
            field=models.DecimalField(decimal_places=2, max_digits=10),
        ),
        migrations.AlterField(
            model_name="booking",
            name="payment_expires_at",
            field=models.DateTimeField(db_index=True),
        ),
        migrations.AddConstraint(
            model_name="booking",
            constraint=models.UniqueConstraint(
                condition=models.Q(
                    status__in=["awaiting_payment", "confirmed", "completed"]
                ),
                fields=("availability",),
                name="booking_one_active_per_availability",
            ),
        ),
        migrations.AddConstraint(
            model_name="booking",
            constraint=models.CheckConstraint(
                condition=models.Q(status="cancelled")
                | models.Q(availability__isnull=False),
                name="booking_active_has_availability",
            ),
        ),
        migrations.AddIndex(
            model_name="booking",
            index=models.Index(
                condition=models.Q(status="awaiting_payment"),
                fields=["payment_expires_at", "id"],
                name="booking_unpaid_expiry_idx",
            ),
        ),
    ]
