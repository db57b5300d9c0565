"""A staff user's own language over their browser's.

LocaleMiddleware has already chosen from Accept-Language; after
authentication this one switches to the language the user saved (kept in the
session from login on, so a request costs no query)."""

from django.conf import settings
from django.contrib.auth.signals import user_logged_in
from django.dispatch import receiver
from django.utils import translation

from apps.staff.models import StaffLanguage

SESSION_KEY = "staff_language"


def remember(request, language: str) -> None:
    """Keep the user's language in their session ("" forgets it)."""
    if language:
        request.session[SESSION_KEY] = language
    else:
        request.session.pop(SESSION_KEY, None)


@receiver(user_logged_in, dispatch_uid="staff_language_on_login")
def _on_login(sender, request, user, **kwargs):
    if request is None or not hasattr(request, "session"):
        return
    saved = (
        StaffLanguage.objects.filter(user=user)
        .values_list("language", flat=True)
        .first()
    )
    remember(request, saved or "")


class StaffLanguageMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        session = getattr(request, "session", None)
        language = session.get(SESSION_KEY) if session is not None else None
        user = getattr(request, "user", None)
        if (
            language in dict(settings.LANGUAGES)
            and user is not None
            and user.is_authenticated
        ):
            translation.activate(language)
            request.LANGUAGE_CODE = language
        return self.get_response(request)
