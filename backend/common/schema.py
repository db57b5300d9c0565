"""Error responses shared by the OpenAPI descriptions of the endpoints."""

from drf_spectacular.utils import OpenApiResponse

from common.api import ErrorSerializer


def error(description: str) -> OpenApiResponse:
    return OpenApiResponse(ErrorSerializer, description=description)


INVALID = {400: error("Invalid input; `errors` lists the fields.")}
AUTH = {
    401: error("Not authenticated."),
    403: error("Authenticated but not a staff user."),
}
NOT_FOUND = {404: error("No such object.")}
CONFLICT = {409: error("The current state does not allow this; see `code`.")}
STAFF_WRITE_ERRORS = {**INVALID, **AUTH, **NOT_FOUND, **CONFLICT}
