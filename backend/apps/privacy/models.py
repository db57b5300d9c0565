from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class ErasureRecord(models.Model):
    """One erasure: when, who, why, and which bookings it anonymised or kept.

    The contact itself is never stored: `contact_hash` is a keyed hash of it
    (apps.privacy.contacts), so a second request for the same address or
    number is recognised without keeping what was erased. A retention run
    writes one record per batch, with no contact.
    """

    class Source(models.TextChoices):
        STAFF = "staff", _("Staff (on request)")
        GUEST = "guest", _("Guest (self-service)")
        RETENTION = "retention", _("Retention period")

    class ContactKind(models.TextChoices):
        EMAIL = "email", _("Email")
        PHONE = "phone", _("Phone")
        NONE = "", _("None (retention)")

    created_at = models.DateTimeField(default=timezone.now, db_index=True)
    source = models.CharField(max_length=10, choices=Source.choices)
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    reason = models.TextField(blank=True)
    contact_kind = models.CharField(
        max_length=5, choices=ContactKind.choices, blank=True
    )
    contact_hash = models.CharField(max_length=64, blank=True, db_index=True)
    # Booking references (not personal: the books carry them) and counts.
    erased_references = models.JSONField(default=list, blank=True)
    # [{"reference": ..., "reason": ...}] of the bookings left as they were.
    kept = models.JSONField(default=list, blank=True)
    bookings_erased = models.PositiveIntegerField(default=0)
    # What each shredder changed, by its name.
    counts = models.JSONField(default=dict, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        permissions = [
            ("erase_personal_data", "Can erase a guest's personal data"),
            ("export_personal_data", "Can export a guest's personal data"),
        ]

    def __str__(self):
        return f"Erasure {self.pk} ({self.get_source_display()})"


class GuestRequest(models.Model):
    """A guest's request, from the guest page, to export or erase their data.

    Every request is written the same way whether or not the address is
    known (so neither the answer nor its time tells a stranger anything);
    the job `send_privacy_links` then emails a single-use link to an address
    that has bookings, and forgets an address that has none. Only a SHA-256
    of the link's token is kept; the address itself only until the link is
    used or expires.
    """

    class Action(models.TextChoices):
        EXPORT = "export", _("Export")
        ERASE = "erase", _("Erase")

    action = models.CharField(max_length=6, choices=Action.choices)
    email = models.EmailField(blank=True)
    token_hash = models.CharField(max_length=64, blank=True, db_index=True)
    created_at = models.DateTimeField(default=timezone.now)
    processed_at = models.DateTimeField(null=True, blank=True)
    expires_at = models.DateTimeField(null=True, blank=True)
    used_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        indexes = [
            models.Index(
                fields=["created_at", "id"],
                condition=models.Q(processed_at__isnull=True),
                name="privacy_request_pending_idx",
            ),
        ]

    def __str__(self):
        return f"{self.get_action_display()} request {self.pk}"
