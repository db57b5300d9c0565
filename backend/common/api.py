"""HTTP plumbing shared by every app: pagination and error bodies."""

import logging
import sys

from django.core.exceptions import (
    ObjectDoesNotExist,
    RequestDataTooBig,
    TooManyFieldsSent,
)
from django.db import IntegrityError, InterfaceError, OperationalError
from django.db.models import ProtectedError, RestrictedError
from django.http import Http404, JsonResponse
from django.utils.translation import gettext_lazy as _
from rest_framework import exceptions as drf_exceptions
from rest_framework import serializers, status
from rest_framework.pagination import PageNumberPagination
from rest_framework.response import Response
from rest_framework.utils.urls import remove_query_param, replace_query_param
from rest_framework.views import exception_handler as drf_exception_handler

from common.exceptions import DomainError

logger = logging.getLogger("apps.api")


class StandardPagination(PageNumberPagination):
    page_size = 20
    page_size_query_param = "page_size"
    max_page_size = 100

    def get_page_size(self, request):
        """`page_size` as the schema states it: 1 to 100, or a 400 (DRF
        quietly used 20 for `?page_size=abc` and copied it into `next`)."""
        raw = request.query_params.get(self.page_size_query_param)
        if raw is None:
            return self.page_size
        if (
            not raw.isascii()
            or not raw.isdigit()
            or not 1 <= int(raw) <= self.max_page_size
        ):
            raise drf_exceptions.ValidationError(
                {
                    self.page_size_query_param: [
                        _("A whole number from 1 to %(largest)d.")
                        % {"largest": self.max_page_size}
                    ]
                }
            )
        return int(raw)

    def get_schema_operation_parameters(self, view):
        parameters = super().get_schema_operation_parameters(view)
        for parameter in parameters:
            if parameter["name"] == self.page_query_param:
                parameter["schema"]["minimum"] = 1
            elif parameter["name"] == self.page_size_query_param:
                parameter["schema"].update(minimum=1, maximum=self.max_page_size)
        return parameters


# A page number above this is 404 without a query: its offset would overflow
# a 64-bit integer at the largest page size long before any table is that big.
MAX_PAGE_NUMBER = 10**9


class UncountedPagination(StandardPagination):
    """Page-number pages without `count`: one query per page, not two.

    It reads one row past the page to know whether `next` exists, so a page of
    a large table costs what its rows cost, not a count of every match. For
    lists whose clients follow `next` and never show a total.
    """

    def paginate_queryset(self, queryset, request, view=None):
        self.request = request
        page_size = self.get_page_size(request)
        self.number = self._page_number(request)
        offset = (self.number - 1) * page_size
        rows = list(queryset[offset : offset + page_size + 1])
        if not rows and self.number > 1:
            raise drf_exceptions.NotFound(self.invalid_page_message)
        self.has_next = len(rows) > page_size
        return rows[:page_size]

    def _page_number(self, request) -> int:
        try:
            number = int(request.query_params.get(self.page_query_param) or 1)
        except ValueError:
            number = 0
        if not 1 <= number <= MAX_PAGE_NUMBER:
            raise drf_exceptions.NotFound(self.invalid_page_message)
        return number

    def get_next_link(self):
        if not self.has_next:
            return None
        url = self.request.build_absolute_uri()
        return replace_query_param(url, self.page_query_param, self.number + 1)

    def get_previous_link(self):
        if self.number == 1:
            return None
        url = self.request.build_absolute_uri()
        if self.number == 2:
            return remove_query_param(url, self.page_query_param)
        return replace_query_param(url, self.page_query_param, self.number - 1)

    def get_paginated_response(self, data):
        return Response(
            {
                "next": self.get_next_link(),
                "previous": self.get_previous_link(),
                "results": data,
            }
        )

    def get_paginated_response_schema(self, schema):
        paginated = super().get_paginated_response_schema(schema)
        del paginated["properties"]["count"]
        paginated["required"] = ["next", "previous", "results"]
        return paginated


