from django.apps import AppConfig


class WaitlistConfig(AppConfig):
    name = "apps.waitlist"
    verbose_name = "Waiting list"

    def ready(self):
        # The receivers listen to booking events and the desk (signals).
        from apps.waitlist import receivers  # noqa: F401
