"""Issue 19: the OpenAPI schema is a contract a frontend can generate from.

The responses themselves are checked against it by the autouse fixture in
backend/conftest.py (common.tests.contract); these tests check the document.
"""

from pathlib import Path

import pytest
import yaml
from django.test import override_settings
from openapi_spec_validator import validate

from common.errors import error_code_values, error_codes, with_error_table
from common.exceptions import DomainError
from common.fields import ID_SCHEMA
from common.tests.contract import spec

ROOT = Path(__file__).resolve().parents[3]
SCHEMA_FILE = ROOT / "docs" / "openapi.yaml"
API_GUIDE = ROOT / "docs" / "api.md"
REGENERATE = "run `.venv/bin/python scripts/api_contract.py` and commit the result"


def operations():
    for path, item in spec()["paths"].items():
        for method, operation in item.items():
            yield path, method, operation


def by_id():
    return {operation["operationId"]: operation for _, _, operation in operations()}


def test_the_schema_is_valid_openapi_3_1():
    validate(spec())
    assert spec()["openapi"] == "3.1.0"


@pytest.mark.django_db
def test_the_committed_schema_is_what_the_server_serves(client):
    served = client.get("/api/schema/")
    assert served.status_code == 200
    assert served.content.decode() == SCHEMA_FILE.read_text(), REGENERATE


def test_the_error_table_in_the_api_guide_is_generated():
    guide = API_GUIDE.read_text()
    assert with_error_table(guide) == guide, REGENERATE


def test_the_error_code_enum_is_read_from_every_domain_error():
    enum = spec()["components"]["schemas"]["ErrorCode"]["enum"]
    assert enum == error_code_values()
    walked = [DomainError]
    for error_class in walked:
        walked.extend(error_class.__subclasses__())
    assert {error_class.code for error_class in walked} <= set(enum)
    assert {"slot_unavailable", "statement_unreadable", "request_in_progress"} <= set(
        enum
    )
    error = spec()["components"]["schemas"]["Error"]
    assert error["properties"]["code"] == {"$ref": "#/components/schemas/ErrorCode"}


def test_a_new_domain_error_is_listed_without_touching_the_list():
    class ProbeError(DomainError):
        status_code = 418
        code = "probe_only_in_this_test"
        default_detail = "A probe."

    try:
        assert (418, "probe_only_in_this_test", "A probe.") in {
            (row.status, row.code, row.meaning) for row in error_codes()
        }
    finally:
        # Forget the probe class again, so later schema builds do not see it.
        del ProbeError
        import gc

        gc.collect()


def test_operation_ids_are_readable_and_every_operation_has_a_summary_and_tag():
    ids = [operation["operationId"] for _, _, operation in operations()]
    assert len(ids) == len(set(ids))
    assert {
        "bookings_create",
        "bookings_lookup",
        "bookings_lookup_cancel",
        "bookings_verify_payment",
        "bookings_cancel",
        "bookings_complete",
        "bookings_availability",
        "payments_imports_create",
        "payments_transactions_match",
    } <= set(ids)
    for path, method, operation in operations():
        assert operation.get("summary"), (method, path)
        assert "\n" not in operation["summary"]
        assert len(operation["tags"]) == 1, (method, path)
    tags = {operation["tags"][0] for _, _, operation in operations()}
    assert {"bookings", "services", "staff", "availability"} <= tags
    assert {"payments/imports", "payments/transactions"} <= tags


def test_request_bodies_are_json_except_the_file_upload():
    for path, method, operation in operations():
        content = operation.get("requestBody", {}).get("content", {})
        if operation["operationId"] == "payments_imports_create":
            assert list(content) == ["multipart/form-data"]
        elif content:
            assert list(content) == ["application/json"], (method, path)


def test_every_staff_write_documents_its_body():
    operations_by_id = by_id()
    for resource in ("availability", "services", "staff", "bookings"):
        for action in ("update", "partial_update"):
            body = operations_by_id[f"{resource}_{action}"]["requestBody"]
            assert body["content"]["application/json"]["schema"]["$ref"]
    for resource in ("availability", "services", "staff"):
        body = operations_by_id[f"{resource}_create"]["requestBody"]
        schema = body["content"]["application/json"]["schema"]["$ref"]
        assert schema.endswith("Request")
    slot = spec()["components"]["schemas"]["AvailabilityRequest"]
    assert {"staff", "start_time", "end_time"} <= set(slot["required"])


