"""Fixtures shared by every app's tests."""

import os
import shutil
import sys
from datetime import timedelta
from pathlib import Path

import pytest
from django.db import close_old_connections, connection
from django.test.client import Client
from django.utils import timezone
from hypothesis import settings as hypothesis_settings
from rest_framework.test import APIClient

from apps.availability.tests.factories import AvailabilityFactory
from apps.bookings.tests.factories import (
    StaffUserFactory,
    UserFactory,
    unpaid_booking,
)
from apps.services.tests.factories import ServiceFactory
from apps.staff.tests.factories import StaffFactory
from common.tests import contract
from common.tests.connections import replace_dead_connection

# CI replays the same generated examples every run, so a red run is
# reproducible; local runs draw new ones and keep exploring.
hypothesis_settings.register_profile("ci", derandomize=True, database=None)
if os.environ.get("CI"):
    hypothesis_settings.load_profile("ci")


def pytest_collection_modifyitems(config, items):
    on_postgresql = connection.vendor == "postgresql"
    for item in items:
        wants_postgresql = item.get_closest_marker(
            "postgresql_only"
        ) or item.get_closest_marker("topology")
        if wants_postgresql and not on_postgresql:
            item.add_marker(
                pytest.mark.skip(reason="needs PostgreSQL; set DATABASE_URL")
            )


@pytest.fixture(autouse=True)
def api_contract(monkeypatch):
    """Every response under /api/ that any test gets is checked against the
    OpenAPI schema (common.tests.contract); a violation fails that test."""
    send = Client.request

    def request_and_validate(self, **request):
        response = send(self, **request)
        contract.validate(response)
        return response

    monkeypatch.setattr(Client, "request", request_and_validate)


def pytest_terminal_summary(terminalreporter):
    count = contract.validated["responses"]
    if count:
        terminalreporter.write_line(
            f"API contract: {count} responses validated against the OpenAPI schema"
        )


@pytest.fixture
def service(db):
    return ServiceFactory(duration_minutes=60)


@pytest.fixture
def staff_member(db, service):
    return StaffFactory(services=[service])


@pytest.fixture
def slot(db, staff_member):
    """A free, one-hour slot tomorrow of a staff member offering `service`."""
    start = timezone.now().replace(microsecond=0) + timedelta(days=1)
    return AvailabilityFactory(
        staff=staff_member, start_time=start, end_time=start + timedelta(hours=1)
    )


@pytest.fixture
def guest_payload(service, slot):
    return {
        "service": service.pk,
        "availability": slot.pk,
        "customer_name": "Joana Silva",
        "customer_email": "joana@example.com",
        "customer_phone": "+351 912 345 678",
    }


@pytest.fixture
def api_client():
    return APIClient()


@pytest.fixture
def staff_user(db):
    return StaffUserFactory()


@pytest.fixture(autouse=True)
def _fresh_business_settings():
    """Each test reads the business settings afresh (a process keeps them a
    few seconds, and a test's rows roll back)."""
    from apps.business.selectors import forget

    forget()
    yield
    forget()


@pytest.fixture
def at_start():
    """Travel to a booking's start: a booking is completed only once it began."""
    import time_machine

    def travel(booking):
        return time_machine.travel(booking.availability.start_time, tick=True)

    return travel


@pytest.fixture
def staff_client(staff_user):
    client = APIClient()
    client.force_authenticate(staff_user)
    return client


@pytest.fixture
def user_client(db):
    client = APIClient()
    client.force_authenticate(UserFactory())
    return client


@pytest.fixture
def booking(service, slot):
    """An unpaid booking of `slot`, made through the domain layer."""
    return unpaid_booking(service, slot)


class ThrottleClock:
    """The throttles' clock, held still so a test never straddles a window."""

    # 15.5 s into a minute (and an hour): a minute window has
    # 44.5 s left, which Retry-After rounds up to 45.
    def __init__(self):
        self.now = 1_800_000_000 + 15.5

    def advance(self, seconds):
        self.now += seconds


@pytest.fixture
def throttle_clock(monkeypatch):
    from apps.ratelimits.throttles import FixedWindowThrottle

    clock = ThrottleClock()
    monkeypatch.setattr(FixedWindowThrottle, "timer", lambda self: clock.now)
    return clock


@pytest.fixture
def admin_client(client):
    """The Django test client, logged in to the admin as a superuser."""
    client.force_login(StaffUserFactory(is_superuser=True))
    return client


# --- a real browser -------------------------------------------------------------------

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]


@pytest.fixture
def browser(monkeypatch):
    """Debian's Chromium driven by Playwright (never a downloaded browser).

    Without Chromium the test skips with the reason, except under CI=true,
    where `.ci/run` installs it and a missing browser is a failure.
    """
    if CHROMIUM is None:
        message = "Chromium is not installed (apt-get install chromium)"
        if os.environ.get("CI") == "true":
            pytest.fail(message)
        pytest.skip(message)
    # The database-outage tests terminate other sessions on PostgreSQL; a
    # browser test touches the ORM before any request would reconnect, so it
    # starts by letting a dead connection be replaced (CONN_HEALTH_CHECKS).
    replace_dead_connection()
    close_old_connections()
    # Playwright's sync API runs an event loop in this thread; the test's own
    # ORM calls between browser steps are still synchronous and safe.
    monkeypatch.setenv("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(
            executable_path=CHROMIUM, args=CHROMIUM_ARGS
        )
        yield launched
        launched.close()


@pytest.fixture
def browser_page(browser):
    """A page that records every Content-Security-Policy violation it meets."""
    # Again under Playwright's event loop: Django's connection there is not
    # the one the browser fixture saw before starting it (asgiref's Local
    # follows the context), and an outage test may have killed its session.
    replace_dead_connection()
    page = browser.new_page()
    page.set_default_timeout(15000)
    page.csp_violations = []
    page.on(
        "console",
        lambda message: (
            page.csp_violations.append(f"{page.url}: {message.text}")
            if "Content Security Policy" in message.text
            else None
        ),
    )
    yield page
    page.close()


# --- the production topology: PgBouncer, HAProxy, Redis on loopback -------------------

CLUSTER_SCRIPTS = Path(__file__).resolve().parent.parent / "scripts" / "cluster"


@pytest.fixture
def topology():
    """scripts/cluster/topology.py. A missing Debian package (pgbouncer,
    haproxy, redis-server) skips the test with the reason, except under
    CI=true, where `.ci/run` installs them and a missing one is a failure."""
    if str(CLUSTER_SCRIPTS) not in sys.path:
        sys.path.insert(0, str(CLUSTER_SCRIPTS))
    import topology as tools

    missing = [
        tool
        for tool in (tools.PGBOUNCER, tools.HAPROXY, tools.REDIS_SERVER)
        if not os.access(tool, os.X_OK)
    ]
    if missing:
        message = (
            f"not installed: {', '.join(missing)}"
            " (apt-get install pgbouncer haproxy redis-server)"
        )
        if os.environ.get("CI") == "true":
            pytest.fail(message)
        pytest.skip(message)
    return tools
