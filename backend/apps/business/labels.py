"""The names Django derives for this app's fields and models, listed for
makemessages: common.labels translates them at startup (no migration).
A test keeps this list equal to the models' own."""

from django.utils.translation import gettext_noop as _

LABELS = [
    _("address"),
    _("beneficiary"),
    _("name"),
    _("payment instructions"),
    _("phone"),
    _("reply to"),
    _("sender email"),
    _("updated at"),
    _("updated by"),
    _("website"),
    _("welcome text"),
]
