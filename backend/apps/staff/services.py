"""Writes of the staff app that are not roles or tokens: a staff user's own
language (the admin and the Desk read it through StaffLanguageMiddleware)."""

from django.conf import settings
from django.db import transaction

from apps.staff.models import StaffLanguage


def staff_language_set(*, user, language: str) -> str:
    """Save `language` (one of LANGUAGES) as the user's, or "" to follow the
    browser again. Returns what was saved."""
    if language and language not in dict(settings.LANGUAGES):
        raise ValueError(f"{language!r} is not one of LANGUAGES")
    with transaction.atomic():
        if language:
            StaffLanguage.objects.update_or_create(
                user=user, defaults={"language": language}
            )
        else:
            StaffLanguage.objects.filter(user=user).delete()
    return language
