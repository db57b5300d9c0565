"""Issue 20: unpaid holds are limited per client, and strangers cannot lock a
guest out by booking with the guest's phone or email."""

import pytest
from django.test import override_settings
from rest_framework.test import APIClient

from apps.availability.tests.factories import AvailabilityFactory
from apps.bookings.models import Booking, email_key
from apps.bookings.tests.threads import in_threads

Status = Booking.Status


def book_from(address, payload, slot, **contact):
    return APIClient().post(
        "/api/bookings/",
        {**payload, "availability": slot.pk, **contact},
        format="json",
        REMOTE_ADDR=address,
    )


@pytest.fixture
def slots(staff_member):
    return [AvailabilityFactory(staff=staff_member) for _ in range(12)]


@pytest.mark.parametrize(
    ("written", "key"),
    [
        ("Hoarder+3@Example.com", "hoarder@example.com"),
        (" joana@example.com ", "joana@example.com"),
        ("a+b+c@x.pt", "a@x.pt"),
    ],
)
def test_email_key_lowercases_and_drops_the_tag(written, key):
    assert email_key(written) == key


@pytest.mark.django_db
def test_one_client_holds_at_most_the_limit_whatever_contacts_it_writes(
    guest_payload, slots
):
    statuses = [
        book_from(
            "198.51.100.7",
            guest_payload,
            slot,
            customer_email=f"person{i}@example.com",
            customer_phone=f"+351 91{i:07d}",
        ).status_code
        for i, slot in enumerate(slots[:10])
    ]
    assert statuses == [201] * 3 + [409] * 7
    assert Booking.objects.filter(status=Status.AWAITING_PAYMENT).count() == 3
    # Another client is not affected.
    other = book_from("203.0.113.9", guest_payload, slots[10])
    assert other.status_code == 201


@pytest.mark.django_db
def test_one_ipv6_slash_64_is_one_client(guest_payload, slots):
    addresses = [f"2001:db8:5:6::{i + 1:x}" for i in range(4)]
    statuses = [
        book_from(
            address,
            guest_payload,
            slots[i],
            customer_email=f"v6guest{i}@example.com",
            customer_phone=f"+351 92{i:07d}",
        ).status_code
        for i, address in enumerate(addresses)
    ]
    assert statuses == [201, 201, 201, 409]


@pytest.mark.django_db
@override_settings(BOOKING_MAX_UNPAID_PER_CLIENT=10)
def test_tagged_emails_count_as_one_contact(guest_payload, slots):
    statuses = [
        book_from(
            "198.51.100.8",
            guest_payload,
            slots[i],
            customer_email=f"Hoarder+{i}@example.com",
            customer_phone=f"+351 93{i:07d}",
        ).status_code
        for i in range(3)
    ]
    assert statuses == [201, 201, 409]


@pytest.mark.django_db
def test_holds_made_with_a_victims_phone_do_not_lock_the_victim_out(
    guest_payload, slots
):
    victim = {
        "customer_email": "victim@example.com",
        "customer_phone": "+351 913000777",
    }
    for i in range(2):
        response = book_from(
            "6.6.6.6",
            guest_payload,
            slots[i],
            customer_email=f"attacker{i}@example.com",
            customer_phone=victim["customer_phone"],
        )
        assert response.status_code == 201
    # The attacker's own client is at the victim phone's limit...
    third = book_from(
        "6.6.6.6",
        guest_payload,
        slots[2],
        customer_email="attacker9@example.com",
        customer_phone=victim["customer_phone"],
    )
    assert third.status_code == 409
    # ...but the victim, from their own connection, books as usual.
    response = book_from("203.0.113.20", guest_payload, slots[3], **victim)
    assert response.status_code == 201, response.content
    response = book_from("203.0.113.20", guest_payload, slots[4], **victim)
    assert response.status_code == 201, response.content


@pytest.mark.django_db
def test_a_normal_guest_books_looks_up_cancels_and_books_again(guest_payload, slots):
    address = "203.0.113.30"
    first = book_from(address, guest_payload, slots[0])
    assert first.status_code == 201
    reference = first.json()["reference"]
    client = APIClient()
    proof = {"reference": reference, "email": guest_payload["customer_email"]}
    found = client.post("/api/bookings/lookup/", proof, REMOTE_ADDR=address)
    assert found.status_code == 200
    cancelled = client.post(
        "/api/bookings/lookup/cancel/", proof, REMOTE_ADDR=address, format="json"
    )
    assert cancelled.status_code == 200, cancelled.content
    for slot in slots[1:3]:
        assert book_from(address, guest_payload, slot).status_code == 201


@pytest.mark.postgresql_only
@pytest.mark.django_db(transaction=True)
def test_parallel_requests_of_one_client_never_exceed_the_limit(guest_payload, slots):
    responses = in_threads(
        10,
        lambda i: book_from(
            "198.51.100.99",
            guest_payload,
            slots[i],
            customer_email=f"burst{i}@example.com",
            customer_phone=f"+351 96{i:07d}",
        ),
    )
    assert sorted(r.status_code for r in responses) == [201] * 3 + [409] * 7
    assert Booking.objects.filter(status=Status.AWAITING_PAYMENT).count() == 3


def _book_behind_proxy(address, payload, slot, index):
    return APIClient().post(
        "/api/bookings/",
        {
            **payload,
            "availability": slot.pk,
            "customer_email": f"net{index}@example.com",
            "customer_phone": f"+351 96{index:07d}",
        },
        format="json",
        REMOTE_ADDR="10.0.0.1",
        HTTP_X_FORWARDED_FOR=address,
    )


@pytest.mark.postgresql_only
@pytest.mark.django_db(transaction=True)
@override_settings(BOOKING_MAX_UNPAID_PER_SITE=4)
def test_parallel_requests_of_one_network_never_exceed_its_limit(
    guest_payload, slots, settings
):
    """Ten /64s of one /56 at once: the site's advisory lock keeps the count exact."""
    settings.REST_FRAMEWORK = {**settings.REST_FRAMEWORK, "NUM_PROXIES": 1}
    responses = in_threads(
        10,
        lambda i: _book_behind_proxy(
            f"2001:db8:42:7{i}::1", guest_payload, slots[i], i
        ),
    )
    assert sorted(r.status_code for r in responses) == [201] * 4 + [409] * 6
    assert Booking.objects.filter(status=Status.AWAITING_PAYMENT).count() == 4


@pytest.mark.postgresql_only
@pytest.mark.django_db(transaction=True)
@override_settings(BOOKING_MAX_UNPAID_PER_SERVICE_DAY=3)
def test_parallel_requests_for_one_day_never_exceed_its_cap(
    guest_payload, service, staff_member
):
    """Ten clients race for one service-day's slots: exactly the cap is held."""
    from datetime import timedelta

    from django.utils import timezone

    day = timezone.localtime(timezone.now() + timedelta(days=4)).replace(
        hour=8, minute=0, second=0, microsecond=0
    )
    day_slots = [
        AvailabilityFactory(
            staff=staff_member,
            start_time=day + timedelta(hours=hour),
            end_time=day + timedelta(hours=hour + 1),
        )
        for hour in range(10)
    ]
    responses = in_threads(
        10,
        lambda i: _book_behind_proxy(
            f"198.51.100.{i + 1}", guest_payload, day_slots[i], i
        ),
    )
    assert sorted(r.status_code for r in responses) == [201] * 3 + [409] * 7
    assert Booking.objects.filter(status=Status.AWAITING_PAYMENT).count() == 3
