"""Per operation, the error statuses and codes it can really answer with.

Two sources, both next to the code that answers: the errors a handler
declares with `common.exceptions.raises` (its domain errors and any DRF error
it raises itself), and what follows from the view's setup: authentication
(401), permissions and CSRF (403), path ids and pages (404), throttles (429),
a request body (413, 415, `parse_error`), query parameters (`invalid`). The
schema gives each (status, codes) pair its own error schema, with `code` an
enum of exactly those codes, so a generated client can narrow an error by
operation and the contract check of every test's responses (and Schemathesis)
fails on a code an operation does not declare.
"""

import copy
import re

from django.core.exceptions import ImproperlyConfigured
from rest_framework import exceptions as drf_exceptions
from rest_framework.authentication import SessionAuthentication

from common.api import HANDLER_CODES, code_for_status
from common.exceptions import DomainError

SAFE_METHODS = ("GET", "HEAD", "OPTIONS")
# What every DRF operation may answer, whatever it does: a request Django
# could not read (bad host, too many fields), an `Accept` it cannot serve, a
# bug, and a database that is briefly away.
ALWAYS = {
    400: {"bad_request", "too_many_fields"},
    406: {"not_acceptable"},
    500: {"server_error"},
    503: {"database_unavailable"},
}
DESCRIPTIONS = {
    400: "Invalid input or query parameters; `errors` lists the fields.",
    401: "Not authenticated, or a wrong token.",
    403: "Not allowed: not a staff user, or a failed CSRF check.",
    404: "No such object or page.",
    406: "The `Accept` header asks for a format this API does not serve.",
    409: "The current state does not allow this; see `code`.",
    413: "The request body is larger than this API accepts.",
    415: "The body's Content-Type is not the one this operation takes.",
    422: "The `Idempotency-Key` was sent before with another body.",
    429: "Too many requests from this client; retry after the `Retry-After` "
    "header's seconds.",
    500: "A bug on our side; nothing was half-written.",
    503: "Briefly unavailable (database restarting, or another request holds "
    "the rows); retry after the `Retry-After` header's seconds.",
}
ERROR_REF = "#/components/schemas/Error"
CODES_KEY = "x-error-codes"


def _status_and_code(error: type[Exception]) -> tuple[int, str]:
    if issubclass(error, DomainError):
        return error.status_code, error.code
    if issubclass(error, drf_exceptions.ValidationError):
        return 400, "invalid"
    if issubclass(error, drf_exceptions.APIException):
        code = error.default_code
        status = error.status_code
        return status, code if code in HANDLER_CODES else code_for_status(status)
    raise ImproperlyConfigured(f"{error!r} is not an error the API answers with")


def declared_errors(view, method: str) -> tuple[type[Exception], ...]:
    action = getattr(view, "action", None) or method.lower()
    # DRF's partial_update calls update, so it answers what update declares.
    names = ("partial_update", "update") if action == "partial_update" else (action,)
    return tuple(
        error
        for name in names
        for error in getattr(getattr(view, name, None), "declared_errors", ())
    )


def operation_error_codes(auto_schema, operation: dict) -> dict[int, set[str]]:
    """Status to the codes this operation can answer with (module docstring)."""
    view, method = auto_schema.view, auto_schema.method
    codes: dict[int, set[str]] = {
        status: set(found) for status, found in ALWAYS.items()
    }

    def add(status: int, code: str) -> None:
        codes.setdefault(status, set()).add(code)

    unsafe = method not in SAFE_METHODS
    parameters = operation.get("parameters", [])
    takes_body = "requestBody" in operation
    if takes_body or any(parameter["in"] == "query" for parameter in parameters):
        add(400, "invalid")
    if takes_body:
        add(400, "parse_error")
        add(415, "unsupported_media_type")
    if unsafe:
        add(413, "request_too_large")
        # The database refused a write the domain checks let through: a race.
        add(409, "conflict")
    if method == "DELETE":
        add(409, "in_use")
    authenticators = view.get_authenticators()
    anyone = auto_schema._anyone_may_call()
    if authenticators:
        add(401, "authentication_failed")
    if not anyone:
        add(401, "not_authenticated")
        add(403, "permission_denied")
    elif unsafe and any(isinstance(a, SessionAuthentication) for a in authenticators):
        add(403, "permission_denied")  # a logged-in browser without its CSRF token
    if re.search(r"\{[^}]+\}", auto_schema.path) or any(
        parameter["name"] == "page" and parameter["in"] == "query"
        for parameter in parameters
    ):
        add(404, "not_found")
    if view.get_throttles():
        add(429, "throttled")
    for error in declared_errors(view, method):
        add(*_status_and_code(error))
    return codes


