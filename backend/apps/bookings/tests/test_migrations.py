"""The upgrade path of plan section 5, from the legacy baseline to the target."""

from datetime import timedelta
from decimal import Decimal

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor
from django.utils import timezone

BASELINE = [("bookings", "0001_initial")]


def _migrate(targets):
    executor = MigrationExecutor(connection)
    executor.loader.build_graph()
    executor.migrate(targets)
    return executor.loader.project_state(targets).apps


def _latest():
    executor = MigrationExecutor(connection)
    return executor.loader.graph.leaf_nodes()


@pytest.fixture
def legacy_apps(transactional_db):
    """The database at the legacy baseline; put back to the latest state after."""
    apps = _migrate(BASELINE)
    yield apps
    apps = _migrate(BASELINE)
    apps.get_model("bookings", "Booking").objects.all().delete()
    _migrate(_latest())


def _legacy_world(apps, now):
    Service = apps.get_model("services", "Service")
    Staff = apps.get_model("staff", "Staff")
    Availability = apps.get_model("availability", "Availability")
    service = Service.objects.create(
        name="Manicure", duration_minutes=45, price=Decimal("25.00")
    )
    staff = Staff.objects.create(name="Ana")
    staff.services.add(service)
    slots = [
        Availability.objects.create(
            staff=staff,
            start_time=now + timedelta(days=1, hours=hour),
            end_time=now + timedelta(days=1, hours=hour + 1),
            # The legacy flag is not trusted: the migration recomputes it.
            is_booked=hour == 3,
        )
        for hour in range(4)
    ]
    return service, staff, slots


def test_legacy_rows_come_out_migrated(legacy_apps):
    now = timezone.now()
    service, staff, slots = _legacy_world(legacy_apps, now)
    LegacyBooking = legacy_apps.get_model("bookings", "Booking")

    def legacy_booking(slot, status, age):
        booking = LegacyBooking.objects.create(
            service_id=service.pk,
            staff_id=staff.pk,
            availability_id=slot.pk,
            customer_name="Old guest",
            customer_email="old@example.com",
            status=status,
        )
        # auto_now_add ignores a given value; set the age afterwards.
        LegacyBooking.objects.filter(pk=booking.pk).update(created_at=now - age)
        return booking.pk

    recent_pending = legacy_booking(slots[0], "pending", timedelta(minutes=10))
    stale_pending = legacy_booking(slots[1], "pending", timedelta(hours=3))
    confirmed = legacy_booking(slots[2], "confirmed", timedelta(days=2))

    apps = _migrate(_latest())
    Booking = apps.get_model("bookings", "Booking")
    Availability = apps.get_model("availability", "Availability")

    rows = {row.pk: row for row in Booking.objects.all()}
    assert rows[recent_pending].status == "awaiting_payment"
    assert rows[stale_pending].status == "awaiting_payment"
    assert rows[confirmed].status == "confirmed"
    for row in rows.values():
        assert row.payment_expires_at == row.created_at + timedelta(minutes=30)
        assert len(row.reference) == 8
        assert row.amount_due == Decimal("25.00")
        assert row.customer_phone == ""
    assert len({row.reference for row in rows.values()}) == 3
    # The recent one is still payable; the stale one is due for the expiry job.
    assert rows[recent_pending].payment_expires_at > now
    assert rows[stale_pending].payment_expires_at < now
    booked = dict(Availability.objects.values_list("pk", "is_booked"))
    assert booked == {
        slots[0].pk: True,
        slots[1].pk: True,
        slots[2].pk: True,
        slots[3].pk: False,
    }


def test_migration_stops_on_a_doubly_booked_legacy_slot(legacy_apps):
    now = timezone.now()
    service, staff, slots = _legacy_world(legacy_apps, now)
    LegacyBooking = legacy_apps.get_model("bookings", "Booking")
    for status in ("pending", "confirmed"):
        LegacyBooking.objects.create(
            service_id=service.pk,
            staff_id=staff.pk,
            availability_id=slots[0].pk,
            customer_name="Guest",
            customer_email="g@example.com",
            status=status,
        )
    with pytest.raises(RuntimeError, match=rf"\[{slots[0].pk}\]"):
        _migrate(_latest())


@pytest.mark.django_db
def test_event_kinds_are_filled_from_what_each_event_recorded(booking, staff_user):
    """0012 fills `kind` for the audit rows written before it existed."""
    from importlib import import_module

    from django.apps import apps as django_apps

    kinds = import_module("apps.bookings.migrations.0012_bookingevent_kind")

    rows = [
        ("", "awaiting_payment", "guest", "", "created"),
        ("awaiting_payment", "confirmed", "staff", "", "payment_verified"),
        ("confirmed", "completed", "staff", "", "completed"),
        ("awaiting_payment", "cancelled", "system", "payment timeout", "expired"),
        ("awaiting_payment", "cancelled", "system", "Slot closed", "cancelled"),
        ("confirmed", "cancelled", "guest", "", "cancelled"),
        (
            "confirmed",
            "confirmed",
            "staff",
            "Rescheduled from 2026-12-01 10:00 WET to 2026-12-02 10:00 WET.",
            "rescheduled",
        ),
    ]
    booking.events.all().delete()
    BookingEvent = django_apps.get_model("bookings", "BookingEvent")
    for from_status, to_status, source, note, _ in rows:
        BookingEvent.objects.create(
            booking=booking,
            from_status=from_status,
            to_status=to_status,
            source=source,
            note=note,
            kind="",
        )
    kinds.fill_kinds(django_apps, None)
    assert list(booking.events.order_by("pk").values_list("kind", flat=True)) == [
        expected for *_, expected in rows
    ]
