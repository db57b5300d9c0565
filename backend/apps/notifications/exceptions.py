"""Domain errors of notifications, rendered by the one exception handler."""

from common.exceptions import DomainError


class NotificationDomainError(DomainError):
    pass


class NotificationNotFailed(NotificationDomainError):
    status_code = 409
    code = "notification_not_failed"
    default_detail = "Only a failed notification can be sent again."
