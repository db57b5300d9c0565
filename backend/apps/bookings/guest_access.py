"""Guest proofs counted per booking reference, and the emailed links that
replace them once a reference has been guessed at.

A guest opens a booking with its reference and the email or phone it was
made with. Anyone who learns a reference (a forwarded email, a leaked staff
calendar feed) could guess the phone from many addresses, so failed proofs
are counted per reference, whatever the address: past
BOOKING_MAX_FAILED_PROOFS_PER_HOUR in the current hour, even the right proof
answers as an unknown reference would. A right proof then only marks the
reference's window `link_wanted`, and the job `send_access_links` emails a
single-use link (BOOKING_ACCESS_LINK_MINUTES) to the booking's own address:
the guest keeps control, the guesser learns nothing.

Every attempt costs the same one upsert, whether the reference exists, the
proof is right or the reference is locked, so neither the answer nor its
timing tells them apart; what a right proof changes is written in that same
statement, and the email leaves later, from a job.
"""

import hashlib
import secrets
from datetime import datetime, timedelta

from django.conf import settings
from django.db import connection
from django.utils import timezone

from apps.bookings.models import (
    Booking,
    BookingAccessLink,
    GuestProofWindow,
)
from apps.bookings.selectors import booking_for_guest, booking_list
from apps.bookings.signals import booking_access_link_issued
from common.db import write_transaction

PROOF_WINDOW_SECONDS = 3600
REFERENCE_MAX_LENGTH = 20


def _window_start(now: datetime) -> int:
    seconds = int(now.timestamp())
    return seconds - seconds % PROOF_WINDOW_SECONDS


def _token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def _normalised(reference: str) -> str:
    return reference.strip().upper()[:REFERENCE_MAX_LENGTH]


def proof_attempt_record(*, reference: str, proof_ok: bool, now: datetime) -> bool:
    """Count one proof of `reference`; True when a right proof may open it.

    One autocommitted upsert: a wrong proof adds a failure; a right one adds
    none and, when the reference is locked, asks for a link. The row lock of
    the conflict makes concurrent attempts count exactly.
    """
    table = connection.ops.quote_name(GuestProofWindow._meta.db_table)
    limit = settings.BOOKING_MAX_FAILED_PROOFS_PER_HOUR
    sql = (
        f"INSERT INTO {table} (reference, window_start, failures, link_wanted) "
        "VALUES (%s, %s, %s, %s) ON CONFLICT (reference, window_start) DO UPDATE "
        f"SET failures = {table}.failures + EXCLUDED.failures, "
        f"link_wanted = {table}.link_wanted OR (%s AND {table}.failures >= %s) "
        "RETURNING failures"
    )
    params = [
        _normalised(reference),
        _window_start(now),
        0 if proof_ok else 1,
        False,
        proof_ok,
        limit,
    ]
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        (failures,) = cursor.fetchone()
    return proof_ok and failures < limit


def booking_for_proof(
    *,
    reference: str,
    email: str = "",
    phone: str = "",
    access_token: str = "",
    now: datetime | None = None,
) -> Booking | None:
    """The booking a guest's proof opens, or None (wrong, unknown or locked).

    The proof is the email or phone the booking was made with, or the token
    of a link emailed to it (which opens a locked reference too; the caller
    spends it with `access_link_spend` in the transaction of what it does).
    """
    now = now or timezone.now()
    if access_token:
        link = (
            BookingAccessLink.objects.filter(
                token_hash=_token_hash(access_token),
                booking__reference=_normalised(reference),
                used_at__isnull=True,
                expires_at__gt=now,
            )
            .values_list("booking_id", flat=True)
            .first()
        )
        if link is None:
            proof_attempt_record(reference=reference, proof_ok=False, now=now)
            return None
        return booking_list().get(pk=link)
    booking = booking_for_guest(reference=reference, email=email, phone=phone)
    allowed = proof_attempt_record(
        reference=reference, proof_ok=booking is not None, now=now
    )
    return booking if allowed else None


def access_link_spend(
    *, booking: Booking, access_token: str, now: datetime | None = None
) -> str | None:
    """Spend the link token that opened `booking`; return its successor.

    Call inside the transaction of what the guest does with it, so a refused
    change leaves the token unspent. None when the token was spent meanwhile
    (a concurrent use): the caller answers as for a wrong proof.
    """
    now = now or timezone.now()
    link = (
        BookingAccessLink.objects.select_for_update()
        .filter(
            token_hash=_token_hash(access_token),
            booking=booking,
            used_at__isnull=True,
            expires_at__gt=now,
        )
        .first()
    )
    if link is None:
        return None
    link.used_at = now
    link.save(update_fields=["used_at"])
    return _issue(booking, expires_at=link.expires_at, now=now)


def _issue(booking: Booking, *, expires_at: datetime, now: datetime) -> str:
    token = secrets.token_urlsafe(32)
    BookingAccessLink.objects.create(
        booking=booking,
        token_hash=_token_hash(token),
        expires_at=expires_at,
        created_at=now,
    )
    return token


def access_links_send(*, now: datetime | None = None, batch_size: int = 500) -> int:
    """Email a link for each locked reference whose right proof was given.

    Each link is announced (`booking_access_link_issued`) in the transaction
    that stores it; notifications queues the email to the booking's address.
    Also forgets proof windows and links that are over. Returns links sent.
    """
    now = now or timezone.now()
    expires_at = now + timedelta(minutes=settings.BOOKING_ACCESS_LINK_MINUTES)
    with write_transaction():
        wanted = list(
            GuestProofWindow.objects.select_for_update(skip_locked=True)
            .filter(link_wanted=True)
            .order_by("pk")[:batch_size]
        )
        bookings = booking_list().filter(
            reference__in={window.reference for window in wanted}
        )
        for booking in bookings:
            token = _issue(booking, expires_at=expires_at, now=now)
            booking_access_link_issued.send(
                sender=Booking, booking=booking, token=token, expires_at=expires_at
            )
        GuestProofWindow.objects.filter(pk__in=[w.pk for w in wanted]).update(
            link_wanted=False
        )
    GuestProofWindow.objects.filter(
        window_start__lt=_window_start(now) - PROOF_WINDOW_SECONDS
    ).delete()
    BookingAccessLink.objects.filter(expires_at__lt=now - timedelta(days=1)).delete()
    return len(bookings)
