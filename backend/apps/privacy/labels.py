"""The names Django derives for this app's fields and models, listed for
makemessages: common.labels translates them at startup (no migration).
A test keeps this list equal to the models' own."""

from django.utils.translation import gettext_noop as _

LABELS = [
    _("action"),
    _("bookings erased"),
    _("contact hash"),
    _("contact kind"),
    _("counts"),
    _("created at"),
    _("email"),
    _("erased references"),
    _("erasure record"),
    _("erasure records"),
    _("expires at"),
    _("guest request"),
    _("guest requests"),
    _("kept"),
    _("processed at"),
    _("reason"),
    _("requested by"),
    _("source"),
    _("token hash"),
    _("used at"),
]
