from django.apps import AppConfig


class WebhooksConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "apps.webhooks"

    def ready(self):
        # Connects the listeners of booking and bank events (the outbox's writer).
        from apps.webhooks import receivers  # noqa: F401
