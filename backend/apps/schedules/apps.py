from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class SchedulesConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "apps.schedules"
    verbose_name = _("Business calendar")

    def ready(self):
        # Hides slots staff write inside a closure; adds the absences to the desk.
        from apps.schedules import receivers  # noqa: F401
