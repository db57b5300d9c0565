"""Issue 34: the schema says exactly what the server accepts.

Each test here failed before its change: ids typed as bigints and taken as
strings, a token scheme generators could not send, a cookie scheme that made
them send the token twice, an HTML 301 for a missing trailing slash, and a
file response without a media type.
"""

import pytest
from django.test import override_settings
from knox.models import AuthToken
from rest_framework.test import APIClient

from apps.availability.tests.factories import AvailabilityFactory
from apps.bookings import services
from apps.bookings.tests.factories import StaffUserFactory
from apps.services.tests.factories import ServiceFactory
from apps.staff.tests.factories import StaffFactory
from common.fields import ID_SCHEMA, LARGEST_ID
from common.tests.contract import spec


def walk(node, path=()):
    if isinstance(node, dict):
        yield path, node
        for key, value in node.items():
            yield from walk(value, (*path, key))
    elif isinstance(node, list):
        for index, value in enumerate(node):
            yield from walk(value, (*path, index))


def test_no_integer_in_the_schema_is_beyond_what_javascript_holds():
    for path, node in walk(spec()):
        assert node.get("format") != "int64", path
        assert node.get("maximum", 0) <= LARGEST_ID, path


def test_request_and_response_ids_share_one_type():
    schemas = spec()["components"]["schemas"]
    create = schemas["BookingCreateRequest"]["properties"]
    booking = schemas["Booking"]["properties"]
    for name in ("service", "availability"):
        assert {k: create[name][k] for k in ID_SCHEMA} == ID_SCHEMA
    for name in ("id", "service", "staff"):
        assert {k: booking[name][k] for k in ID_SCHEMA} == ID_SCHEMA
    reschedule = schemas["BookingRescheduleRequest"]["properties"]["availability"]
    assert {k: reschedule[k] for k in ID_SCHEMA} == ID_SCHEMA


@pytest.mark.django_db
@pytest.mark.parametrize("as_sent", ["{id}", "{id}.0", True])
def test_a_create_takes_ids_only_as_json_numbers(as_sent):
    service = ServiceFactory()
    slot = AvailabilityFactory(staff=StaffFactory(services=[service]))
    sent = as_sent if as_sent is True else as_sent.format(id=service.pk)
    response = APIClient().post(
        "/api/bookings/",
        {
            "service": sent,
            "availability": slot.pk,
            "customer_name": "Ana",
            "customer_email": "ana@example.com",
            "customer_phone": "+351912345678",
        },
        format="json",
    )
    assert response.status_code == 400, response.content
    assert list(response.json()["errors"]) == ["service"]
    slot.refresh_from_db()
    assert not slot.is_booked


@pytest.mark.django_db
def test_a_reschedule_takes_the_slot_id_only_as_a_json_number():
    service = ServiceFactory()
    staff = StaffFactory(services=[service])
    booked, free = AvailabilityFactory(staff=staff), AvailabilityFactory(staff=staff)
    booking = services.booking_create(
        service_id=service.pk,
        availability_id=booked.pk,
        customer_name="Ana",
        customer_email="ana@example.com",
        customer_phone="+351912345678",
    )
    client = APIClient()
    client.force_authenticate(StaffUserFactory(role="desk"))
    url = f"/api/bookings/{booking.pk}/reschedule/"
    response = client.post(url, {"availability": str(free.pk)}, format="json")
    assert response.status_code == 400, response.content
    assert list(response.json()["errors"]) == ["availability"]
    booking.refresh_from_db()
    assert booking.availability_id == booked.pk
    moved = client.post(url, {"availability": free.pk}, format="json")
    assert moved.status_code == 200, moved.content


@pytest.mark.django_db
@pytest.mark.parametrize("prefix", ["Bearer", "Token", "bearer"])
def test_a_staff_token_is_accepted_as_bearer_and_as_token(prefix):
    _, key = AuthToken.objects.create(user=StaffUserFactory(role="desk"))
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"{prefix} {key}")
    assert client.get("/api/bookings/").status_code == 200


@pytest.mark.django_db
def test_a_wrong_or_malformed_token_is_a_401_that_names_bearer():
    _, key = AuthToken.objects.create(user=StaffUserFactory(role="desk"))
    for header in (f"Bearer {key}x", "Bearer", f"Bearer {key} extra"):
        client = APIClient()
        client.credentials(HTTP_AUTHORIZATION=header)
        response = client.get("/api/bookings/")
        assert response.status_code == 401, header
        assert response["WWW-Authenticate"] == "Bearer"


def test_only_the_token_scheme_is_in_the_contract():
    assert list(spec()["components"]["securitySchemes"]) == ["tokenAuth"]
    for _path, item in spec()["paths"].items():
        for operation in item.values():
            for requirement in operation["security"]:
                assert set(requirement) <= {"tokenAuth"}


@pytest.mark.django_db
@pytest.mark.parametrize("debug", [False, True])
@pytest.mark.parametrize("method", ["get", "post"])
def test_an_api_path_without_its_slash_is_a_json_308_to_the_right_one(method, debug):
    with override_settings(DEBUG=debug):
        response = getattr(APIClient(), method)(
            "/api/bookings?page=2", {} if method == "post" else None, format="json"
        )
    assert response.status_code == 308
    assert response["Location"] == "/api/bookings/?page=2"
    assert response["Content-Type"].startswith("application/json")
    assert response.json()["code"] == "trailing_slash_missing"


