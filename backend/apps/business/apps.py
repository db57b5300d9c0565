from django.apps import AppConfig


class BusinessConfig(AppConfig):
    name = "apps.business"
    label = "business"
    verbose_name = "Business"

    def ready(self):
        from apps.business import admin_title

        admin_title.install()
