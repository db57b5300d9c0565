from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class WaitlistConfig(AppConfig):
    name = "apps.waitlist"
    verbose_name = _("Waiting list")

    def ready(self):
        # The receivers listen to booking events and the desk (signals).
        from apps.waitlist import receivers  # noqa: F401
