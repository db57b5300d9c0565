"""How a guest pays a booking: the instructions, and the EPC QR code.

The EPC QR code ("SEPA credit transfer" QR, EPC069-12): banking apps scan it
and fill in IBAN, beneficiary, amount and reference, so the guest types
nothing. Offered only for EUR (SEPA credit transfers are in euro) and only
when the business settings (apps.business: a Manager edits them, the
environment gives the first-run values) have an IBAN and a beneficiary.
The business's account is read here, and the bank import (apps.payments)
reads it from here too.
"""

import base64
from decimal import Decimal

import segno
from django.conf import settings
from schwifty import BIC, IBAN
from schwifty.exceptions import SchwiftyException

from apps.business.selectors import business_settings

EPC_MAX_BYTES = 331


def payment_account() -> tuple[str, str, str] | None:
    """(IBAN, beneficiary, BIC) of the business, or None when not usable."""
    business = business_settings()
    iban_text = business.iban.strip()
    # The account holder; the business's name when none is given.
    beneficiary = (business.beneficiary or business.name).strip()
    if not iban_text or not beneficiary:
        return None
    try:
        iban = IBAN(iban_text)
        bic = BIC(business.bic) if business.bic else None
    except SchwiftyException:
        return None
    return iban.compact, beneficiary[:70], str(bic) if bic else ""


def epc_payload(*, amount: Decimal, currency: str, reference: str) -> str | None:
    """The QR's text: the 12 EPC069-12 lines, version 002, UTF-8, or None."""
    account = payment_account()
    if account is None or currency.upper() != "EUR":
        return None
    if not Decimal("0.01") <= amount <= Decimal("999999999.99"):
        return None
    iban, beneficiary, bic = account
    lines = [
        "BCD",  # service tag
        "002",  # version: BIC optional inside the EEA
        "1",  # character set: UTF-8
        "SCT",  # SEPA credit transfer
        bic,
        beneficiary,
        iban,
        # "EUR" then at most two decimals, no trailing zeros (as segno writes it).
        f"EUR{amount.quantize(Decimal('0.01')).normalize():f}",
        "",  # purpose code
        "",  # structured creditor reference (ISO 11649): ours is not one
        reference[:140],  # unstructured remittance: the booking reference
    ]
    payload = "\n".join(lines)
    return payload if len(payload.encode()) <= EPC_MAX_BYTES else None


def _qr(payload: str) -> segno.QRCode:
    # EPC069-12 asks for error correction level M and a plain QR code.
    return segno.make(
        payload, error="m", micro=False, boost_error=False, encoding="utf-8"
    )


def epc_qr_svg(payload: str) -> bytes:
    """The code as a standalone SVG document (for an email or a page)."""
    return _qr(payload).svg_inline(scale=4).encode()


def epc_qr_png(payload: str) -> bytes:
    """The code as PNG bytes, for embedding in an email (issue 14's outbox)."""
    import io

    buffer = io.BytesIO()
    _qr(payload).save(buffer, kind="png", scale=5)
    return buffer.getvalue()


def epc_qr_svg_data_uri(payload: str) -> str:
    return "data:image/svg+xml;base64," + base64.b64encode(epc_qr_svg(payload)).decode()


def payment_instructions_text() -> str:
    """The business's words in the active language (the request's, or the
    booking's in its emails), and the account to pay into when there is one."""
    text = business_settings().in_language().payment_instructions
    account = payment_account()
    if account is None:
        return text
    iban, beneficiary, bic = account
    grouped = " ".join(iban[i : i + 4] for i in range(0, len(iban), 4))
    account = f"IBAN {grouped}, {beneficiary}" + (f", BIC {bic}" if bic else "")
    return f"{text}\n{account}".strip()


def booking_payment_instructions(booking) -> dict | None:
    """What a guest is told to pay and how; None once it no longer awaits payment.

    With the business's account configured (and EUR), also the EPC QR code:
    its payload (`epc_qr`) and an SVG data URI (`epc_qr_svg`).
    """
    if booking.status != booking.Status.AWAITING_PAYMENT:
        return None
    currency = settings.BOOKING_CURRENCY
    instructions = {
        "amount": booking.amount_due,
        "currency": currency,
        "reference": booking.reference,
        "pay_by": booking.payment_expires_at,
        "instructions": payment_instructions_text(),
    }
    payload = epc_payload(
        amount=booking.amount_due, currency=currency, reference=booking.reference
    )
    if payload is not None:
        instructions["epc_qr"] = payload
        instructions["epc_qr_svg"] = epc_qr_svg_data_uri(payload)
    return instructions