def _is_plain_error(response: dict) -> bool:
    schema = response.get("content", {}).get("application/json", {}).get("schema")
    return schema == {"$ref": ERROR_REF}


def add_error_responses(auto_schema, operation: dict, build_response) -> None:
    """Document each error status of `operation`, marking its codes for the
    post-processing hook (`error_schemas`) to turn into an error schema."""
    responses = operation["responses"]
    for status, codes in sorted(operation_error_codes(auto_schema, operation).items()):
        key = str(status)
        if key in responses and not _is_plain_error(responses[key]):
            continue  # a body of its own (the closure conflict, health's 503)
        listed = ", ".join(f"`{code}`" for code in sorted(codes))
        description = responses.get(key, {}).get("description") or DESCRIPTIONS[status]
        response = build_response(key, f"{description} Codes: {listed}.")
        response[CODES_KEY] = sorted(codes)
        if status in (429, 503):
            response["headers"] = {
                "Retry-After": {
                    "description": "Seconds to wait before sending the same "
                    "request again.",
                    "schema": {"type": "integer", "minimum": 0},
                    "required": True,
                }
            }
        responses[key] = response
    unknown = [
        key
        for key, response in responses.items()
        if _is_plain_error(response) and CODES_KEY not in response
    ]
    if unknown:
        raise ImproperlyConfigured(
            f"{auto_schema.method} {auto_schema.path} documents {unknown} with "
            "no declared code: declare the errors with common.exceptions.raises"
        )


def _pascal(text: str) -> str:
    return "".join(part.capitalize() for part in re.split(r"[^A-Za-z0-9]+", text))


def error_schemas(result: dict) -> None:
    """One error schema per (status, codes), `code` an enum of those codes.

    A pair one operation alone answers is named after it
    (`BookingsCreateError409`); one shared by several after its codes when
    they are few (`Error401AuthenticationFailedNotAuthenticated`), else after
    the first operation that answers it.
    """
    users: dict[tuple[str, tuple[str, ...]], list[str]] = {}
    marked = []
    for path_item in result["paths"].values():
        for operation in path_item.values():
            for status, response in operation["responses"].items():
                if CODES_KEY in response:
                    key = (status, tuple(response.pop(CODES_KEY)))
                    users.setdefault(key, []).append(operation["operationId"])
                    marked.append((key, response))
    schemas = result["components"]["schemas"]
    names = {}
    for (status, codes), operation_ids in sorted(users.items()):
        if len(operation_ids) == 1 or len(codes) > 3:
            name = f"{_pascal(sorted(operation_ids)[0])}Error{status}"
        else:
            name = f"Error{status}{''.join(_pascal(code) for code in codes)}"
        assert name not in schemas, name
        schema = copy.deepcopy(schemas["Error"])
        schema["properties"]["code"] = {
            "type": "string",
            "enum": list(codes),
            "description": "The codes this operation answers this status "
            "with; docs/api.md says what each means.",
        }
        schemas[name] = schema
        names[(status, codes)] = name
    for key, response in marked:
        response["content"]["application/json"]["schema"] = {
            "$ref": f"#/components/schemas/{names[key]}"
        }
