"""The names Django derives for this app's fields and models, listed for
makemessages: common.labels translates them at startup (no migration).
A test keeps this list equal to the models' own."""

from django.utils.translation import gettext_noop as _

LABELS = [
    _("attempts"),
    _("body html"),
    _("body text"),
    _("booking"),
    _("claim token"),
    _("content"),
    _("content type"),
    _("created at"),
    _("done at"),
    _("due at"),
    _("filename"),
    _("guest triggered"),
    _("ics sequence"),
    _("kind"),
    _("last error"),
    _("next attempt at"),
    _("notification"),
    _("notification attachment"),
    _("notification attachments"),
    _("notifications"),
    _("recipient"),
    _("recipient key"),
    _("reminder"),
    _("reminders"),
    _("rotated at"),
    _("sent at"),
    _("snapshot"),
    _("staff"),
    _("staff calendar feed"),
    _("staff calendar feeds"),
    _("status"),
    _("subject"),
    _("token"),
]