def test_operations_anyone_may_call_say_so():
    public = {
        "bookings_create",
        "bookings_lookup",
        "bookings_lookup_cancel",
        "bookings_lookup_reschedule",
        "bookings_availability",
        "bookings_availability_days",
        "services_list",
        "services_retrieve",
        "staff_list",
        "staff_retrieve",
        "availability_list",
        "availability_retrieve",
        "closures_days",
        "waitlist_create",
        "waitlist_leave",
        "waitlist_offer_show",
        "waitlist_offer_accept",
        "waitlist_offer_decline",
        "health",
        # Issue 30: a guest asks for their data, confirmed by an emailed link.
        "privacy_requests_create",
        "privacy_requests_confirm",
    }
    for operation_id, operation in by_id().items():
        anyone = {} in operation["security"]
        assert anyone == (operation_id in public), operation_id


def test_the_token_scheme_is_http_bearer_and_names_the_command():
    token = spec()["components"]["securitySchemes"]["tokenAuth"]
    assert token["type"] == "http" and token["scheme"] == "bearer"
    assert "createstaffuser" in token["description"]


def test_path_ids_are_the_one_id_type():
    for path, method, operation in operations():
        for parameter in operation.get("parameters", []):
            if parameter["in"] == "path":
                assert parameter["schema"] == ID_SCHEMA, (method, path)


def test_a_nullable_object_validates_as_nullable():
    booking = spec()["components"]["schemas"]["Booking"]
    instructions = booking["properties"]["payment_instructions"]
    assert {"type": "null"} in instructions["oneOf"]


def test_responses_differ_by_audience_and_name_every_field():
    schemas = spec()["components"]["schemas"]
    assert [s["$ref"] for s in schemas["StaffForAudience"]["oneOf"]] == [
        "#/components/schemas/Staff",
        "#/components/schemas/PublicStaff",
    ]
    assert {"email", "phone", "is_active"} <= set(schemas["Staff"]["properties"])
    assert schemas["PublicStaff"]["additionalProperties"] is False
    assert schemas["GuestBooking"]["additionalProperties"] is False


@pytest.mark.parametrize(
    "union, staff_shape, public_shape",
    [
        ("ServiceForAudience", "Service", "PublicService"),
        ("StaffForAudience", "Staff", "PublicStaff"),
        ("SlotForAudience", "Availability", "BookableSlot"),
    ],
)
def test_audience_unions_are_told_apart_by_a_discriminator(
    union, staff_shape, public_shape
):
    schemas = spec()["components"]["schemas"]
    ref = "#/components/schemas/"
    assert schemas[union]["discriminator"] == {
        "propertyName": "audience",
        "mapping": {"staff": ref + staff_shape, "public": ref + public_shape},
    }
    for shape, audience in ((staff_shape, "staff"), (public_shape, "public")):
        assert schemas[shape]["properties"]["audience"]["const"] == audience
        assert "audience" in schemas[shape]["required"]


@pytest.mark.django_db
@pytest.mark.parametrize("url", ["/api/services/", "/api/staff/", "/api/availability/"])
def test_each_body_names_its_audience(url, api_client, staff_client, slot):
    for client, audience in ((api_client, "public"), (staff_client, "staff")):
        results = client.get(url).json()["results"]
        assert results
        assert {body["audience"] for body in results} == {audience}


def test_errors_statuses_and_headers_are_declared():
    for path, method, operation in operations():
        responses = operation["responses"]
        # What any request may meet; the rest is per operation
        # (test_error_codes_per_operation.py).
        assert {"400", "406", "500", "503"} <= set(responses), (method, path)
        if method in ("post", "put", "patch", "delete"):
            assert {"409", "413"} <= set(responses), (method, path)
        if "429" in responses:
            assert responses["429"]["headers"]["Retry-After"]["required"] is True
    create = by_id()["bookings_create"]["responses"]
    assert "Idempotent-Replayed" in create["201"]["headers"]
    assert "Retry-After" in create["409"]["headers"]
    assert create["503"]["headers"]["Retry-After"]["required"] is True


# --- every URL under /api/ answers JSON --------------------------------------------


