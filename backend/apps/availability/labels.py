"""The names Django derives for this app's fields and models, listed for
makemessages: common.labels translates them at startup (no migration).
A test keeps this list equal to the models' own."""

from django.utils.translation import gettext_noop as _

LABELS = [
    _("availability"),
    _("created at"),
    _("end time"),
    _("is booked"),
    _("is closed"),
    _("is held"),
    _("source"),
    _("staff"),
    _("start time"),
    _("updated at"),
]
