"""Notifications: a transactional outbox, its sender, reminders, calendar feeds.

The booking services call the `notification_queue_*` functions inside their
own transaction, so a booking change and the email about it commit or roll
back together. Each email is rendered when it is queued (a later edit of the
booking does not change what was promised) and leaves only through
`notifications_send_due`, which the `send_notifications` command, the
scheduled-jobs command and the Celery task run: no request and no expiry
batch talks to a mail server.

Sending claims rows in a short transaction (`SELECT ... FOR UPDATE SKIP
LOCKED` on PostgreSQL; SQLite's IMMEDIATE transactions admit one claimer at a
time) by stamping them with a claim token and pushing `next_attempt_at`
forward by a lease, then sends outside any transaction. Two senders never
claim one row, and no database lock is held while a mail server is slow.
A sender that dies mid-batch leaves its rows to be picked up again when the
lease ends.
"""

import logging
import re
import time
import uuid
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta
from email import encoders
from email.mime.base import MIMEBase
from email.mime.text import MIMEText

from django.conf import settings
from django.core.mail import EmailMultiAlternatives, get_connection
from django.db import transaction
from django.db.models import Count, F, Max
from django.template.loader import get_template
from django.utils import timezone

from apps.bookings.models import Booking, email_key
from apps.notifications import calendars, exceptions
from apps.notifications.models import (
    Notification,
    NotificationAttachment,
    Reminder,
    StaffCalendarFeed,
)

logger = logging.getLogger(__name__)

Kind = Notification.Kind
Status = Notification.Status

# Kinds that also have an HTML template (notifications/email/<kind>.html).
HTML_KINDS: frozenset[str] = frozenset()
ICS_FILENAME = "booking.ics"
BACKOFF_CAP_MINUTES = 60
ERROR_MAX_CHARS = 2000


@dataclass(frozen=True)
class Attachment:
    filename: str
    content_type: str
    content: bytes


# --- rendering --------------------------------------------------------------


def _local(moment) -> str:
    if moment is None:
        return ""
    local = timezone.localtime(moment)
    return f"{local:%A %d %B %Y, %H:%M} ({local.tzname()})"


def _template(name: str):
    """The compiled template; kept per process outside DEBUG, since the
    expiry job renders thousands of emails per run."""
    if settings.DEBUG:
        return get_template(name)
    try:
        return _compiled[name]
    except KeyError:
        return _compiled.setdefault(name, get_template(name))


_compiled: dict = {}


# A link in any dress: a scheme, "www.", or a word with a domain-like dot.
_LINK = re.compile(
    r"(?:[a-z][a-z0-9+.\-]*:)?//\S*|www\.\S*|\S*\w\.[a-z]{2,}\S*", re.IGNORECASE
)
# Letters (any script), spaces and the punctuation names carry.
_NOT_A_NAME_CHARACTER = re.compile(r"[^\w .'\-]|[\d_]")
GREETING_NAME_LENGTH = 40


def greeting_name(name: str) -> str:
    """The guest's name as an email may greet them, or "" to leave it out.

    A guest types the name, and the email goes to an address nobody has
    verified: links go, then everything but letters, spaces and name
    punctuation (so no line break either), and it is cut short, so the
    business's email cannot carry someone else's message or link.
    """
    words = _NOT_A_NAME_CHARACTER.sub(" ", _LINK.sub(" ", name)).split()
    return " ".join(words)[:GREETING_NAME_LENGTH].strip(" .-'")


def _render(kind: str, booking: Booking, **extra) -> tuple[str, str, str]:
    slot = booking.availability
    context = {
        "booking": booking,
        "greeting_name": greeting_name(booking.customer_name),
        "start": _local(slot.start_time if slot else None),
        "pay_by": _local(booking.payment_expires_at),
        "currency": settings.BOOKING_CURRENCY,
        "instructions": settings.BOOKING_PAYMENT_INSTRUCTIONS,
        **extra,
    }
    subject = _template(f"notifications/email/{kind}_subject.txt").render(context)
    body_text = _template(f"notifications/email/{kind}.txt").render(context)
    body_html = (
        _template(f"notifications/email/{kind}.html").render(context)
        if kind in HTML_KINDS
        else ""
    )
    return " ".join(subject.split()), body_text, body_html


