"""The outbox: emails written as rows in the transaction of the change they report.

Each email about a booking is written as a snapshot of what it must say
(`snapshots`: a later edit of the booking does not change what was
promised), and rendered and sent only by `sending`: no request and no
expiry batch renders a template or talks to a mail server. Emails a guest's
actions cause are capped per mailbox and hour, by the sender.
"""

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime

from django.db import transaction
from django.db.models import Max
from django.utils import timezone

from apps.bookings.models import Booking, email_key
from apps.notifications import exceptions
from apps.notifications.models import Notification, NotificationAttachment
from apps.notifications.snapshots import booking_snapshot
from common.bulk import bulk_insert

Status = Notification.Status


@dataclass(frozen=True)
class Attachment:
    filename: str
    content_type: str
    content: bytes


@dataclass
class PendingEmail:
    notification: Notification
    attachments: tuple[Attachment, ...] = ()


def build(
    kind: str,
    booking: Booking,
    recipient: str,
    *,
    now: datetime,
    attachments: Iterable[Attachment] = (),
    ics_sequence: int | None = None,
    invite: dict | None = None,
    guest_triggered: bool = False,
    **context,
) -> PendingEmail:
    """One email about `booking`, as its snapshot; `queue` writes it and the
    sender renders it."""
    return PendingEmail(
        Notification(
            kind=kind,
            booking=booking,
            recipient=recipient,
            guest_triggered=guest_triggered,
            # The mailbox the envelope reaches, however the address is written:
            # the booking's own key when it goes to the booking's address.
            recipient_key=_mailbox(booking, recipient) if guest_triggered else "",
            snapshot=booking_snapshot(kind, booking, invite=invite, **context),
            next_attempt_at=now,
            created_at=now,
            ics_sequence=ics_sequence,
        ),
        tuple(attachments),
    )


def _mailbox(booking: Booking, recipient: str) -> str:
    if recipient == booking.customer_email and booking.customer_email_key:
        return booking.customer_email_key
    return email_key(recipient)


def build_to_guest(
    kind: str,
    booking: Booking,
    *,
    now: datetime,
    invite_method: str | None = None,
    ics_sequence: int | None = None,
    **context,
) -> PendingEmail:
    """An email to the booking's guest; with `invite_method`, the sender
    attaches the booking's calendar invite (REQUEST or CANCEL) at
    `ics_sequence`, stamped `now`."""
    invite = None
    if invite_method is not None:
        invite = {
            "method": invite_method,
            "sequence": ics_sequence,
            "stamp": now.isoformat(),
        }
    return build(
        kind,
        booking,
        booking.customer_email,
        now=now,
        ics_sequence=ics_sequence,
        invite=invite,
        **context,
    )


def queue(pending: list[PendingEmail]) -> list[Notification]:
    """Write emails (their snapshots or texts, and their files); call in the
    causing transaction. The per-mailbox hourly cap is the sender's
    (`sending`), so a request pays no count for it.

    An email with no recipient (a guest the desk booked without an address)
    is dropped here, so no receiver needs to ask.
    """
    pending = [item for item in pending if item.notification.recipient]
    if not pending:
        return []
    notifications = bulk_insert([item.notification for item in pending])
    files = [
        NotificationAttachment(
            notification=notification,
            filename=attachment.filename,
            content_type=attachment.content_type,
            content=attachment.content,
        )
        for notification, item in zip(notifications, pending, strict=True)
        for attachment in item.attachments
    ]
    if files:
        NotificationAttachment.objects.bulk_create(files)
    return notifications


def notification_create(
    *,
    kind: str,
    booking: Booking,
    recipient: str,
    attachments: Iterable[Attachment] = (),
    now: datetime | None = None,
    **context,
) -> Notification:
    """Queue one email about `booking`; call inside the causing transaction.

    `attachments` carry any file (an ICS, a payment QR code).
    """
    now = now or timezone.now()
    (notification,) = queue(
        [build(kind, booking, recipient, now=now, attachments=attachments, **context)]
    )
    return notification


def staff_alert_queue(
    *,
    subject: str,
    body_text: str,
    recipients: Iterable[str],
    now: datetime | None = None,
) -> list[Notification]:
    """Queue an alert to staff that another app wrote (about no booking).

    Call inside the causing transaction; one email per recipient. The text
    is the caller's own: staff alerts carry nothing a guest typed.
    """
    now = now or timezone.now()
    return queue(
        [
            PendingEmail(
                Notification(
                    kind=Notification.Kind.STAFF_ALERT,
                    recipient=recipient,
                    subject=subject[:255],
                    body_text=body_text,
                    next_attempt_at=now,
                    created_at=now,
                )
            )
            for recipient in recipients
        ]
    )


def guest_email_queue(
    *,
    kind: str,
    recipient: str,
    subject: str,
    body_text: str,
    now: datetime | None = None,
) -> Notification:
    """Queue an email to a guest that another app rendered (about no booking).

    Call inside the causing transaction. A guest's own action caused it (a
    waiting-list entry, an offer made to it), so it counts against the
    per-mailbox hourly cap like every guest-triggered email; the caller's
    text carries nothing a guest typed but a greeting (`greeting_name`).
    """
    now = now or timezone.now()
    (notification,) = queue(
        [
            PendingEmail(
                Notification(
                    kind=kind,
                    recipient=recipient,
                    guest_triggered=True,
                    recipient_key=email_key(recipient),
                    subject=subject[:255],
                    body_text=body_text,
                    next_attempt_at=now,
                    created_at=now,
                )
            )
        ]
    )
    return notification


def ics_sequences(booking_ids: list[int]) -> dict[int, int]:
    """The highest SEQUENCE each booking's invites carried so far."""
    return dict(
        Notification.objects.filter(
            booking_id__in=booking_ids, ics_sequence__isnull=False
        )
        .values("booking_id")
        .annotate(highest=Max("ics_sequence"))
        .values_list("booking_id", "highest")
    )


def notification_resend(
    *, notification: Notification, now: datetime | None = None
) -> Notification:
    """Queue a failed notification again, with a fresh count of attempts."""
    with transaction.atomic():
        notification = Notification.objects.select_for_update().get(pk=notification.pk)
        if notification.status != Status.FAILED:
            raise exceptions.NotificationNotFailed()
        notification.status = Status.QUEUED
        notification.attempts = 0
        notification.next_attempt_at = now or timezone.now()
        notification.claim_token = None
        notification.save(
            update_fields=["status", "attempts", "next_attempt_at", "claim_token"]
        )
    return notification
