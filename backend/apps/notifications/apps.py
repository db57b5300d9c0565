from django.apps import AppConfig


class NotificationsConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "apps.notifications"

    def ready(self):
        # Connects the listener of the booking events (the outbox's writer).
        from apps.notifications import receivers  # noqa: F401
