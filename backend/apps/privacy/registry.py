"""Where every kind of personal data is registered with the code that erases it.

As in pretix's data shredder, one shredder per kind of data: it says which
model fields it covers (`fields`, "app_label.Model.field"), exports what it
holds about a set of bookings, and overwrites it. Nothing the accountant
needs is deleted: amounts, dates, references, statuses and the audit trail's
transitions stay. A feature that stores guests' data registers a shredder
here (`register`, from its AppConfig.ready) or lists the field in
`inventory.NOT_PERSONAL` with the reason; `tests/test_inventory.py` fails on
a text field that is in neither.
"""

from dataclasses import dataclass, field
from datetime import datetime
from functools import cached_property

from apps.privacy.contacts import identifying_strings


@dataclass
class Target:
    """The bookings being exported or anonymised, and how their guests appear
    in text copied elsewhere (longest first, so a full name goes before a
    part of it)."""

    bookings: list
    email_keys: set[str] = field(default_factory=set)
    # A phone's digits as bookings keep them (`customer_phone_digits`): a
    # guest who only waited for a time is found by the phone they asked with.
    phone_keys: set[str] = field(default_factory=set)

    @property
    def booking_ids(self) -> list[int]:
        return [booking.pk for booking in self.bookings]

    @property
    def references(self) -> set[str]:
        return {booking.reference for booking in self.bookings}

    @cached_property
    def needles_by_booking(self) -> dict[int, list[str]]:
        """Each booking's own strings: a row about one booking (an email, an
        event) is scrubbed of its guest's, not of the whole batch's."""
        return {
            booking.pk: sorted(
                identifying_strings(
                    name=booking.customer_name,
                    email=booking.customer_email,
                    phone=booking.customer_phone,
                    digits=booking.customer_phone_digits,
                ),
                key=len,
                reverse=True,
            )
            for booking in self.bookings
        }

    @cached_property
    def needles(self) -> list[str]:
        found = set().union(*self.needles_by_booking.values())
        return sorted(found, key=len, reverse=True)

    def needles_of(self, *booking_ids) -> list[str]:
        found = set()
        for booking_id in booking_ids:
            found.update(self.needles_by_booking.get(booking_id, ()))
        return sorted(found, key=len, reverse=True)


class Shredder:
    """One kind of personal data: the fields it covers, its export, its erasure."""

    name = ""
    verbose_name = ""
    fields: tuple[str, ...] = ()
    # Runs after the others: the booking row itself, whose contact the others
    # read from the target.
    last = False

    def export(self, target: Target) -> list[dict]:
        raise NotImplementedError

    def shred(self, target: Target, *, now: datetime) -> int:
        """Overwrite this kind of data of `target`; the number of rows changed."""
        raise NotImplementedError


_shredders: list[Shredder] = []


def register(shredder: Shredder) -> Shredder:
    if any(existing is shredder for existing in _shredders):
        return shredder  # an app registry built again (isolate_apps) readies again
    if any(existing.name == shredder.name for existing in _shredders):
        raise ValueError(f"a shredder named {shredder.name!r} is registered already")
    _shredders.append(shredder)
    return shredder


def shredders() -> list[Shredder]:
    return sorted(_shredders, key=lambda shredder: shredder.last)


def covered_fields() -> set[str]:
    return {name for shredder in _shredders for name in shredder.fields}
