"""A guest's contact as a request names it: the bookings it matches, its keyed
hash, and the strings that identify the guest wherever they were copied."""

import hashlib
import hmac
from dataclasses import dataclass

from django.conf import settings
from django.db.models import Q

from apps.bookings.models import email_key
from apps.bookings.phones import phone_international, phone_key

# The fixed markers an anonymised booking carries. The email marker is an
# address (the API shows it as one) at a reserved name no mail can reach, and
# one the guest lookup refuses as an address (no dot in its domain), so an
# anonymised booking cannot be opened with the marker as proof.
MARKER = "[erased]"
ERASED_EMAIL = "erased@invalid"
# Shorter than this, a phone's digits would match unrelated numbers.
MIN_PHONE_DIGITS = 6


@dataclass(frozen=True)
class Contact:
    """An email (`kind="email"`) or a phone (`kind="phone"`), normalised the
    way bookings store them (`customer_email_key`, `customer_phone_digits`)."""

    kind: str
    value: str
    key: str

    @classmethod
    def from_email(cls, email: str) -> "Contact":
        return cls(kind="email", value=email.strip(), key=email_key(email))

    @classmethod
    def from_phone(cls, phone: str) -> "Contact":
        return cls(kind="phone", value=phone.strip(), key=phone_key(phone))

    @property
    def is_usable(self) -> bool:
        if self.kind == "phone":
            return len(self.key) >= MIN_PHONE_DIGITS
        return "@" in self.key

    def bookings_q(self) -> Q:
        """The bookings of this contact, however its address was written."""
        if self.kind == "email":
            return Q(customer_email_key=self.key) | Q(customer_email__iexact=self.value)
        return Q(customer_phone_digits=self.key)

    @property
    def hash(self) -> str:
        """A keyed hash that recognises the contact again and cannot be
        reversed without the server's secret (an unkeyed hash of an email
        can be guessed from a list of addresses)."""
        message = f"privacy:{self.kind}:{self.key}".encode()
        secret = settings.SECRET_KEY.encode()
        return hmac.new(secret, message, hashlib.sha256).hexdigest()


def identifying_strings(*, name: str, email: str, phone: str, digits: str) -> set[str]:
    """The forms in which one booking's guest may appear in copied text: the
    name, the email as typed and as a mailbox, the phone as stored, in
    international format, as digits, and nationally (without the country
    code)."""
    found = {name.strip(), email.strip(), email_key(email) if email else ""}
    if phone:
        found |= {phone.strip(), phone_international(phone), digits}
        if phone.startswith("+") and len(digits) > 9:
            found.add(digits[-9:])
            found.add(phone_international(phone).split(" ", 1)[-1])
    return {text for text in found if len(text) >= 3 and text != MARKER}


def scrub_text(text: str, needles: list[str]) -> str:
    """`text` with every needle (case-insensitive) replaced by the marker."""
    if not text:
        return text
    lowered = text.lower()
    for needle in needles:
        low = needle.lower()
        start = lowered.find(low)
        while start != -1:
            text = text[:start] + MARKER + text[start + len(needle) :]
            lowered = text.lower()
            start = lowered.find(low, start + len(MARKER))
    return text


def scrub_json(value, needles: list[str], *, keys: frozenset[str] = frozenset()):
    """A copy of a JSON value with the values under `keys` replaced by the
    marker and the needles scrubbed from every other string."""
    if isinstance(value, dict):
        return {
            k: (
                MARKER
                if k in keys and v not in ("", None)
                else scrub_json(v, needles, keys=keys)
            )
            for k, v in value.items()
        }
    if isinstance(value, list):
        return [scrub_json(item, needles, keys=keys) for item in value]
    if isinstance(value, str):
        return scrub_text(value, needles)
    return value
