from django.apps import AppConfig


class PaymentsConfig(AppConfig):
    name = "apps.payments"
    verbose_name = "Payments"

    def ready(self):
        # The checks register themselves; receivers connects the listener
        # that turns a refund owed into a refund due.
        from apps.payments import checks, receivers  # noqa: F401
