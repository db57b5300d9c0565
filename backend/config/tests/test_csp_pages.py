"""Every page works under the Content-Security-Policy: no violation in a browser."""

import pytest

from apps.bookings.tests.factories import StaffUserFactory

pytestmark = pytest.mark.django_db(transaction=True)

ANONYMOUS_PAGES = [
    "/",
    "/admin/login/",
    "/api-auth/login/",
    "/api/",
    "/api/services/",
    "/api/docs/",
    "/api/redoc/",
]
STAFF_PAGES = [
    "/admin/",
    "/admin/bookings/booking/",
    "/admin/bookings/booking/desk/",
    "/admin/payments/bankstatementimport/import/",
    "/admin/notifications/notification/",
    "/admin/availability/availability/add/",
    "/admin/availability/availability/generate/",
    "/api/",
    "/api/bookings/",
]


def test_pages_load_without_csp_violations(live_server, browser_page, booking):
    page = browser_page
    for path in ANONYMOUS_PAGES:
        response = page.goto(f"{live_server.url}{path}")
        assert response.status < 400, path
        page.wait_for_load_state("networkidle")
    StaffUserFactory(username="boss", is_superuser=True)
    page.goto(f"{live_server.url}/admin/login/")
    page.fill("#id_username", "boss")
    page.fill("#id_password", "pass-word-123")
    page.click("input[type=submit]")
    page.wait_for_url(f"{live_server.url}/admin/")
    for path in STAFF_PAGES:
        response = page.goto(f"{live_server.url}{path}")
        assert response.status < 400, path
        page.wait_for_load_state("networkidle")
    assert page.csp_violations == []
    # The browsable API's logout works without script.
    page.goto(f"{live_server.url}/api/bookings/")
    page.click("button:has-text('Log out')")
    page.wait_for_load_state("networkidle")
    assert page.goto(f"{live_server.url}/api/bookings/").status in (401, 403)
    assert page.csp_violations == []


def test_a_violation_would_be_seen(live_server, browser_page):
    """The check above can fail: an inline script on a page is reported."""
    page = browser_page
    page.goto(f"{live_server.url}/admin/login/")
    page.evaluate(
        "() => { const s = document.createElement('script');"
        " s.textContent = 'window.injected = 1'; document.body.appendChild(s); }"
    )
    page.wait_for_timeout(200)
    assert page.evaluate("() => window.injected") is None
    assert page.csp_violations, "the inline script should have been refused"
