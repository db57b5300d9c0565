"""Who a request is: the login lockout backend (django-axes for every login
that has a request) and the staff API token scheme."""

from axes.backends import AxesStandaloneBackend
from django.utils.translation import gettext_lazy as _
from knox.auth import TokenAuthentication
from rest_framework import exceptions
from rest_framework.authentication import get_authorization_header


class LockoutBackend(AxesStandaloneBackend):
    """Axes' check, skipped for `authenticate()` calls made without a request.

    Every login form and API authentication passes its request; a call
    without one is our own code (a management command, the test client's
    `login()`), where there is no client to count failures for.
    """

    def authenticate(self, request=None, username=None, password=None, **kwargs):
        if request is None:
            return None
        return super().authenticate(request, username, password, **kwargs)


class StaffTokenAuthentication(TokenAuthentication):
    """Staff API tokens sent as `Bearer <key>` or `Token <key>`.

    Bearer is what OpenAPI's `http`/`bearer` scheme means, so every client
    generator sends it unaided; `Token` is knox's own prefix, which clients
    written before kept using.
    """

    PREFIXES = (b"bearer", b"token")

    def authenticate(self, request):
        parts = get_authorization_header(request).split()
        if not parts or parts[0].lower() not in self.PREFIXES:
            return None  # another scheme's header, or none
        if len(parts) != 2:
            raise exceptions.AuthenticationFailed(
                _("Invalid token header: give `Bearer <key>`, one space, no other.")
            )
        return self.authenticate_credentials(parts[1])

    def authenticate_header(self, request):
        return "Bearer"
