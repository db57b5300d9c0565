"""Sending the outbox: claim due rows, deliver them, back off on failure.

An email written as a snapshot (`snapshots`) is rendered at its first
attempt, in the guest's language, and its text stored on the row, so every
retry sends the same message; the per-mailbox hourly cap is decided there too.
Rows are claimed the way every outbox sender claims them (common.outbox:
`SKIP LOCKED` plus a lease, then sending outside any transaction), so two
senders never claim one row, no database lock is held while a mail server
is slow, and a sender that dies mid-batch leaves its rows to be picked up
again when the lease ends.
"""

import logging
import time
import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta
from email import encoders
from email.mime.base import MIMEBase
from email.mime.text import MIMEText

from django.conf import settings
from django.core.mail import EmailMultiAlternatives, get_connection
from django.db import transaction
from django.db.models import F, Q
from django.utils import timezone

from apps.business.selectors import business_settings
from apps.notifications.models import Notification, NotificationAttachment
from apps.notifications.rendering import render_email, render_invite
from common.outbox import LeaseClock, claim_due, release

logger = logging.getLogger(__name__)

Status = Notification.Status
BACKOFF_CAP_MINUTES = 60
ERROR_MAX_CHARS = 2000


@dataclass
class SendResult:
    sent: int = 0
    retried: int = 0
    failed: int = 0
    suppressed: int = 0
    batches: int = 0
    duration_seconds: float = 0.0

    def summary(self) -> str:
        return (
            f"Sent {self.sent} notifications, {self.retried} to retry, "
            f"{self.failed} failed, in {self.batches} batches "
            f"({self.duration_seconds:.2f}s)."
        )


def backoff(attempts: int) -> timedelta:
    """1, 2, 4 ... minutes after the 1st, 2nd, 3rd ... failure, capped."""
    return timedelta(minutes=min(2 ** (attempts - 1), BACKOFF_CAP_MINUTES))


def notifications_send_due(
    *,
    batch_size: int = 100,
    once: bool = False,
    now: datetime | None = None,
) -> SendResult:
    """Send queued notifications whose time has come, batch after batch.

    With `once`, one batch at most. A failure counts an attempt and backs off
    exponentially; after BOOKING_NOTIFICATION_MAX_ATTEMPTS the row is
    `failed` with the error. Never raises for a mail-server failure.
    """
    if batch_size < 1:
        raise ValueError("batch_size must be at least 1")
    started = time.monotonic()
    result = SendResult()
    while True:
        batch_now = now or timezone.now()
        token, claimed = _claim(batch_size=batch_size, now=batch_now)
        if not claimed:
            break
        result.batches += 1
        _deliver(claimed, token=token, fixed_now=now, result=result)
        if once:
            break
    result.duration_seconds = time.monotonic() - started
    logger.info(
        "send_notifications: sent=%d retried=%d failed=%d batches=%d duration=%.3fs",
        result.sent,
        result.retried,
        result.failed,
        result.batches,
        result.duration_seconds,
    )
    return result


def _lease() -> timedelta:
    return timedelta(seconds=settings.BOOKING_NOTIFICATION_LEASE_SECONDS)


def _claim(*, batch_size: int, now: datetime) -> tuple[uuid.UUID, list[Notification]]:
    token, claimed_ids = claim_due(
        Notification,
        due=Q(status=Status.QUEUED),
        now=now,
        batch_size=batch_size,
        lease=_lease(),
    )
    if not claimed_ids:
        return token, []
    return token, list(
        Notification.objects.filter(pk__in=claimed_ids, claim_token=token)
        .prefetch_related("attachments")
        .order_by("next_attempt_at", "pk")
    )


def _mime_part(attachment: NotificationAttachment):
    main_type, _, rest = attachment.content_type.partition("/")
    sub_type, *params = [part.strip() for part in rest.split(";")]
    content = bytes(attachment.content)
    if main_type == "text":
        part = MIMEText(content.decode("utf-8"), sub_type, "utf-8")
    else:
        part = MIMEBase(main_type, sub_type)
        part.set_payload(content)
        encoders.encode_base64(part)
    for param in params:
        name, _, value = param.partition("=")
        part.set_param(name.strip(), value.strip())
    part.add_header("Content-Disposition", "attachment", filename=attachment.filename)
    return part


def message_id(notification: Notification) -> str:
    """The same Message-ID every time a row is sent.

    A sender killed after the mail server took a message but before it
    answered leaves the row queued, and it is sent again after the lease
    (at-least-once: SMTP cannot tell the sender). With one Message-ID per
    row, the copies are recognisably one message, which mail stores and
    clients use to drop duplicates.
    """
    created = notification.created_at.strftime("%Y%m%d%H%M%S")
    domain = settings.BOOKING_CALENDAR_UID_DOMAIN
    return f"<notification.{notification.pk}.{created}@{domain}>"


def _over_hourly_cap(notification: Notification) -> bool:
    """Whether a guest-triggered email is over its mailbox's hourly cap.

    Anyone can type someone else's address into a booking; at most
    BOOKING_MAX_GUEST_EMAILS_PER_HOUR such emails reach one mailbox per hour.
    Counted over the emails to the mailbox queued in the hour before this
    one (earlier in the queue's order) and not held back themselves, so the
    answer depends on the queue, not on when or by which sender it is sent:
    one still waiting in another sender's batch counts as going (never more
    than the cap leaves).
    """
    created = notification.created_at
    earlier = Notification.objects.filter(
        Q(created_at__lt=created) | Q(created_at=created, pk__lt=notification.pk),
        guest_triggered=True,
        recipient_key=notification.recipient_key,
        created_at__gt=created - timedelta(hours=1),
    ).exclude(status=Status.SUPPRESSED)
    return earlier.count() >= settings.BOOKING_MAX_GUEST_EMAILS_PER_HOUR


