"""A person at the front desk, in a real browser (Playwright + Debian Chromium).

The browser comes from the `browser_page` fixture (backend/conftest.py).
"""

import io
import re

import pytest
from django.core.management import call_command

from apps.availability.selectors import availability_bookable
from apps.bookings.models import Booking
from apps.bookings.tests.factories import StaffUserFactory, unpaid_booking
from apps.services.models import Service

pytestmark = pytest.mark.django_db(transaction=True)


def test_front_desk_verifies_a_payment_in_the_admin(
    live_server, browser_page, service, slot
):
    desk = StaffUserFactory(username="desk", is_superuser=True)
    booking = unpaid_booking(service, slot)
    page = browser_page

    page.goto(f"{live_server.url}/admin/login/")
    page.fill("#id_username", "desk")
    page.fill("#id_password", "pass-word-123")
    page.click("input[type=submit]")
    page.goto(
        f"{live_server.url}/admin/bookings/booking/?status__exact=awaiting_payment"
    )
    row = page.locator("#result_list tbody tr", has_text=booking.reference)
    assert row.count() == 1
    row.locator("input.action-select").check()
    page.select_option("select[name=action]", "verify_payment")
    page.click("button[name=index]")

    assert "1 booking confirmed." in page.locator("ul.messagelist").inner_text()
    booking.refresh_from_db()
    assert booking.status == Booking.Status.CONFIRMED
    assert booking.payment_verified_by == desk
    page.goto(f"{live_server.url}/admin/bookings/booking/{booking.pk}/change/")
    assert "Confirmed" in page.locator(".field-status").inner_text()

    # Refused twice: the second run of the action shows why, not a 500.
    page.goto(f"{live_server.url}/admin/bookings/booking/")
    page.locator("#result_list tbody tr", has_text=booking.reference).locator(
        "input.action-select"
    ).check()
    page.select_option("select[name=action]", "verify_payment")
    page.click("button[name=index]")
    assert "cannot become 'confirmed'" in page.locator("ul.messagelist").inner_text()


def test_front_desk_verifies_a_payment_in_the_browsable_api(
    live_server, browser_page, service, slot
):
    StaffUserFactory(username="desk")
    booking = unpaid_booking(service, slot, customer_email="guest2@example.com")
    page = browser_page
    action_url = f"/api/bookings/{booking.pk}/verify-payment/"

    page.goto(f"{live_server.url}/api-auth/login/?next={action_url}")
    page.fill("#id_username", "desk")
    page.fill("#id_password", "pass-word-123")
    page.click("#submit-id-submit")
    page.wait_for_url(f"**{action_url}")
    page.locator(
        "form[action='" + action_url + "'] button", has_text="POST"
    ).first.click()

    page.wait_for_selector("text=HTTP 200 OK")
    assert '"status": "confirmed"' in page.locator(".response-info").inner_text()
    booking.refresh_from_db()
    assert booking.status == Booking.Status.CONFIRMED


def test_demo_desk_verifies_on_the_desk_and_cannot_edit_services(
    live_server, browser_page, settings
):
    settings.BOOKING_DEMO_STAFF_USER = True
    out = io.StringIO()
    call_command("seed_demo", "--days", "3", stdout=out)
    password = re.search(r"'demo-desk' with password '([^']+)'", out.getvalue())[1]
    service = Service.objects.get(name="Classic manicure")
    slot = availability_bookable(service_id=service.pk).first()
    booking = unpaid_booking(service, slot)
    page = browser_page

    page.goto(f"{live_server.url}/admin/login/")
    page.fill("#id_username", "demo-desk")
    page.fill("#id_password", password)
    page.click("input[type=submit]")
    page.click("#desk-link a.section")
    row = page.locator("#desk-unpaid tr", has_text=booking.reference)
    row.locator("button[value=verify]").click()
    assert (
        f"{booking.reference}: confirmed."
        in page.locator("ul.messagelist").inner_text()
    )
    booking.refresh_from_db()
    assert booking.status == Booking.Status.CONFIRMED
    assert booking.payment_verified_by.username == "demo-desk"

    # At a phone's width the desk still works (its tables scroll sideways).
    page.set_viewport_size({"width": 390, "height": 844})
    page.goto(f"{live_server.url}/admin/bookings/booking/desk/")
    assert page.locator("#desk-unpaid h2").is_visible()

    # The service page opens read-only: no form fields, no save button; the
    # add form is refused.
    page.goto(f"{live_server.url}/admin/services/service/{service.pk}/change/")
    assert page.locator("input[name=name]").count() == 0
    assert page.locator("input[name=_save]").count() == 0
    response = page.goto(f"{live_server.url}/admin/services/service/add/")
    assert response.status == 403
