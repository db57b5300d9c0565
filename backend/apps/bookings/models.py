import secrets

from django.conf import settings
from django.core.mail.message import sanitize_address
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from apps.bookings.phones import phone_international

REFERENCE_ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"  # no 0/O, 1/I: easy to type
REFERENCE_LENGTH = 8


def envelope_address(email: str) -> str:
    """The address the SMTP envelope will carry for `email`, as Django sends it.

    Django unquotes a quoted local part (`"v\\ictim"@example.com` is sent to
    `victim@example.com`) and IDNA-encodes the domain; an address it cannot
    send to is returned stripped, as written.
    """
    try:
        return sanitize_address(email.strip(), settings.DEFAULT_CHARSET)
    except (ValueError, IndexError):
        return email.strip()


def email_key(email: str) -> str:
    """One mailbox however it is written: the envelope address, lowercased,
    without a `+tag`.

    `Hoarder+3@Example.com`, `"hoarder"@example.com` and `hoarder@example.com`
    reach the same person, so the per-contact limit and the per-mailbox email
    cap count them as one.
    """
    address = envelope_address(email).lower()
    local, at, domain = address.rpartition("@")
    if not at:
        return address
    return f"{local.split('+', 1)[0]}@{domain}"


def generate_reference() -> str:
    """An unguessable 8-character code a guest quotes on a bank-transfer memo."""
    return "".join(secrets.choice(REFERENCE_ALPHABET) for _ in range(REFERENCE_LENGTH))


def default_locale() -> str:
    """The business's language (BOOKING_LANGUAGE), for bookings that name none."""
    return settings.LANGUAGE_CODE


