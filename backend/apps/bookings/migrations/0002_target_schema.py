"""Plan section 5.1: the schema step from the legacy baseline to the target.

New columns that later become required are added nullable here, filled by
0003, and tightened by 0004, so the upgrade works on a populated table.
"""

import django.db.models.deletion
import django.utils.timezone
from django.conf import settings
from django.db import migrations, models

STATUS_CHOICES = [
    ("awaiting_payment", "Awaiting payment"),
    ("confirmed", "Confirmed"),
    ("completed", "Completed"),
    ("cancelled", "Cancelled"),
]


class Migration(migrations.Migration):
    dependencies = [
        ("availability", "0001_initial"),
        ("bookings", "0001_initial"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.AlterField(
            model_name="booking",
            name="status",
            field=models.CharField(
                choices=STATUS_CHOICES,
                db_index=True,
                default="awaiting_payment",
                max_length=20,
            ),
        ),
        migrations.AddField(
            model_name="booking",
            name="reference",
            field=models.CharField(max_length=8, null=True),
        ),
        # Legacy rows get an empty phone: the baseline never asked for one.
        # Every booking created from now on must give one (serializer and
        # domain layer); staff can fill old ones in with PATCH.
        migrations.AddField(
            model_name="booking",
            name="customer_phone",
            field=models.CharField(default="", max_length=32),
            preserve_default=False,
        ),
        migrations.AddField(
            model_name="booking",
            name="amount_due",
            field=models.DecimalField(decimal_places=2, max_digits=10, null=True),
        ),
        migrations.AddField(
            model_name="booking",
            name="payment_expires_at",
            field=models.DateTimeField(db_index=True, null=True),
        ),
        migrations.AddField(
            model_name="booking",
            name="payment_verified_at",
            field=models.DateTimeField(blank=True, null=True),
        ),
        migrations.AddField(
            model_name="booking",
            name="payment_verified_by",
            field=models.ForeignKey(
                blank=True,
                null=True,
                on_delete=django.db.models.deletion.SET_NULL,
                related_name="verified_bookings",
                to=settings.AUTH_USER_MODEL,
            ),
        ),
        migrations.AddField(
            model_name="booking",
            name="cancel_reason",
            field=models.TextField(blank=True),
        ),
        migrations.AlterField(
            model_name="booking",
            name="created_at",
            field=models.DateTimeField(
                db_index=True, default=django.utils.timezone.now
            ),
        ),
        migrations.AlterField(
            model_name="booking",
            name="availability",
            field=models.ForeignKey(
                null=True,
                on_delete=django.db.models.deletion.SET_NULL,
                related_name="bookings",
                to="availability.availability",
            ),
        ),
        migrations.CreateModel(
            name="BookingEvent",
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
                (
                    "from_status",
                    models.CharField(blank=True, choices=STATUS_CHOICES, max_length=20),
                ),
                ("to_status", models.CharField(choices=STATUS_CHOICES, max_length=20)),
                (
                    "source",
                    models.CharField(
                        choices=[
                            ("guest", "Guest"),
                            ("staff", "Staff"),
                            ("system", "System"),
                        ],
                        max_length=10,
                    ),
                ),
                ("note", models.TextField(blank=True)),
                (
                    "created_at",
                    models.DateTimeField(default=django.utils.timezone.now),
                ),
                (
                    "actor",
                    models.ForeignKey(
                        blank=True,
                        null=True,
                        on_delete=django.db.models.deletion.SET_NULL,
                        related_name="booking_events",
                        to=settings.AUTH_USER_MODEL,
                    ),
                ),
                (
                    "booking",
                    models.ForeignKey(
                        on_delete=django.db.models.deletion.CASCADE,
                        related_name="events",
                        to="bookings.booking",
                    ),
                ),
            ],
            options={"ordering": ["created_at", "id"]},
        ),
    ]
