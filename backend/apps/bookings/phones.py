"""Guests' phone numbers, read with Google's libphonenumber (`phonenumbers`).

A number typed without a country code is read in BOOKING_PHONE_REGION. Valid
numbers are stored in E.164 (`+351912345678`) and shown in international
format (`+351 912 345 678`); one guest is recognised by the E.164 form however
the number was typed.
"""

import phonenumbers
from django.conf import settings


def phone_to_e164(phone: str, *, region: str | None = None) -> str | None:
    """The E.164 form of a valid phone number, or None."""
    try:
        number = phonenumbers.parse(phone, region or settings.BOOKING_PHONE_REGION)
    except phonenumbers.NumberParseException:
        return None
    if not phonenumbers.is_valid_number(number):
        return None
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


def normalize_phone(phone: str) -> str:
    """E.164 when the number parses, else the text as typed (staff may keep it)."""
    return phone_to_e164(phone) or phone.strip()


def phone_key(phone: str) -> str:
    """What the per-contact limit and guest lookup compare: E.164 without '+'.

    Stored in `Booking.customer_phone_digits`. A number that does not parse
    falls back to its digits, as before E.164.
    """
    return "".join(
        character for character in normalize_phone(phone) if character.isdigit()
    )


def phone_international(phone: str) -> str:
    """`+351 912 345 678` for a stored E.164 number; anything else unchanged."""
    if not phone.startswith("+"):
        return phone
    try:
        number = phonenumbers.parse(phone, None)
    except phonenumbers.NumberParseException:
        return phone
    return phonenumbers.format_number(
        number, phonenumbers.PhoneNumberFormat.INTERNATIONAL
    )
