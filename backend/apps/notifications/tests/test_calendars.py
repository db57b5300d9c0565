"""Calendar invites (UID, SEQUENCE, METHOD, daylight saving) and the staff feed."""

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from django.contrib.auth.models import Permission
from django.core import mail
from django.test import override_settings
from django.utils import timezone
from icalendar import Calendar

from apps.availability.tests.factories import AvailabilityFactory
from apps.bookings import services as booking_services
from apps.bookings.tests.factories import BookingFactory, unpaid_booking
from apps.notifications import calendars, services
from apps.notifications.models import Notification, StaffCalendarFeed
from apps.notifications.tests.helpers import attached_calendar
from apps.notifications.tests.test_reminders import move

pytestmark = pytest.mark.django_db
LISBON = ZoneInfo("Europe/Lisbon")


def slot_at(staff_member, local: datetime):
    start = local.replace(tzinfo=LISBON)
    return AvailabilityFactory(
        staff=staff_member, start_time=start, end_time=start + timedelta(hours=1)
    )


@override_settings(BOOKING_TIMEZONE="Europe/Lisbon", TIME_ZONE="Europe/Lisbon")
def test_invites_carry_the_right_instant_across_a_daylight_saving_change(
    service, staff_member
):
    # Lisbon moves from UTC+0 to UTC+1 on 29 March 2026 at 01:00 UTC.
    before = BookingFactory(
        service=service, availability=slot_at(staff_member, datetime(2026, 3, 27, 10))
    )
    after = BookingFactory(
        service=service, availability=slot_at(staff_member, datetime(2026, 3, 30, 10))
    )
    now = datetime(2026, 3, 1, tzinfo=UTC)
    cases = (
        (before, 10, "WET", "DTSTART:20260327T100000Z"),
        (after, 9, "WEST", "DTSTART:20260330T090000Z"),
    )
    for booking, utc_hour, zone_name, raw_start in cases:
        calendar = Calendar.from_ical(
            calendars.booking_invite(
                booking, method=calendars.METHOD_REQUEST, sequence=0, now=now
            )
        )
        (event,) = calendar.walk("VEVENT")
        start = event.decoded("dtstart")
        assert start.utcoffset() == timedelta(0)
        assert (start.hour, start.minute) == (utc_hour, 0)
        assert event.decoded("dtend") - start == timedelta(hours=1)
        # The same 10:00 on the business's wall clock, named.
        assert start.astimezone(LISBON).hour == 10
        assert calendar["X-WR-TIMEZONE"] == "Europe/Lisbon"
        assert f"10:00 (Europe/Lisbon, {zone_name})" in str(event["description"])
        raw = calendars.booking_invite(
            booking, method=calendars.METHOD_REQUEST, sequence=0, now=now
        )
        assert raw_start in raw.decode()


def test_one_uid_from_confirmation_to_reschedule_to_cancellation(
    service, staff_member, staff_user
):
    first = slot_at(staff_member, datetime(2030, 6, 3, 10))
    booking = unpaid_booking(service, first)
    booking = booking_services.booking_verify_payment(booking=booking, actor=staff_user)
    new_slot = slot_at(staff_member, datetime(2030, 6, 5, 15))
    move(booking, new_slot)
    booking_services.booking_cancel(booking=booking, actor=staff_user, reason="Ill")
    services.notifications_send_due()
    by_subject = {m.subject.split(":")[0]: m for m in mail.outbox}
    invites = [
        attached_calendar(m)
        for m in mail.outbox
        if m.message().get_content_maintype() == "multipart"
    ]
    assert len(invites) == 3, list(by_subject)
    methods = [str(c["METHOD"]) for c in invites]
    events = [c.walk("VEVENT")[0] for c in invites]
    assert methods == ["REQUEST", "REQUEST", "CANCEL"]
    assert len({str(e["UID"]) for e in events}) == 1
    assert [e["SEQUENCE"] for e in events] == [0, 1, 2]
    assert events[1].decoded("dtstart") == new_slot.start_time
    assert str(events[2]["STATUS"]) == "CANCELLED"
    rescheduled = Notification.objects.get(kind="rescheduled")
    assert "has been moved" in rescheduled.body_text
    assert booking.customer_name not in rescheduled.body_text
    reminder = booking.reminders.get()
    assert reminder.due_at == new_slot.start_time - timedelta(hours=24)


