"""Issue 34: each operation documents the error statuses and codes it can
really answer with, so a client narrows errors per operation and a response
with a code its operation does not declare fails the contract check (which
every test's responses go through, backend/conftest.py)."""

import re

import pytest

from apps.bookings import services as booking_services
from apps.bookings.exceptions import SlotUnavailable
from common.errors import domain_error_classes, error_code_values
from common.tests import contract
from common.tests.contract import spec


def operation(path, method):
    return spec()["paths"][path][method]


def error_codes(op, status):
    ref = op["responses"][status]["content"]["application/json"]["schema"]["$ref"]
    schema = spec()["components"]["schemas"][ref.rsplit("/", 1)[1]]
    return set(schema["properties"]["code"]["enum"])


def test_the_health_check_documents_only_what_it_can_answer():
    health = operation("/api/health/", "get")
    # No authentication, throttle, path id or body: no 401/403/404/409/429.
    assert set(health["responses"]) == {"200", "400", "406", "500", "503"}
    assert error_codes(health, "400") == {"bad_request", "too_many_fields"}


def test_creating_a_booking_documents_exactly_its_conflicts():
    create = operation("/api/bookings/", "post")
    assert error_codes(create, "409") == {
        "conflict",
        "request_in_progress",
        "slot_unavailable",
        "too_many_unpaid_bookings",
    }
    assert {"slot_in_past", "slot_too_soon", "staff_mismatch", "invalid"} <= (
        error_codes(create, "400")
    )
    assert "booking_immutable" not in error_codes(create, "409")
    assert "404" not in create["responses"]  # no id in the path, no pages
    assert error_codes(create, "422") == {"idempotency_key_reused"}


def test_a_transition_documents_its_own_conflicts_not_the_create_ones():
    complete = operation("/api/bookings/{id}/complete/", "post")
    assert error_codes(complete, "409") == {
        "booking_not_started",
        "conflict",
        "invalid_transition",
    }
    assert error_codes(complete, "404") == {"not_found"}
    assert error_codes(complete, "401") == {
        "authentication_failed",
        "not_authenticated",
    }


def test_reads_anyone_may_call_do_not_document_not_authenticated():
    services = operation("/api/services/", "get")
    assert "not_authenticated" not in error_codes(services, "401")
    assert "409" not in services["responses"]
    assert "413" not in services["responses"]


def test_every_error_response_names_its_codes_and_only_known_ones():
    known = set(error_code_values())
    for path, item in spec()["paths"].items():
        for method, op in item.items():
            for status, response in op["responses"].items():
                schema = response.get("content", {}).get("application/json", {})
                ref = schema.get("schema", {}).get("$ref", "")
                if not re.search(r"Error\d{3}", ref):
                    continue
                codes = error_codes(op, status)
                assert codes <= known, (method, path, status)
                listed = set(re.findall(r"`([a-z_]+)`", response["description"]))
                assert codes <= listed, (method, path, status)


def test_every_domain_error_is_declared_by_some_operation():
    """A domain error no handler declares would be answered undocumented."""
    schemas = spec()["components"]["schemas"]
    declared = set()
    for item in spec()["paths"].values():
        for op in item.values():
            for response in op["responses"].values():
                media = response.get("content", {}).get("application/json", {})
                ref = media.get("schema", {}).get("$ref", "")
                code = schemas.get(ref.rsplit("/", 1)[-1], {}).get("properties", {})
                declared |= _enum(code.get("code", {}), schemas)
    # Raised only by the admin and commands, never through the API.
    outside_the_api = {"notification_not_failed"}
    missing = {
        error.code
        for error in domain_error_classes()
        if error.code not in declared and error.code not in outside_the_api
    }
    assert not missing


def _enum(schema, schemas):
    schema = (schema.get("allOf") or [schema])[0]
    if "$ref" in schema:
        schema = schemas[schema["$ref"].rsplit("/", 1)[-1]]
    return set(schema.get("enum", []))


@pytest.mark.django_db
def test_a_code_the_operation_does_not_declare_fails_the_contract_check(
    monkeypatch, staff_client, booking
):
    """Completing a booking cannot answer `slot_unavailable`; if the server
    did, every test that saw it would fail."""

    def refuse(**kwargs):
        raise SlotUnavailable()

    monkeypatch.setattr(booking_services, "booking_complete", refuse)
    with pytest.raises(contract.ContractViolation, match="slot_unavailable"):
        staff_client.post(f"/api/bookings/{booking.pk}/complete/")


@pytest.mark.django_db
def test_a_declared_conflict_passes_the_contract_check(
    staff_client, guest_payload, booking
):
    """The same check passes the codes an operation declares (slot taken)."""
    guest_payload["availability"] = booking.availability_id
    response = staff_client.post("/api/bookings/", guest_payload, format="json")
    assert response.status_code == 409
    assert response.json()["code"] == "slot_unavailable"