@pytest.mark.django_db
def test_a_path_outside_the_api_still_gets_djangos_redirect():
    response = APIClient().get("/admin")
    assert response.status_code == 301 and response["Location"] == "/admin/"


def test_the_document_names_its_server_and_licence():
    document = spec()
    assert document["servers"] and document["servers"][0]["url"]
    assert document["info"]["license"]["name"]


def test_every_response_with_a_body_names_its_media_type():
    for path, item in spec()["paths"].items():
        for method, operation in item.items():
            for status, response in operation["responses"].items():
                if status in ("204", "308"):
                    continue
                assert response.get("content"), (method, path, status)


@pytest.fixture
def manager():
    client = APIClient()
    client.force_authenticate(StaffUserFactory(role="manager"))
    return client


@pytest.mark.django_db
@pytest.mark.parametrize("key", ["a key", " ", "é", "x" * 256, "tab\there"])
def test_an_idempotency_key_is_visible_ascii_as_the_schema_says(key):
    service = ServiceFactory()
    slot = AvailabilityFactory(staff=StaffFactory(services=[service]))
    response = APIClient().post(
        "/api/bookings/",
        {
            "service": service.pk,
            "availability": slot.pk,
            "customer_name": "Ana",
            "customer_email": "ana@example.com",
            "customer_phone": "+351912345678",
        },
        format="json",
        HTTP_IDEMPOTENCY_KEY=key,
    )
    assert response.status_code == 400, response.content
    assert "Idempotency-Key" in response.json()["errors"]
    slot.refresh_from_db()
    assert not slot.is_booked
    header = next(
        p
        for p in spec()["paths"]["/api/bookings/"]["post"]["parameters"]
        if p["name"] == "Idempotency-Key"
    )
    assert header["schema"]["pattern"] == "^[!-~]{1,255}$"


@pytest.mark.django_db
@pytest.mark.parametrize("page_size", ["abc", "0", "101", "-1", "1.5", ""])
def test_a_page_size_outside_1_to_100_is_a_400_not_ignored(page_size):
    ServiceFactory()
    response = APIClient().get("/api/services/", {"page_size": page_size})
    assert response.status_code == 400, response.content
    assert list(response.json()["errors"]) == ["page_size"]
    assert APIClient().get("/api/services/", {"page_size": "100"}).status_code == 200


@pytest.mark.django_db
def test_ordering_takes_only_the_listed_fields(manager):
    ServiceFactory(name="B", price="10.00")
    ServiceFactory(name="A", price="30.00")
    ordered = manager.get("/api/services/", {"ordering": "-price,name"})
    assert [s["name"] for s in ordered.json()["results"]] == ["A", "B"]
    for wrong in ("colour", "name,colour", "", "--name", "customer_email"):
        response = manager.get("/api/services/", {"ordering": wrong})
        assert response.status_code == 400, (wrong, response.content)
        assert list(response.json()["errors"]) == ["ordering"]
    parameter = next(
        p
        for p in spec()["paths"]["/api/services/"]["get"]["parameters"]
        if p["name"] == "ordering"
    )
    assert "-price" in parameter["schema"]["items"]["enum"]


@pytest.mark.django_db
def test_a_filter_given_without_a_value_is_a_400(manager):
    response = manager.get("/api/bookings/", {"date": "", "status": ""})
    assert response.status_code == 400, response.content
    assert set(response.json()["errors"]) == {"date", "status"}


@pytest.mark.django_db
@pytest.mark.parametrize(
    "changes",
    [
        {"price": 0},
        {"price": 25.5},
        {"price": ""},
        {"price": "-"},
        {"price": "-1.00"},
        {"price": "1e3"},
        {"price": "1.005"},
        {"is_active": 0},
        {"is_active": "yes"},
    ],
)
def test_money_is_a_string_and_flags_are_booleans(manager, changes):
    body = {"name": "Cut", "duration_minutes": 30, "price": "25.00", **changes}
    response = manager.post("/api/services/", body, format="json")
    assert response.status_code == 400, response.content
    assert list(response.json()["errors"]) == list(changes)


@pytest.mark.django_db
def test_a_well_formed_service_is_accepted(manager):
    body = {"name": "Cut", "duration_minutes": 30, "price": "25", "is_active": False}
    response = manager.post("/api/services/", body, format="json")
    assert response.status_code == 201, response.content
    assert response.json()["price"] == "25.00"


def test_every_relation_filter_is_the_one_id_type():
    found = 0
    for path, item in spec()["paths"].items():
        for method, operation in item.items():
            for parameter in operation.get("parameters", []):
                if parameter["in"] == "query" and parameter["name"] in (
                    "service",
                    "staff",
                    "endpoint",
                ):
                    found += 1
                    assert parameter["schema"] == ID_SCHEMA, (method, path)
    assert found >= 10


@pytest.mark.django_db
def test_an_id_filter_below_one_is_refused_the_same_way_for_everyone(manager):
    guest = APIClient().get("/api/bookings/availability/", {"service": "0"})
    staff = manager.get("/api/availability/", {"service": "0"})
    for response in (guest, staff):
        assert response.status_code == 400, response.content
        assert list(response.json()["errors"]) == ["service"]
