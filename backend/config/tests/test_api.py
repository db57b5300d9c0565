"""The API as a whole: who may call what, list budgets, the schema, error bodies."""

import pytest
from django.core.management import call_command
from django.db import connection
from django.test.utils import CaptureQueriesContext
from knox.models import AuthToken
from rest_framework.test import APIClient

from apps.availability.tests.factories import AvailabilityFactory
from apps.bookings.models import Booking
from apps.bookings.tests.factories import BookingFactory, StaffUserFactory
from apps.services.tests.factories import ServiceFactory
from apps.staff.tests.factories import StaffFactory
from common.tests.assertions import assert_error

pytestmark = pytest.mark.django_db


@pytest.fixture
def world(service, staff_member, slot, booking):
    return {
        "service": service.pk,
        "staff": staff_member.pk,
        "slot": slot.pk,
        "booking": booking.pk,
    }


STAFF_ONLY = [
    ("get", "/api/bookings/"),
    ("get", "/api/bookings/{booking}/"),
    ("patch", "/api/bookings/{booking}/"),
    ("put", "/api/bookings/{booking}/"),
    ("delete", "/api/bookings/{booking}/"),
    ("post", "/api/bookings/{booking}/verify-payment/"),
    ("post", "/api/bookings/{booking}/cancel/"),
    ("post", "/api/bookings/{booking}/complete/"),
    ("post", "/api/services/"),
    ("put", "/api/services/{service}/"),
    ("patch", "/api/services/{service}/"),
    ("delete", "/api/services/{service}/"),
    ("post", "/api/staff/"),
    ("put", "/api/staff/{staff}/"),
    ("patch", "/api/staff/{staff}/"),
    ("delete", "/api/staff/{staff}/"),
    ("post", "/api/availability/"),
    ("put", "/api/availability/{slot}/"),
    ("patch", "/api/availability/{slot}/"),
    ("delete", "/api/availability/{slot}/"),
]


PUBLIC_READS = [
    "/api/services/",
    "/api/services/{service}/",
    "/api/staff/",
    "/api/staff/{staff}/",
    "/api/availability/",
    "/api/bookings/availability/",
]


@pytest.mark.parametrize(("method", "url"), STAFF_ONLY)
def test_anonymous_gets_401_on_staff_endpoints(api_client, world, method, url):
    before = list(Booking.objects.values())
    response = getattr(api_client, method)(url.format(**world), {}, format="json")
    assert_error(response, 401, "not_authenticated")
    assert "results" not in response.json()
    assert list(Booking.objects.values()) == before


@pytest.mark.parametrize(("method", "url"), STAFF_ONLY)
def test_non_staff_users_get_403_on_staff_endpoints(user_client, world, method, url):
    before = list(Booking.objects.values())
    response = getattr(user_client, method)(url.format(**world), {}, format="json")
    assert_error(response, 403, "permission_denied")
    assert list(Booking.objects.values()) == before


@pytest.mark.parametrize(("method", "url"), STAFF_ONLY)
def test_staff_reach_every_staff_endpoint(staff_client, world, method, url):
    response = getattr(staff_client, method)(url.format(**world), {}, format="json")
    assert response.status_code not in (401, 403), response.content
    assert response.status_code < 500


@pytest.mark.parametrize("url", PUBLIC_READS)
@pytest.mark.parametrize("client_name", ["api_client", "user_client", "staff_client"])
def test_public_reads_are_open_to_everyone(request, world, url, client_name):
    client = request.getfixturevalue(client_name)
    assert client.get(url.format(**world)).status_code == 200


def test_token_authentication_for_staff(booking, staff_user):
    _, key = AuthToken.objects.create(user=staff_user)
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {key}")
    assert client.get("/api/bookings/").status_code == 200
    client.credentials(HTTP_AUTHORIZATION="Token wrong")
    assert client.get("/api/bookings/").status_code == 401


def test_session_login_for_the_browsable_api(booking):
    StaffUserFactory(username="desk")
    client = APIClient(enforce_csrf_checks=True)
    assert client.login(username="desk", password="pass-word-123")
    assert client.get("/api/bookings/").status_code == 200
    assert client.get("/api-auth/login/").status_code == 200


def _queries(client, url):
    with CaptureQueriesContext(connection) as captured:
        response = client.get(url)
    assert response.status_code == 200
    return len(captured)


