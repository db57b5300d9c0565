"""import_holidays: a country's public holidays as whole-day closures."""

import io
from datetime import date, timedelta

import pytest
from django.core.management import CommandError, call_command
from django.utils import timezone

from apps.availability.tests.factories import AvailabilityFactory
from apps.bookings.models import Booking
from apps.bookings.tests.factories import unpaid_booking
from apps.schedules.models import Closure
from common.dates import local_day_bounds

pytestmark = pytest.mark.django_db


def run(*args) -> str:
    out = io.StringIO()
    call_command("import_holidays", *args, stdout=out)
    return out.getvalue()


def holidays():
    return Closure.objects.filter(kind=Closure.Kind.HOLIDAY, staff__isnull=True)


def test_portugal_2027_national_then_lisbon_then_nothing_new():
    output = run("--country", "PT", "--year", "2027")

    assert "Imported 13 holidays" in output
    assert holidays().count() == 13
    days = sorted(timezone.localdate(c.starts_at) for c in holidays())
    assert days[0] == date(2027, 1, 1)
    assert date(2027, 6, 10) in days and date(2027, 6, 13) not in days
    # Each is the whole local day, named by the library.
    portugal_day = holidays().get(starts_at=local_day_bounds(date(2027, 6, 10))[0])
    assert portugal_day.ends_at == local_day_bounds(date(2027, 6, 11))[0]
    assert "Portugal" in portugal_day.public_note

    lisbon = run("--country", "PT", "--year", "2027", "--subdivision", "11")
    assert "Imported 1 holidays" in lisbon
    assert holidays().count() == 14
    assert holidays().filter(starts_at=local_day_bounds(date(2027, 6, 13))[0]).exists()

    again = run("--country", "PT", "--year", "2027", "--subdivision", "11")
    assert "Imported 0 holidays" in again
    assert holidays().count() == 14


def test_names_in_the_business_language():
    run("--country", "PT", "--year", "2027", "--language", "pt_PT")
    note = holidays().get(starts_at=local_day_bounds(date(2027, 12, 25))[0])
    assert note.public_note == "Dia de Natal"


@pytest.mark.parametrize(
    "args",
    [
        ("--country", "XX", "--year", "2027"),
        ("--country", "PT", "--year", "2027", "--subdivision", "99"),
    ],
)
def test_an_unknown_country_or_subdivision_is_a_clear_error(args):
    with pytest.raises(CommandError, match="holidays library says"):
        run(*args)
    assert not Closure.objects.exists()


def test_a_holiday_with_bookings_is_left_out_unless_told_what_to_do(
    service, staff_member
):
    # Next year's New Year's Day, booked.
    year = timezone.localdate().year + 1
    day_start, _ = local_day_bounds(date(year, 1, 1))
    slot = AvailabilityFactory(
        staff=staff_member,
        start_time=day_start + timedelta(hours=10),
        end_time=day_start + timedelta(hours=11),
    )
    booking = unpaid_booking(service, slot)

    with pytest.raises(CommandError, match=booking.reference):
        run("--country", "PT", "--year", str(year))
    assert holidays().count() == 12
    assert not holidays().filter(starts_at=day_start).exists()

    run("--country", "PT", "--year", str(year), "--on-conflict", "cancel")
    assert holidays().count() == 13
    assert Booking.objects.get(pk=booking.pk).status == Booking.Status.CANCELLED
