"""The guest booking page and the API docs, all served from the project itself."""

from csp.decorators import csp_update
from django.conf import settings
from django.http import Http404
from django.shortcuts import render
from django.utils import translation
from django.utils.decorators import method_decorator
from django.views.decorators.http import require_safe
from drf_spectacular.views import SpectacularRedocView, SpectacularSwaggerSplitView

from apps.business.selectors import business_settings


@require_safe
def guest_page(request, view="book"):
    """The reference guest booking page, built only on the public API.

    Its settings reach the script through data attributes, so the page needs
    no inline script (it runs under `script-src 'self'`).
    """
    if not settings.BOOKING_GUEST_PAGE:
        raise Http404("The guest page is turned off.")
    # The page's language: its `?lang=` as the script reads it, else the
    # browser's (Accept-Language, read by LocaleMiddleware).
    business = business_settings().in_language(_page_language(request))
    return render(
        request,
        "frontend/guest_page.html",
        {
            "business_name": business.name,
            "welcome_text": business.welcome_text,
            "timezone": settings.BOOKING_TIMEZONE,
            "currency": settings.BOOKING_CURRENCY,
            "phone_region": settings.BOOKING_PHONE_REGION,
            "initial_view": view,
        },
    )


def _page_language(request) -> str:
    try:
        return translation.get_supported_language_variant(request.GET["lang"])
    except (KeyError, LookupError):
        return request.LANGUAGE_CODE


@require_safe
def waitlist_page(request, view="join"):
    """The waiting list's pages: join, leave (the email's link) and an offer
    (the email's link: see the time, book it or say no).

    Opening a link changes nothing: mail scanners open links too, so the
    guest presses a button, which calls the public API.
    """
    if not settings.BOOKING_GUEST_PAGE:
        raise Http404("The guest page is turned off.")
    return render(
        request,
        "frontend/waitlist_page.html",
        {
            "business_name": settings.BOOKING_BUSINESS_NAME,
            "timezone": settings.BOOKING_TIMEZONE,
            "max_days": settings.BOOKING_WAITLIST_MAX_DAYS,
            "view": view,
        },
    )


class ApiDocsView(SpectacularSwaggerSplitView):
    """Swagger UI from drf-spectacular-sidecar; its setup script is a URL too."""

    template_name = "frontend/swagger_ui.html"


@method_decorator(csp_update({"worker-src": ["'self'", "blob:"]}), name="dispatch")
class ApiRedocView(SpectacularRedocView):
    """ReDoc from drf-spectacular-sidecar, without the web fonts it would fetch.

    ReDoc builds its search index in a worker it starts from a blob: URL, so
    this page alone allows `worker-src blob:`. Its bundle also shows a Redocly
    logo from cdn.redoc.ly; a small script loaded first never lets an image
    source point at another origin, so the page requests nothing from one.
    """

    template_name = "frontend/redoc.html"
