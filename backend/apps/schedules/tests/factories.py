from datetime import timedelta

import factory
from django.utils import timezone

from apps.schedules.models import Closure, WorkingHours
from apps.staff.tests.factories import StaffFactory


class WorkingHoursFactory(factory.django.DjangoModelFactory):
    """Monday 09:00-13:00 on a 60-minute grid."""

    class Meta:
        model = WorkingHours

    staff = factory.SubFactory(StaffFactory)
    weekday = 0
    start_minute = 9 * 60
    end_minute = 13 * 60
    slot_minutes = 60


class ClosureFactory(factory.django.DjangoModelFactory):
    """A whole-business closure of one hour, a week from now."""

    class Meta:
        model = Closure

    starts_at = factory.LazyFunction(
        lambda: timezone.now().replace(microsecond=0) + timedelta(days=7)
    )
    ends_at = factory.LazyAttribute(
        lambda closure: closure.starts_at + timedelta(hours=1)
    )
    staff = None
    kind = Closure.Kind.CLOSED
    public_note = "Closed for training."
