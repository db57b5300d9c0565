"""Find booking references in a bank transfer's remittance text (read-only).

References are 8 characters from an alphabet without look-alikes. A payer
may write them in any case, with spaces, dashes or dots inside
(`byq zkw6m`, `BYQ-ZKW6M`), so the text is normalised the same way and every
8-character window of it is looked up in one query. A random window that
happens to equal a live reference is about as likely as guessing one.
"""

import re
from decimal import Decimal

from apps.bookings.models import REFERENCE_ALPHABET, REFERENCE_LENGTH, Booking

_IGNORED = re.compile(r"[\s\-.]+")
_MAX_TEXT = 2000


def normalise(text: str) -> str:
    return _IGNORED.sub("", text[:_MAX_TEXT]).upper()


def _runs(text: str) -> list[str]:
    """Stretches of the normalised text made only of reference characters."""
    alphabet = re.escape(REFERENCE_ALPHABET)
    return re.findall(f"[{alphabet}]+", normalise(text))


def _windows(text: str, length: int) -> set[str]:
    return {
        run[start : start + length]
        for run in _runs(text)
        for start in range(len(run) - length + 1)
    }


def bookings_referenced(text: str) -> list[Booking]:
    """Every booking whose reference occurs in the text, once each."""
    windows = _windows(text, REFERENCE_LENGTH)
    if not windows:
        return []
    return list(Booking.objects.filter(reference__in=windows).order_by("pk"))


def bookings_referenced_many(texts: list[str]) -> list[list[Booking]]:
    """`bookings_referenced` of each text, one query for them all (a preview
    of a large statement would otherwise cost a query per credit)."""
    windows = [_windows(text, REFERENCE_LENGTH) for text in texts]
    wanted = set().union(*windows)
    found = {}
    if wanted:
        found = {
            booking.reference: booking
            for booking in Booking.objects.filter(reference__in=wanted)
        }
    return [
        sorted((found[w] for w in text_windows if w in found), key=lambda b: b.pk)
        for text_windows in windows
    ]


def _one_edit_apart(candidate: str, reference: str) -> bool:
    if len(candidate) == len(reference):
        return sum(a != b for a, b in zip(candidate, reference, strict=True)) == 1
    shorter, longer = sorted((candidate, reference), key=len)
    if len(longer) - len(shorter) != 1:
        return False
    return any(
        longer[:index] + longer[index + 1 :] == shorter for index in range(len(longer))
    )


def unpaid_for_amount(amount: Decimal) -> list[Booking]:
    """The unpaid bookings a payment of `amount` could be for (a suggestion's
    candidates)."""
    return list(
        Booking.objects.filter(
            status=Booking.Status.AWAITING_PAYMENT, amount_due=amount
        ).only("pk", "reference")[:500]
    )


def suggested_booking(
    text: str, *, amount: Decimal, unpaid: list[Booking] | None = None
) -> Booking | None:
    """The one unpaid booking, for exactly this amount, one typo away from the text.

    Never a guess between two: with several candidates there is no suggestion.
    `unpaid`: the candidates, when the caller already read them.
    """
    if unpaid is None:
        unpaid = unpaid_for_amount(amount)
    if not unpaid:
        return None
    windows = set()
    for length in (REFERENCE_LENGTH - 1, REFERENCE_LENGTH, REFERENCE_LENGTH + 1):
        windows |= _windows(text, length)
    # A look-alike character (0 for O, 1 for I) is one edit too.
    normalised = normalise(text)
    for length in (REFERENCE_LENGTH,):
        for start in range(len(normalised) - length + 1):
            windows.add(normalised[start : start + length])
    hits = {
        booking.pk: booking
        for booking in unpaid
        for window in windows
        if _one_edit_apart(window, booking.reference)
    }
    return next(iter(hits.values())) if len(hits) == 1 else None
