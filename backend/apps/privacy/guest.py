"""Guests' own requests, from the guest page: export or erase, confirmed by a
single-use link emailed to the address.

The request answers the same, and does the same work (one insert), whether
or not the address is known; the job finds out, away from the request, and
emails a link only to an address with bookings. The token is shown once (in
the email); only its SHA-256 is stored.
"""

import hashlib
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.conf import settings
from django.utils import timezone

from apps.bookings.models import email_key
from apps.notifications import outbox
from apps.notifications.models import Notification
from apps.privacy import services
from apps.privacy.contacts import Contact
from apps.privacy.exceptions import PrivacyLinkInvalid
from apps.privacy.models import ErasureRecord, GuestRequest
from apps.privacy.selectors import bookings_of_contact
from common.db import write_transaction

Action = GuestRequest.Action
# Requests (and used or expired links) are deleted after this.
KEEP_REQUESTS = timedelta(days=1)


def _token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def guest_request_create(
    *, email: str, action: str, now: datetime | None = None
) -> GuestRequest:
    """Note a guest's request; the same insert for any address."""
    return GuestRequest.objects.create(
        email=email.strip(), action=action, created_at=now or timezone.now()
    )


def guest_links_send(*, now: datetime | None = None, batch_size: int = 200) -> int:
    """Email a link for each pending request whose address has bookings, and
    forget the addresses that have none. Returns the links sent."""
    now = now or timezone.now()
    sent = 0
    with write_transaction():
        pending = list(
            GuestRequest.objects.filter(processed_at__isnull=True)
            .order_by("created_at", "pk")
            .select_for_update(skip_locked=True)[:batch_size]
        )
        for request in pending:
            booking = (
                bookings_of_contact(Contact.from_email(request.email))
                .order_by("-created_at", "-pk")
                .first()
                if request.email
                else None
            )
            request.processed_at = now
            if booking is None:
                request.email = ""
                request.save(update_fields=["processed_at", "email"])
                continue
            token = secrets.token_urlsafe(32)
            request.token_hash = _token_hash(token)
            request.expires_at = now + timedelta(
                minutes=settings.BOOKING_ACCESS_LINK_MINUTES
            )
            request.save(update_fields=["processed_at", "token_hash", "expires_at"])
            outbox.queue(
                [
                    outbox.build_to_guest(
                        Notification.Kind.PRIVACY_LINK,
                        booking,
                        now=now,
                        guest_triggered=True,
                        action=request.action,
                        link=f"{settings.BOOKING_SITE_URL}/booking/#privacy={token}",
                        link_expires=request.expires_at,
                    )
                ]
            )
            sent += 1
    return sent


def guest_requests_purge(*, now: datetime | None = None) -> int:
    """Delete requests past a day, and forget the address of expired links."""
    now = now or timezone.now()
    GuestRequest.objects.filter(expires_at__lt=now).exclude(email="").update(email="")
    deleted, _ = GuestRequest.objects.filter(
        created_at__lt=now - KEEP_REQUESTS
    ).delete()
    return deleted


@dataclass
class Confirmed:
    action: str
    export: dict | None = None
    erasure: services.ErasureResult | None = None


def guest_request_confirm(*, token: str, now: datetime | None = None) -> Confirmed:
    """Carry out the request the link was sent for; the link is spent."""
    now = now or timezone.now()
    with write_transaction():
        request = (
            GuestRequest.objects.select_for_update()
            .filter(
                token_hash=_token_hash(token or ""),
                used_at__isnull=True,
                expires_at__gt=now,
            )
            .exclude(email="")
            .first()
        )
        if request is None:
            raise PrivacyLinkInvalid()
        email = request.email
        request.used_at, request.email = now, ""
        request.save(update_fields=["used_at", "email"])
        if request.action == Action.EXPORT:
            return Confirmed(
                action=request.action,
                export=services.personal_data_export(email=email, now=now),
            )
        return Confirmed(
            action=request.action,
            erasure=services.personal_data_erase(
                email=email,
                reason="The guest asked on the booking page (emailed link).",
                source=ErasureRecord.Source.GUEST,
                now=now,
            ),
        )


def guest_requests_forget(email_keys: set[str]) -> int:
    """The erasure's part: requests naming these mailboxes forget the address."""
    rows = GuestRequest.objects.exclude(email="").only("pk", "email")
    doomed = [row.pk for row in rows if email_key(row.email) in email_keys]
    return GuestRequest.objects.filter(pk__in=doomed).update(email="")
