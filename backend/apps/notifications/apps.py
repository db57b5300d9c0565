from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class NotificationsConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "apps.notifications"
    verbose_name = _("Notifications")

    def ready(self):
        # Connects the listener of the booking events (the outbox's writer).
        from apps.notifications import receivers  # noqa: F401