class Booking(models.Model):
    """A guest's claim on a staff member's time for one service.

    `availability` is the first slot it takes; a service longer than one slot
    takes the consecutive slots after it too, each held through a
    `BookingSlot`, and `ends_at` is the end of the last one.
    """

    class Status(models.TextChoices):
        AWAITING_PAYMENT = "awaiting_payment", _("Awaiting payment")
        CONFIRMED = "confirmed", _("Confirmed")
        COMPLETED = "completed", _("Completed")
        CANCELLED = "cancelled", _("Cancelled")

    reference = models.CharField(
        max_length=REFERENCE_LENGTH, unique=True, default=generate_reference
    )
    service = models.ForeignKey(
        "services.Service", on_delete=models.PROTECT, related_name="bookings"
    )
    staff = models.ForeignKey(
        "staff.Staff", on_delete=models.PROTECT, related_name="bookings"
    )
    # SET_NULL lets staff delete a slot that only cancelled bookings point at;
    # the check constraint below keeps every active booking on its slot.
    availability = models.ForeignKey(
        "availability.Availability",
        on_delete=models.SET_NULL,
        null=True,
        related_name="bookings",
    )
    # The end of the last slot the booking takes (its first slot's end for a
    # booking of one slot); null only for old cancelled bookings whose slot
    # is gone.
    ends_at = models.DateTimeField(null=True, blank=True)
    customer_name = models.CharField(max_length=120)
    # Empty only for a booking the desk took for a guest with no email.
    customer_email = models.EmailField(blank=True)
    # E.164 (+351912345678) when the number parses; see apps.bookings.phones.
    customer_phone = models.CharField(max_length=32)
    # The E.164 form without its '+' (the digits as typed for a number that
    # does not parse), so one contact is recognised however it was typed.
    customer_phone_digits = models.CharField(max_length=32, blank=True, editable=False)
    # The email as the per-contact limit compares it (see email_key).
    customer_email_key = models.CharField(max_length=254, blank=True, editable=False)
    # Who booked, as the guest limits count clients: a keyed hash of the
    # client's address (common.http.client_key), never the address itself.
    # Empty for bookings staff made.
    client_key = models.CharField(max_length=64, blank=True, editable=False)
    # The wider networks of an IPv6 client, keyed the same way: its /56 and
    # its /48 (common.http.client_keys). Empty for IPv4 clients and staff.
    client_site_key = models.CharField(max_length=64, blank=True, editable=False)
    client_network_key = models.CharField(max_length=64, blank=True, editable=False)
    notes = models.TextField(blank=True)
    # The language the guest booked in: every email about the booking is
    # written in it, whoever triggers it and whenever (reminders, expiry).
    locale = models.CharField(
        _("language"),
        max_length=10,
        choices=settings.LANGUAGES,
        default=default_locale,
    )
    # The price when booked: what the guest was told to pay, whatever the
    # service costs later.
    amount_due = models.DecimalField(max_digits=10, decimal_places=2)
    status = models.CharField(
        max_length=20,
        choices=Status.choices,
        default=Status.AWAITING_PAYMENT,
        db_index=True,
    )
    payment_expires_at = models.DateTimeField(db_index=True)
    payment_verified_at = models.DateTimeField(null=True, blank=True)
    payment_verified_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="verified_bookings",
    )
    cancel_reason = models.TextField(blank=True)
    # Staff cancelled a paid booking and owe the guest its money back (the
    # refunds export and the accountant's payments list read it).
    refund_due = models.BooleanField(default=False, db_default=False)
    # A default rather than auto_now_add, so the domain layer's `now` sets it
    # and payment_expires_at = created_at + timeout holds exactly.
    created_at = models.DateTimeField(default=timezone.now, db_index=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        # Transitions are permissions of their own, beside add/change/delete/
        # view, so a role may verify payments without editing bookings.
        permissions = [
            ("verify_payment", "Can verify the payment of a booking"),
            ("cancel_booking", "Can cancel a booking"),
            ("complete_booking", "Can mark a booking completed"),
            ("reschedule_booking", "Can move a booking to another slot"),
        ]
        constraints = [
            # The database's own guarantee against double booking, behind the
            # row lock the domain layer takes: one active booking per slot.
            models.UniqueConstraint(
                fields=["availability"],
                condition=models.Q(
                    status__in=["awaiting_payment", "confirmed", "completed"]
                ),
                name="booking_one_active_per_availability",
            ),
            models.CheckConstraint(
                condition=models.Q(status="cancelled")
                | models.Q(availability__isnull=False),
                name="booking_active_has_availability",
            ),
        ]
        indexes = [
            # The expiry job's query: unpaid bookings by deadline.
            models.Index(
                fields=["payment_expires_at", "id"],
                condition=models.Q(status="awaiting_payment"),
                name="booking_unpaid_expiry_idx",
            ),
            # The per-client and per-contact unpaid limits, checked on every
            # guest booking: without an index they scanned the whole table
            # (22 ms at 100 000).
            models.Index(
                fields=["client_key"],
                condition=models.Q(status="awaiting_payment"),
                name="booking_unpaid_client_idx",
            ),
            models.Index(
                fields=["client_site_key"],
                condition=models.Q(status="awaiting_payment"),
                name="booking_unpaid_site_idx",
            ),
            models.Index(
                fields=["client_network_key"],
                condition=models.Q(status="awaiting_payment"),
                name="booking_unpaid_network_idx",
            ),
        ]

    def __str__(self):
        return f"{self.reference} ({self.get_status_display()})"

    @property
    def customer_phone_international(self) -> str:
        return phone_international(self.customer_phone)

    @property
    def is_active(self) -> bool:
        return self.status in ACTIVE_STATUSES

    @property
    def is_final(self) -> bool:
        return not ALLOWED_TRANSITIONS[self.status]

    def can_transition_to(self, status: str) -> bool:
        return status in ALLOWED_TRANSITIONS[self.status]


class DeskPayment(models.TextChoices):
    """How a guest paid at the desk (recorded in the payment's audit event)."""

    CASH = "cash", _("Cash")
    CARD = "card", _("Card")
    TRANSFER = "transfer", _("Bank transfer (already seen)")


# The one table that decides which status changes are legal.
ALLOWED_TRANSITIONS: dict[str, frozenset[str]] = {
    Booking.Status.AWAITING_PAYMENT: frozenset(
        {Booking.Status.CONFIRMED, Booking.Status.CANCELLED}
    ),
    Booking.Status.CONFIRMED: frozenset(
        {Booking.Status.COMPLETED, Booking.Status.CANCELLED}
    ),
    Booking.Status.COMPLETED: frozenset(),
    Booking.Status.CANCELLED: frozenset(),
}

# Statuses that hold the slot.
ACTIVE_STATUSES = (
    Booking.Status.AWAITING_PAYMENT,
    Booking.Status.CONFIRMED,
    Booking.Status.COMPLETED,
)


class BookingEvent(models.Model):
    """One audit row per booking change: what happened, who did it, from what status.

    Recorded once by the booking domain (`apps.bookings.services.events`) and
    announced in the same transaction to the side-effect apps that listen.
    """

    class Kind(models.TextChoices):
        CREATED = "created", _("Created")
        PAYMENT_VERIFIED = "payment_verified", _("Payment verified")
        CANCELLED = "cancelled", _("Cancelled")
        # Cancelled by the payment deadline (the expiry job).
        EXPIRED = "expired", _("Expired unpaid")
        COMPLETED = "completed", _("Completed")
        RESCHEDULED = "rescheduled", _("Rescheduled")
        CONTACT_CHANGED = "contact_changed", _("Contact details changed")

    class Source(models.TextChoices):
        GUEST = "guest", _("Guest")
        STAFF = "staff", _("Staff")
        SYSTEM = "system", _("System")
        BANK = "bank", _("Bank statement")
        # A closure (a holiday, an absence) the business made over it.
        CLOSURE = "closure", _("Closure")

    booking = models.ForeignKey(
        Booking, on_delete=models.CASCADE, related_name="events"
    )
    from_status = models.CharField(
        max_length=20, choices=Booking.Status.choices, blank=True
    )
    to_status = models.CharField(max_length=20, choices=Booking.Status.choices)
    kind = models.CharField(max_length=20, choices=Kind.choices)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="booking_events",
    )
    source = models.CharField(max_length=10, choices=Source.choices)
    note = models.TextField(blank=True)
    # What a listener needs beyond the statuses, never contact details: for
    # `rescheduled` the slots and start times before and after, for
    # `contact_changed` the names of the fields that changed.
    data = models.JSONField(default=dict, blank=True)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["created_at", "id"]

    def __str__(self):
        return (
            f"{self.booking_id}: {self.kind} "
            f"({self.from_status or '-'} -> {self.to_status})"
        )


