"""Every URL under /api/ answers a JSON client in JSON, whatever DEBUG is."""

from django.http import JsonResponse
from django.middleware.common import CommonMiddleware
from django.utils.http import escape_leading_slashes
from django.utils.translation import gettext_lazy as _

from common.api import _error_body, code_for_status

API_PREFIX = "/api/"
# Pages under /api/ that are not API responses: Swagger UI and the schema.
NOT_JSON_PATHS = ("/api/docs/", "/api/schema/")
REPLACED_HEADERS = {"content-type", "content-length", "content-disposition"}
MESSAGES = {
    400: _("Bad request."),
    403: _("You do not have permission to perform this action."),
    404: _("Not found."),
    405: _("Method not allowed."),
    413: _("The request body is larger than this API accepts."),
}


def _wants_html(request) -> bool:
    # A browser asks for text/html by name; curl's */* and a client's
    # application/json get JSON.
    return "text/html" in request.headers.get("Accept", "")


class JsonApiErrorsMiddleware:
    """Turn Django's own error pages under /api/ into the API's error body.

    Django answers some requests before any API view runs: an unknown path or
    a malformed id (`/api/bookings/abc/`, which no route matches), or an
    error DEBUG renders as its technical page. A JSON client gets
    `{"code", "detail"}` for those too; a browser still sees the page.
    Outermost in MIDDLEWARE, so it sees every response.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        path = request.path_info
        if (
            response.status_code < 400
            or not path.startswith(API_PREFIX)
            or path.startswith(NOT_JSON_PATHS)
            or response.get("Content-Type", "").startswith("application/json")
            or _wants_html(request)
        ):
            return response
        status = response.status_code
        body = _error_body(
            code_for_status(status),
            MESSAGES.get(status, _("Something went wrong on our side.")),
        )
        replacement = JsonResponse(body, status=status)
        for header, value in response.items():
            if header.lower() not in REPLACED_HEADERS:
                replacement[header] = value
        return replacement


class ApiCommonMiddleware(CommonMiddleware):
    """Django's CommonMiddleware, except that a path under /api/ missing its
    trailing slash answers 308 with a JSON body naming the right path.

    Django's 301 went to an HTML page, and a client that follows it turns a
    POST into a GET (a 401 or 405 that hides the real mistake); with DEBUG on
    a POST was a 500. 308 keeps the method and body.
    """

    def process_request(self, request):
        if request.path_info.startswith(API_PREFIX) and (
            self.should_redirect_with_slash(request)
        ):
            return self._redirect_with_slash(request)
        return super().process_request(request)

    def process_response(self, request, response):
        if (
            response.status_code == 404
            and request.path_info.startswith(API_PREFIX)
            and self.should_redirect_with_slash(request)
        ):
            return self._redirect_with_slash(request)
        return super().process_response(request, response)

    @staticmethod
    def _redirect_with_slash(request):
        location = escape_leading_slashes(
            request.get_full_path(force_append_slash=True)
        )
        response = JsonResponse(
            _error_body(
                "trailing_slash_missing",
                _("This API's paths end with a slash: use %(location)s")
                % {"location": location},
            ),
            status=308,
        )
        response["Location"] = location
        return response
