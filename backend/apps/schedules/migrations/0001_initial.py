"""The business calendar: weekly working hours and closures."""

import django.db.models.deletion
import django.utils.timezone
from django.conf import settings
from django.db import migrations, models


class Migration(migrations.Migration):
    initial = True

    dependencies = [
        ("staff", "0002_staff_roles"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.CreateModel(
            name="Closure",
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
                ("starts_at", models.DateTimeField()),
                ("ends_at", models.DateTimeField()),
                (
                    "kind",
                    models.CharField(
                        choices=[
                            ("holiday", "Public holiday"),
                            ("closed", "Closed"),
                            ("absence", "Staff absence"),
                        ],
                        max_length=10,
                    ),
                ),
                (
                    "public_note",
                    models.CharField(
                        blank=True,
                        help_text="Shown to guests (the booking page, the emails about it).",
                        max_length=200,
                    ),
                ),
                ("created_at", models.DateTimeField(default=django.utils.timezone.now)),
                ("updated_at", models.DateTimeField(auto_now=True)),
                (
                    "created_by",
                    models.ForeignKey(
                        blank=True,
                        null=True,
                        on_delete=django.db.models.deletion.SET_NULL,
                        related_name="+",
                        to=settings.AUTH_USER_MODEL,
                    ),
                ),
                (
                    "staff",
                    models.ForeignKey(
                        blank=True,
                        help_text="Empty for the whole business.",
                        null=True,
                        on_delete=django.db.models.deletion.CASCADE,
                        related_name="closures",
                        to="staff.staff",
                    ),
                ),
            ],
            options={
                "ordering": ["starts_at", "id"],
                "indexes": [
                    models.Index(
                        fields=["ends_at", "starts_at"],
                        name="schedules_c_ends_at_b5bd2e_idx",
                    )
                ],
                "constraints": [
                    models.CheckConstraint(
                        condition=models.Q(("ends_at__gt", models.F("starts_at"))),
                        name="closure_ends_after_start",
                    ),
                    models.CheckConstraint(
                        condition=models.Q(
                            models.Q(("kind", "absence"), _negated=True),
                            ("staff__isnull", False),
                            _connector="OR",
                        ),
                        name="closure_absence_has_staff",
                    ),
                ],
            },
        ),
        migrations.CreateModel(
            name="WorkingHours",
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
                    "weekday",
                    models.PositiveSmallIntegerField(
                        choices=[
                            (0, "Monday"),
                            (1, "Tuesday"),
                            (2, "Wednesday"),
                            (3, "Thursday"),
                            (4, "Friday"),
                            (5, "Saturday"),
                            (6, "Sunday"),
                        ]
                    ),
                ),
                ("start_minute", models.PositiveSmallIntegerField()),
                ("end_minute", models.PositiveSmallIntegerField()),
                ("slot_minutes", models.PositiveSmallIntegerField()),
                ("buffer_minutes", models.PositiveSmallIntegerField(default=0)),
                ("valid_from", models.DateField(blank=True, null=True)),
                ("valid_until", models.DateField(blank=True, null=True)),
                ("created_at", models.DateTimeField(auto_now_add=True)),
                ("updated_at", models.DateTimeField(auto_now=True)),
                (
                    "staff",
                    models.ForeignKey(
                        on_delete=django.db.models.deletion.CASCADE,
                        related_name="working_hours",
                        to="staff.staff",
                    ),
                ),
            ],
            options={
                "verbose_name": "working hours",
                "verbose_name_plural": "working hours",
                "ordering": ["staff", "weekday", "start_minute", "id"],
                "constraints": [
                    models.CheckConstraint(
                        condition=models.Q(("weekday__lte", 6)),
                        name="workinghours_weekday_in_week",
                    ),
                    models.CheckConstraint(
                        condition=models.Q(
                            ("start_minute__lt", models.F("end_minute")),
                            ("end_minute__lte", 1440),
                        ),
                        name="workinghours_within_the_day",
                    ),
                    models.CheckConstraint(
                        condition=models.Q(("slot_minutes__gte", 5)),
                        name="workinghours_slot_length",
                    ),
                    models.CheckConstraint(
                        condition=models.Q(
                            ("valid_from__isnull", True),
                            ("valid_until__isnull", True),
                            ("valid_until__gte", models.F("valid_from")),
                            _connector="OR",
                        ),
                        name="workinghours_valid_period",
                    ),
                ],
            },
        ),
    ]
