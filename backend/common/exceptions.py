"""The base of every domain error, and the errors the shared core raises itself.

Every error carries a stable machine-readable `code` the frontend can switch
on and an HTTP `status_code`, the way DRF's `APIException` subclasses carry
`status_code` and `default_code`; `common.api.exception_handler` renders them
all in one body shape, so no view catches them itself. Errors about one input
field name it in `field`, and are rendered as field errors (400). Each app
keeps its own errors in its `exceptions.py`, as subclasses of these.
"""

from django.utils.translation import gettext_lazy as _


class DomainError(Exception):
    status_code = 409
    code = "conflict"
    default_detail = _("The request conflicts with the current state.")
    field: str | None = None
    retry_after: int | None = None  # seconds, sent as Retry-After

    def __init__(self, detail: str | None = None, *, field: str | None = None):
        self.detail = detail or self.default_detail
        if field is not None:
            self.field = field
        super().__init__(self.detail)

    def body_extra(self) -> dict:
        """Keys the error body carries besides `code` and `detail`: what the
        client needs to resolve the conflict (an endpoint documents them)."""
        return {}


class InvalidInput(DomainError):
    """400: the input names something the operation cannot use."""

    status_code = 400
    code = "invalid"


class LockTimeout(DomainError):
    """503: the rows are held by another writer for longer than we wait."""

    status_code = 503
    code = "lock_timeout"
    default_detail = _(
        "The booking is being changed by another request right now. "
        "Please try again in a moment."
    )
    retry_after = 2


def raises(*errors: type[Exception]):
    """Declare the errors a view's handler may answer with, beside the handler.

    The schema documents, per operation, only these codes besides the ones
    that follow from the view's own setup (common.schema_errors), so a client
    can narrow an error by operation; the contract check of every test's
    responses fails on a code the handler did not declare. Takes DomainError
    subclasses and DRF exceptions the view raises itself (NotFound).
    """

    def mark(handler):
        handler.declared_errors = (*getattr(handler, "declared_errors", ()), *errors)
        return handler

    return mark
