from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

MINUTES_PER_DAY = 24 * 60
SHORTEST_SLOT_MINUTES = 5


def clock(minutes: int) -> str:
    """Minutes after midnight as "HH:MM" (1440 is "24:00", the day's end)."""
    return f"{minutes // 60:02d}:{minutes % 60:02d}"


class WorkingHours(models.Model):
    """One weekly rule of a staff member's working time, cut into slots.

    On each `weekday` (Monday = 0) from `valid_from` to `valid_until` (either
    open), the staff member works from `start_minute` to `end_minute`
    (minutes after midnight in BOOKING_TIMEZONE, so 09:00 stays 09:00 across
    a daylight-saving change; 1440 is midnight at the day's end). The
    horizon job makes one slot of `slot_minutes` every `slot_minutes +
    buffer_minutes` in it. Several rules on one day make breaks; rules of one
    staff member never overlap (the services refuse it under the staff lock).
    """

    class Weekday(models.IntegerChoices):
        MONDAY = 0, _("Monday")
        TUESDAY = 1, _("Tuesday")
        WEDNESDAY = 2, _("Wednesday")
        THURSDAY = 3, _("Thursday")
        FRIDAY = 4, _("Friday")
        SATURDAY = 5, _("Saturday")
        SUNDAY = 6, _("Sunday")

    staff = models.ForeignKey(
        "staff.Staff", on_delete=models.CASCADE, related_name="working_hours"
    )
    weekday = models.PositiveSmallIntegerField(choices=Weekday.choices)
    start_minute = models.PositiveSmallIntegerField()
    end_minute = models.PositiveSmallIntegerField()
    slot_minutes = models.PositiveSmallIntegerField()
    buffer_minutes = models.PositiveSmallIntegerField(default=0)
    valid_from = models.DateField(null=True, blank=True)
    valid_until = models.DateField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["staff", "weekday", "start_minute", "id"]
        verbose_name = _("working hours")
        verbose_name_plural = _("working hours")
        constraints = [
            models.CheckConstraint(
                condition=models.Q(weekday__lte=6),
                name="workinghours_weekday_in_week",
            ),
            models.CheckConstraint(
                condition=models.Q(start_minute__lt=models.F("end_minute"))
                & models.Q(end_minute__lte=MINUTES_PER_DAY),
                name="workinghours_within_the_day",
            ),
            models.CheckConstraint(
                condition=models.Q(slot_minutes__gte=SHORTEST_SLOT_MINUTES),
                name="workinghours_slot_length",
            ),
            models.CheckConstraint(
                condition=models.Q(valid_from__isnull=True)
                | models.Q(valid_until__isnull=True)
                | models.Q(valid_until__gte=models.F("valid_from")),
                name="workinghours_valid_period",
            ),
        ]

    def __str__(self):
        return (
            f"{self.staff} {self.get_weekday_display()} "
            f"{clock(self.start_minute)}-{clock(self.end_minute)}"
        )

    @property
    def start(self) -> str:
        return clock(self.start_minute)

    @property
    def end(self) -> str:
        return clock(self.end_minute)


class Closure(models.Model):
    """Time the business, or one staff member, takes no bookings.

    A holiday, a closed day, or a staff member's absence (`staff` set; null
    for the whole business), from `starts_at` to `ends_at`. Every slot it
    overlaps is hidden (availability's `is_closed`); what happens to the
    bookings already inside it is decided when it is made or widened
    (services). `public_note` is the one text a guest may see.
    """

    class Kind(models.TextChoices):
        HOLIDAY = "holiday", _("Public holiday")
        CLOSED = "closed", _("Closed")
        ABSENCE = "absence", _("Staff absence")

    starts_at = models.DateTimeField()
    ends_at = models.DateTimeField()
    staff = models.ForeignKey(
        "staff.Staff",
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="closures",
        help_text=_("Empty for the whole business."),
    )
    kind = models.CharField(max_length=10, choices=Kind.choices)
    public_note = models.CharField(
        max_length=200,
        blank=True,
        help_text=_("Shown to guests (the booking page, the emails about it)."),
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["starts_at", "id"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(ends_at__gt=models.F("starts_at")),
                name="closure_ends_after_start",
            ),
            models.CheckConstraint(
                condition=~models.Q(kind="absence") | models.Q(staff__isnull=False),
                name="closure_absence_has_staff",
            ),
        ]
        indexes = [models.Index(fields=["ends_at", "starts_at"])]

    def __str__(self):
        who = self.staff.name if self.staff_id else "Business"
        start = timezone.localtime(self.starts_at)
        return f"{who}: {self.get_kind_display()} from {start:%Y-%m-%d %H:%M}"

    def covers_staff(self, staff_id: int) -> bool:
        return self.staff_id is None or self.staff_id == staff_id
