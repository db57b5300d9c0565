import secrets

from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class Notification(models.Model):
    """One outgoing email, written in the transaction of the change it reports.

    Written with a snapshot of what it must say (`snapshots`), so what the
    guest was promised does not change if the booking is edited later;
    rendered from it and delivered by `send_notifications`.
    """

    class Kind(models.TextChoices):
        BOOKING_CREATED = "booking_created", _("Booking created (guest)")
        NEW_BOOKING_STAFF = "new_booking_staff", _("New booking (business)")
        PAYMENT_CONFIRMED = "payment_confirmed", _("Payment confirmed")
        BOOKING_CANCELLED = "booking_cancelled", _("Booking cancelled")
        BOOKING_RESCHEDULED = "rescheduled", _("Booking rescheduled")
        PAYMENT_REMINDER = "payment_reminder", _("Payment reminder")
        APPOINTMENT_REMINDER = "appointment_reminder", _("Appointment reminder")
        # Something staff must act on, written by another app (a webhook
        # endpoint that was disabled); about no booking.
        STAFF_ALERT = "staff_alert", _("Alert to staff")
        # A closure kept a confirmed booking inside it: please move it.
        RESCHEDULE_OFFER = "reschedule_offer", _("Please choose another time")
        ACCESS_LINK = "access_link", _("Link to manage a booking")
        # The guest asked to export or erase their data (apps.privacy).
        PRIVACY_LINK = "privacy_link", _("Link to export or erase personal data")
        # Written by the waiting list (apps.waitlist), about no booking yet.
        WAITLIST_JOINED = "waitlist_joined", _("Waiting list: joined")
        WAITLIST_OFFER = "waitlist_offer", _("Waiting list: a time is free")

    class Status(models.TextChoices):
        QUEUED = "queued", _("Queued")
        SENT = "sent", _("Sent")
        FAILED = "failed", _("Failed")
        # Over BOOKING_MAX_GUEST_EMAILS_PER_HOUR to one address: kept, not sent.
        SUPPRESSED = "suppressed", _("Not sent (too many to this address)")

    kind = models.CharField(max_length=32, choices=Kind.choices)
    # SET_NULL: deleting a booking keeps the record of what was sent about it.
    booking = models.ForeignKey(
        "bookings.Booking",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="notifications",
    )
    recipient = models.EmailField()
    # Sent because of what a guest did (booked, cancelled, moved, left a
    # booking unpaid), not because of the business: these count against the
    # per-address hourly limit, by the mailbox (bookings.models.email_key).
    guest_triggered = models.BooleanField(default=False)
    recipient_key = models.CharField(max_length=254, blank=True, editable=False)
    subject = models.CharField(max_length=255)
    body_text = models.TextField()
    body_html = models.TextField(blank=True)
    # What the email must say, as true when it was queued (notifications
    # .snapshots); the sender renders it into subject, body and attachments
    # at its first attempt and clears it, so every retry sends that text.
    # Empty for emails written as text by their app (staff alerts, the
    # waiting list's).
    snapshot = models.JSONField(null=True, blank=True, editable=False)
    # The SEQUENCE of the calendar invite attached, if any: a reschedule or a
    # cancellation sends the booking's highest so far plus one.
    ics_sequence = models.PositiveIntegerField(null=True, blank=True)
    status = models.CharField(
        max_length=10, choices=Status.choices, default=Status.QUEUED
    )
    attempts = models.PositiveSmallIntegerField(default=0)
    # When a sender may next pick it up; a sender that claims a row pushes it
    # forward by its lease, so no other copy picks it up meanwhile.
    next_attempt_at = models.DateTimeField(default=timezone.now)
    claim_token = models.UUIDField(null=True, blank=True, editable=False)
    last_error = models.TextField(blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    sent_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [
            # The sender's query: queued rows by due time.
            models.Index(
                fields=["next_attempt_at", "id"],
                condition=models.Q(status="queued"),
                name="notification_due_idx",
            ),
            models.Index(fields=["status", "kind"], name="notification_status_idx"),
            # The per-address limit's count of recent guest-triggered emails.
            models.Index(
                fields=["recipient_key", "created_at"],
                condition=models.Q(guest_triggered=True),
                name="notification_guest_recent_idx",
            ),
        ]
        permissions = [
            ("resend_notification", "Can send a failed notification again"),
        ]

    def __str__(self):
        return f"{self.get_kind_display()} to {self.recipient} ({self.status})"


class NotificationAttachment(models.Model):
    """A file sent with a notification: a calendar invite, a payment QR code."""

    notification = models.ForeignKey(
        Notification, on_delete=models.CASCADE, related_name="attachments"
    )
    filename = models.CharField(max_length=120)
    content_type = models.CharField(max_length=120)
    content = models.BinaryField()

    class Meta:
        ordering = ["id"]

    def __str__(self):
        return self.filename


class Reminder(models.Model):
    """A reminder of one booking; at most one per booking and kind.

    Appointment reminders are armed (`pending`, with `due_at`) when the
    payment is confirmed, and re-armed by a reschedule; the reminder job finds
    due ones through a partial index. Payment reminders need no arming: the
    job finds them through the unpaid-deadline index of bookings, and the row,
    written when one is sent, is what stops a second.
    """

    class Kind(models.TextChoices):
        PAYMENT = "payment", _("Payment reminder")
        APPOINTMENT = "appointment", _("Appointment reminder")

    class Status(models.TextChoices):
        PENDING = "pending", _("Pending")
        SENT = "sent", _("Sent")
        # The booking had moved on (cancelled, completed) when it fell due.
        SKIPPED = "skipped", _("Skipped")

    booking = models.ForeignKey(
        "bookings.Booking", on_delete=models.CASCADE, related_name="reminders"
    )
    kind = models.CharField(max_length=20, choices=Kind.choices)
    due_at = models.DateTimeField()
    status = models.CharField(
        max_length=10, choices=Status.choices, default=Status.PENDING
    )
    notification = models.ForeignKey(
        Notification, on_delete=models.SET_NULL, null=True, blank=True
    )
    done_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["due_at", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["booking", "kind"], name="reminder_one_per_booking_kind"
            ),
        ]
        indexes = [
            models.Index(
                fields=["due_at", "id"],
                condition=models.Q(status="pending"),
                name="reminder_due_idx",
            ),
        ]

    def __str__(self):
        return f"{self.get_kind_display()} for booking {self.booking_id}"


def generate_calendar_token() -> str:
    return secrets.token_urlsafe(32)


class StaffCalendarFeed(models.Model):
    """The secret that opens a staff member's private calendar feed."""

    staff = models.OneToOneField(
        "staff.Staff", on_delete=models.CASCADE, related_name="calendar_feed"
    )
    token = models.CharField(
        max_length=64, unique=True, default=generate_calendar_token
    )
    rotated_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["staff__name", "id"]
        permissions = [
            ("rotate_calendar_token", "Can rotate a staff calendar feed token"),
        ]

    def __str__(self):
        return f"Calendar feed of {self.staff}"
