"""The login lockout backend: django-axes for every login that has a request."""

from axes.backends import AxesStandaloneBackend


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
