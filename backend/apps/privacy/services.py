"""Every write of personal-data handling: erase a contact, apply retention.

Both anonymise bookings through the registered shredders in one transaction
per request (or per batch), so a booking is either anonymised everywhere its
data was copied or not at all.
"""

import logging
import time
from dataclasses import dataclass, field
from datetime import datetime

from django.conf import settings
from django.utils import timezone

from apps.bookings.models import Booking
from apps.privacy import selectors
from apps.privacy.contacts import Contact, scrub_text
from apps.privacy.exceptions import ContactRequired, ContactUnusable
from apps.privacy.models import ErasureRecord
from apps.privacy.registry import Target, shredders
from common.db import write_transaction

logger = logging.getLogger(__name__)

Source = ErasureRecord.Source


def contact_parse(*, email: str = "", phone: str = "") -> Contact:
    """The one contact a request names (an email or a phone, not both)."""
    email, phone = (email or "").strip(), (phone or "").strip()
    if bool(email) == bool(phone):
        raise ContactRequired()
    contact = Contact.from_email(email) if email else Contact.from_phone(phone)
    if not contact.is_usable:
        raise ContactUnusable(field="email" if email else "phone")
    return contact


def bookings_anonymise(
    bookings: list[Booking], *, email_keys=(), phone_keys=(), now: datetime
) -> dict[str, int]:
    """Run every shredder over `bookings` (locked by the caller, in its
    transaction); what each changed, by name. With no bookings but an email
    or a phone (a guest who only waited for a time), the shredders that match
    by contact still run."""
    if not bookings and not email_keys and not phone_keys:
        return {}
    target = Target(
        bookings=bookings, email_keys=set(email_keys), phone_keys=set(phone_keys)
    )
    return {shredder.name: shredder.shred(target, now=now) for shredder in shredders()}


@dataclass
class ErasureResult:
    record: ErasureRecord
    erased: list[str]
    kept: list[dict]
    previous: list[ErasureRecord]

    @property
    def nothing_left(self) -> bool:
        return not self.erased and not self.kept


def personal_data_erase(
    *,
    email: str = "",
    phone: str = "",
    reason: str,
    actor=None,
    source: str = Source.STAFF,
    now: datetime | None = None,
) -> ErasureResult:
    """Anonymise every booking of the contact that is not still ahead.

    Bookings awaiting payment or with a confirmed appointment ahead are kept
    (and listed, with why); the rest lose the guest's data everywhere it was
    copied. An ErasureRecord keeps when, who, why and a keyed hash of the
    contact, so a second request is recognised.
    """
    contact = contact_parse(email=email, phone=phone)
    now = now or timezone.now()
    with write_transaction():
        previous = list(selectors.erasures_of_contact(contact))
        # FOR NO KEY UPDATE of the bookings alone: a transition of one of
        # them (a payment verified now) waits, and is re-read after.
        bookings = list(
            selectors.bookings_of_contact(contact).select_for_update(
                no_key=True, of=("self",)
            )
        )
        erase, kept = [], []
        for booking in bookings:
            why = selectors.keep_reason(booking, now=now)
            if why:
                kept.append({"reference": booking.reference, "reason": why})
            else:
                erase.append(booking)
        keys = {contact.key} if contact.kind == "email" else set()
        keys |= {b.customer_email_key for b in erase if b.customer_email_key}
        phone_keys = {contact.key} if contact.kind == "phone" else set()
        counts = bookings_anonymise(
            erase, email_keys=keys, phone_keys=phone_keys, now=now
        )
        # The reason is kept; the contact, if staff typed it there, is not.
        needles = [*Target(bookings=bookings).needles, contact.value, contact.key]
        record = ErasureRecord.objects.create(
            created_at=now,
            source=source,
            requested_by=actor if getattr(actor, "pk", None) else None,
            reason=scrub_text(reason, sorted(needles, key=len, reverse=True)),
            contact_kind=contact.kind,
            contact_hash=contact.hash,
            erased_references=[booking.reference for booking in erase],
            kept=kept,
            bookings_erased=len(erase),
            counts=counts,
        )
    logger.info(
        "Erasure %s: %s bookings anonymised, %s kept", record.pk, len(erase), len(kept)
    )
    return ErasureResult(
        record=record,
        erased=record.erased_references,
        kept=kept,
        previous=previous,
    )


def personal_data_export(
    *, email: str = "", phone: str = "", now: datetime | None = None
) -> dict:
    """Everything held about the contact, by kind: its bookings, their audit
    trail, the emails sent, the bank credits matched, webhook messages, and
    the erasures already made for it (without the contact)."""
    contact = contact_parse(email=email, phone=phone)
    target = Target(
        bookings=list(selectors.bookings_of_contact(contact)),
        email_keys={contact.key} if contact.kind == "email" else set(),
        phone_keys={contact.key} if contact.kind == "phone" else set(),
    )
    data = {shredder.name: shredder.export(target) for shredder in shredders()}
    return {
        "contact": {contact.kind: contact.value},
        "generated_at": (now or timezone.now()).isoformat(),
        **{name: rows for name, rows in data.items() if name != "bookings"},
        "bookings": data.get("bookings", []),
        "erasures": [
            {
                "created_at": record.created_at.isoformat(),
                "source": record.source,
                "reason": record.reason,
                "bookings_erased": record.erased_references,
            }
            for record in selectors.erasures_of_contact(contact)
        ],
    }


@dataclass
class RetentionResult:
    anonymised: int = 0
    batches: int = 0
    duration_seconds: float = 0.0
    references: list[str] = field(default_factory=list, repr=False)

    def summary(self) -> str:
        return (
            f"Anonymised {self.anonymised} bookings past their retention in "
            f"{self.batches} batches ({self.duration_seconds:.2f}s)."
        )


def bookings_apply_retention(
    *,
    now: datetime | None = None,
    batch_size: int | None = None,
    keep_references: bool = False,
) -> RetentionResult:
    """Anonymise the bookings past their retention, in batches.

    Each batch is its own transaction: it locks the next bookings due (in
    primary-key order, from where the last batch stopped, skipping rows
    another writer holds), re-checked in the locking query itself, and runs
    every shredder over them. Anonymised bookings no longer match, so a
    second run, or a run after a failed batch, picks up where it stopped.
    """
    now = now or timezone.now()
    batch_size = batch_size or settings.BOOKING_RETENTION_BATCH_SIZE
    started = time.monotonic()
    result = RetentionResult()
    due = selectors.retention_due_q(now=now)
    last_pk = 0
    while True:
        with write_transaction():
            batch = list(
                Booking.objects.filter(due, pk__gt=last_pk)
                .select_related("service", "staff")
                .order_by("pk")
                .select_for_update(no_key=True, skip_locked=True, of=("self",))[
                    :batch_size
                ]
            )
            if not batch:
                break
            last_pk = batch[-1].pk
            counts = bookings_anonymise(batch, now=now)
            references = [booking.reference for booking in batch]
            ErasureRecord.objects.create(
                created_at=now,
                source=Source.RETENTION,
                reason=(
                    f"Retention: {settings.BOOKING_RETENTION_DAYS} days after the "
                    f"appointment, {settings.BOOKING_RETENTION_UNPAID_DAYS} after "
                    "an unpaid cancellation"
                ),
                erased_references=references,
                bookings_erased=len(batch),
                counts=counts,
            )
        result.anonymised += len(batch)
        result.batches += 1
        if keep_references:
            result.references.extend(references)
    result.duration_seconds = time.monotonic() - started
    logger.info(result.summary())
    return result
