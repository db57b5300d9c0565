"""Schemathesis fuzzes every operation of the project's own OpenAPI schema.

Anonymous and as a staff user: no input may produce a 5xx, and every
response must match the schema (status code, content type, body). Example
counts are bounded so CI stays fast.
"""

from datetime import timedelta

import pytest
import schemathesis
from django.core.handlers.wsgi import WSGIHandler
from django.utils import timezone
from hypothesis import HealthCheck, settings
from knox.models import AuthToken
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from apps.availability.tests.factories import AvailabilityFactory
from apps.bookings import services
from apps.bookings.tests.factories import StaffUserFactory
from apps.services.tests.factories import ServiceFactory
from apps.staff.tests.factories import StaffFactory

CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_schema_conformance,
]
FUZZ_SETTINGS = settings(
    max_examples=15,
    deadline=None,
    database=None,
    suppress_health_check=list(HealthCheck),
)


@pytest.fixture
def fuzz_world(transactional_db):
    """A few rows, with low ids, so generated ids sometimes hit real objects."""
    service = ServiceFactory()
    staff = StaffFactory(services=[service])
    slots = [AvailabilityFactory(staff=staff) for _ in range(3)]
    services.booking_create(
        service_id=service.pk,
        availability_id=slots[0].pk,
        customer_name="Guest",
        customer_email="guest@example.com",
        customer_phone="912345678",
        now=timezone.now() - timedelta(minutes=1),
    )
    _, key = AuthToken.objects.create(user=StaffUserFactory())
    return {"Authorization": f"Token {key}"}


# Loaded at import: serving the schema needs no database. (Schemathesis's
# lazy `from_fixture` loader does not work with pytest 9.)
schema = schemathesis.openapi.from_wsgi("/api/schema/", WSGIHandler())


@schema.parametrize()
@FUZZ_SETTINGS
def test_anonymous_requests_conform_and_never_5xx(case, fuzz_world):
    case.call_and_validate(checks=CHECKS)


@schema.parametrize()
@FUZZ_SETTINGS
def test_staff_requests_conform_and_never_5xx(case, fuzz_world):
    case.call_and_validate(headers=fuzz_world, checks=CHECKS)
