"""Domain errors of webhooks, rendered by common.api's one handler."""

from common.exceptions import DomainError


class WebhooksError(DomainError):
    """Base of this app's errors (a DomainError: code, status, optional field)."""


class WebhookUrlNotAllowed(WebhooksError):
    status_code = 400
    code = "webhook_url_not_allowed"
    field = "url"
    default_detail = (
        "This URL cannot receive webhooks: it must be http(s) (https in "
        "production) and reach a public address."
    )


class DeliveryStillQueued(WebhooksError):
    code = "delivery_queued"
    default_detail = "This delivery is already waiting to be sent."


class EndpointDisabled(WebhooksError):
    code = "endpoint_disabled"
    default_detail = "This endpoint is disabled: enable it first."
