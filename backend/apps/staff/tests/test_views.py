"""/api/staff/: staff members as guests and staff see them."""

import pytest

from apps.services.tests.factories import ServiceFactory
from apps.staff.models import Staff
from apps.staff.tests.factories import StaffFactory

pytestmark = pytest.mark.django_db


def test_staff_see_inactive_records_and_filter_them(staff_client, service):
    retired = ServiceFactory(is_active=False)
    StaffFactory(is_active=False)
    ids = [s["id"] for s in staff_client.get("/api/services/").json()["results"]]
    assert set(ids) == {service.pk, retired.pk}
    inactive = staff_client.get("/api/services/?is_active=false").json()["results"]
    assert [s["id"] for s in inactive] == [retired.pk]
    staff = staff_client.get("/api/staff/?is_active=false").json()["results"]
    assert len(staff) == 1 and "email" in staff[0]


def test_staff_manage_services_and_staff(staff_client, service):
    response = staff_client.post(
        "/api/staff/",
        {"name": "Dora", "email": "dora@example.com", "services": [service.pk]},
    )
    assert response.status_code == 201, response.content
    dora = Staff.objects.get(pk=response.json()["id"])
    assert list(dora.services.all()) == [service]
    response = staff_client.patch(f"/api/services/{service.pk}/", {"is_active": False})
    assert response.status_code == 200
    service.refresh_from_db()
    assert not service.is_active
