"""The outbox: emails written as rows in the transaction of the change they report.

Each email is rendered when it is queued (a later edit of the booking does
not change what was promised) and leaves only through `sending`: no
request and no expiry batch talks to a mail server. Emails a guest's
actions cause are capped per mailbox and hour.
"""

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.conf import settings
from django.db import transaction
from django.db.models import Count, Max
from django.utils import timezone

from apps.bookings.models import Booking, email_key
from apps.notifications import exceptions
from apps.notifications.models import Notification, NotificationAttachment
from apps.notifications.rendering import render_email, render_invite

Status = Notification.Status


@dataclass(frozen=True)
class Attachment:
    filename: str
    content_type: str
    content: bytes


def invite(booking: Booking, *, method: str, sequence: int, now: datetime):
    """The booking's calendar invite as an attachment."""
    return Attachment(
        *render_invite(booking, method=method, sequence=sequence, now=now)
    )


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
    guest_triggered: bool = False,
    **context,
) -> PendingEmail:
    """Render one email about `booking`; `queue` writes it."""
    subject, body_text = render_email(kind, booking, **context)
    return PendingEmail(
        Notification(
            kind=kind,
            booking=booking,
            recipient=recipient,
            guest_triggered=guest_triggered,
            # The mailbox the envelope reaches, however the address is written.
            recipient_key=email_key(recipient) if guest_triggered else "",
            subject=subject,
            body_text=body_text,
            next_attempt_at=now,
            created_at=now,
            ics_sequence=ics_sequence,
        ),
        tuple(attachments),
    )


def build_to_guest(
    kind: str,
    booking: Booking,
    *,
    now: datetime,
    invite_method: str | None = None,
    ics_sequence: int | None = None,
    **context,
) -> PendingEmail:
    """Render an email to the booking's guest; with `invite_method`, attach
    the booking's calendar invite (REQUEST or CANCEL) at `ics_sequence`."""
    attachments = ()
    if invite_method is not None:
        attachments = (
            invite(booking, method=invite_method, sequence=ics_sequence, now=now),
        )
    return build(
        kind,
        booking,
        booking.customer_email,
        now=now,
        attachments=attachments,
        ics_sequence=ics_sequence,
        **context,
    )


def _cap_guest_emails(pending: list[PendingEmail]) -> None:
    """Hold back guest-triggered emails over the hourly limit per mailbox.

    Anyone can type someone else's address into a booking; at most
    BOOKING_MAX_GUEST_EMAILS_PER_HOUR such emails reach one mailbox per hour,
    and the rest are recorded as `suppressed`, not sent.
    """
    guest = [item.notification for item in pending if item.notification.guest_triggered]
    if not guest:
        return
    keys = {notification.recipient_key for notification in guest}
    now = min(notification.created_at for notification in guest)
    sent_recently = dict(
        Notification.objects.filter(
            guest_triggered=True,
            recipient_key__in=keys,
            created_at__gt=now - timedelta(hours=1),
        )
        .exclude(status=Status.SUPPRESSED)
        .values("recipient_key")
        .annotate(count=Count("pk"))
        .values_list("recipient_key", "count")
    )
    limit = settings.BOOKING_MAX_GUEST_EMAILS_PER_HOUR
    for notification in guest:
        count = sent_recently.get(notification.recipient_key, 0)
        if count >= limit:
            notification.status = Status.SUPPRESSED
            notification.last_error = (
                f"Not sent: {limit} emails a guest's actions caused already went "
                "to this address in the last hour."
            )
        else:
            sent_recently[notification.recipient_key] = count + 1


def queue(pending: list[PendingEmail]) -> list[Notification]:
    """Write rendered emails (and their files); call in the causing transaction.

    An email with no recipient (a guest the desk booked without an address)
    is dropped here, so no receiver needs to ask.
    """
    pending = [item for item in pending if item.notification.recipient]
    if not pending:
        return []
    _cap_guest_emails(pending)
    notifications = Notification.objects.bulk_create(
        [item.notification for item in pending]
    )
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
    """Render one email and queue it; call inside the causing transaction.

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
