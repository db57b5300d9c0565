"""Guests' phone numbers, read with Google's libphonenumber (`phonenumbers`).

A number typed without a country code is read in BOOKING_PHONE_REGION. Valid
numbers are stored in E.164 (`+351912345678`) and shown in international
format (`+351 912 345 678`); one guest is recognised by the E.164 form however
the number was typed.
"""

import phonenumbers
from django.conf import settings


class ParsedPhone(str):
    """A valid number in E.164 that was parsed once, with its international
    form: a booking's create parses the phone when the API validates it, and
    the domain layer and the answer reuse that (issue 35)."""

    international: str


def phone_to_e164(phone: str, *, region: str | None = None) -> ParsedPhone | None:
    """The E.164 form of a valid phone number, or None."""
    if isinstance(phone, ParsedPhone):
        return phone
    try:
        number = phonenumbers.parse(phone, region or settings.BOOKING_PHONE_REGION)
    except phonenumbers.NumberParseException:
        return None
    if not phonenumbers.is_valid_number(number):
        return None
    parsed = ParsedPhone(
        phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)
    )
    parsed.international = phonenumbers.format_number(
        number, phonenumbers.PhoneNumberFormat.INTERNATIONAL
    )
    return parsed


def normalize_phone(phone: str) -> str:
    """E.164 when the number parses, else the text as typed (staff may keep it)."""
    return phone_to_e164(phone) or phone.strip()


def phone_digits(normalized: str) -> str:
    """The digits of a phone `normalize_phone` gave: its `phone_key`."""
    return "".join(character for character in normalized if character.isdigit())


def phone_key(phone: str) -> str:
    """What the per-contact limit and guest lookup compare: E.164 without '+'.

    Stored in `Booking.customer_phone_digits`. A number that does not parse
    falls back to its digits, as before E.164.
    """
    return phone_digits(normalize_phone(phone))


def phone_international(phone: str) -> str:
    """`+351 912 345 678` for a stored E.164 number; anything else unchanged."""
    if isinstance(phone, ParsedPhone):
        return phone.international
    if not phone.startswith("+"):
        return phone
    try:
        number = phonenumbers.parse(phone, None)
    except phonenumbers.NumberParseException:
        return phone
    return phonenumbers.format_number(
        number, phonenumbers.PhoneNumberFormat.INTERNATIONAL
    )
