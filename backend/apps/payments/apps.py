from django.apps import AppConfig


class PaymentsConfig(AppConfig):
    name = "apps.payments"
    verbose_name = "Payments"

    def ready(self):
        from apps.payments import checks  # noqa: F401  (registers the checks)