def _ics(booking: Booking, *, method: str, sequence: int, now: datetime) -> Attachment:
    return Attachment(
        filename=ICS_FILENAME,
        content_type=f"text/calendar; method={method}",
        content=calendars.booking_invite(
            booking, method=method, sequence=sequence, now=now
        ),
    )


@dataclass
class _Pending:
    notification: Notification
    attachments: tuple[Attachment, ...] = ()


def _build(
    kind: str,
    booking: Booking,
    recipient: str,
    *,
    now: datetime,
    attachments: Iterable[Attachment] = (),
    ics_sequence: int | None = None,
    guest_triggered: bool = False,
    **context,
) -> _Pending:
    subject, body_text, body_html = _render(kind, booking, **context)
    return _Pending(
        Notification(
            kind=kind,
            booking=booking,
            recipient=recipient,
            guest_triggered=guest_triggered,
            recipient_key=email_key(recipient) if guest_triggered else "",
            subject=subject,
            body_text=body_text,
            body_html=body_html,
            ics_sequence=ics_sequence,
            next_attempt_at=now,
            created_at=now,
        ),
        tuple(attachments),
    )


def _cap_guest_emails(pending: list[_Pending]) -> None:
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


def _insert(pending: list[_Pending]) -> list[Notification]:
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

    `attachments` carry any file (an ICS, a payment QR code); an HTML body is
    rendered when the kind is in HTML_KINDS.
    """
    now = now or timezone.now()
    (notification,) = _insert(
        [_build(kind, booking, recipient, now=now, attachments=attachments, **context)]
    )
    return notification


def _ics_sequences(booking_ids: list[int]) -> dict[int, int]:
    """The highest SEQUENCE each booking's invites carried so far."""
    return dict(
        Notification.objects.filter(
            booking_id__in=booking_ids, ics_sequence__isnull=False
        )
        .values("booking_id")
        .annotate(highest=Max("ics_sequence"))
        .values_list("booking_id", "highest")
    )


# --- what each booking change queues -----------------------------------------


def notification_queue_booking_created(
    *, booking: Booking, now: datetime, guest_triggered: bool = True
) -> None:
    """Payment instructions for the guest, and a note to the business.

    The payment reminder needs no row here: the reminder job finds unpaid
    bookings by their deadline.
    """
    pending = [
        _build(
            Kind.BOOKING_CREATED,
            booking,
            booking.customer_email,
            now=now,
            guest_triggered=guest_triggered,
        )
    ]
    if settings.BOOKING_NOTIFY_EMAIL:
        pending.append(
            _build(
                Kind.NEW_BOOKING_STAFF, booking, settings.BOOKING_NOTIFY_EMAIL, now=now
            )
        )
    _insert(pending)


def notification_queue_payment_confirmed(*, booking: Booking, now: datetime) -> None:
    """The confirmation with the calendar invite; arms the appointment reminder."""
    sequence = _ics_sequences([booking.pk]).get(booking.pk, -1) + 1
    _insert(
        [
            _build(
                Kind.PAYMENT_CONFIRMED,
                booking,
                booking.customer_email,
                now=now,
                attachments=[
                    _ics(
                        booking,
                        method=calendars.METHOD_REQUEST,
                        sequence=sequence,
                        now=now,
                    )
                ],
                ics_sequence=sequence,
            )
        ]
    )
    _arm_appointment_reminder(booking, now=now)


