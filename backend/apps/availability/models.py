from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class Availability(models.Model):
    """A time slot of one staff member that one booking can take.

    `is_booked` is a denormalised lock flag kept for fast lookups: the booking
    domain layer sets it in the same transaction that creates or releases a
    booking, so it always equals "a booking in an active status holds it" (a
    booking longer than one slot holds several consecutive ones).
    `is_closed` hides a slot a closure covers (a holiday, an absence): the
    schedules app sets it through this app's services, and a closed slot is
    never offered or booked. `is_held` keeps a free slot for one guest while
    an offer made to them runs (the waiting list's): nobody else books it, and
    the booking that takes it clears the flag in the update that sets
    `is_booked`, so a slot is never both. `source` says who made the slot:
    the horizon job of the working hours removes only slots it made itself.
    """

    class Source(models.TextChoices):
        MANUAL = "manual", _("Made by hand")
        WORKING_HOURS = "working_hours", _("From the working hours")

    staff = models.ForeignKey(
        "staff.Staff", on_delete=models.PROTECT, related_name="availabilities"
    )
    start_time = models.DateTimeField()
    end_time = models.DateTimeField()
    is_booked = models.BooleanField(default=False)
    # Database defaults as well, so rows written by plain SQL (the
    # benchmarks' harness) get them too.
    is_closed = models.BooleanField(default=False, db_default=False)
    is_held = models.BooleanField(default=False, db_default=False)
    source = models.CharField(
        max_length=20,
        choices=Source.choices,
        default=Source.MANUAL,
        db_default=Source.MANUAL,
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["start_time", "id"]
        verbose_name_plural = _("availabilities")
        constraints = [
            models.CheckConstraint(
                condition=models.Q(end_time__gt=models.F("start_time")),
                name="availability_ends_after_start",
            ),
            # A held slot is handed to its booking, never shared with one.
            models.CheckConstraint(
                condition=~models.Q(is_booked=True, is_held=True),
                name="availability_not_booked_and_held",
            ),
            models.UniqueConstraint(
                fields=["staff", "start_time"], name="availability_unique_staff_start"
            ),
        ]
        indexes = [
            # The bookable-slot listing filters on a start-time range of free
            # open slots; this index serves it without touching booked or
            # closed rows.
            models.Index(
                fields=["start_time"],
                condition=models.Q(is_booked=False, is_closed=False),
                name="availability_open_start_idx",
            ),
            # The unpaid holds of a service-day (booking creation's cap) are
            # found from the day's booked slots.
            models.Index(
                fields=["start_time"],
                condition=models.Q(is_booked=True),
                name="availability_booked_start_idx",
            ),
        ]

    def __str__(self):
        start = timezone.localtime(self.start_time)
        return f"{self.staff} {start:%Y-%m-%d %H:%M}"

    @property
    def duration_minutes(self) -> float:
        return (self.end_time - self.start_time).total_seconds() / 60

    def has_started(self, now) -> bool:
        return self.start_time <= now
