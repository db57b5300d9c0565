"""Every audit event says what happened (`kind`), so listeners need not infer it.

Existing rows are filled from what they recorded: the first event of a
booking was its creation; a cancellation by the system with the payment
timeout's note was an expiry; an event that kept the status and says
"Rescheduled" was a reschedule.
"""

from django.db import migrations, models
from django.db.models import F, Q

# (kind, which rows), applied in order to rows still without a kind.
KIND_RULES = [
    ("created", Q(from_status="")),
    (
        "rescheduled",
        Q(from_status=F("to_status"), note__startswith="Rescheduled from"),
    ),
    ("contact_changed", Q(from_status=F("to_status"))),
    ("payment_verified", Q(to_status="confirmed")),
    ("completed", Q(to_status="completed")),
    ("expired", Q(to_status="cancelled", source="system", note="payment timeout")),
    ("cancelled", Q(to_status="cancelled")),
]


def fill_kinds(apps, schema_editor):
    BookingEvent = apps.get_model("bookings", "BookingEvent")
    for kind, rows in KIND_RULES:
        BookingEvent.objects.filter(rows, kind="").update(kind=kind)


class Migration(migrations.Migration):
    dependencies = [
        ("bookings", "0011_phone_numbers_e164"),
    ]

    operations = [
        migrations.AddField(
            model_name="bookingevent",
            name="kind",
            field=models.CharField(default="", max_length=20),
            preserve_default=False,
        ),
        migrations.AddField(
            model_name="bookingevent",
            name="data",
            field=models.JSONField(blank=True, default=dict),
        ),
        migrations.RunPython(fill_kinds, migrations.RunPython.noop),
        migrations.AlterField(
            model_name="bookingevent",
            name="kind",
            field=models.CharField(
                choices=[
                    ("created", "Created"),
                    ("payment_verified", "Payment verified"),
                    ("cancelled", "Cancelled"),
                    ("expired", "Expired unpaid"),
                    ("completed", "Completed"),
                    ("rescheduled", "Rescheduled"),
                    ("contact_changed", "Contact details changed"),
                ],
                max_length=20,
            ),
        ),
    ]
