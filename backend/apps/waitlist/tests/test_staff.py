"""Staff's side: the desk's list of today's waiting entries and the admin's
"Offer the first free time that fits"."""

import pytest
from django.utils import timezone

from apps.bookings.tests.factories import StaffUserFactory
from apps.waitlist.models import WaitlistOffer
from apps.waitlist.tests.factories import join

pytestmark = pytest.mark.django_db

DESK = "/admin/bookings/booking/desk/"
CHANGELIST = "/admin/waitlist/waitlistentry/"


def test_the_desk_lists_who_waits_for_today(client, service, staff_member):
    join(service, days=(0, 3), name="Rita Waiting")
    join(service, days=(2, 3), name="Later Guest")
    client.force_login(StaffUserFactory(role="desk"))

    page = client.get(DESK).content.decode()

    assert "Waiting list for today" in page
    assert "Rita Waiting" in page and "Later Guest" not in page


def test_the_admin_action_offers_the_first_free_time(client, service, slot):
    entry = join(service, email="byhand@example.com")
    client.force_login(StaffUserFactory(role="desk"))

    response = client.post(
        CHANGELIST,
        {"action": "offer_first_free_time", "_selected_action": [entry.pk]},
    )

    assert response.status_code == 302
    offer = WaitlistOffer.objects.get()
    assert (offer.entry, offer.availability, offer.held) == (entry, slot, True)
    assert offer.made_by is not None
    slot.refresh_from_db()
    assert slot.is_held


def test_the_admin_lists_entries_by_day_and_service(client, service, staff_member):
    join(service, name="Listed Guest")
    client.force_login(StaffUserFactory(role="desk"))
    day = timezone.localdate()

    page = client.get(
        CHANGELIST,
        {"service__id__exact": service.pk, "date_from__day": day.day},
    ).content.decode()

    assert "Listed Guest" in page


def test_a_slot_made_by_hand_is_offered_once_it_commits(
    service, staff_member, django_capture_on_commit_callbacks
):
    from datetime import timedelta

    from apps.availability.services import availability_create

    join(service, email="handmade@example.com")
    start = timezone.now().replace(microsecond=0) + timedelta(days=2)

    with django_capture_on_commit_callbacks(execute=True):
        slot = availability_create(
            staff=staff_member, start_time=start, end_time=start + timedelta(hours=1)
        )

    assert WaitlistOffer.objects.get().availability == slot


def test_a_booking_moved_away_offers_its_old_slot(
    service, staff_member, slot, django_capture_on_commit_callbacks
):
    from datetime import timedelta

    from apps.availability.tests.factories import AvailabilityFactory
    from apps.bookings.services import booking_reschedule
    from apps.bookings.tests.factories import unpaid_booking

    booking = unpaid_booking(service, slot)
    later = slot.start_time + timedelta(days=1)
    target = AvailabilityFactory(
        staff=staff_member, start_time=later, end_time=later + timedelta(hours=1)
    )
    join(service, days=(0, 1), email="moved@example.com")

    with django_capture_on_commit_callbacks(execute=True):
        booking_reschedule(booking=booking, availability=target, actor=None)

    assert WaitlistOffer.objects.get().availability == slot
