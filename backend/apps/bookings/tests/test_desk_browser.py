"""The front desk's day in a real browser (issue 28), as the Front desk role, at
a phone's width (390 px) and a desk's (1280 px), never scrolling sideways: a
phone booking paid at the desk, search by phone, the week view, a reschedule
through the calendar picker, Cancel of a paid booking with a reason and a
refund owed, and Complete refused before the start.

`DESK_SCREENSHOTS=1` also writes the pages' screenshots to docs/img/.
"""

import os
from datetime import timedelta
from pathlib import Path

import pytest
from django.utils import timezone

from apps.availability.models import Availability
from apps.availability.tests.factories import AvailabilityFactory
from apps.bookings.models import Booking
from apps.bookings.tests.factories import StaffUserFactory
from apps.notifications.models import Notification
from common.tests.connections import replace_dead_connection

pytestmark = pytest.mark.django_db(transaction=True)

DOCS_IMG = Path(__file__).resolve().parents[4] / "docs" / "img"


@pytest.fixture(autouse=True)
def _fresh_connection():
    """Start on a new database connection: a transactional test before this
    one (the PostgreSQL outage tests) may have terminated the old session,
    and the fixtures below write before the browser fixture would renew it."""
    replace_dead_connection()


def no_sideways_scroll(page, width):
    scroll_width = page.evaluate("document.documentElement.scrollWidth")
    assert scroll_width <= width, f"{page.url} is {scroll_width} px wide at {width}"


def shot(page, name, width):
    if os.environ.get("DESK_SCREENSHOTS") == "1":
        page.screenshot(path=str(DOCS_IMG / f"desk-{name}-{width}.png"), full_page=True)


@pytest.fixture
def day_of_slots(service, staff_member):
    """Tomorrow 09:00-13:00 in hours for the staff member; returns the day."""
    day = timezone.localdate() + timedelta(days=2)
    start = timezone.make_aware(
        timezone.datetime.combine(day, timezone.datetime.min.time())
    ) + timedelta(hours=9)
    for hour in range(4):
        AvailabilityFactory(
            staff=staff_member,
            start_time=start + timedelta(hours=hour),
            end_time=start + timedelta(hours=hour + 1),
        )
    return day


@pytest.mark.parametrize("width", [390, 1280])
def test_the_front_desk_day(
    live_server, browser_page, service, staff_member, day_of_slots, width
):
    StaffUserFactory(username="desk", role="desk")
    page = browser_page
    page.set_viewport_size({"width": width, "height": 900})
    url = live_server.url

    page.goto(f"{url}/admin/login/")
    page.fill("#id_username", "desk")
    page.fill("#id_password", "pass-word-123")
    page.click("input[type=submit]")
    page.click("#desk-link a.section")
    no_sideways_scroll(page, width)

    # A phone booking, paid in cash at the desk.
    page.click("#desk-new")
    page.select_option("#id_service", str(service.pk))
    page.fill("#id_day", day_of_slots.isoformat())
    page.click("button[name=show]")
    times = page.locator("#desk-free-times input[type=radio]")
    assert times.count() == 4
    no_sideways_scroll(page, width)
    times.nth(1).check()
    page.fill("#id_customer_name", "Rosa Lima")
    page.fill("#id_customer_phone", "912 000 111")
    page.fill("#id_customer_email", "rosa@example.com")
    page.check("input[name=payment][value=cash]")
    shot(page, "new-booking", width)
    page.click("input[name=book]")
    assert "confirmed, paid" in page.locator("ul.messagelist").inner_text()
    booking = Booking.objects.get(customer_name="Rosa Lima")
    assert booking.status == Booking.Status.CONFIRMED
    assert booking.payment_verified_by.username == "desk"
    paid = booking.events.last()
    assert (paid.kind, paid.actor.username, paid.data) == (
        "payment_verified",
        "desk",
        {"method": "cash"},
    )
    assert Notification.objects.filter(
        booking=booking,
        kind=Notification.Kind.PAYMENT_CONFIRMED,
        recipient="rosa@example.com",
    ).exists()
    no_sideways_scroll(page, width)

    # Search by phone, typed another way.
    page.goto(f"{url}/admin/bookings/booking/desk/")
    page.fill("#desk-reference", "+351912000111")
    page.click("#desk-find input[type=submit]")
    assert page.locator("#desk-found tr", has_text=booking.reference).count() == 1
    page.goto(f"{url}/admin/bookings/booking/desk/?reference=912+000+111")
    assert page.locator("#desk-found tr", has_text=booking.reference).count() == 1
    no_sideways_scroll(page, width)
    shot(page, "search", width)

    # The week view: the booking and the free gaps around it.
    page.click("#desk-week-link")
    page.select_option("#desk-week-staff", str(staff_member.pk))
    page.fill("#desk-week-start", day_of_slots.isoformat())
    page.click("#desk-week-form input[type=submit]")
    day_box = page.locator(f"#desk-week-{day_of_slots.isoformat()}")
    assert booking.reference in day_box.inner_text()
    gaps = day_box.locator("tr.desk-gap")
    assert gaps.count() == 2  # 09:00-10:00 before it, 11:00-13:00 after
    assert "11:00" in gaps.nth(1).inner_text() and "13:00" in gaps.nth(1).inner_text()
    no_sideways_scroll(page, width)
    shot(page, "week", width)

    # Complete is refused before the appointment starts.
    page.goto(f"{url}/admin/bookings/booking/{booking.pk}/complete/")
    assert page.locator("#desk-not-started").is_visible()
    page.click("#desk-complete-form input[type=submit]")
    assert "has not started yet" in page.locator("ul.messagelist").inner_text()
    booking.refresh_from_db()
    assert booking.status == Booking.Status.CONFIRMED

    # Reschedule through the calendar picker: the day, then a free time.
    page.goto(f"{url}/admin/bookings/booking/{booking.pk}/reschedule/")
    page.fill("#id_day", day_of_slots.isoformat())
    page.click("#desk-reschedule-day button")
    target = page.locator("#desk-free-times label", has_text="12:00")
    target.locator("input").check()
    no_sideways_scroll(page, width)
    shot(page, "reschedule", width)
    page.click("#desk-reschedule-form input[type=submit]")
    assert "rescheduled" in page.locator("ul.messagelist").inner_text()
    booking.refresh_from_db()
    assert timezone.localtime(booking.availability.start_time).hour == 12

    # Cancel the paid booking: a reason, a refund owed, the guest told.
    page.goto(f"{url}/admin/bookings/booking/desk/?reference=Rosa")
    page.locator("#desk-found a", has_text=booking.reference).click()
    page.goto(f"{url}/admin/bookings/booking/{booking.pk}/cancel/")
    page.check("input[name=reason_choice][value='The guest is ill.']")
    page.fill("#id_reason_text", "Called at 9.")
    page.check("#id_refund_due")
    no_sideways_scroll(page, width)
    shot(page, "cancel", width)
    page.click("#desk-cancel-form input[type=submit]")
    assert "A refund is due." in page.locator("ul.messagelist").inner_text()
    booking.refresh_from_db()
    assert booking.status == Booking.Status.CANCELLED
    assert booking.refund_due is True
    assert booking.cancel_reason == "The guest is ill. Called at 9."
    assert booking.events.last().actor.username == "desk"
    assert not Availability.objects.filter(
        pk=booking.availability_id, is_booked=True
    ).exists()
    shot(page, "desk", width)
    assert page.csp_violations == []
