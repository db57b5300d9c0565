"""Offers end to end over HTTP: a freed slot is held for the first entry,
its emailed link books it, a stranger is refused, an unanswered offer passes on."""

import io
import re
from datetime import time, timedelta

import pytest
import time_machine
from django.core import mail
from django.core.management import call_command
from django.db import IntegrityError, transaction
from django.test import override_settings
from django.utils import timezone

from apps.availability.models import Availability
from apps.availability.tests.factories import AvailabilityFactory
from apps.bookings.models import Booking
from apps.bookings.services import booking_cancel, booking_create
from apps.bookings.tests.factories import StaffUserFactory
from apps.notifications.models import Notification
from apps.notifications.tests.test_smtp import SMTP_SETTINGS, smtp_server  # noqa: F401
from apps.waitlist.models import WaitlistEntry, WaitlistOffer
from apps.waitlist.services import (
    waitlist_offer_due,
    waitlist_offers_expire,
)
from apps.waitlist.tests.factories import join

pytestmark = pytest.mark.django_db

ACCEPT = "/api/waitlist/offers/accept/"
DECLINE = "/api/waitlist/offers/decline/"
TOKEN = re.compile(r"/booking/offer/\?token=([\w-]+)")


def run_jobs() -> str:
    out = io.StringIO()
    call_command("run_scheduled_jobs", stdout=out)
    return out.getvalue()


def offer_token(recipient: str) -> str:
    email = Notification.objects.filter(kind="waitlist_offer", recipient=recipient)
    return TOKEN.search(email.latest("id").body_text)[1]


def stranger_books(client, service, slot):
    return client.post(
        "/api/bookings/",
        {
            "service": service.pk,
            "availability": slot.pk,
            "customer_name": "Stranger",
            "customer_email": "stranger@example.com",
            "customer_phone": "+351 919 999 999",
        },
        format="json",
        REMOTE_ADDR="198.51.100.7",
    )


def assert_flags_consistent():
    """Every slot: booked exactly when an active booking holds it, held
    exactly when an open held offer holds it, never both."""
    for slot in Availability.objects.all():
        booked = Booking.objects.filter(
            slot_holds__availability=slot,
            slot_holds__active=True,
        ).exists()
        held = any(
            slot.pk in offer.slot_ids
            for offer in WaitlistOffer.objects.filter(status="open", held=True)
        )
        assert (slot.is_booked, slot.is_held) == (booked, held), slot.pk
        assert not (booked and held)


def test_black_box_an_unpaid_slot_expires_and_goes_to_the_waiting_guest(
    api_client,
    service,
    slot,
    smtp_server,  # noqa: F811
):
    controller, inbox = smtp_server
    unpaid = booking_create(
        service_id=service.pk,
        availability_id=slot.pk,
        customer_name="Joana",
        customer_email="joana@example.com",
        customer_phone="912345678",
    )
    day = timezone.localdate(slot.start_time)
    joined = api_client.post(
        "/api/waitlist/",
        {
            "service": service.pk,
            "date_from": day.isoformat(),
            "date_to": day.isoformat(),
            "name": "Rita",
            "email": "rita@example.com",
            "phone": "+351 913 000 111",
        },
        format="json",
    )
    assert joined.status_code == 202
    # While the booking holds the slot, the job offers nothing.
    run_jobs()
    assert not WaitlistOffer.objects.exists()

    later = unpaid.payment_expires_at + timedelta(minutes=1)
    with (
        time_machine.travel(later, tick=False),
        override_settings(**SMTP_SETTINGS, EMAIL_PORT=controller.port),
    ):
        run_jobs()

        offers = [
            message
            for rcpt, message in inbox.messages
            if rcpt == ["rita@example.com"] and "A time is free" in message["Subject"]
        ]
        assert len(offers) == 1
        token = TOKEN.search(offers[0].get_body(("plain",)).get_content())[1]
        slot.refresh_from_db()
        assert (slot.is_booked, slot.is_held) == (False, True)
        # Not listed as free, and nobody else can book it while the offer runs.
        listed = api_client.get(
            "/api/bookings/availability/", {"service": service.pk, "date": day}
        )
        assert slot.pk not in [row["id"] for row in listed.json()["results"]]
        refused = stranger_books(api_client, service, slot)
        assert refused.status_code == 409
        assert refused.json()["code"] == "slot_unavailable"

        booked = api_client.post(ACCEPT, {"token": token}, format="json")

    assert booked.status_code == 201, booked.json()
    body = booked.json()
    assert body["status"] == "awaiting_payment"
    assert body["customer_email"] == "rita@example.com"
    booking = Booking.objects.get(pk=body["id"])
    assert booking.availability_id == slot.pk
    assert booking.payment_expires_at == booking.created_at + timedelta(minutes=30)
    slot.refresh_from_db()
    assert (slot.is_booked, slot.is_held) == (True, False)
    entry = WaitlistEntry.objects.get()
    assert (entry.status, entry.booking_id) == ("booked", booking.pk)
    assert WaitlistOffer.objects.get().status == "accepted"
    # The normal create path ran: the guest gets the booking's email.
    assert Notification.objects.filter(kind="booking_created", booking=booking).exists()
    again = api_client.post(ACCEPT, {"token": token}, format="json")
    assert again.status_code == 409 and again.json()["code"] == "offer_closed"
    assert_flags_consistent()


