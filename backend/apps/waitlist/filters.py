import django_filters

from apps.waitlist.models import WaitlistEntry
from common.dates import validate_allowed_date
from common.filters import FilterSet


class WaitlistEntryFilter(FilterSet):
    """Staff's list: by service, staff member, status, and a day waited for."""

    day = django_filters.DateFilter(
        method="filter_day",
        validators=[validate_allowed_date],
        help_text="Entries that would take a time on this day (YYYY-MM-DD).",
    )

    class Meta:
        model = WaitlistEntry
        fields = ["service", "staff", "status"]

    def filter_day(self, queryset, name, value):
        return queryset.filter(date_from__lte=value, date_to__gte=value)