class BookingSlot(models.Model):
    """One slot a booking holds: every slot of it, the first one included.

    `active` is true while the booking holds the slot (its status is active
    and it has not moved away); the partial unique index lets one active
    hold per slot, so the database refuses two active bookings on any slot,
    however many each takes. Written by the booking domain only, with the
    slots' `is_booked` flag in the same transaction.
    """

    booking = models.ForeignKey(
        Booking, on_delete=models.CASCADE, related_name="slot_holds"
    )
    # A deleted slot (only ever a free one) takes its released holds along.
    availability = models.ForeignKey(
        "availability.Availability",
        on_delete=models.CASCADE,
        related_name="booking_holds",
    )
    active = models.BooleanField(default=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["availability"],
                condition=models.Q(active=True),
                name="bookingslot_one_active_per_availability",
            ),
        ]

    def __str__(self):
        return f"{self.booking_id} holds {self.availability_id}"


class IdempotencyKey(models.Model):
    """The answer to a booking request sent with an `Idempotency-Key` header.

    Written in the same transaction as the booking it made (or with the
    refusal it got), so the two commit or vanish together: a key row always
    holds a final answer, never "in flight". A request in flight holds a
    transaction-scoped lock on its key instead, which dies with its
    connection. The key belongs to the client that sent it: only a keyed HMAC
    of the client's address is kept, never the address.
    """

    key = models.CharField(max_length=255, unique=True)
    client_fingerprint = models.CharField(max_length=64)
    request_fingerprint = models.CharField(max_length=64)
    booking = models.ForeignKey(
        Booking,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        help_text=_("The booking this request made, if it made one."),
    )
    response_status = models.PositiveSmallIntegerField()
    response_body = models.JSONField()
    created_at = models.DateTimeField(default=timezone.now, db_index=True)

    def __str__(self):
        return self.key


class GuestProofWindow(models.Model):
    """Failed guest proofs (reference + email or phone) of one reference in one
    hour, whatever address they came from.

    Past BOOKING_MAX_FAILED_PROOFS_PER_HOUR the reference answers only through
    an emailed link (`BookingAccessLink`); `link_wanted` says that someone
    gave the right proof meanwhile, so the link job emails the booking's own
    address. Rows exist for unknown references too: every attempt costs the
    same, so timing tells a guesser nothing.
    """

    reference = models.CharField(max_length=20)
    window_start = models.BigIntegerField()  # Unix seconds, aligned to the hour
    failures = models.PositiveIntegerField(default=0)
    link_wanted = models.BooleanField(default=False)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["reference", "window_start"], name="guest_proof_window_unique"
            ),
        ]
        indexes = [
            models.Index(
                fields=["reference"],
                condition=models.Q(link_wanted=True),
                name="guest_proof_link_wanted_idx",
            ),
        ]

    def __str__(self):
        return f"{self.reference}: {self.failures} failed proofs"


class BookingAccessLink(models.Model):
    """A single-use, short-lived proof emailed to the booking's own address.

    Only a SHA-256 of the token is stored. Each use spends it and hands out a
    fresh one (valid until the same moment), so the guest can go on to cancel
    or move the booking while a leaked or replayed link opens nothing.
    """

    booking = models.ForeignKey(
        Booking, on_delete=models.CASCADE, related_name="access_links"
    )
    token_hash = models.CharField(max_length=64, unique=True)
    expires_at = models.DateTimeField(db_index=True)
    used_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(default=timezone.now)

    def __str__(self):
        return f"link to {self.booking_id} until {self.expires_at:%Y-%m-%d %H:%M}"