def test_an_unanswered_offer_passes_to_the_next_entry(service, slot):
    first = join(service, email="first@example.com")
    second = join(service, email="second@example.com")

    assert waitlist_offer_due().offered == 1  # one slot, one offer
    offer = WaitlistOffer.objects.get()
    assert offer.entry == first and offer.held
    assert offer.expires_at == offer.created_at + timedelta(minutes=15)
    # Before its time ends nothing moves.
    assert waitlist_offers_expire(now=offer.expires_at - timedelta(seconds=1)) == 0

    after = offer.expires_at + timedelta(seconds=1)
    assert waitlist_offers_expire(now=after) == 1
    assert waitlist_offer_due(now=after).offered == 1

    first.refresh_from_db()
    assert first.status == "lapsed"
    passed_on = WaitlistOffer.objects.get(status="open")
    assert passed_on.entry == second and passed_on.availability == slot
    assert offer_token("second@example.com")
    slot.refresh_from_db()
    assert slot.is_held and not slot.is_booked
    assert_flags_consistent()


def test_the_scheduled_jobs_pass_an_expired_offer_on(service, slot):
    join(service, email="first@example.com")
    join(service, email="second@example.com")
    run_jobs()
    offer = WaitlistOffer.objects.get()

    with time_machine.travel(offer.expires_at + timedelta(seconds=5), tick=False):
        run_jobs()

    assert WaitlistOffer.objects.get(pk=offer.pk).status == "expired"
    passed_on = WaitlistOffer.objects.get(status="open")
    assert passed_on.entry.email == "second@example.com"
    # Both offers were sent (locmem in tests) by send_notifications.
    assert [message.to for message in mail.outbox if "A time" in message.subject] == [
        ["first@example.com"],
        ["second@example.com"],
    ]


def test_a_declined_offer_passes_on_and_the_entry_waits_on(api_client, service, slot):
    first = join(service, email="first@example.com")
    second = join(service, email="second@example.com")
    waitlist_offer_due()

    answer = api_client.post(
        DECLINE, {"token": offer_token("first@example.com")}, format="json"
    )
    assert answer.status_code == 200 and answer.json()["status"] == "declined"
    slot.refresh_from_db()
    assert not slot.is_held
    waitlist_offer_due()

    first.refresh_from_db()
    assert first.status == "waiting"  # not offered the same time again
    assert WaitlistOffer.objects.get(status="open").entry == second


def test_an_offer_that_ran_out_cannot_be_accepted(api_client, service, slot):
    join(service, email="late@example.com")
    waitlist_offer_due()
    offer = WaitlistOffer.objects.get()
    token = offer_token("late@example.com")

    with time_machine.travel(offer.expires_at + timedelta(seconds=1), tick=False):
        answer = api_client.post(ACCEPT, {"token": token}, format="json")

    assert answer.status_code == 409 and answer.json()["code"] == "offer_expired"
    assert not Booking.objects.exists()
    slot.refresh_from_db()
    assert slot.is_held  # until the expiry job passes it on


def test_an_unknown_token_is_404(api_client):
    answer = api_client.post(ACCEPT, {"token": "x" * 43}, format="json")
    assert answer.status_code == 404
    assert answer.json()["code"] == "waitlist_link_unknown"


def test_the_daily_window_and_staff_are_respected(service, staff_member):
    start = timezone.localtime(timezone.now()).replace(
        hour=8, minute=0, second=0, microsecond=0
    ) + timedelta(days=2)
    early = AvailabilityFactory(
        staff=staff_member, start_time=start, end_time=start + timedelta(hours=1)
    )
    late = AvailabilityFactory(
        staff=staff_member,
        start_time=start + timedelta(hours=6),
        end_time=start + timedelta(hours=7),
    )
    join(service, days=(2, 2), time_from=time(10, 0), time_to=time(18, 0))
    waitlist_offer_due()

    assert WaitlistOffer.objects.get().availability == late
    assert not Availability.objects.get(pk=early.pk).is_held


def test_leaving_withdraws_the_open_offer_and_frees_the_slot(api_client, service, slot):
    join(service, email="leaver@example.com")
    waitlist_offer_due()
    joined = Notification.objects.get(kind="waitlist_joined")
    token = re.search(r"leave/\?token=([\w-]+)", joined.body_text)[1]

    assert api_client.post(
        "/api/waitlist/leave/", {"token": token}, format="json"
    ).json() == {"status": "left"}

    assert WaitlistOffer.objects.get().status == "withdrawn"
    slot.refresh_from_db()
    assert not slot.is_held
    assert stranger_books(api_client, service, slot).status_code == 201


