"""Read-only queries of services."""

from django.db.models import QuerySet

from apps.services.models import Service


def service_list(*, include_inactive: bool) -> QuerySet[Service]:
    services = Service.objects.all()
    return services if include_inactive else services.filter(is_active=True)
