from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class BusinessConfig(AppConfig):
    name = "apps.business"
    label = "business"
    verbose_name = _("Business")

    def ready(self):
        from apps.business import admin_title

        admin_title.install()
