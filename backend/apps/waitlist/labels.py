"""The names Django derives for this app's fields and models, listed for
makemessages: common.labels translates them at startup (no migration).
A test keeps this list equal to the models' own."""

from django.utils.translation import gettext_noop as _

LABELS = [
    _("answered at"),
    _("availability"),
    _("booking"),
    _("client key"),
    _("closed at"),
    _("created at"),
    _("date from"),
    _("date to"),
    _("email"),
    _("email key"),
    _("entry"),
    _("expires at"),
    _("held"),
    _("language"),
    _("leave token hash"),
    _("made by"),
    _("name"),
    _("phone"),
    _("phone digits"),
    _("service"),
    _("slot ids"),
    _("staff"),
    _("status"),
    _("time from"),
    _("time to"),
    _("token hash"),
    _("waitlist entry"),
    _("waitlist offer"),
    _("waitlist offers"),
]
