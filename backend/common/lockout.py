"""The answer to a login that django-axes has locked out.

The same words whether or not the username exists, so the page tells a
guesser nothing; JSON for API clients, a page in the admin's look otherwise.
"""

from django.conf import settings
from django.contrib import admin
from django.http import JsonResponse
from django.shortcuts import render

LOCKED_DETAIL = (
    "Too many failed sign-in attempts for this username from your address. "
    "Please wait {minutes} minutes and try again, or ask a manager to unlock it."
)


def lockout_response(request, original_response=None, credentials=None):
    minutes = int(settings.AXES_COOLOFF_TIME.total_seconds() // 60)
    detail = LOCKED_DETAIL.format(minutes=minutes)
    wants_json = "json" in request.headers.get("Accept", "")
    if request.path.startswith("/api/") or wants_json:
        response = JsonResponse({"code": "login_locked", "detail": detail}, status=429)
    else:
        context = {**admin.site.each_context(request), "detail": detail}
        response = render(request, "login_locked.html", context, status=429)
    response["Retry-After"] = str(minutes * 60)
    return response
