"""IBAN and BIC checks (schwifty: country formats, check digits, bank codes)."""

from django.core.exceptions import ValidationError
from schwifty import BIC, IBAN
from schwifty.exceptions import SchwiftyException


def validate_iban(value: str) -> None:
    if not value:
        return
    try:
        IBAN(value)
    except SchwiftyException as error:
        message = f"Not a valid IBAN: {error}"
        raise ValidationError(message, code="invalid_iban") from None


def validate_bic(value: str) -> None:
    if not value:
        return
    try:
        BIC(value)
    except SchwiftyException as error:
        raise ValidationError(f"Not a valid BIC: {error}", code="invalid_bic") from None


def compact_iban(value: str) -> str:
    """The IBAN as banks store it (no spaces, upper case); '' stays ''."""
    return IBAN(value).compact if value else ""


def compact_bic(value: str) -> str:
    return str(BIC(value)) if value else ""
