from apps.availability.models import Availability
from apps.services.models import Service
from common.filters import FilterSet, IdFilter, LocalDateFilter


class AvailabilityFilter(FilterSet):
    """Staff filters over every slot, booked and past included."""

    # A model choice, not a bare number: the id is validated (400 when it is
    # unknown or out of range) before it reaches the database.
    service = IdFilter(
        field_name="staff__services",
        queryset=Service.objects.all(),
        label="Slots of staff offering this service",
    )
    date = LocalDateFilter(
        field_name="start_time", label="Calendar date in the business timezone"
    )

    class Meta:
        model = Availability
        fields = ["staff", "is_booked", "is_closed", "source", "service", "date"]
