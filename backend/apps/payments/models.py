from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

# What an import's summary counts: every outcome, duplicates and debits.
SUMMARY_KEYS = (
    "matched",
    "already_paid",
    "late",
    "underpaid",
    "wrong_currency",
    "ambiguous",
    "unmatched",
    "duplicates",
    "debits_ignored",
)


def empty_summary() -> dict[str, int]:
    return dict.fromkeys(SUMMARY_KEYS, 0)


class BankStatementImport(models.Model):
    """One applied upload of a bank statement file, and what it did.

    A large file (over BANK_STATEMENT_BACKGROUND_CREDITS credits) is read and
    checked in the request, then applied by the job `apply_bank_statements`:
    `status` and `credits_done` of `credits_total` show how far it got, and
    `summary` always holds every count.
    """

    class Format(models.TextChoices):
        CAMT053 = "camt053", "CAMT.053"
        MT940 = "mt940", "MT940"
        CSV = "csv", "CSV"

    class Status(models.TextChoices):
        QUEUED = "queued", _("Queued")
        RUNNING = "running", _("Applying")
        DONE = "done", _("Done")
        FAILED = "failed", _("Failed")

    file_name = models.CharField(max_length=255)
    file_format = models.CharField(max_length=10, choices=Format.choices)
    file_sha256 = models.CharField(max_length=64, db_index=True)
    imported_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="bank_statement_imports",
    )
    # Counts by outcome, plus `debits_ignored` and `duplicates`.
    summary = models.JSONField(default=empty_summary)
    status = models.CharField(
        max_length=10, choices=Status.choices, default=Status.DONE, db_index=True
    )
    credits_total = models.PositiveIntegerField(default=0)
    credits_done = models.PositiveIntegerField(default=0)
    # The checked credits a queued import still has to apply (cleared when
    # done: they name payers); and when its worker last reported progress.
    pending_credits = models.JSONField(null=True, blank=True, editable=False)
    heartbeat_at = models.DateTimeField(null=True, blank=True)
    error = models.TextField(blank=True)
    created_at = models.DateTimeField(default=timezone.now, db_index=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        permissions = [
            ("import_bank_statement", "Can import bank statements"),
        ]

    def __str__(self):
        return f"{self.file_name} ({self.created_at:%Y-%m-%d %H:%M})"


class BankTransaction(models.Model):
    """A credit on the business's account, and what reconciliation made of it."""

    class Outcome(models.TextChoices):
        MATCHED = "matched", _("Matched")
        ALREADY_PAID = "already_paid", _("Already paid")
        LATE = "late", _("Late")
        UNDERPAID = "underpaid", _("Underpaid")
        WRONG_CURRENCY = "wrong_currency", _("Wrong currency")
        AMBIGUOUS = "ambiguous", _("Ambiguous")
        UNMATCHED = "unmatched", _("Unmatched")

    class Refund(models.TextChoices):
        NONE = "", _("None")
        DUE = "due", _("Due")
        REFUNDED = "refunded", _("Refunded")

    statement_import = models.ForeignKey(
        BankStatementImport, on_delete=models.PROTECT, related_name="transactions"
    )
    # The bank's id with the account, or a hash of the line when the format
    # has no id: the same statement imported twice yields the same keys.
    dedup_key = models.CharField(max_length=210, unique=True)
    bank_transaction_id = models.CharField(max_length=140, blank=True)
    booking_date = models.DateField()
    amount = models.DecimalField(max_digits=14, decimal_places=2)
    currency = models.CharField(max_length=3)
    counterparty_name = models.CharField(max_length=140, blank=True)
    counterparty_account = models.CharField(max_length=64, blank=True)
    remittance = models.TextField(blank=True)
    outcome = models.CharField(max_length=20, choices=Outcome.choices, db_index=True)
    # The booking the reference (or staff) pointed at, whatever the outcome.
    booking = models.ForeignKey(
        "bookings.Booking",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="bank_transactions",
    )
    suggested_booking = models.ForeignKey(
        "bookings.Booking",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="suggested_bank_transactions",
    )
    rebooked_booking = models.ForeignKey(
        "bookings.Booking",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="rebooked_from_bank_transactions",
    )
    overpaid_amount = models.DecimalField(max_digits=14, decimal_places=2, default=0)
    # For a late payment: was the money booked on or before the deadline day?
    paid_before_deadline = models.BooleanField(null=True, blank=True)
    note = models.TextField(blank=True)
    refund_status = models.CharField(
        max_length=10, choices=Refund.choices, blank=True, default=Refund.NONE
    )
    refunded_at = models.DateTimeField(null=True, blank=True)
    resolved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="resolved_bank_transactions",
    )
    resolved_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(default=timezone.now, db_index=True)

    class Meta:
        ordering = ["-booking_date", "-id"]
        permissions = [
            (
                "reconcile_bank_transaction",
                "Can match, rebook and refund bank transactions",
            ),
        ]
        indexes = [
            models.Index(
                fields=["refund_status"],
                condition=models.Q(refund_status="due"),
                name="banktx_refund_due_idx",
            ),
        ]

    def __str__(self):
        return f"{self.booking_date} {self.amount} {self.currency} ({self.outcome})"

    @property
    def refund_amount(self):
        """What the business owes back: all of a late payment, or the excess;
        all of it when staff cancelled the booking it paid with a refund owed."""
        if (
            self.outcome == self.Outcome.MATCHED
            and self.refund_status == self.Refund.DUE
            and self.booking is not None
            and self.booking.refund_due
        ):
            return self.amount
        if self.outcome == self.Outcome.MATCHED or self.rebooked_booking_id:
            return self.overpaid_amount
        if self.outcome in (self.Outcome.LATE, self.Outcome.UNDERPAID):
            return self.amount
        return 0


class StatementFile(models.Model):
    """A statement previewed in the admin, kept until it is applied.

    The Apply step names it by its SHA-256 instead of posting the file again
    (which a large statement could not: the request body limit). Only its
    uploader may apply it; unapplied files are purged after a day.
    """

    sha256 = models.CharField(max_length=64)
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+"
    )
    file_name = models.CharField(max_length=255)
    content = models.BinaryField()
    created_at = models.DateTimeField(default=timezone.now, db_index=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["uploaded_by", "sha256"], name="statement_file_unique"
            ),
        ]

    def __str__(self):
        return f"{self.file_name} ({self.sha256[:12]})"
