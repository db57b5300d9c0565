"""Slots get a source (made by hand, or by the working hours) and a closed flag.

Both have database defaults, so rows written by plain SQL get them too; the
free-slot index now leaves closed slots out as well.
"""

from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("availability", "0002_no_overlap_on_postgresql"),
    ]

    operations = [
        migrations.RemoveIndex(
            model_name="availability",
            name="availability_free_start_idx",
        ),
        migrations.AddField(
            model_name="availability",
            name="is_closed",
            field=models.BooleanField(db_default=False, default=False),
        ),
        migrations.AddField(
            model_name="availability",
            name="source",
            field=models.CharField(
                choices=[
                    ("manual", "Made by hand"),
                    ("working_hours", "From the working hours"),
                ],
                db_default="manual",
                default="manual",
                max_length=20,
            ),
        ),
        migrations.AddIndex(
            model_name="availability",
            index=models.Index(
                condition=models.Q(("is_booked", False), ("is_closed", False)),
                fields=["start_time"],
                name="availability_open_start_idx",
            ),
        ),
    ]
