from django.apps import AppConfig


class SchedulesConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "apps.schedules"
    verbose_name = "Business calendar"

    def ready(self):
        # Hides slots staff write inside a closure; adds the absences to the desk.
        from apps.schedules import receivers  # noqa: F401
