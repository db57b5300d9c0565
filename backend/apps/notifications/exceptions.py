"""Domain errors of notifications, rendered by the one exception handler."""

from django.utils.translation import gettext_lazy as _

from common.exceptions import DomainError


class NotificationDomainError(DomainError):
    pass


class NotificationNotFailed(NotificationDomainError):
    status_code = 409
    code = "notification_not_failed"
    default_detail = _("Only a failed notification can be sent again.")
