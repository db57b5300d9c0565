"""/api/services/: public and staff views of services."""

import pytest

from apps.services.models import Service
from apps.services.tests.factories import ServiceFactory
from apps.staff.models import Staff
from apps.staff.tests.factories import StaffFactory
from common.tests.assertions import assert_error

pytestmark = pytest.mark.django_db


def test_public_service_and_staff_lists_hide_inactive_and_private_fields(
    api_client, service, staff_member
):
    ServiceFactory(is_active=False, name="Retired")
    StaffFactory(is_active=False, name="Gone", services=[service])
    inactive_service = ServiceFactory(is_active=False)
    staff_member.services.add(inactive_service)

    services_data = api_client.get("/api/services/").json()["results"]
    assert [s["id"] for s in services_data] == [service.pk]
    assert set(services_data[0]) == {
        "audience",
        "id",
        "name",
        "description",
        "duration_minutes",
        "price",
        "is_active",
    }
    staff_data = api_client.get("/api/staff/").json()["results"]
    assert staff_data == [
        {
            "audience": "public",
            "id": staff_member.pk,
            "name": staff_member.name,
            "services": [service.pk],
        }
    ]
    assert services_data[0]["audience"] == "public"
    assert api_client.get(f"/api/services/{inactive_service.pk}/").status_code == 404


def test_deleting_a_service_in_use_is_409_not_500(staff_client, booking):
    response = staff_client.delete(f"/api/services/{booking.service_id}/")
    assert_error(response, 409, "in_use")
    assert Service.objects.filter(pk=booking.service_id).exists()
    response = staff_client.delete(f"/api/staff/{booking.staff_id}/")
    assert_error(response, 409, "in_use")
    assert Staff.objects.filter(pk=booking.staff_id).exists()


@pytest.mark.parametrize(
    "payload",
    [
        {"name": "X", "duration_minutes": 0, "price": "10.00"},
        {"name": "X", "duration_minutes": 30, "price": "-1"},
        {"name": "X", "duration_minutes": 30, "price": "1e20"},
        {"name": "", "duration_minutes": 30, "price": "10"},
    ],
)
def test_invalid_services_are_400(staff_client, payload):
    assert_error(staff_client.post("/api/services/", payload), 400, "invalid")
    assert not Service.objects.exists()