def test_an_invite_carries_no_text_the_guest_typed(service, slot, staff_user):
    booking = unpaid_booking(service, slot, customer_name="Zé <script>")
    booking_services.booking_verify_payment(booking=booking, actor=staff_user)
    services.notifications_send_due()  # the sender renders the invite
    invite = Notification.objects.get(kind="payment_confirmed").attachments.get()
    content = bytes(invite.content).decode()
    assert "Zé" not in content
    assert booking.customer_email in content


# --- the staff feed ---------------------------------------------------------------


def feed_url(staff_id, token):
    return f"/api/staff/{staff_id}/calendar.ics?token={token}"


@pytest.fixture
def feed(staff_member):
    return services.staff_calendar_feed_rotate(staff=staff_member)


def test_the_feed_lists_active_bookings_with_name_and_reference_only(
    client, feed, service, staff_member
):
    now = timezone.now().replace(microsecond=0)

    def booking_at(days, **fields):
        start = now + timedelta(days=days)
        return BookingFactory(
            service=service,
            availability=AvailabilityFactory(
                staff=staff_member,
                start_time=start,
                end_time=start + timedelta(hours=1),
            ),
            customer_phone="+351 999 888 777",
            notes="private note",
            **fields,
        )

    upcoming = booking_at(5, customer_name="Ana Lopes")
    recent = booking_at(-10, status="completed")
    booking_at(-31)  # too long ago
    booking_at(181)  # too far ahead
    booking_at(7, status="cancelled")
    other_staff = BookingFactory(service=service)
    response = client.get(feed_url(staff_member.pk, feed.token))
    assert response.status_code == 200
    assert response["Content-Type"] == "text/calendar; charset=utf-8"
    body = response.content.decode()
    calendar = Calendar.from_ical(response.content)
    uids = {str(e["UID"]) for e in calendar.walk("VEVENT")}
    assert uids == {calendars.booking_uid(b) for b in (upcoming, recent)}
    assert "Ana Lopes" in body and upcoming.reference in body
    for private in (upcoming.customer_email, "999 888 777", "private note"):
        assert private not in body
    assert other_staff.reference not in body


def test_a_wrong_or_missing_token_is_a_404_like_an_unknown_id(
    client, feed, staff_member, django_assert_max_num_queries
):
    unknown = client.get(feed_url(999999, feed.token))
    assert unknown.status_code == 404
    for url in (
        feed_url(staff_member.pk, "wrong"),
        feed_url(staff_member.pk, ""),
        f"/api/staff/{staff_member.pk}/calendar.ics",
        feed_url(staff_member.pk, feed.token[:-1]),
    ):
        response = client.get(url)
        assert response.status_code == 404
        assert response.content == unknown.content
        assert response["Content-Type"] == unknown["Content-Type"]


def test_a_staff_member_without_a_feed_has_none(client, staff_member):
    assert client.get(feed_url(staff_member.pk, "")).status_code == 404


def test_rotating_the_token_retires_the_old_url(client, feed, staff_member):
    old_token = feed.token
    rotated = services.staff_calendar_feed_rotate(staff=staff_member)
    assert rotated.pk == feed.pk
    assert rotated.token != old_token
    assert client.get(feed_url(staff_member.pk, old_token)).status_code == 404
    assert client.get(feed_url(staff_member.pk, rotated.token)).status_code == 200


def test_only_a_user_with_the_permission_rotates_in_the_admin(
    client, feed, django_user_model
):
    user = django_user_model.objects.create_user(
        "desk", password="pw-123456789", is_staff=True
    )
    user.user_permissions.add(Permission.objects.get(codename="view_staffcalendarfeed"))
    client.force_login(user)
    url = "/admin/notifications/staffcalendarfeed/"
    page = client.get(url)
    assert page.status_code == 200
    assert feed.token in page.content.decode()  # the URL to subscribe to
    assert "rotate_tokens" not in page.content.decode()
    client.post(url, {"action": "rotate_tokens", "_selected_action": [feed.pk]})
    assert StaffCalendarFeed.objects.get().token == feed.token

    user.user_permissions.add(Permission.objects.get(codename="rotate_calendar_token"))
    client.force_login(django_user_model.objects.get(pk=user.pk))
    response = client.post(
        url, {"action": "rotate_tokens", "_selected_action": [feed.pk]}
    )
    assert response.status_code == 302
    assert StaffCalendarFeed.objects.get().token != feed.token
