"""Filters every list shares."""

import django_filters
from django import forms
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django_filters.rest_framework import DjangoFilterBackend
from django_filters.rest_framework import FilterSet as RestFilterSet
from drf_spectacular.utils import extend_schema_field
from rest_framework.exceptions import ValidationError
from rest_framework.filters import OrderingFilter

from common.dates import local_day_bounds, validate_allowed_date
from common.fields import ID_SCHEMA, LARGEST_ID


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


class StrictOrderingFilter(OrderingFilter):
    """`ordering` as the schema lists it: the view's fields, each optionally
    prefixed with `-`, comma-separated; anything else is a 400 (DRF ignored
    unknown terms, so a typo sorted silently by the default)."""

    def get_ordering(self, request, queryset, view):
        raw = request.query_params.get(self.ordering_param)
        if raw is None:
            return self.get_default_ordering(view)
        allowed = self._terms(queryset, view, request)
        terms = [term.strip() for term in raw.split(",")]
        unknown = [term for term in terms if term not in allowed]
        if unknown or not terms:
            raise ValidationError(
                {
                    self.ordering_param: [
                        _("Sort by one or more of: %(terms)s (comma-separated).")
                        % {"terms": ", ".join(sorted(allowed))}
                    ]
                }
            )
        return terms

    def _terms(self, queryset, view, request) -> set[str]:
        fields = [
            name
            for name, _ in self.get_valid_fields(queryset, view, {"request": request})
        ]
        return {*fields, *(f"-{name}" for name in fields)}

    def get_schema_operation_parameters(self, view):
        fields = [name for name, _ in self.get_valid_fields(None, view, {})]
        if not fields:
            return []
        terms = sorted({*fields, *(f"-{name}" for name in fields)})
        return [
            {
                "name": self.ordering_param,
                "required": False,
                "in": "query",
                "description": "Sort by these fields, comma-separated; `-` "
                "before a field sorts it descending.",
                "style": "form",
                "explode": False,
                "schema": {
                    "type": "array",
                    "minItems": 1,
                    "items": {"type": "string", "enum": terms},
                },
            }
        ]


class _IdFormField(forms.IntegerField):
    def __init__(self, **kwargs):
        super().__init__(min_value=1, max_value=LARGEST_ID, **kwargs)


@extend_schema_field(ID_SCHEMA)
class IdFilter(django_filters.Filter):
    """A related row by its id, typed as the schema's one id type. An id that
    names no row matches no row (an empty page), as any other filter value
    does: the schema cannot know which ids exist, so a 400 for it refused a
    request the schema allows."""

    field_class = _IdFormField

    def __init__(self, *args, queryset=None, **kwargs):
        # `queryset` is what django-filter hands a relation's filter.
        super().__init__(*args, **kwargs)


class _BooleanFormField(forms.Field):
    default_error_messages = {"invalid": "Use true or false."}

    def to_python(self, value):
        if value in self.empty_values:
            return None
        if value not in ("true", "false"):
            raise forms.ValidationError(self.error_messages["invalid"], "invalid")
        return value == "true"


class BooleanFilter(django_filters.BooleanFilter):
    """`true` or `false`, the schema's boolean as a query writes it.
    django-filter also took True, 1, 0 and `null` (which filtered nothing)."""

    field_class = _BooleanFormField


class FilterSet(RestFilterSet):
    """The project's FilterSet: relations are filtered with IdFilter and
    booleans with BooleanFilter."""

    FILTER_DEFAULTS = {
        **RestFilterSet.FILTER_DEFAULTS,
        models.ForeignKey: {"filter_class": IdFilter},
        models.BooleanField: {"filter_class": BooleanFilter},
    }


class StrictFilterBackend(DjangoFilterBackend):
    """django-filter's backend, except that a filter given with no value is a
    400: `?date=&status=` listed everything, although the schema allows no
    empty date or status."""

    filterset_base = FilterSet

    def get_filterset(self, request, queryset, view):
        filterset = super().get_filterset(request, queryset, view)
        if filterset is not None:
            blank = {
                name: [_("Give a value, or leave the parameter out.")]
                for name in filterset.filters
                if name in request.query_params
                and not request.query_params[name].strip()
            }
            if blank:
                raise ValidationError(blank)
        return filterset
