"""The waiting list: guests who found no free time that suits them, and the
offers that hand them a slot when one frees."""

import hashlib
import secrets

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


def new_token() -> tuple[str, str]:
    """(token, its SHA-256): the secret goes in an email, only the hash is kept."""
    token = secrets.token_urlsafe(32)
    return token, token_hash(token)


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


class WaitlistEntry(models.Model):
    """A guest waiting for a time: a service, maybe one staff member, a range
    of days in the business's calendar and maybe a daily window.

    Served first come, first served (`created_at`, then `id`). `waiting`
    entries get offers; an entry with an open offer is `offered`; it ends
    `booked` (the offer accepted), `left` (the guest's link), `lapsed` (an
    offer ran out unanswered) or `expired` (its last day passed).
    """

    class Status(models.TextChoices):
        WAITING = "waiting", _("Waiting")
        OFFERED = "offered", _("Offered a time")
        BOOKED = "booked", _("Booked")
        LEFT = "left", _("Left the list")
        LAPSED = "lapsed", _("Offer not answered")
        EXPIRED = "expired", _("Dates passed")

    service = models.ForeignKey(
        "services.Service", on_delete=models.PROTECT, related_name="waitlist_entries"
    )
    staff = models.ForeignKey(
        "staff.Staff",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="waitlist_entries",
    )
    date_from = models.DateField()
    date_to = models.DateField()
    # A daily window in the business's timezone: the appointment starts at or
    # after time_from and ends by time_to.
    time_from = models.TimeField(null=True, blank=True)
    time_to = models.TimeField(null=True, blank=True)
    name = models.CharField(max_length=120)
    email = models.EmailField()
    phone = models.CharField(max_length=32)
    # The contact as the per-contact limit compares it (bookings' keys).
    email_key = models.CharField(max_length=254, editable=False)
    phone_digits = models.CharField(max_length=32, blank=True, editable=False)
    language = models.CharField(max_length=16, default="en")
    # Who asked, as common.http.client_key hashes it; empty when staff added it.
    client_key = models.CharField(max_length=64, blank=True, editable=False)
    status = models.CharField(
        max_length=10, choices=Status.choices, default=Status.WAITING
    )
    # The link in the confirmation email that takes the entry off the list.
    leave_token_hash = models.CharField(max_length=64, unique=True, editable=False)
    booking = models.ForeignKey(
        "bookings.Booking",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    created_at = models.DateTimeField(default=timezone.now)
    closed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["created_at", "id"]
        verbose_name_plural = _("waiting list entries")
        permissions = [("offer_slot", "Can offer a slot to a waiting-list entry")]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(date_to__gte=models.F("date_from")),
                name="waitlist_entry_dates_in_order",
            ),
        ]
        indexes = [
            # The offer job's queue: waiting entries, first come first served.
            models.Index(
                fields=["created_at", "id"],
                condition=models.Q(status="waiting"),
                name="waitlist_waiting_idx",
            ),
            models.Index(
                fields=["client_key"],
                condition=models.Q(status__in=["waiting", "offered"]),
                name="waitlist_open_client_idx",
            ),
            models.Index(
                fields=["email_key"],
                condition=models.Q(status__in=["waiting", "offered"]),
                name="waitlist_open_email_idx",
            ),
        ]

    def __str__(self):
        return f"{self.service_id} {self.date_from}..{self.date_to} ({self.status})"

    @property
    def is_open(self) -> bool:
        return self.status in OPEN_STATUSES


OPEN_STATUSES = (WaitlistEntry.Status.WAITING, WaitlistEntry.Status.OFFERED)


class WaitlistOffer(models.Model):
    """A free time offered to one entry, answered through a single-use link.

    A held offer keeps its slots (`Availability.is_held`) until it is
    accepted, declined, withdrawn or runs out at `expires_at`; the partial
    unique index lets one open held offer per first slot, behind the slot
    lock and the flag. An offer made with BOOKING_WAITLIST_OFFER_MODE "all"
    holds nothing: the first guest to book wins, the rest get 409.
    """

    class Status(models.TextChoices):
        OPEN = "open", _("Open")
        ACCEPTED = "accepted", _("Accepted")
        DECLINED = "declined", _("Declined")
        EXPIRED = "expired", _("Ran out")
        WITHDRAWN = "withdrawn", _("Withdrawn")

    entry = models.ForeignKey(
        WaitlistEntry, on_delete=models.CASCADE, related_name="offers"
    )
    availability = models.ForeignKey(
        "availability.Availability", on_delete=models.CASCADE, related_name="+"
    )
    # Every slot the offered booking would take (the first included).
    slot_ids = models.JSONField(default=list)
    held = models.BooleanField(default=True)
    status = models.CharField(
        max_length=10, choices=Status.choices, default=Status.OPEN
    )
    token_hash = models.CharField(max_length=64, unique=True, editable=False)
    expires_at = models.DateTimeField()
    made_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        help_text=_("The staff member who offered it by hand, if one did."),
    )
    booking = models.ForeignKey(
        "bookings.Booking",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    created_at = models.DateTimeField(default=timezone.now)
    answered_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["created_at", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["availability"],
                condition=models.Q(status="open", held=True),
                name="waitlist_offer_one_hold_per_slot",
            ),
            models.UniqueConstraint(
                fields=["entry"],
                condition=models.Q(status="open"),
                name="waitlist_offer_one_open_per_entry",
            ),
        ]
        indexes = [
            models.Index(
                fields=["expires_at", "id"],
                condition=models.Q(status="open"),
                name="waitlist_offer_due_idx",
            ),
        ]

    def __str__(self):
        return f"offer of {self.availability_id} to {self.entry_id} ({self.status})"
