"""Read-only queries of staff members."""

from django.conf import settings
from django.contrib.auth import get_user_model
from django.db.models import Prefetch, Q, QuerySet

from apps.services.models import Service
from apps.staff.models import Staff
from apps.staff.roles import MANAGER


def staff_list(*, include_inactive: bool) -> QuerySet[Staff]:
    """Staff members; for guests only active ones, offering only active services."""
    if include_inactive:
        return Staff.objects.prefetch_related("services")
    return Staff.objects.filter(is_active=True).prefetch_related(
        Prefetch("services", queryset=Service.objects.filter(is_active=True))
    )


def manager_languages() -> dict[str, str]:
    """Each active Manager's (and superuser's) address and the language their
    emails are written in: their own ("My language"), else the business's."""
    managers = (
        get_user_model()
        .objects.filter(
            Q(groups__name=MANAGER) | Q(is_superuser=True),
            is_active=True,
        )
        .exclude(email="")
        .values_list("email", "staff_language__language")
        .distinct()
    )
    return {email: language or settings.LANGUAGE_CODE for email, language in managers}
