"""The API contract check: every response a test sees, against the schema.

An autouse fixture (backend/conftest.py) wraps Django's test client, which
APIClient extends, so every request any test makes under /api/ has its
response validated by openapi-core against the generated schema: the status
must be documented for the operation, the body must match its schema (which
forbids undocumented fields), and declared headers must be present and
well-formed. Headers the API sets for clients to read (Retry-After,
Idempotent-Replayed) must also be declared where they appear. A path or
method the schema does not list may only answer the documented error body
(404, or 405 with `Allow`). A streamed file is checked for its status and
media type, not read.
"""

import re
import threading
from functools import cache

import yaml
from openapi_core import OpenAPI
from openapi_core.testing import MockRequest, MockResponse
from openapi_schema_validator import OAS31Validator

from common.schema import schema_document

HOST = "http://testserver"
SKIPPED_PREFIXES = ("/api/schema/", "/api/docs/", "/api/redoc/")
# The staff calendar feed answers text/calendar for calendar apps, not JSON:
# documented in docs/api.md, not an OpenAPI operation (like /api/docs/).
SKIPPED_PATHS = re.compile(r"/api/staff/\d+/calendar\.ics")
# The router's index of links for the browsable API: not an operation.
API_ROOT = "/api/"
CHECKED_HEADERS = ("Retry-After", "Idempotent-Replayed")
validated = {"responses": 0}


class ContractViolation(AssertionError):
    pass


# Tests that send requests from several threads at once reach these caches
# together; drf-spectacular's schema generation is not safe to run in
# parallel, so the first build happens under a lock.
_BUILDING = threading.RLock()


def spec() -> dict:
    with _BUILDING:
        return _spec()


def openapi() -> OpenAPI:
    with _BUILDING:
        return _openapi()


@cache
def _spec() -> dict:
    return yaml.safe_load(schema_document())


@cache
def _openapi() -> OpenAPI:
    return OpenAPI.from_dict(spec())


def _path_patterns() -> list[tuple[re.Pattern, str]]:
    with _BUILDING:
        return _compiled_path_patterns()


@cache
def _compiled_path_patterns() -> list[tuple[re.Pattern, str]]:
    # Literal paths first: /api/bookings/lookup/ is not /api/bookings/{id}/.
    templates = sorted(spec()["paths"], key=lambda template: template.count("{"))
    return [
        (re.compile("^" + re.sub(r"\{[^}]+\}", "[^/]+", template) + "$"), template)
        for template in templates
    ]


def _template_for(path: str) -> str | None:
    for pattern, template in _path_patterns():
        if pattern.match(path):
            return template
    return None


def _validate_error_body(response, context: str) -> None:
    schema = {"$ref": "#/components/schemas/Error", "components": spec()["components"]}
    if not response.get("Content-Type", "").startswith("application/json"):
        raise ContractViolation(f"{context}: not JSON ({response.get('Content-Type')})")
    errors = list(OAS31Validator(schema).iter_errors(response.json()))
    if errors:
        raise ContractViolation(f"{context}: {errors[0].message}")


def _wants_html(request) -> bool:
    return "text/html" in request.headers.get("Accept", "") or (
        request.GET.get("format") == "api"
    )


# Files a view answers whole rather than streamed (the SEPA refunds file).
FILE_TYPES = {"application/xml"}


def _validate_streamed(response, operation, content_type: str, context: str):
    """A file (an export, streamed or not): its status and media type must be
    documented, as a binary body; the bytes are left to the test to read."""
    documented = operation["responses"].get(str(response.status_code))
    if documented is None:
        raise ContractViolation(f"{context}: undocumented status")
    media = documented.get("content", {}).get(content_type)
    if media is None or media.get("schema", {}).get("format") != "binary":
        raise ContractViolation(f"{context}: undocumented file type {content_type}")
    validated["responses"] += 1


def validate(response) -> None:
    request = response.wsgi_request
    path, method = request.path, request.method.lower()
    if (
        not path.startswith("/api/")
        or path == API_ROOT
        or path.startswith(SKIPPED_PREFIXES)
        or SKIPPED_PATHS.fullmatch(path)
        or method in ("head", "options")
        or _wants_html(request)
    ):
        return
    context = f"{request.method} {request.get_full_path()} -> {response.status_code}"
    template = _template_for(path)
    if template is None:
        if response.status_code not in (404, 308):
            raise ContractViolation(f"{context}: undocumented path")
        _validate_error_body(response, context)
        validated["responses"] += 1
        return
    operations = spec()["paths"][template]
    if method not in operations:
        if response.status_code != 405:
            raise ContractViolation(f"{context}: undocumented method")
        _validate_error_body(response, context)
        allowed = {m.strip().lower() for m in response.get("Allow", "").split(",")}
        if not set(operations) <= allowed:
            raise ContractViolation(f"{context}: Allow {response.get('Allow')!r}")
        validated["responses"] += 1
        return
    content_type = response.get("Content-Type", "").split(";")[0]
    if response.streaming or content_type in FILE_TYPES:
        _validate_streamed(response, operations[method], content_type, context)
        return
    mock_request = MockRequest(HOST, method, path, args=dict(request.GET.items()))
    mock_response = MockResponse(
        response.content,
        status_code=response.status_code,
        headers=dict(response.items()),
        content_type=content_type,
    )
    errors = list(openapi().iter_response_errors(mock_request, mock_response))
    if errors:
        details = "; ".join(
            f"{error}: {getattr(error, '__cause__', '') or ''}" for error in errors
        )
        raise ContractViolation(f"{context}: {details}\n{response.content[:2000]!r}")
    documented = operations[method]["responses"].get(str(response.status_code), {})
    for header in CHECKED_HEADERS:
        if header in response and header not in documented.get("headers", {}):
            raise ContractViolation(f"{context}: undeclared header {header}")
    validated["responses"] += 1
