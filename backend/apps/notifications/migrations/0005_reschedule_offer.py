"""A closure can ask a guest to choose another time."""

from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("notifications", "0004_staff_alert_kind"),
    ]

    operations = [
        migrations.AlterField(
            model_name="notification",
            name="kind",
            field=models.CharField(
                choices=[
                    ("booking_created", "Booking created (guest)"),
                    ("new_booking_staff", "New booking (business)"),
                    ("payment_confirmed", "Payment confirmed"),
                    ("booking_cancelled", "Booking cancelled"),
                    ("rescheduled", "Booking rescheduled"),
                    ("payment_reminder", "Payment reminder"),
                    ("appointment_reminder", "Appointment reminder"),
                    ("staff_alert", "Alert to staff"),
                    ("reschedule_offer", "Please choose another time"),
                ],
                max_length=32,
            ),
        ),
    ]
