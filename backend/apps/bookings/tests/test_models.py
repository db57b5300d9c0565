"""Model-level rules: the transitions table, references, database constraints."""

import pytest
from django.db import IntegrityError, connection, transaction

from apps.availability.tests.factories import AvailabilityFactory
from apps.bookings.models import (
    ACTIVE_STATUSES,
    ALLOWED_TRANSITIONS,
    REFERENCE_ALPHABET,
    Booking,
    generate_reference,
)
from apps.bookings.tests.factories import BookingFactory

Status = Booking.Status


def test_transition_table_is_the_plans():
    assert {
        Status.AWAITING_PAYMENT: {Status.CONFIRMED, Status.CANCELLED},
        Status.CONFIRMED: {Status.COMPLETED, Status.CANCELLED},
        Status.COMPLETED: set(),
        Status.CANCELLED: set(),
    } == ALLOWED_TRANSITIONS
    assert set(ALLOWED_TRANSITIONS) == set(Status.values)


@pytest.mark.parametrize("from_status", Status.values)
@pytest.mark.parametrize("to_status", Status.values)
def test_can_transition_to_follows_the_table(from_status, to_status):
    booking = Booking(status=from_status)
    assert booking.can_transition_to(to_status) == (
        to_status in ALLOWED_TRANSITIONS[from_status]
    )


def test_final_and_active_statuses():
    assert {s for s in Status.values if Booking(status=s).is_final} == {
        Status.COMPLETED,
        Status.CANCELLED,
    }
    assert set(ACTIVE_STATUSES) == set(Status.values) - {Status.CANCELLED}


def test_reference_is_eight_unambiguous_characters():
    references = {generate_reference() for _ in range(2000)}
    assert len(references) == 2000
    for reference in references:
        assert len(reference) == 8
        assert set(reference) <= set(REFERENCE_ALPHABET)
    assert not set("0O1I") & set(REFERENCE_ALPHABET)


@pytest.mark.django_db
def test_reference_is_unique_in_the_database():
    first = BookingFactory()
    with pytest.raises(IntegrityError), transaction.atomic():
        BookingFactory(reference=first.reference)


@pytest.mark.django_db
@pytest.mark.parametrize("second_status", ACTIVE_STATUSES)
def test_one_active_booking_per_slot_is_enforced_by_the_database(second_status):
    first = BookingFactory(status=Status.CONFIRMED)
    with pytest.raises(IntegrityError), transaction.atomic():
        BookingFactory(availability=first.availability, status=second_status)


@pytest.mark.django_db
def test_cancelled_bookings_do_not_count_against_the_slot():
    slot = AvailabilityFactory()
    BookingFactory(availability=slot, status=Status.CANCELLED)
    BookingFactory(availability=slot, status=Status.CANCELLED)
    active = BookingFactory(availability=slot, status=Status.AWAITING_PAYMENT)
    assert slot.bookings.filter(status__in=ACTIVE_STATUSES).get() == active


@pytest.mark.django_db
def test_active_booking_must_have_a_slot():
    with pytest.raises(IntegrityError), transaction.atomic():
        BookingFactory(availability=None, status=Status.CONFIRMED)
    assert BookingFactory(availability=None, status=Status.CANCELLED).pk


@pytest.mark.django_db
@pytest.mark.postgresql_only
def test_the_unpaid_limit_query_is_served_by_its_indexes():
    """Found by the benchmark: the per-contact count scanned the whole table."""
    from apps.bookings.services import unpaid_bookings_of_client
    from apps.services.tests.factories import ServiceFactory
    from apps.staff.tests.factories import StaffFactory

    service, staff = ServiceFactory(), StaffFactory()
    with connection.cursor() as cursor:
        # 3 000 unpaid bookings, each on its own slot, then fresh statistics.
        cursor.execute(
            "INSERT INTO availability_availability (staff_id, start_time, end_time,"
            " is_booked, created_at, updated_at) SELECT %s, now() + g * interval"
            " '1 hour', now() + g * interval '1 hour' + interval '30 minutes',"
            " true, now(), now() FROM generate_series(1, 3000) g",
            [staff.pk],
        )
        cursor.execute(
            "INSERT INTO bookings_booking (reference, service_id, staff_id,"
            " availability_id, customer_name, customer_email, customer_phone,"
            " customer_phone_digits, customer_email_key, client_key,"
            " client_site_key, client_network_key, notes, locale,"
            " amount_due, status, payment_expires_at, cancel_reason, created_at,"
            " updated_at) SELECT 'T' || lpad(a.id::text, 7, '0'), %s, a.staff_id,"
            " a.id, 'Guest', 'g' || a.id || '@example.com', '', '9' || a.id,"
            " 'g' || a.id || '@example.com', 'client' || a.id,"
            " 'site' || (a.id / 10), 'net' || (a.id / 100), '', 'en', 10,"
            " 'awaiting_payment', now(), '', now(), now()"
            " FROM availability_availability a",
            [service.pk],
        )
        cursor.execute("ANALYZE bookings_booking")
        query = unpaid_bookings_of_client(client_key="client7")
        sql, params = query.order_by().values("pk").query.sql_with_params()
        cursor.execute("EXPLAIN " + sql, params)
        plan = "\n".join(row[0] for row in cursor.fetchall())
    assert "Seq Scan" not in plan
    assert "booking_unpaid_client_idx" in plan

    # Issue 26: every count of the limits, in the one statement booking
    # creation runs, is served by an index too (the service-day's through
    # the day's booked slots).
    from apps.availability.models import Availability
    from apps.bookings.services.create import (
        UnpaidNetworks,
        unpaid_counts,
        unpaid_counts_statement,
    )

    slot = Availability.objects.order_by("pk")[50]
    keys = {
        "client_key": "client7",
        "email_key": "g7@example.com",
        "phone_digits": "97",
        "networks": UnpaidNetworks("site5", "net0"),
        "slot": slot,
        "service": service,
    }
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE availability_availability")
        sql, params = unpaid_counts_statement(**keys)
        cursor.execute("EXPLAIN " + sql, params)
        plan = "\n".join(row[0] for row in cursor.fetchall())
    assert "Seq Scan on bookings_booking" not in plan, plan
    assert "booking_unpaid_site_idx" in plan and "booking_unpaid_network_idx" in plan
    assert "availability_booked_start_idx" in plan, plan
    assert 20 <= unpaid_counts(**keys)["held_on_day"] <= 25  # a day of hourly slots