def test_a_cancellation_offers_the_slot_once_it_commits(
    service, slot, django_capture_on_commit_callbacks
):
    booking = booking_create(
        service_id=service.pk,
        availability_id=slot.pk,
        customer_name="Joana",
        customer_email="joana@example.com",
        customer_phone="912345678",
    )
    join(service, email="waiting@example.com")
    waitlist_offer_due()
    assert not WaitlistOffer.objects.exists()

    with django_capture_on_commit_callbacks(execute=True):
        booking_cancel(booking=booking, actor=None, reason="changed plans")

    offer = WaitlistOffer.objects.get()
    assert offer.availability == slot and offer.entry.email == "waiting@example.com"


@override_settings(BOOKING_WAITLIST_OFFER_MODE="all")
def test_in_mode_all_everyone_hears_and_the_first_to_book_wins(
    api_client, service, slot
):
    join(service, email="one@example.com")
    join(service, email="two@example.com")

    assert waitlist_offer_due().offered == 2
    slot.refresh_from_db()
    assert not slot.is_held  # nothing held: the first to book wins
    first = api_client.post(
        ACCEPT, {"token": offer_token("two@example.com")}, format="json"
    )
    second = api_client.post(
        ACCEPT,
        {"token": offer_token("one@example.com")},
        format="json",
        REMOTE_ADDR="198.51.100.8",
    )

    assert first.status_code == 201
    assert second.status_code == 409 and second.json()["code"] == "slot_unavailable"


def test_a_slot_is_never_both_booked_and_held_in_the_database(slot):
    with pytest.raises(IntegrityError), transaction.atomic():
        Availability.objects.filter(pk=slot.pk).update(is_booked=True, is_held=True)


def test_one_open_held_offer_per_slot_in_the_database(service, slot):
    one = join(service, email="one@example.com")
    two = join(service, email="two@example.com")
    WaitlistOffer.objects.create(
        entry=one,
        availability=slot,
        slot_ids=[slot.pk],
        token_hash="a" * 64,
        expires_at=timezone.now(),
    )
    with pytest.raises(IntegrityError), transaction.atomic():
        WaitlistOffer.objects.create(
            entry=two,
            availability=slot,
            slot_ids=[slot.pk],
            token_hash="b" * 64,
            expires_at=timezone.now(),
        )


def test_staff_offer_a_slot_by_hand_with_the_permission(api_client, service, slot):
    entry = join(service, email="byhand@example.com")
    url = f"/api/waitlist/{entry.pk}/offer/"
    desk = StaffUserFactory(role="desk")

    assert api_client.post(
        url, {"availability": slot.pk}, format="json"
    ).status_code in (
        401,
        403,
    )
    api_client.force_authenticate(desk)
    listed = api_client.get(
        "/api/waitlist/", {"day": timezone.localdate(slot.start_time)}
    )
    assert [row["id"] for row in listed.json()["results"]] == [entry.pk]
    made = api_client.post(url, {"availability": slot.pk}, format="json")

    assert made.status_code == 201, made.json()
    assert WaitlistOffer.objects.get().made_by == desk
    again = api_client.post(url, {"availability": slot.pk}, format="json")
    assert again.status_code == 409


def test_a_held_slot_is_not_deleted_by_hand_or_moved(service, slot):
    from apps.availability.services import availability_delete
    from common.exceptions import DomainError

    join(service)
    waitlist_offer_due()
    with pytest.raises(DomainError) as refused:
        availability_delete(availability=slot)
    assert refused.value.code == "slot_held"


def test_entries_past_their_dates_expire_and_closed_ones_are_purged(service):
    from apps.waitlist.services import waitlist_entries_purge

    entry = join(service, days=(0, 1))
    later = timezone.now() + timedelta(days=3)
    assert waitlist_offer_due(now=later).expired_entries == 1
    entry.refresh_from_db()
    assert entry.status == "expired"
    assert waitlist_entries_purge(now=later + timedelta(days=29)) == 0
    assert waitlist_entries_purge(now=later + timedelta(days=31)) == 1
    assert not WaitlistEntry.objects.exists()


@override_settings(BOOKING_WAITLIST_OFFER_MODE="all")
def test_an_entry_whose_offered_slot_was_deleted_waits_again(service, slot):
    from apps.availability.services import availability_delete

    entry = join(service, email="orphan@example.com")
    waitlist_offer_due()
    entry.refresh_from_db()
    assert entry.status == "offered"

    availability_delete(availability=slot)  # not held in mode "all"
    waitlist_offer_due()

    entry.refresh_from_db()
    assert entry.status == "waiting" and not WaitlistOffer.objects.exists()
