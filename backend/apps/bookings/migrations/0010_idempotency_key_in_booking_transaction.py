import django.db.models.deletion
from django.db import migrations, models


def drop_unanswered_keys(apps, schema_editor):
    # Keys claimed by the old code whose request never finished: nothing was
    # promised for them, and a key row now always holds a final answer.
    IdempotencyKey = apps.get_model("bookings", "IdempotencyKey")
    IdempotencyKey.objects.filter(response_status=None).delete()


class Migration(migrations.Migration):
    dependencies = [
        ("bookings", "0009_booking_transition_permissions"),
    ]

    operations = [
        migrations.RunPython(drop_unanswered_keys, migrations.RunPython.noop),
        migrations.AddField(
            model_name="idempotencykey",
            name="client_fingerprint",
            # Keys stored before this change belong to no client: a retry of
            # one gets 422, never another guest's booking.
            field=models.CharField(default="", max_length=64),
            preserve_default=False,
        ),
        migrations.AddField(
            model_name="idempotencykey",
            name="booking",
            field=models.ForeignKey(
                blank=True,
                help_text="The booking this request made, if it made one.",
                null=True,
                on_delete=django.db.models.deletion.SET_NULL,
                related_name="+",
                to="bookings.booking",
            ),
        ),
        migrations.AlterField(
            model_name="idempotencykey",
            name="response_status",
            field=models.PositiveSmallIntegerField(),
        ),
        migrations.AlterField(
            model_name="idempotencykey",
            name="response_body",
            field=models.JSONField(),
        ),
    ]
