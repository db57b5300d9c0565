"""OpenAPI generation: every operation documents the errors it can return."""

from drf_spectacular.openapi import AutoSchema
from drf_spectacular.utils import OpenApiResponse

from common.api import ErrorSerializer

# Any request may carry a bad token (401), fail a CSRF check on a logged-in
# session (403), hit an unknown id or page (404), send a bad query parameter
# or body (400), or meet the database restarting or a held lock (503).
COMMON_ERRORS = {
    "400": "Invalid input or query parameters; `errors` lists the fields.",
    "401": "Not authenticated, or a wrong token.",
    "403": "Not allowed: not a staff user, or a failed CSRF check.",
    "404": "No such object or page.",
    "503": "Briefly unavailable (database busy or restarting); retry after "
    "the `Retry-After` header's seconds.",
}
TOO_MANY_REQUESTS = (
    "Too many requests from this client; retry after the `Retry-After` "
    "header's seconds."
)
WRITE_ERRORS = {
    "409": "The current state does not allow this; see `code`.",
    "415": "The body's Content-Type is not JSON, a form, or multipart.",
}


class ErrorDocumentingAutoSchema(AutoSchema):
    def _get_response_bodies(self, direction="response"):
        responses = super()._get_response_bodies(direction=direction)
        errors = dict(COMMON_ERRORS)
        if self.method not in ("GET", "HEAD", "OPTIONS"):
            errors.update(WRITE_ERRORS)
        if self.view.get_throttles():
            errors["429"] = TOO_MANY_REQUESTS
        for status_code, description in errors.items():
            if status_code not in responses:
                responses[status_code] = self._get_response_for_code(
                    OpenApiResponse(ErrorSerializer, description=description),
                    status_code,
                )
        return responses
