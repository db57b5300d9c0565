from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class WebhooksConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "apps.webhooks"
    verbose_name = _("Webhooks")

    def ready(self):
        # Connects the listeners of booking and bank events (the outbox's writer).
        from apps.webhooks import receivers  # noqa: F401
