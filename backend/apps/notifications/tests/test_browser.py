"""A manager in a real browser: failed emails, sent again; a feed URL, rotated."""

import pytest
from django.contrib.auth.models import Permission
from django.db import connection

from apps.bookings.tests.factories import StaffUserFactory
from apps.notifications import services
from apps.notifications.models import Notification

pytestmark = pytest.mark.django_db(transaction=True)

MANAGER_PERMISSIONS = [
    "view_notification",
    "resend_notification",
    "view_staffcalendarfeed",
    "rotate_calendar_token",
]


@pytest.fixture
def manager():
    # An earlier test may have ended this thread's database session from the
    # server side (test_concurrency's outage tests); start with a fresh one.
    connection.close()
    user = StaffUserFactory(username="manager")
    user.user_permissions.add(
        *Permission.objects.filter(codename__in=MANAGER_PERMISSIONS)
    )
    return user


def log_in(page, live_server, username):
    page.goto(f"{live_server.url}/admin/login/")
    page.fill("#id_username", username)
    page.fill("#id_password", "pass-word-123")
    page.click("input[type=submit]")


@pytest.mark.parametrize("width", [1280, 390])
def test_a_manager_sends_a_failed_email_again(
    live_server,
    browser_page,
    manager,
    width,
):
    failed = Notification.objects.create(
        kind="booking_created",
        recipient="joana@example.com",
        subject="Your booking ABCD2345",
        body_text="Hello",
        status="failed",
        attempts=8,
        last_error="SMTPRecipientsRefused: mailbox unavailable",
    )
    page = browser_page
    page.set_viewport_size({"width": width, "height": 900})
    log_in(page, live_server, "manager")
    page.goto(f"{live_server.url}/admin/notifications/notification/")
    page.locator("#changelist-filter a", has_text="Failed").click()
    assert "status__exact=failed" in page.url
    row = page.locator("#result_list tbody tr", has_text="joana@example.com")
    assert "mailbox unavailable" in row.inner_text()
    row.locator("input.action-select").check()
    page.select_option("select[name=action]", "send_again")
    page.click("button[name=index]")
    assert "queued to be sent again" in page.locator("ul.messagelist").inner_text()
    failed.refresh_from_db()
    assert (failed.status, failed.attempts) == ("queued", 0)
    assert page.csp_violations == []


def test_a_manager_rotates_a_calendar_feed(
    live_server,
    browser_page,
    manager,
    staff_member,
):
    feed = services.staff_calendar_feed_rotate(staff=staff_member)
    page = browser_page
    log_in(page, live_server, "manager")
    page.goto(f"{live_server.url}/admin/notifications/staffcalendarfeed/")
    row = page.locator("#result_list tbody tr", has_text=staff_member.name)
    url = row.locator("code").inner_text()
    path = f"/api/staff/{staff_member.pk}/calendar.ics?token={feed.token}"
    assert url == f"{live_server.url}{path}"
    assert page.request.get(url).status == 200
    row.locator("input.action-select").check()
    page.select_option("select[name=action]", "rotate_tokens")
    page.click("button[name=index]")
    assert "rotated" in page.locator("ul.messagelist").inner_text()
    assert page.request.get(url).status == 404
    assert page.csp_violations == []
