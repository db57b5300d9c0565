"""The waiting list's pages in a real browser (Playwright + Debian Chromium):
a guest joins from the form, then books the offered time from the email's link."""

import re
from datetime import timedelta

import pytest
from django.db import close_old_connections
from django.utils import timezone

from apps.availability.tests.factories import AvailabilityFactory
from apps.bookings.models import Booking
from apps.bookings.services import booking_cancel
from apps.bookings.tests.factories import unpaid_booking
from apps.frontend.tests.test_guest_page_browser import new_page  # noqa: F401
from apps.notifications.models import Notification
from apps.services.tests.factories import ServiceFactory
from apps.staff.tests.factories import StaffFactory
from apps.waitlist.models import WaitlistEntry
from apps.waitlist.services import waitlist_offer_due

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.mark.parametrize("width", [1280, 375])
def test_a_guest_joins_then_books_the_offered_time(new_page, live_server, width):  # noqa: F811
    close_old_connections()
    service = ServiceFactory(name="Pedicure", duration_minutes=60, price="30.00")
    staff = StaffFactory(name="Ana Sousa", services=[service])
    start = timezone.now().replace(microsecond=0, second=0) + timedelta(days=1)
    slot = AvailabilityFactory(
        staff=staff, start_time=start, end_time=start + timedelta(hours=1)
    )
    taken = unpaid_booking(service, slot)
    page = new_page(width=width, height=900)

    page.goto(f"{live_server.url}/booking/waitlist/?lang=en")
    page.wait_for_selector(f"#service option[value='{service.pk}']", state="attached")
    page.select_option("#service", str(service.pk))
    page.fill("#name", "Rita Sousa")
    page.fill("#email", "rita@example.com")
    page.fill("#phone", "+351 913 000 111")
    page.click("#join-button")
    page.wait_for_selector("#join-messages .notice-success")

    entry = WaitlistEntry.objects.get()
    assert (entry.email, entry.service_id, entry.language) == (
        "rita@example.com",
        service.pk,
        "en",
    )
    booking_cancel(booking=taken, actor=None, reason="")
    waitlist_offer_due()
    body = Notification.objects.get(kind="waitlist_offer").body_text
    link = re.search(r"http://\S+/booking/offer/\?token=[\w-]+", body)[0]

    page.goto(link.replace("http://127.0.0.1:8000", live_server.url))
    page.wait_for_selector("#offer-actions:not([hidden])")
    assert "Pedicure" in page.inner_text("#offer-details")
    page.click("#accept-button")
    page.wait_for_selector("#offer-messages .notice-success")

    assert "Booked. Your reference is" in page.inner_text("#offer-messages")
    booked = Booking.objects.get(customer_email="rita@example.com")
    assert booked.availability_id == slot.pk and booked.status == "awaiting_payment"
