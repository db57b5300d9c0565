from datetime import timedelta

import factory
from django.utils import timezone

from apps.availability.models import Availability
from apps.staff.tests.factories import StaffFactory


class AvailabilityFactory(factory.django.DjangoModelFactory):
    """A free one-hour slot; each one a day after the last, so none overlap."""

    class Meta:
        model = Availability

    staff = factory.SubFactory(StaffFactory)
    start_time = factory.Sequence(
        lambda n: timezone.now().replace(microsecond=0) + timedelta(days=n + 1)
    )
    end_time = factory.LazyAttribute(lambda slot: slot.start_time + timedelta(hours=1))
    is_booked = False
