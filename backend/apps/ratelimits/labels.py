"""The names Django derives for this app's fields and models, listed for
makemessages: common.labels translates them at startup (no migration).
A test keeps this list equal to the models' own."""

from django.utils.translation import gettext_noop as _

LABELS = [
    _("counter"),
    _("counters"),
    _("hits"),
    _("key"),
    _("pk"),
    _("window end"),
    _("window start"),
]
