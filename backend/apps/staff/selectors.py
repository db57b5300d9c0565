"""Read-only queries of staff members."""

from django.db.models import Prefetch, QuerySet

from apps.services.models import Service
from apps.staff.models import Staff


def staff_list(*, include_inactive: bool) -> QuerySet[Staff]:
    """Staff members; for guests only active ones, offering only active services."""
    if include_inactive:
        return Staff.objects.prefetch_related("services")
    return Staff.objects.filter(is_active=True).prefetch_related(
        Prefetch("services", queryset=Service.objects.filter(is_active=True))
    )
