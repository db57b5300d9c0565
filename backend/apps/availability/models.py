from django.db import models
from django.utils import timezone


class Availability(models.Model):
    """A time slot of one staff member that one booking can take.

    `is_booked` is a denormalised lock flag kept for fast lookups: the booking
    domain layer sets it in the same transaction that creates or releases a
    booking, so it always equals "has a booking in an active status".
    """

    staff = models.ForeignKey(
        "staff.Staff", on_delete=models.PROTECT, related_name="availabilities"
    )
    start_time = models.DateTimeField()
    end_time = models.DateTimeField()
    is_booked = models.BooleanField(default=False)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["start_time", "id"]
        verbose_name_plural = "availabilities"
        constraints = [
            models.CheckConstraint(
                condition=models.Q(end_time__gt=models.F("start_time")),
                name="availability_ends_after_start",
            ),
            models.UniqueConstraint(
                fields=["staff", "start_time"], name="availability_unique_staff_start"
            ),
        ]
        indexes = [
            # The bookable-slot listing filters on a start-time range of free
            # slots; this index serves it without touching booked rows.
            models.Index(
                fields=["start_time"],
                condition=models.Q(is_booked=False),
                name="availability_free_start_idx",
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
