"""The waiting list's race on PostgreSQL, with real threads and transactions.

Twenty unpaid bookings pass their deadline while the expiry job frees their
slots, the offer job (and the expiry's own commit hook) offers them to
twenty waiting entries, and twenty guests try to book the same slots
directly. Every slot ends with exactly one active booking or one open held
offer, never both and never two; the flags say the same.
"""

import time
from datetime import timedelta

import pytest
from django.db.models import Count, Exists, OuterRef
from django.utils import timezone

from apps.availability.models import Availability
from apps.availability.tests.factories import AvailabilityFactory
from apps.bookings.models import Booking, BookingEvent, BookingSlot
from apps.bookings.services import booking_create, bookings_expire_unpaid
from apps.bookings.tests.test_services import assert_is_booked_invariant
from apps.schedules.tests.test_races import Clients
from apps.services.tests.factories import ServiceFactory
from apps.staff.tests.factories import StaffFactory
from apps.waitlist.models import WaitlistOffer
from apps.waitlist.services import waitlist_offer_due
from apps.waitlist.tests.factories import join
from common.exceptions import DomainError

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.postgresql_only]
ROUNDS = 10
SLOTS = 20
# The expiry job, the offer job, and one direct guest per slot.
THREADS = SLOTS + 2


@pytest.fixture
def clients():
    pool = Clients(THREADS)
    yield pool
    pool.stop()


def book_directly(service, slot, index, round_number):
    """A guest who keeps trying one slot for a moment: the booking, or None."""
    give_up = time.monotonic() + 1.5
    while time.monotonic() < give_up:
        try:
            return booking_create(
                service_id=service.pk,
                availability_id=slot.pk,
                customer_name=f"Guest {index}",
                customer_email=f"r{round_number}g{index}@example.com",
                customer_phone=f"+351 92{round_number:03d}{index:04d}",
                client_key=f"r{round_number}c{index}",
            )
        except DomainError as error:
            assert error.code == "slot_unavailable", error.code
            time.sleep(0.005)
    return None


def offer_repeatedly():
    made = 0
    for _ in range(5):
        made += waitlist_offer_due().offered
        time.sleep(0.05)
    return made


def test_every_freed_slot_ends_with_one_booking_or_one_offer(clients, settings):
    settings.BOOKING_MAX_UNPAID_PER_SERVICE_DAY = 1000
    service = ServiceFactory(duration_minutes=30)
    staff = StaffFactory(services=[service])
    first_day = timezone.localtime(timezone.now()).replace(
        hour=8, minute=0, second=0, microsecond=0
    ) + timedelta(days=2)
    won_directly = won_by_offer = left_unpaid = 0
    for round_number in range(ROUNDS):
        start = first_day + timedelta(days=round_number)
        slots = [
            AvailabilityFactory(
                staff=staff,
                start_time=start + timedelta(minutes=30 * step),
                end_time=start + timedelta(minutes=30 * (step + 1)),
            )
            for step in range(SLOTS)
        ]
        past = timezone.now() - timedelta(minutes=31)
        for step, slot in enumerate(slots):
            booking_create(
                service_id=service.pk,
                availability_id=slot.pk,
                customer_name="Unpaid",
                customer_email=f"unpaid{round_number}-{step}@example.com",
                customer_phone=f"+351 93{round_number:03d}{step:04d}",
                source=BookingEvent.Source.STAFF,
                now=past,
            )
        day = (round_number + 2, round_number + 2)
        for index in range(SLOTS):
            join(
                service,
                days=day,
                email=f"w{round_number}-{index}@example.com",
                phone=f"+351 96{round_number:03d}{index:04d}",
                client_key=f"waiting-r{round_number}c{index}",
            )

        def work(index, slots=slots, n=round_number):
            if index == 0:
                return bookings_expire_unpaid().summary()
            if index == 1:
                return offer_repeatedly()
            return book_directly(service, slots[index - 2], index, n)

        results = clients.round(work)
        assert not [r for r in results if isinstance(r, Exception)], results
        # Whatever the threads left free is offered now (20 entries wait).
        waitlist_offer_due()

        for slot in Availability.objects.filter(pk__in=[s.pk for s in slots]):
            bookings = BookingSlot.objects.filter(availability=slot, active=True)
            offers = [
                offer
                for offer in WaitlistOffer.objects.filter(
                    status="open", held=True, entry__date_from=start.date()
                )
                if slot.pk in offer.slot_ids
            ]
            assert bookings.count() + len(offers) == 1, (slot.pk, round_number)
            assert (slot.is_booked, slot.is_held) == (
                bookings.exists(),
                bool(offers),
            )
        won_directly += sum(isinstance(r, Booking) for r in results[2:])
        won_by_offer += WaitlistOffer.objects.filter(
            status="open", entry__date_from=start.date()
        ).count()
        # The expiry job skips slots a racing create holds locked: those
        # bookings wait for its next run, still holding their slots.
        left_unpaid += Booking.objects.filter(
            customer_name="Unpaid", status="awaiting_payment", availability__in=slots
        ).count()

    print(
        f"\n{ROUNDS} rounds x {SLOTS} slots: {won_directly} booked directly, "
        f"{won_by_offer} held for an offer, {left_unpaid} left to the next expiry "
        "run, 0 doubles"
    )
    assert won_directly + won_by_offer + left_unpaid == ROUNDS * SLOTS
    # The race was real: creates won slots, and the expiry or the offers lost
    # some. An offer winning is rare now that creates are fast (1 of 200 slots
    # in each of three runs, none in one CI run): the guests waiting on a
    # slot's lock take it as the expiry commits, before the offer made on
    # commit can. The per-slot checks above hold either way.
    assert won_directly > 0 and won_by_offer + left_unpaid > 0, (
        won_directly,
        won_by_offer,
        left_unpaid,
    )
    doubled = (
        BookingSlot.objects.filter(active=True)
        .values("availability")
        .annotate(n=Count("pk"))
        .filter(n__gt=1)
    )
    assert not doubled.exists()
    assert not Availability.objects.filter(is_booked=True, is_held=True).exists()
    open_held = WaitlistOffer.objects.filter(
        status="open", held=True, availability=OuterRef("pk")
    )
    assert (
        not Availability.objects.filter(is_held=True)
        .exclude(Exists(open_held))
        .exists()
    )
    assert_is_booked_invariant()