def notification_queue_booking_cancelled(
    *, booking: Booking, source: str, now: datetime
) -> None:
    """Tell the guest who cancelled; withdraw the invite if one was sent."""
    previous = _ics_sequences([booking.pk]).get(booking.pk)
    attachments, sequence = [], None
    if previous is not None:
        sequence = previous + 1
        attachments = [
            _ics(booking, method=calendars.METHOD_CANCEL, sequence=sequence, now=now)
        ]
    _insert(
        [
            _build(
                Kind.BOOKING_CANCELLED,
                booking,
                booking.customer_email,
                now=now,
                attachments=attachments,
                ics_sequence=sequence,
                cancelled_by=source,
                guest_triggered=source in ("guest", "system"),
            )
        ]
    )


def notifications_prepare_bookings_expired(
    *, booking_ids: list[int], reason: str, now: datetime
) -> dict[int, _Pending]:
    """Render the cancellation emails of an expiry batch before it locks.

    Rendering thousands of emails is most of the cost of queueing them, so
    the batch does it before taking its row locks, with the reason it is
    about to set, and `notifications_queue_prepared` then inserts those of
    the bookings it did cancel, in its transaction (one read before, one
    insert inside). Unpaid bookings never got an invite, so none is
    withdrawn.
    """
    prepared = {}
    for booking in Booking.objects.select_related(
        "service", "staff", "availability"
    ).filter(pk__in=booking_ids):
        booking.status = Booking.Status.CANCELLED
        booking.cancel_reason = reason
        prepared[booking.pk] = _build(
            Kind.BOOKING_CANCELLED,
            booking,
            booking.customer_email,
            now=now,
            cancelled_by="system",
            guest_triggered=True,
        )
    return prepared


def notifications_queue_prepared(
    *, prepared: dict[int, _Pending], booking_ids: list[int]
) -> int:
    """Queue the prepared emails of these bookings; call in their transaction."""
    pending = [prepared[pk] for pk in booking_ids if pk in prepared]
    _insert(pending)
    return len(pending)


def notification_queue_booking_rescheduled(
    *, booking: Booking, now: datetime, guest_triggered: bool = False
) -> None:
    """The new time; for a confirmed booking a new invite (same UID, higher
    SEQUENCE) and the appointment reminder re-armed for the new time.

    Call with the booking (and its new slot) locked, in the reschedule's
    transaction.
    """
    attachments, sequence = [], None
    if booking.status == Booking.Status.CONFIRMED:
        sequence = _ics_sequences([booking.pk]).get(booking.pk, -1) + 1
        attachments = [
            _ics(booking, method=calendars.METHOD_REQUEST, sequence=sequence, now=now)
        ]
        _arm_appointment_reminder(booking, now=now)
    _insert(
        [
            _build(
                Kind.BOOKING_RESCHEDULED,
                booking,
                booking.customer_email,
                now=now,
                attachments=attachments,
                ics_sequence=sequence,
                guest_triggered=guest_triggered,
            )
        ]
    )


# --- reminders ----------------------------------------------------------------


def _arm_appointment_reminder(booking: Booking, *, now: datetime) -> None:
    """Arm (or re-arm) the reminder for the booking's current start time.

    A booking confirmed or moved inside the reminder window has just had an
    email with the invite, so it gets no reminder on top.
    """
    hours = settings.BOOKING_REMINDER_HOURS
    if not hours:
        return
    due_at = booking.availability.start_time - timedelta(hours=hours)
    status = Reminder.Status.PENDING if due_at > now else Reminder.Status.SKIPPED
    Reminder.objects.update_or_create(
        booking=booking,
        kind=Reminder.Kind.APPOINTMENT,
        defaults={
            "due_at": due_at,
            "status": status,
            "notification": None,
            "done_at": None if status == Reminder.Status.PENDING else now,
        },
    )


@dataclass
class ReminderResult:
    payment: int = 0
    appointment: int = 0
    skipped: int = 0


