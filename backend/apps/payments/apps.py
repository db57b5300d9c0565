from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class PaymentsConfig(AppConfig):
    name = "apps.payments"
    verbose_name = _("Payments")

    def ready(self):
        # The checks register themselves; receivers connects the listener
        # that turns a refund owed into a refund due.
        from apps.payments import checks, receivers  # noqa: F401
