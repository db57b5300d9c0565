"""System checks: a payment IBAN or BIC that does not validate stops start-up."""

from django.conf import settings
from django.core.checks import Error, register
from schwifty import BIC, IBAN
from schwifty.exceptions import SchwiftyException


@register()
def payment_account_check(app_configs, **kwargs):
    errors = []
    if settings.BOOKING_PAYMENT_IBAN:
        try:
            IBAN(settings.BOOKING_PAYMENT_IBAN)
        except SchwiftyException as error:
            errors.append(
                Error(
                    f"BOOKING_PAYMENT_IBAN is not a valid IBAN: {error}",
                    id="payments.E001",
                )
            )
    if settings.BOOKING_PAYMENT_BIC:
        try:
            BIC(settings.BOOKING_PAYMENT_BIC)
        except SchwiftyException as error:
            errors.append(
                Error(
                    f"BOOKING_PAYMENT_BIC is not a valid BIC: {error}",
                    id="payments.E002",
                )
            )
    return errors