def reminders_queue_due(
    *, now: datetime | None = None, batch_size: int = 500
) -> ReminderResult:
    """Queue every payment and appointment reminder that has fallen due.

    Each is queued at most once per booking, even with two copies of the job:
    bookings are locked with SKIP LOCKED and re-checked under the lock, and
    the reminder row (unique per booking and kind) commits with the email.
    """
    if batch_size < 1:
        raise ValueError("batch_size must be at least 1")
    now = now or timezone.now()
    result = ReminderResult()
    if settings.BOOKING_PAYMENT_REMINDER_MINUTES:
        while queued := _queue_payment_reminders(now=now, batch_size=batch_size):
            result.payment += queued
    if settings.BOOKING_REMINDER_HOURS:
        while True:
            sent, skipped = _queue_appointment_reminders(now=now, batch_size=batch_size)
            if not sent + skipped:
                break
            result.appointment += sent
            result.skipped += skipped
    logger.info(
        "queue_reminders: payment=%d appointment=%d skipped=%d",
        result.payment,
        result.appointment,
        result.skipped,
    )
    return result


def payment_reminders_due(*, now: datetime):
    """Unpaid bookings inside the reminder window that had none yet.

    Served by the unpaid-deadline index (`booking_unpaid_expiry_idx`) and the
    reminder's unique (booking, kind) index. A booking created inside the
    window (a timeout shorter than the reminder) gets none.
    """
    window = timedelta(minutes=settings.BOOKING_PAYMENT_REMINDER_MINUTES)
    return (
        Booking.objects.filter(
            status=Booking.Status.AWAITING_PAYMENT,
            payment_expires_at__gt=now,
            payment_expires_at__lte=now + window,
            created_at__lt=F("payment_expires_at") - window,
        )
        .exclude(reminders__kind=Reminder.Kind.PAYMENT)
        .order_by("payment_expires_at", "pk")
    )


def _queue_payment_reminders(*, now: datetime, batch_size: int) -> int:
    window = timedelta(minutes=settings.BOOKING_PAYMENT_REMINDER_MINUTES)
    candidate_ids = list(
        payment_reminders_due(now=now).values_list("pk", flat=True)[:batch_size]
    )
    if not candidate_ids:
        return 0
    with transaction.atomic():
        bookings = list(
            payment_reminders_due(now=now)
            .select_for_update(no_key=True, skip_locked=True, of=("self",))
            .select_related("service", "staff", "availability")
            .filter(pk__in=candidate_ids)
        )
        if not bookings:
            return 0
        notifications = _insert(
            [
                _build(
                    Kind.PAYMENT_REMINDER,
                    booking,
                    booking.customer_email,
                    now=now,
                    guest_triggered=True,
                )
                for booking in bookings
            ]
        )
        Reminder.objects.bulk_create(
            Reminder(
                booking=booking,
                kind=Reminder.Kind.PAYMENT,
                due_at=booking.payment_expires_at - window,
                status=Reminder.Status.SENT,
                notification=notification,
                done_at=now,
            )
            for booking, notification in zip(bookings, notifications, strict=True)
        )
    return len(bookings)


