"""The email outbox: what was sent to the guest (and to staff about them)."""

from django.db.models import Case, F, Q, Value, When

from apps.notifications.models import Notification, NotificationAttachment
from apps.privacy.contacts import ERASED_EMAIL, MARKER, scrub_text
from apps.privacy.registry import Shredder, Target

ERASED_NOTE = "Not sent: the guest's personal data was erased."


def _notifications(target: Target):
    about = Q(booking_id__in=target.booking_ids)
    if target.email_keys:
        # Emails to the address about no booking (none today; kept general).
        about |= Q(booking__isnull=True, recipient_key__in=target.email_keys)
    return Notification.objects.filter(about)


class NotificationShredder(Shredder):
    name = "notifications"
    verbose_name = "Emails: recipients, subjects, bodies, attachments"
    fields = (
        "notifications.Notification.recipient",
        # The per-mailbox hourly cap counts by this key.
        "notifications.Notification.recipient_key",
        "notifications.Notification.subject",
        "notifications.Notification.body_text",
        "notifications.Notification.body_html",
        # What a queued email must say: the guest's name, email and phone.
        "notifications.Notification.snapshot",
        "notifications.Notification.last_error",
        "notifications.NotificationAttachment.filename",
        "notifications.NotificationAttachment.content",
    )

    def export(self, target: Target) -> list[dict]:
        rows = _notifications(target).select_related("booking").order_by("created_at")
        return [
            {
                "reference": row.booking.reference if row.booking else None,
                "kind": row.kind,
                "recipient": row.recipient,
                "subject": row.subject,
                "body_text": row.body_text,
                # An email not rendered yet: what it will say.
                "snapshot": row.snapshot,
                "status": row.status,
                "created_at": row.created_at.isoformat(),
                "sent_at": row.sent_at.isoformat() if row.sent_at else None,
                "attachments": [a.filename for a in row.attachments.all()],
            }
            for row in rows.prefetch_related("attachments")
        ]

    def shred(self, target: Target, *, now) -> int:
        rows = list(
            _notifications(target).only("pk", "booking_id", "subject", "status")
        )
        if not rows:
            return 0
        ids = [row.pk for row in rows]
        NotificationAttachment.objects.filter(notification_id__in=ids).delete()
        queued = Q(status=Notification.Status.QUEUED)
        # One statement (each row rewritten once): an email still queued to
        # an erased address is not sent; an error may quote the address.
        Notification.objects.filter(pk__in=ids).update(
            recipient=ERASED_EMAIL,
            recipient_key="",
            body_text=MARKER,
            body_html="",
            snapshot=None,
            status=Case(
                When(queued, then=Value(Notification.Status.FAILED)),
                default=F("status"),
            ),
            last_error=Case(
                When(queued, then=Value(ERASED_NOTE)),
                When(last_error="", then=Value("")),
                default=Value(MARKER),
            ),
        )
        # Subjects carry the reference, the service and the time (kept: they
        # say what was sent); a name or address in one is scrubbed.
        changed = []
        for row in rows:
            needles = (
                target.needles_of(row.booking_id) if row.booking_id else target.needles
            )
            subject = scrub_text(row.subject, needles)
            if subject != row.subject:
                row.subject = subject
                changed.append(row)
        Notification.objects.bulk_update(changed, ["subject"], batch_size=500)
        return len(rows)
