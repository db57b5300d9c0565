"""Issue 19: a Python client generated from the schema runs the real flows.

openapi-python-client (pinned in requirements.txt) generates a client from
docs/openapi.yaml (which test_contract keeps equal to what /api/schema/
serves), once per test session; every generated module must import, and the
guest flow (slots -> book -> look up -> cancel) and a staff action (verify a
payment, with the `Token` prefix) run through it against a live server.
"""

import importlib
import os
import pkgutil
import subprocess
import sys
import uuid
from pathlib import Path

import pytest
from django.utils import timezone
from knox.models import AuthToken

from apps.bookings.models import Booking
from apps.bookings.tests.factories import StaffUserFactory, unpaid_booking

SCHEMA_FILE = Path(__file__).resolve().parents[3] / "docs" / "openapi.yaml"
PACKAGE = "doceamor_client"


@pytest.fixture(scope="session")
def generated_client(tmp_path_factory):
    """Generate the client package once per session and import every module."""
    out = tmp_path_factory.mktemp("generated")
    bin_dir = Path(sys.executable).parent
    subprocess.run(
        [
            str(bin_dir / "openapi-python-client"),
            "generate",
            "--path",
            str(SCHEMA_FILE),
            "--meta",
            "none",
            "--output-path",
            str(out / PACKAGE),
        ],
        check=True,
        capture_output=True,
        # The generator formats its output with ruff, from the same venv.
        env={**os.environ, "PATH": f"{bin_dir}{os.pathsep}{os.environ['PATH']}"},
        timeout=120,
    )
    sys.path.insert(0, str(out))
    try:
        package = importlib.import_module(PACKAGE)
        modules = [
            importlib.import_module(module.name)
            for module in pkgutil.walk_packages(package.__path__, f"{PACKAGE}.")
        ]
        yield package, modules
    finally:
        sys.path.remove(str(out))


def test_every_generated_module_imports(generated_client):
    _, modules = generated_client
    names = {module.__name__ for module in modules}
    for operation in (
        "bookings.bookings_create",
        "bookings.bookings_lookup",
        "bookings.bookings_lookup_cancel",
        "bookings.bookings_verify_payment",
        "availability.availability_create",
    ):
        assert f"{PACKAGE}.api.{operation}" in names
    assert len(modules) > 50


@pytest.mark.django_db(transaction=True)
def test_guest_flow_and_staff_verify_payment_through_the_generated_client(
    generated_client, live_server, service, slot
):
    from doceamor_client import AuthenticatedClient, Client
    from doceamor_client.api.bookings import (
        bookings_availability,
        bookings_create,
        bookings_lookup,
        bookings_lookup_cancel,
        bookings_verify_payment,
    )
    from doceamor_client.api.services import services_list
    from doceamor_client.models import (
        BookingCreateRequest,
        BookingStatusEnum,
        Error401AuthenticationFailedNotAuthenticated,
        Error401AuthenticationFailedNotAuthenticatedCode,
        GuestCancelRequest,
        GuestLookupRequest,
        PaymentInstructions,
        PublicService,
    )

    guest = Client(base_url=live_server.url, raise_on_unexpected_status=True)

    services = services_list.sync(client=guest)
    assert [type(s) for s in services.results] == [PublicService]
    assert services.results[0].audience == "public"
    slots = bookings_availability.sync(
        client=guest, service=service.pk, date=timezone.localdate(slot.start_time)
    )
    assert [s.id for s in slots.results] == [slot.pk]

    created = bookings_create.sync_detailed(
        client=guest,
        body=BookingCreateRequest(
            service=service.pk,
            availability=slot.pk,
            staff=None,
            customer_name="Joana Silva",
            customer_email="joana@example.com",
            customer_phone="+351 912 345 678",
        ),
        idempotency_key=str(uuid.uuid4()),
    )
    assert created.status_code == 201
    booking = created.parsed
    assert booking.status == BookingStatusEnum.AWAITING_PAYMENT
    assert isinstance(booking.payment_instructions, PaymentInstructions)

    proof = {"reference": booking.reference, "email": "JOANA@example.com"}
    found = bookings_lookup.sync(client=guest, body=GuestLookupRequest(**proof))
    assert found.reference == booking.reference
    assert found.status == BookingStatusEnum.AWAITING_PAYMENT

    cancelled = bookings_lookup_cancel.sync(
        client=guest, body=GuestCancelRequest(**proof, reason="Plans changed")
    )
    assert cancelled.status == BookingStatusEnum.CANCELLED
    assert cancelled.payment_instructions is None
    assert Booking.objects.get(pk=booking.id).status == Booking.Status.CANCELLED

    # Staff: verify the payment of another booking with a token.
    unpaid = unpaid_booking(service, slot)
    desk = StaffUserFactory(role="desk")
    _, key = AuthToken.objects.create(user=desk)
    wrong = AuthenticatedClient(base_url=live_server.url, token=key + "x")
    refused = bookings_verify_payment.sync_detailed(id=unpaid.pk, client=wrong)
    assert refused.status_code == 401
    # The operation's own 401 schema: its code enum names only 401's codes.
    assert isinstance(refused.parsed, Error401AuthenticationFailedNotAuthenticated)
    assert (
        refused.parsed.code
        == Error401AuthenticationFailedNotAuthenticatedCode.AUTHENTICATION_FAILED
    )
    assert {
        code.value for code in Error401AuthenticationFailedNotAuthenticatedCode
    } == {
        "authentication_failed",
        "not_authenticated",
    }

    # The generator's default: the schema's http bearer scheme.
    staff = AuthenticatedClient(base_url=live_server.url, token=key)
    verified = bookings_verify_payment.sync_detailed(id=unpaid.pk, client=staff)
    assert verified.status_code == 200
    assert verified.parsed.status == BookingStatusEnum.CONFIRMED
    assert verified.parsed.payment_instructions is None
    assert verified.parsed.payment_verified_by == desk.username
    assert Booking.objects.get(pk=unpaid.pk).status == Booking.Status.CONFIRMED
