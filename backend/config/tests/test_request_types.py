"""Issue 34, the rest of the request side: what Schemathesis's positive and
negative data checks found against a live server (test_schemathesis_live.py),
each pinned here by a test that failed before its change."""

import pytest
from openapi_schema_validator import OAS31Validator
from rest_framework.test import APIClient

from apps.availability.tests.factories import AvailabilityFactory
from apps.bookings.tests.factories import StaffUserFactory
from apps.services.models import Service
from apps.services.tests.factories import ServiceFactory
from apps.staff.tests.factories import StaffFactory
from common.tests.contract import spec

pytestmark = pytest.mark.django_db


@pytest.fixture
def manager():
    client = APIClient()
    client.force_authenticate(StaffUserFactory(role="manager"))
    return client


def _field_error(response, field):
    assert response.status_code == 400, response.content
    body = response.json()
    assert field in body["errors"], body
    return body


@pytest.mark.parametrize("value", ["null", "1", "0", "True", "yes"])
@pytest.mark.parametrize(
    "url, name",
    [
        ("/api/services/", "is_active"),
        ("/api/staff/", "is_active"),
        ("/api/webhooks/", "enabled"),
        ("/api/closures/", "business"),
    ],
)
def test_a_boolean_filter_takes_only_true_or_false(manager, url, name, value):
    _field_error(manager.get(url, {name: value}), name)


def test_a_boolean_filter_filters(manager):
    ServiceFactory(is_active=True)
    ServiceFactory(is_active=False)
    for value, expected in (("true", True), ("false", False)):
        results = manager.get("/api/services/", {"is_active": value}).json()
        assert [row["is_active"] for row in results["results"]] == [expected]


@pytest.mark.parametrize(
    "url, name",
    [
        ("/api/bookings/", "staff"),
        ("/api/availability/", "service"),
        ("/api/availability/", "staff"),
        ("/api/working-hours/", "staff"),
    ],
)
def test_an_unknown_id_in_a_staff_list_filter_matches_nothing(manager, url, name):
    AvailabilityFactory(staff=StaffFactory(services=[ServiceFactory()]))
    response = manager.get(url, {name: 999999})
    assert response.status_code == 200, response.content
    assert response.json()["results"] == []
    _field_error(manager.get(url, {name: 0}), name)


@pytest.mark.parametrize(
    "url, body, field",
    [
        (
            "/api/services/",
            {"name": "Cut", "duration_minutes": 30, "price": "10.00", "description": 0},
            "description",
        ),
        ("/api/staff/", {"name": 5}, "name"),
        ("/api/staff/", {"name": "Ana", "services": {}}, "services"),
        ("/api/privacy/erasures/", {"email": "a@example.com", "reason": 0}, "reason"),
    ],
)
def test_text_and_lists_are_not_coerced_from_other_json_types(
    manager, url, body, field
):
    _field_error(manager.post(url, body, format="json"), field)
    assert not Service.objects.filter(name="Cut").exists()


def test_a_cancel_flag_is_a_json_boolean(manager, booking):
    response = manager.post(
        f"/api/bookings/{booking.pk}/cancel/", {"notify_guest": 0}, format="json"
    )
    _field_error(response, "notify_guest")


def test_an_integral_float_is_an_integer_id(manager):
    service = ServiceFactory()
    response = manager.post(
        "/api/staff/", {"name": "Ana", "services": [float(service.pk)]}, format="json"
    )
    assert response.status_code == 201, response.content
    assert response.json()["services"] == [service.pk]


def test_a_blank_contact_is_refused_as_the_schema_says(api_client, booking):
    response = api_client.post(
        "/api/bookings/lookup/",
        {"reference": booking.reference, "email": ""},
        format="json",
    )
    _field_error(response, "email")


def test_a_filter_refusing_blank_values_lists_no_blank_choice():
    parameters = spec()["paths"]["/api/payments/transactions/"]["get"]["parameters"]
    refund = next(p for p in parameters if p["name"] == "refund_status")
    assert "" not in refund["schema"]["enum"]
    deliveries = spec()["paths"]["/api/webhooks/deliveries/"]["get"]["parameters"]
    event_type = next(p for p in deliveries if p["name"] == "event_type")
    assert event_type["schema"]["minLength"] == 1


def test_a_waitlist_time_is_hh_mm_as_its_pattern_says(api_client, service):
    schema = spec()["components"]["schemas"]["WaitlistJoinRequest"]
    assert "format" not in schema["properties"]["time_from"]
    assert schema["properties"]["time_from"]["pattern"].startswith("^(?:[01]")
    response = api_client.post(
        "/api/waitlist/", {"time_from": "09:00:00Z"}, format="json"
    )
    _field_error(response, "time_from")


def test_the_fill_horizon_bounds_are_in_the_schema():
    field = spec()["components"]["schemas"]["FillHorizonRequest"]["properties"]
    assert (field["horizon_days"]["minimum"], field["horizon_days"]["maximum"]) == (
        1,
        366,
    )


@pytest.mark.parametrize(
    "url, query, field",
    [
        ("/api/availability/", {"source": "AAA"}, "source"),
        ("/api/availability/", {"is_booked": "maybe"}, "is_booked"),
        ("/api/bookings/availability/", {"date": ""}, "date"),
    ],
)
def test_a_guest_query_the_schema_forbids_is_refused(api_client, url, query, field):
    _field_error(api_client.get(url, query), field)


@pytest.mark.parametrize(
    "body, allowed",
    [
        ({}, False),
        ({"email": ""}, False),
        ({"email": "", "phone": "  ", "access_token": ""}, False),
        ({"phone": "+351 912 345 678"}, True),
        ({"email": "", "phone": "+351 912 345 678"}, True),
        ({"email": "joana@example.com"}, True),
        ({"access_token": "abc"}, True),
    ],
)
@pytest.mark.parametrize(
    "url, schema_name",
    [
        ("/api/bookings/lookup/", "GuestLookupRequest"),
        ("/api/bookings/lookup/cancel/", "GuestCancelRequest"),
    ],
)
def test_email_phone_or_token_is_in_the_schema_as_the_server_reads_it(
    api_client, booking, url, schema_name, body, allowed
):
    """One of them, not blank: the schema says it (`not` all blank), so
    Schemathesis holds these operations to it without an exemption."""
    body = {"reference": booking.reference, **body}
    schema = {
        "$ref": f"#/components/schemas/{schema_name}",
        "components": spec()["components"],
    }
    validator = OAS31Validator(schema, format_checker=OAS31Validator.FORMAT_CHECKER)
    assert validator.is_valid(body) is allowed
    response = api_client.post(url, body, format="json")
    if allowed:
        assert response.status_code != 400, response.content
    else:
        _field_error(response, "email")


def test_a_reference_of_spaces_is_blank_in_the_schema_too(api_client):
    """The server trims it to "" and refuses it; `minLength: 1` let it by."""
    field = spec()["components"]["schemas"]["GuestLookupRequest"]["properties"]
    assert not OAS31Validator(field["reference"]).is_valid("\t")
    response = api_client.post(
        "/api/bookings/lookup/",
        {"reference": "\t", "access_token": "abc"},
        format="json",
    )
    _field_error(response, "reference")
