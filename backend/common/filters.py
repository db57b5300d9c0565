"""Filters every list shares."""

import django_filters
from django.utils import timezone

from common.dates import local_day_bounds, validate_allowed_date


class LocalDateFilter(django_filters.DateFilter):
    """Rows whose `field_name` (a datetime) falls on a calendar day of the
    business timezone; the date must lie in the calendar the API accepts."""

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("validators", []).append(validate_allowed_date)
        super().__init__(*args, **kwargs)

    def filter(self, queryset, value):
        if value is None:
            return queryset
        start, end = local_day_bounds(value)
        return self.get_method(queryset)(
            **{f"{self.field_name}__gte": start, f"{self.field_name}__lt": end}
        )


class InstantFilter(django_filters.IsoDateTimeFilter):
    """An ISO 8601 instant, within the calendar the API accepts, compared in
    the business timezone: Python takes UTC offsets up to 23:59 but
    PostgreSQL only to 15:59, so an offset of +18:10 is converted here rather
    than sent to the database (where it was a 500)."""

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("validators", []).append(validate_allowed_date)
        super().__init__(*args, **kwargs)

    def filter(self, queryset, value):
        if value is not None:
            value = timezone.localtime(value)
        return super().filter(queryset, value)
