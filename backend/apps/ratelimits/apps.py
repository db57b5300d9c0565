from django.apps import AppConfig


class RatelimitsConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "apps.ratelimits"

    def ready(self):
        from apps.ratelimits import checks  # noqa: F401  (registers the check)