def _queue_appointment_reminders(*, now: datetime, batch_size: int) -> tuple[int, int]:
    due = Reminder.objects.filter(
        status=Reminder.Status.PENDING,
        kind=Reminder.Kind.APPOINTMENT,
        due_at__lte=now,
    ).order_by("due_at", "pk")
    candidates = list(due.values_list("pk", "booking_id")[:batch_size])
    if not candidates:
        return 0, 0
    with transaction.atomic():
        # Booking first, then its reminder: the order a reschedule takes.
        bookings = {
            booking.pk: booking
            for booking in Booking.objects.select_for_update(
                no_key=True, skip_locked=True, of=("self",)
            )
            .select_related("service", "staff", "availability")
            .filter(pk__in=[booking_id for _, booking_id in candidates])
        }
        reminders = list(
            due.select_for_update(skip_locked=True).filter(
                pk__in=[pk for pk, _ in candidates], booking_id__in=list(bookings)
            )
        )
        if not reminders:
            return 0, 0
        to_send, to_skip = [], []
        for reminder in reminders:
            booking = bookings[reminder.booking_id]
            still_ahead = (
                booking.status == Booking.Status.CONFIRMED
                and booking.availability is not None
                and booking.availability.start_time > now
            )
            (to_send if still_ahead else to_skip).append(reminder)
        sequences = _ics_sequences([r.booking_id for r in to_send])
        notifications = _insert(
            [
                _build(
                    Kind.APPOINTMENT_REMINDER,
                    bookings[reminder.booking_id],
                    bookings[reminder.booking_id].customer_email,
                    now=now,
                    attachments=[
                        _ics(
                            bookings[reminder.booking_id],
                            method=calendars.METHOD_REQUEST,
                            sequence=sequences.get(reminder.booking_id, 0),
                            now=now,
                        )
                    ],
                    ics_sequence=sequences.get(reminder.booking_id, 0),
                )
                for reminder in to_send
            ]
        )
        for reminder, notification in zip(to_send, notifications, strict=True):
            reminder.status = Reminder.Status.SENT
            reminder.notification = notification
            reminder.done_at = now
        for reminder in to_skip:
            reminder.status = Reminder.Status.SKIPPED
            reminder.done_at = now
        Reminder.objects.bulk_update(reminders, ["status", "notification", "done_at"])
    return len(to_send), len(to_skip)


# --- sending ------------------------------------------------------------------


@dataclass
class SendResult:
    sent: int = 0
    retried: int = 0
    failed: int = 0
    batches: int = 0
    duration_seconds: float = 0.0


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
    token = uuid.uuid4()
    with transaction.atomic():
        claimed_ids = list(
            Notification.objects.select_for_update(skip_locked=True)
            .filter(status=Status.QUEUED, next_attempt_at__lte=now)
            .order_by("next_attempt_at", "pk")
            .values_list("pk", flat=True)[:batch_size]
        )
        if not claimed_ids:
            return token, []
        Notification.objects.filter(pk__in=claimed_ids).update(
            claim_token=token, next_attempt_at=now + _lease()
        )
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


def _message(notification: Notification, connection) -> EmailMultiAlternatives:
    message = EmailMultiAlternatives(
        notification.subject,
        notification.body_text,
        settings.DEFAULT_FROM_EMAIL,
        [notification.recipient],
        connection=connection,
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
    # Stop starting sends well before the lease ends, so no other sender can
    # have claimed a row this one is still sending.
    deadline = time.monotonic() + settings.BOOKING_NOTIFICATION_LEASE_SECONDS / 2
    connection = get_connection()
    open_error: Exception | None = None
    try:
        connection.open()
    except Exception as error:  # any backend's connection failure
        open_error = error
    try:
        for index, notification in enumerate(claimed):
            if time.monotonic() > deadline:
                _release(claimed[index:], token=token, now=fixed_now or timezone.now())
                return
            error = open_error
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


def _release(notifications: list[Notification], *, token: uuid.UUID, now: datetime):
    Notification.objects.filter(
        pk__in=[n.pk for n in notifications], claim_token=token
    ).update(claim_token=None, next_attempt_at=now)


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


# --- staff calendar feeds -------------------------------------------------------


def staff_calendar_feed_rotate(
    *, staff, now: datetime | None = None
) -> StaffCalendarFeed:
    """Give a staff member a new feed token (the first one, or a replacement):
    the old URL stops working at once."""
    now = now or timezone.now()
    with transaction.atomic():
        feed = StaffCalendarFeed.objects.select_for_update().filter(staff=staff).first()
        if feed is None:
            return StaffCalendarFeed.objects.create(staff=staff, rotated_at=now)
        feed.token = StaffCalendarFeed._meta.get_field("token").default()
        feed.rotated_at = now
        feed.save(update_fields=["token", "rotated_at"])
    return feed
