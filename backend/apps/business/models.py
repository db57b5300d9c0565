from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from apps.business.validators import validate_bic, validate_iban


class BusinessSettings(models.Model):
    """The business as guests and emails see it: one row, edited by a Manager.

    Until it is first saved, the environment's values stand in for it
    (`selectors.env_defaults`), so a fresh install runs as configured.
    """

    SINGLETON_ID = 1

    # The texts guests read come in Portuguese (the plain fields) and English
    # (`_en`): each guest reads their language's (selectors.Business.in_language);
    # an empty English text falls back to the Portuguese one.
    name = models.CharField(max_length=120)
    name_en = models.CharField(
        _("name in English"),
        max_length=120,
        blank=True,
        help_text=_("Empty: the same name in English."),
    )
    welcome_text = models.CharField(
        max_length=500, blank=True, help_text=_("In Portuguese.")
    )
    welcome_text_en = models.CharField(
        _("welcome text in English"),
        max_length=500,
        blank=True,
        help_text=_("In English."),
    )
    payment_instructions = models.TextField(
        blank=True,
        help_text=_(
            "In Portuguese. Shown to guests with each booking awaiting payment."
        ),
    )
    payment_instructions_en = models.TextField(
        _("payment instructions in English"), blank=True, help_text=_("In English.")
    )
    iban = models.CharField(
        "IBAN",
        max_length=42,
        blank=True,
        validators=[validate_iban],
        help_text=_(
            "The account guests pay into; with a beneficiary, bookings "
            "show an EPC QR code banking apps scan."
        ),
    )
    bic = models.CharField("BIC", max_length=11, blank=True, validators=[validate_bic])
    beneficiary = models.CharField(
        max_length=70,
        blank=True,
        help_text=_(
            "The account holder's name, as the bank knows it (EPC QR code, "
            "SEPA refunds)."
        ),
    )
    sender_email = models.CharField(
        max_length=254,
        help_text=_(
            'The "From" of every email, e.g. "Doceamor <bookings@example.com>".'
        ),
    )
    reply_to = models.EmailField(
        blank=True, help_text=_("Where guests' replies go (empty: to the sender).")
    )
    phone = models.CharField(max_length=40, blank=True)
    address = models.TextField(blank=True)
    website = models.URLField(blank=True)
    updated_at = models.DateTimeField(default=timezone.now)
    updated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        editable=False,
    )

    class Meta:
        verbose_name = _("business settings")
        verbose_name_plural = _("business settings")
        constraints = [
            models.CheckConstraint(
                condition=models.Q(id=1), name="business_settings_singleton"
            )
        ]

    def __str__(self):
        return self.name