def _suppress(notification: Notification, *, token: uuid.UUID) -> None:
    limit = settings.BOOKING_MAX_GUEST_EMAILS_PER_HOUR
    Notification.objects.filter(pk=notification.pk, claim_token=token).update(
        status=Status.SUPPRESSED,
        last_error=(
            f"Not sent: {limit} emails a guest's actions caused already went "
            "to this address in the last hour."
        ),
        claim_token=None,
    )


def _render(notification: Notification, *, token: uuid.UUID) -> None:
    """Render a snapshot into the row's text and files, once: a retry sends
    what the first attempt rendered."""
    snapshot = notification.snapshot
    notification.subject, notification.body_text = render_email(
        notification.kind, snapshot
    )
    notification.subject = notification.subject[:255]
    invite = render_invite(snapshot)
    with transaction.atomic():
        rendered = Notification.objects.filter(
            pk=notification.pk, claim_token=token, snapshot__isnull=False
        ).update(
            subject=notification.subject,
            body_text=notification.body_text,
            snapshot=None,
        )
        if rendered and invite is not None:
            filename, content_type, content = invite
            NotificationAttachment.objects.create(
                notification=notification,
                filename=filename,
                content_type=content_type,
                content=content,
            )
            # The claim prefetched the row's files before this one existed.
            getattr(notification, "_prefetched_objects_cache", {}).pop(
                "attachments", None
            )
    notification.snapshot = None


def _prepare(notification: Notification, *, token: uuid.UUID) -> bool:
    """The first attempt's work: the cap, then the rendering; False when the
    email is held back by the cap."""
    first = notification.attempts == 0
    if first and notification.guest_triggered and _over_hourly_cap(notification):
        _suppress(notification, token=token)
        return False
    if notification.snapshot is not None:
        _render(notification, token=token)
    return True


def _message(notification: Notification, connection) -> EmailMultiAlternatives:
    # The sender and reply-to in force when it leaves (business settings).
    business = business_settings()
    message = EmailMultiAlternatives(
        notification.subject,
        notification.body_text,
        business.sender_email,
        [notification.recipient],
        connection=connection,
        reply_to=[business.reply_to] if business.reply_to else None,
        headers={"Message-ID": message_id(notification)},
    )
    if notification.body_html:
        message.attach_alternative(notification.body_html, "text/html")
    for attachment in notification.attachments.all():
        message.attach(_mime_part(attachment))
    return message


def _deliver(
    claimed: list[Notification],
    *,
    token: uuid.UUID,
    fixed_now: datetime | None,
    result: SendResult,
) -> None:
    lease_clock = LeaseClock(_lease())
    connection = get_connection()
    open_error: Exception | None = None
    try:
        connection.open()
    except Exception as error:  # any backend's connection failure
        open_error = error
    try:
        for index, notification in enumerate(claimed):
            if lease_clock.expired():
                release(
                    Notification,
                    [n.pk for n in claimed[index:]],
                    token=token,
                    now=fixed_now or timezone.now(),
                )
                return
            try:
                admitted, error = _prepare(notification, token=token), open_error
            except Exception as prepare_error:  # counted as a failed attempt
                admitted, error = True, prepare_error
            if not admitted:
                result.suppressed += 1
                continue
            if error is None:
                try:
                    if (
                        connection.send_messages([_message(notification, connection)])
                        != 1
                    ):
                        error = RuntimeError("the email backend sent nothing")
                except Exception as send_error:
                    error = send_error
                    connection.close()  # reopened for the next message
            now = fixed_now or timezone.now()
            if error is None:
                _mark_sent(notification, token=token, now=now)
                result.sent += 1
            elif _mark_failed(notification, token=token, error=error, now=now):
                result.failed += 1
            else:
                result.retried += 1
    finally:
        connection.close()


def _mark_sent(notification: Notification, *, token: uuid.UUID, now: datetime):
    Notification.objects.filter(pk=notification.pk, claim_token=token).update(
        status=Status.SENT,
        sent_at=now,
        attempts=F("attempts") + 1,
        claim_token=None,
    )


def _mark_failed(
    notification: Notification, *, token: uuid.UUID, error: Exception, now: datetime
) -> bool:
    """Record a failed attempt; True when it was the last one allowed."""
    attempts = notification.attempts + 1
    gave_up = attempts >= settings.BOOKING_NOTIFICATION_MAX_ATTEMPTS
    message = f"{type(error).__name__}: {error}"[:ERROR_MAX_CHARS]
    Notification.objects.filter(pk=notification.pk, claim_token=token).update(
        status=Status.FAILED if gave_up else Status.QUEUED,
        attempts=attempts,
        next_attempt_at=now if gave_up else now + backoff(attempts),
        last_error=message,
        claim_token=None,
    )
    log = logger.error if gave_up else logger.warning
    log(
        "notification %s (%s to %s) attempt %d failed%s: %s",
        notification.pk,
        notification.kind,
        notification.recipient,
        attempts,
        ", giving up" if gave_up else "",
        message,
    )
    return gave_up
