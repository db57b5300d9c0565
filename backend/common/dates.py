"""Calendar days of the business, and the calendar the API accepts.

A day is a day of BOOKING_TIMEZONE (`local_day_bounds`). Dates far outside
any plausible booking overflow Python's datetime once a day is added to them
(a 500 on `?date=9999-12-31`), so filters and slot writes accept dates from
BOOKING_EARLIEST_YEAR to BOOKING_MAX_YEARS_AHEAD years from today, and
refuse the rest as a field error.
"""

from datetime import date, datetime, time, timedelta

from django.conf import settings
from django.core.exceptions import ValidationError
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


def local_day_bounds(day: date) -> tuple[datetime, datetime]:
    """The instants a calendar day of BOOKING_TIMEZONE starts and ends.

    A range on the indexed column rather than `__date`, which would cast every
    row; midnight to midnight is 23 or 25 hours on daylight-saving days.
    """
    zone = timezone.get_default_timezone()
    start = datetime.combine(day, time.min, tzinfo=zone)
    end = datetime.combine(day + timedelta(days=1), time.min, tzinfo=zone)
    return start, end


def allowed_date_range(*, today: date | None = None) -> tuple[date, date]:
    today = today or timezone.localdate()
    years_ahead = today.year + settings.BOOKING_MAX_YEARS_AHEAD
    try:
        latest = today.replace(year=years_ahead)
    except ValueError:  # 29 February, and the target year is not a leap year
        latest = today.replace(year=years_ahead, day=28)
    return date(settings.BOOKING_EARLIEST_YEAR, 1, 1), latest


def is_allowed_date(value: date | datetime) -> bool:
    if isinstance(value, datetime):
        try:
            value = (
                timezone.localdate(value) if timezone.is_aware(value) else value.date()
            )
        except OverflowError:  # 0001-01-01T00:00+18:00 has no local date
            return False
    earliest, latest = allowed_date_range()
    return earliest <= value <= latest


def validate_allowed_date(value: date | datetime) -> None:
    """A field validator (forms, filters and serializers alike)."""
    if not is_allowed_date(value):
        earliest, latest = allowed_date_range()
        raise ValidationError(
            _("Choose a date between %(earliest)s and %(latest)s."),
            code="date_out_of_range",
            params={"earliest": earliest.isoformat(), "latest": latest.isoformat()},
        )