@pytest.mark.parametrize(
    ("client_name", "url"),
    [
        ("staff_client", "/api/bookings/"),
        ("staff_client", "/api/availability/"),
        ("staff_client", "/api/services/"),
        ("staff_client", "/api/staff/"),
        ("api_client", "/api/availability/"),
        ("api_client", "/api/bookings/availability/"),
        ("api_client", "/api/services/"),
        ("api_client", "/api/staff/"),
    ],
)
def test_list_query_count_does_not_grow_with_page_size(request, client_name, url):
    client = request.getfixturevalue(client_name)
    service = ServiceFactory()
    for _ in range(30):
        member = StaffFactory(services=[service])
        BookingFactory(service=service, availability__staff=member)
        AvailabilityFactory(staff=member)
    # The first request loads the user's permissions (two queries, whatever
    # the page size), which the forced-authentication user object keeps.
    client.get(f"{url}?page_size=1")
    small = _queries(client, f"{url}?page_size=2")
    large = _queries(client, f"{url}?page_size=60")
    assert small == large
    assert large <= 4


def test_openapi_schema_is_valid(tmp_path):
    target = tmp_path / "schema.yml"
    call_command("spectacular", "--validate", "--fail-on-warn", "--file", str(target))
    schema = target.read_text()
    for path in (
        "/api/bookings/{id}/verify-payment/",
        "/api/bookings/{id}/cancel/",
        "/api/bookings/{id}/complete/",
        "/api/bookings/availability/",
    ):
        assert path in schema
    assert "Error:" in schema  # the shared error body is a component


def test_schema_and_docs_are_served(api_client):
    assert api_client.get("/api/schema/").status_code == 200
    assert api_client.get("/api/docs/").status_code == 200


def test_every_error_has_the_documented_shape(api_client, staff_client, guest_payload):
    cases = [
        (api_client.post("/api/bookings/", {}, format="json"), 400),
        (
            api_client.post("/api/bookings/", "{oops", content_type="application/json"),
            400,
        ),
        (api_client.get("/api/bookings/"), 401),
        (api_client.delete("/api/services/1/"), 401),
        (staff_client.get("/api/bookings/424242/"), 404),
        (staff_client.get("/api/bookings/not-an-id/"), 404),
        (api_client.get("/no/such/page/"), 404),
        (staff_client.post("/api/bookings/availability/"), 405),
    ]
    for response, status_code in cases:
        assert response.status_code == status_code
        body = response.json()
        assert set(body) <= {"code", "detail", "errors"}
        assert isinstance(body["code"], str) and isinstance(body["detail"], str)


def test_no_500_from_odd_input(api_client, staff_client, guest_payload, booking):
    odd_values = [None, "", "x" * 5000, -1, 10**20, [], {}, "2026-13-45", "\x00"]
    for field in guest_payload:
        for value in odd_values:
            response = api_client.post(
                "/api/bookings/", {**guest_payload, field: value}, format="json"
            )
            assert response.status_code in (400, 409), (field, value, response.content)
    for value in odd_values:
        response = staff_client.patch(
            f"/api/bookings/{booking.pk}/", {"status": value}, format="json"
        )
        assert response.status_code in (200, 400, 409), (value, response.content)
        response = staff_client.post(
            "/api/availability/",
            {"staff": value, "start_time": value, "end_time": value},
            format="json",
        )
        assert response.status_code == 400, (value, response.content)


@pytest.mark.parametrize(
    "query",
    [
        "/api/availability/?service=96074175189217562095347826688",
        "/api/availability/?staff=96074175189217562095347826688",
        "/api/bookings/?service=96074175189217562095347826688",
        "/api/bookings/?staff=-96074175189217562095347826688",
        "/api/bookings/availability/?service=96074175189217562095347826688",
        "/api/services/96074175189217562095347826688/",
    ],
)
def test_ids_beyond_the_integer_range_are_400_or_404_not_500(staff_client, query):
    # Found by Schemathesis: a NumberFilter passed the number to the database.
    response = staff_client.get(query)
    assert response.status_code in (400, 404), response.content


def test_schema_allows_the_creation_events_empty_from_status():
    # Found by Schemathesis: "" was not in the documented enum.
    from drf_spectacular.generators import SchemaGenerator

    schema = SchemaGenerator().get_schema(request=None, public=True)
    from_status = schema["components"]["schemas"]["BookingEvent"]["properties"][
        "from_status"
    ]
    allowed = [
        option["$ref"].rsplit("/", 1)[-1] for option in from_status.get("oneOf", [])
    ]
    assert "BlankEnum" in allowed
    assert schema["components"]["schemas"]["BlankEnum"]["enum"] == [""]


@pytest.mark.parametrize("client_name", ["api_client", "user_client", "staff_client"])
def test_the_api_root_answers_everyone(request, client_name):
    response = request.getfixturevalue(client_name).get("/api/")
    assert response.status_code == 200
    assert "bookings" in response.json()