# The errors this module raises itself (status, code, meaning). With every
# DomainError subclass they make the `ErrorCode` enum of the OpenAPI schema and
# the error table of docs/api.md (common.errors), so the three cannot disagree.
HANDLER_ERRORS = (
    (
        308,
        "trailing_slash_missing",
        "an /api/ path without its trailing slash; `Location` has the right one",
    ),
    (400, "invalid", "a field is missing or malformed; see `errors`"),
    (400, "parse_error", "the body is not valid JSON"),
    (400, "too_many_fields", "the request has more fields than this API accepts"),
    (400, "bad_request", "the request could not be read (bad host or headers)"),
    (401, "not_authenticated", "a staff endpoint without credentials"),
    (401, "authentication_failed", "a wrong or inactive token"),
    (403, "permission_denied", "not allowed for this user, or a failed CSRF check"),
    (404, "not_found", "no such object, page or URL (or not visible to you)"),
    (405, "method_not_allowed", "this URL does not take that HTTP method"),
    (406, "not_acceptable", "the `Accept` header asks for a format we do not serve"),
    (409, "conflict", "a concurrent change won; retry"),
    (409, "in_use", "staff: other records still refer to it; deactivate instead"),
    (413, "request_too_large", "the request body is larger than this API accepts"),
    (415, "unsupported_media_type", "send `Content-Type: application/json`"),
    (429, "throttled", "too many requests from this client; retry after `Retry-After`"),
    (500, "server_error", "a bug on our side; nothing was half-written"),
    (
        503,
        "database_unavailable",
        "the database is briefly unavailable; retry after `Retry-After` seconds",
    ),
)
HANDLER_CODES = {code for _, code, _ in HANDLER_ERRORS}
# What a status means when nothing more specific is known (a DRF exception
# with a code of its own, a Django error page replaced by common.middleware).
DEFAULT_CODE_FOR_STATUS = {
    400: "bad_request",
    401: "not_authenticated",
    403: "permission_denied",
    404: "not_found",
    405: "method_not_allowed",
    406: "not_acceptable",
    409: "conflict",
    413: "request_too_large",
    415: "unsupported_media_type",
    429: "throttled",
}


def code_for_status(status_code: int) -> str:
    if status_code >= 500:
        return "server_error"
    return DEFAULT_CODE_FOR_STATUS.get(status_code, "bad_request")


class ErrorSerializer(serializers.Serializer):
    """The one error body every endpoint returns."""

    code = serializers.CharField(
        help_text="Stable machine-readable error code (the `ErrorCode` enum)."
    )
    detail = serializers.CharField(help_text="Human-readable explanation.")
    errors = serializers.DictField(
        child=serializers.ListField(child=serializers.CharField()),
        required=False,
        help_text="Field name to messages, for invalid input (400).",
    )


def _error_body(code: str, detail, errors: dict | None = None) -> dict:
    """The body, its texts in the active language (the request's, set by
    LocaleMiddleware): `code` never changes with it."""
    body = {"code": code, "detail": str(detail)}
    if errors:
        body["errors"] = errors
    return body


def _flatten_validation_errors(detail) -> dict:
    if isinstance(detail, dict):
        return {
            name: [str(message) for message in _as_list(messages)]
            for name, messages in detail.items()
        }
    return {"non_field_errors": [str(message) for message in _as_list(detail)]}


def _as_list(messages) -> list:
    if isinstance(messages, dict):
        return [f"{key}: {value}" for key, value in messages.items()]
    return messages if isinstance(messages, list) else [messages]


def database_unavailable() -> dict:
    return _error_body(
        "database_unavailable",
        _("The service is briefly unavailable. Please try again in a few seconds."),
    )


# Measured by scripts/faults (docs/reliability.md): workers reconnect within
# about a second of the database coming back.
DATABASE_RETRY_AFTER = "1"
INVALID_FIELDS = _("The request has invalid fields.")


def request_too_large() -> dict:
    return _error_body(
        "request_too_large", _("The request body is larger than this API accepts.")
    )


def too_many_fields() -> dict:
    return _error_body(
        "too_many_fields", _("The request has more fields than this API accepts.")
    )


