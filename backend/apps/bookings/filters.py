import django_filters

from apps.availability.selectors import local_day_bounds
from apps.bookings.models import Booking
from common.dates import validate_allowed_date


class BookingFilter(django_filters.FilterSet):
    date = django_filters.DateFilter(
        method="filter_date",
        validators=[validate_allowed_date],
        label="Bookings whose slot starts on this date (business timezone)",
    )

    class Meta:
        model = Booking
        fields = ["status", "service", "staff", "date"]

    def filter_date(self, queryset, name, value):
        start, end = local_day_bounds(value)
        return queryset.filter(
            availability__start_time__gte=start, availability__start_time__lt=end
        )
