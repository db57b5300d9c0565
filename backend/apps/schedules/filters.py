from apps.schedules.models import Closure, WorkingHours
from common.filters import BooleanFilter, FilterSet, InstantFilter


class WorkingHoursFilter(FilterSet):
    class Meta:
        model = WorkingHours
        fields = ["staff", "weekday"]


class ClosureFilter(FilterSet):
    """Closures by kind and staff member; `after`/`before` bound their time."""

    after = InstantFilter(
        field_name="ends_at", lookup_expr="gt", label="Ending after this instant"
    )
    before = InstantFilter(
        field_name="starts_at", lookup_expr="lt", label="Starting before this instant"
    )
    business = BooleanFilter(
        field_name="staff", lookup_expr="isnull", label="Whole-business closures only"
    )

    class Meta:
        model = Closure
        fields = ["kind", "staff", "after", "before", "business"]