def exception_handler(exc, context):
    """Render domain errors and DRF errors as `{"code", "detail", "errors"?}`."""
    if isinstance(exc, DomainError):
        # str(): a lazy text is translated now, in the request's language.
        errors = {exc.field: [str(exc.detail)]} if exc.status_code == 400 else None
        headers = {"Retry-After": str(exc.retry_after)} if exc.retry_after else None
        # `invalid` reads the same whoever raised it (a serializer or the
        # domain layer): the generic detail, the specifics in `errors`.
        detail = INVALID_FIELDS if exc.code == "invalid" else exc.detail
        return Response(
            {**_error_body(exc.code, detail, errors), **exc.body_extra()},
            status=exc.status_code,
            headers=headers,
        )
    if isinstance(exc, (OperationalError, InterfaceError)):
        # The database is down, restarting, or too busy: nothing was written
        # (the transaction rolled back), so the client may simply retry.
        logger.error("database unavailable: %s", exc)
        return Response(
            database_unavailable(),
            status=status.HTTP_503_SERVICE_UNAVAILABLE,
            headers={"Retry-After": DATABASE_RETRY_AFTER},
        )
    if isinstance(exc, (ProtectedError, RestrictedError)):
        return Response(
            _error_body(
                "in_use",
                _("Other records still refer to this one; deactivate it instead."),
            ),
            status=status.HTTP_409_CONFLICT,
        )
    if isinstance(exc, IntegrityError):
        # The domain layer checks every rule before writing, so this is a race
        # the database caught for us: report a conflict, keep the evidence.
        logger.warning("integrity error reached the API: %s", exc)
        return Response(
            _error_body("conflict", _("The request conflicts with existing data.")),
            status=status.HTTP_409_CONFLICT,
        )
    if isinstance(exc, RequestDataTooBig):
        return Response(request_too_large(), status=413)
    if isinstance(exc, TooManyFieldsSent):
        return Response(too_many_fields(), status=status.HTTP_400_BAD_REQUEST)
    if isinstance(exc, ObjectDoesNotExist):
        # A row deleted between the view's lookup and the domain call.
        exc = Http404()

    response = drf_exception_handler(exc, context)
    if response is None:
        return None
    if isinstance(exc, drf_exceptions.ValidationError):
        response.data = _error_body(
            "invalid", INVALID_FIELDS, _flatten_validation_errors(exc.detail)
        )
        return response
    if isinstance(exc, Http404):
        response.data = _error_body("not_found", _("Not found."))
        return response
    detail = response.data.get("detail", "") if isinstance(response.data, dict) else ""
    code = str(getattr(detail, "code", None) or getattr(exc, "default_code", ""))
    if response.status_code == status.HTTP_405_METHOD_NOT_ALLOWED:
        code = "method_not_allowed"
    if code not in HANDLER_CODES:
        # Only documented codes go out: an exception with a code of its own
        # (a third-party permission, say) gets its status's code.
        code = code_for_status(response.status_code)
    response.data = _error_body(code, str(detail))
    return response


def bad_request(request, exception=None):
    """Django's handler400: errors raised before DRF saw the request, as JSON."""
    if isinstance(exception, RequestDataTooBig):
        return JsonResponse(request_too_large(), status=413)
    if isinstance(exception, TooManyFieldsSent):
        return JsonResponse(too_many_fields(), status=400)
    return JsonResponse(_error_body("bad_request", _("Bad request.")), status=400)


def not_found(request, exception=None):
    """Django's handler404: unknown URLs get the API's JSON error body."""
    return JsonResponse(_error_body("not_found", _("Not found.")), status=404)


def server_error(request, *args, **kwargs):
    """Django's handler500: a JSON body, never a stack trace.

    Reached by errors outside DRF's handler (middleware, non-API views).
    """
    error = sys.exc_info()[1]
    if isinstance(error, (OperationalError, InterfaceError)):
        return JsonResponse(
            database_unavailable(),
            status=503,
            headers={"Retry-After": DATABASE_RETRY_AFTER},
        )
    return JsonResponse(
        _error_body("server_error", _("Something went wrong on our side.")), status=500
    )
