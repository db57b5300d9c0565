"""The names Django derives for this app's fields and models, listed for
makemessages: common.labels translates them at startup (no migration).
A test keeps this list equal to the models' own."""

from django.utils.translation import gettext_noop as _

LABELS = [
    _("buffer minutes"),
    _("closure"),
    _("closures"),
    _("created at"),
    _("created by"),
    _("end minute"),
    _("ends at"),
    _("kind"),
    _("public note"),
    _("slot minutes"),
    _("staff"),
    _("start minute"),
    _("starts at"),
    _("updated at"),
    _("valid from"),
    _("valid until"),
    _("weekday"),
]
