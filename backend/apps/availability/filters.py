from apps.availability.models import Availability
from common.filters import FilterSet, IdFilter, LocalDateFilter


class AvailabilityFilter(FilterSet):
    """Staff filters over every slot, booked and past included."""

    service = IdFilter(
        field_name="staff__services",
        label="Slots of staff offering this service",
    )
    date = LocalDateFilter(
        field_name="start_time", label="Calendar date in the business timezone"
    )

    class Meta:
        model = Availability
        fields = ["staff", "is_booked", "is_closed", "source", "service", "date"]
