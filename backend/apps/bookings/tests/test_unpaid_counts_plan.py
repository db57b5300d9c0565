"""The limits' count statement reads what one day holds, however stale the
planner's statistics: found by the throughput benchmark, whose bookings
table grows by thousands of unpaid rows a minute, faster than autovacuum
analyses it."""

import json

import pytest
from django.db import connection
from django.utils import timezone

from apps.availability.models import Availability
from apps.bookings.services.create import (
    UnpaidNetworks,
    unpaid_counts,
    unpaid_counts_statement,
)
from apps.services.tests.factories import ServiceFactory
from apps.staff.tests.factories import StaffFactory

pytestmark = [pytest.mark.django_db, pytest.mark.postgresql_only]

DAY_SLOTS, OTHER_DAYS_BOOKINGS = 20, 2000


def _unpaid_guest_bookings(cursor, *, service, staff, first_hour, hours):
    """`hours` hourly slots from `first_hour` hours ahead, each with an unpaid
    guest booking of `service`, written in two statements."""
    cursor.execute(
        "INSERT INTO availability_availability (staff_id, start_time, end_time,"
        " is_booked, is_closed, is_held, source, created_at, updated_at)"
        " SELECT %s, date_trunc('day', now()) + g * interval '1 hour',"
        " date_trunc('day', now()) + g * interval '1 hour' + interval '30 minutes',"
        " true, false, false, 'manual', now(), now() FROM generate_series(%s, %s) g",
        [staff.pk, first_hour, first_hour + hours - 1],
    )
    cursor.execute(
        "INSERT INTO bookings_booking (reference, service_id, staff_id,"
        " availability_id, customer_name, customer_email, customer_phone,"
        " customer_phone_digits, customer_email_key, client_key,"
        " client_site_key, client_network_key, notes, locale, amount_due,"
        " status, payment_expires_at, cancel_reason, refund_due, created_at,"
        " updated_at) SELECT 'P' || lpad(a.id::text, 7, '0'), %s, a.staff_id,"
        " a.id, 'Guest', 'g' || a.id || '@example.com', '', '9' || a.id,"
        " 'g' || a.id || '@example.com', 'client' || a.id, '', '', '', 'en', 10,"
        " 'awaiting_payment', now(), '', false, now(), now()"
        " FROM availability_availability a WHERE a.staff_id = %s"
        " AND NOT EXISTS (SELECT 1 FROM bookings_booking b"
        " WHERE b.availability_id = a.id)",
        [service.pk, staff.pk],
    )


def _bookings_rows_read(plan: dict) -> int:
    """Rows of bookings_booking the executed plan looked at: those it
    returned and those its filters threw away, over every loop."""
    rows = 0
    if plan.get("Relation Name") == "bookings_booking":
        loops = plan.get("Actual Loops", 1)
        rows += loops * (
            plan.get("Actual Rows", 0)
            + plan.get("Rows Removed by Filter", 0)
            + plan.get("Rows Removed by Index Recheck", 0)
        )
    return rows + sum(_bookings_rows_read(child) for child in plan.get("Plans", []))


def test_the_day_count_reads_the_day_not_every_unpaid_booking():
    service, other_service = ServiceFactory(), ServiceFactory()
    staff, other_staff, third_staff = StaffFactory(), StaffFactory(), StaffFactory()
    with connection.cursor() as cursor:
        # 200 unpaid bookings of another service, and statistics taken then;
        # then, unanalysed, this service's: 20 on the day to count, 30 days
        # ahead, and 2 000 on other days. The state the benchmark leaves the
        # planner in: it believes this service's bookings, and the unpaid
        # ones, rare.
        _unpaid_guest_bookings(
            cursor,
            service=other_service,
            staff=third_staff,
            first_hour=200 * 24,
            hours=10 * DAY_SLOTS,
        )
        cursor.execute("ANALYZE bookings_booking")
        cursor.execute("ANALYZE availability_availability")
        _unpaid_guest_bookings(
            cursor, service=service, staff=staff, first_hour=30 * 24, hours=DAY_SLOTS
        )
        _unpaid_guest_bookings(
            cursor,
            service=service,
            staff=other_staff,
            first_hour=40 * 24,
            hours=OTHER_DAYS_BOOKINGS,
        )
    slot = Availability.objects.filter(staff=staff).order_by("start_time")[2]
    day = timezone.localdate(slot.start_time)
    keys = {
        "client_key": "client-x",
        "email_key": "x@example.com",
        "phone_digits": "",
        "networks": UnpaidNetworks("", ""),
        "slot": slot,
        "service": service,
    }
    sql, params = unpaid_counts_statement(**keys)
    with connection.cursor() as cursor:
        cursor.execute("EXPLAIN (ANALYZE, FORMAT JSON) " + sql, params)
        (explained,) = cursor.fetchone()
    plan = (json.loads(explained) if isinstance(explained, str) else explained)[0]
    read = _bookings_rows_read(plan["Plan"])
    # One lookup per booked slot of the day, whatever the other days hold.
    assert read <= 2 * DAY_SLOTS, json.dumps(plan, indent=1)
    held_on_day = unpaid_counts(**keys)["held_on_day"]
    slots_that_day = sum(
        1
        for start in Availability.objects.filter(staff=staff).values_list(
            "start_time", flat=True
        )
        if timezone.localdate(start) == day
    )
    assert held_on_day == slots_that_day > 0
