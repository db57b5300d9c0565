"""The names Django derives for this app's fields and models, listed for
makemessages: common.labels translates them at startup (no migration).
A test keeps this list equal to the models' own."""

from django.utils.translation import gettext_noop as _

LABELS = [
    _("created at"),
    _("email"),
    _("is active"),
    _("name"),
    _("phone"),
    _("services"),
    _("staff"),
    _("updated at"),
]