@pytest.mark.django_db
@pytest.mark.parametrize("debug", [False, True])
@pytest.mark.parametrize(
    "path", ["/api/bookings/abc/", "/api/no-such-thing/", "/api/services/1x/"]
)
def test_unknown_and_malformed_api_urls_answer_json(client, debug, path):
    with override_settings(DEBUG=debug):
        response = client.get(path, HTTP_ACCEPT="application/json")
    assert response.status_code == 404
    assert response["Content-Type"] == "application/json"
    assert response.json() == {"code": "not_found", "detail": "Not found."}


@pytest.mark.django_db
def test_a_browser_still_gets_the_debug_page(client):
    with override_settings(DEBUG=True):
        response = client.get("/api/bookings/abc/", HTTP_ACCEPT="text/html")
    assert response.status_code == 404
    assert response["Content-Type"].startswith("text/html")


@pytest.mark.django_db
def test_an_unexpected_error_under_debug_is_json_too(monkeypatch):
    from rest_framework.test import APIClient

    from apps.services import views

    def broken(**kwargs):
        raise RuntimeError("a bug")

    monkeypatch.setattr(views, "service_list", broken)
    client = APIClient(raise_request_exception=False)
    with override_settings(DEBUG=True):
        response = client.get("/api/services/", HTTP_ACCEPT="application/json")
    assert response.status_code == 500
    assert response.json()["code"] == "server_error"
    assert "a bug" not in response.content.decode()


# --- CORS for the guest frontend ----------------------------------------------------


@pytest.mark.django_db
@override_settings(CORS_ALLOWED_ORIGINS=["https://shop.example"])
def test_cors_lets_the_website_send_an_idempotency_key_and_read_retry_headers(
    client, guest_payload
):
    preflight = client.options(
        "/api/bookings/",
        HTTP_ORIGIN="https://shop.example",
        HTTP_ACCESS_CONTROL_REQUEST_METHOD="POST",
        HTTP_ACCESS_CONTROL_REQUEST_HEADERS="content-type, idempotency-key",
    )
    assert preflight.status_code == 200
    allowed = preflight["Access-Control-Allow-Headers"].lower()
    assert "idempotency-key" in allowed and "content-type" in allowed
    response = client.post(
        "/api/bookings/",
        data=guest_payload,
        content_type="application/json",
        HTTP_ORIGIN="https://shop.example",
        HTTP_IDEMPOTENCY_KEY="k-1",
    )
    assert response.status_code == 201
    assert response["Access-Control-Allow-Origin"] == "https://shop.example"
    exposed = {h.strip() for h in response["Access-Control-Expose-Headers"].split(",")}
    assert {"Retry-After", "Idempotent-Replayed"} <= exposed


@pytest.mark.django_db
@override_settings(CORS_ALLOWED_ORIGINS=["https://shop.example"])
def test_cors_allows_no_other_origin(client):
    preflight = client.options(
        "/api/bookings/",
        HTTP_ORIGIN="https://evil.example",
        HTTP_ACCESS_CONTROL_REQUEST_METHOD="POST",
        HTTP_ACCESS_CONTROL_REQUEST_HEADERS="idempotency-key",
    )
    assert "Access-Control-Allow-Origin" not in preflight


# --- the browsable API keeps working with JSON-only bodies --------------------------


@pytest.mark.django_db
def test_the_browsable_api_offers_a_json_form(staff_client):
    response = staff_client.get("/api/services/", HTTP_ACCEPT="text/html")
    assert response.status_code == 200
    page = response.content.decode()
    assert 'name="_content"' in page or 'id="id__content"' in page
    assert "application/json" in page
    assert "application/x-www-form-urlencoded" not in page


def test_the_yaml_file_parses_to_the_same_document():
    assert yaml.safe_load(SCHEMA_FILE.read_text()) == spec()


def test_read_only_usernames_do_not_carry_the_username_input_help():
    """Issue 34: `imported_by` and the like said "Required. 150 characters or
    fewer..." (Django's help for typing a username), though they are read-only."""
    text = SCHEMA_FILE.read_text()
    assert "150 characters or fewer" not in text
    imported_by = spec()["components"]["schemas"]["BankStatementImport"]["properties"]
    assert imported_by["imported_by"]["readOnly"] is True
