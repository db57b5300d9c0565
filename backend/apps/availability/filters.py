import django_filters

from apps.availability.models import Availability
from apps.availability.selectors import local_day_bounds
from apps.services.models import Service
from common.dates import validate_allowed_date


class AvailabilityFilter(django_filters.FilterSet):
    """Staff filters over every slot, booked and past included."""

    # A model choice, not a bare number: the id is validated (400 when it is
    # unknown or out of range) before it reaches the database.
    service = django_filters.ModelChoiceFilter(
        field_name="staff__services",
        queryset=Service.objects.all(),
        label="Slots of staff offering this service",
    )
    date = django_filters.DateFilter(
        method="filter_date",
        validators=[validate_allowed_date],
        label="Calendar date in the business timezone",
    )

    class Meta:
        model = Availability
        fields = ["staff", "is_booked", "service", "date"]

    def filter_date(self, queryset, name, value):
        start, end = local_day_bounds(value)
        return queryset.filter(start_time__gte=start, start_time__lt=end)
