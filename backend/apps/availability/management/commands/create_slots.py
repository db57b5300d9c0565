"""Generate a staff member's slots over a date range, like the admin's form.

    python manage.py create_slots --staff 3 --from 2026-12-01 --to 2026-12-31 \\
        --between 09:00-17:00 --every 60 --weekdays mon-fri [--buffer 15]
"""

import argparse
from datetime import date, time

from django.core.management.base import BaseCommand, CommandError

from apps.availability.services import WEEKDAY_NAMES, availability_generate
from apps.staff.models import Staff
from common.exceptions import DomainError


def parse_date(value: str) -> date:
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise argparse.ArgumentTypeError(
            f"{value!r} is not a YYYY-MM-DD date"
        ) from None


def parse_between(value: str) -> tuple[time, time]:
    try:
        start, end = (time.fromisoformat(part) for part in value.split("-"))
    except ValueError:
        raise argparse.ArgumentTypeError(f"{value!r} is not HH:MM-HH:MM") from None
    if end <= start:
        raise argparse.ArgumentTypeError(f"{value!r} ends before it starts")
    return start, end


def parse_weekdays(value: str) -> frozenset[int]:
    """`mon-fri`, `mon,wed,fri`, `sat-sun`, or a mix: `mon-wed,sat`."""
    days: set[int] = set()
    for part in value.lower().split(","):
        first, _, last = part.strip().partition("-")
        try:
            start = WEEKDAY_NAMES.index(first)
            end = WEEKDAY_NAMES.index(last) if last else start
        except ValueError:
            raise argparse.ArgumentTypeError(
                f"{value!r}: use day names {', '.join(WEEKDAY_NAMES)}"
            ) from None
        if end < start:
            raise argparse.ArgumentTypeError(f"{part!r} runs backwards")
        days.update(range(start, end + 1))
    return frozenset(days)


def positive_minutes(value: str) -> int:
    minutes = int(value)
    if not 1 <= minutes <= 24 * 60:
        raise argparse.ArgumentTypeError("--every takes 1 to 1440 minutes")
    return minutes


def buffer_minutes(value: str) -> int:
    try:
        minutes = int(value)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{value!r} is not a number") from None
    if not 0 <= minutes <= 24 * 60:
        raise argparse.ArgumentTypeError("--buffer takes 0 to 1440 minutes")
    return minutes


class Command(BaseCommand):
    help = (
        "Create back-to-back slots for a staff member on each chosen day, "
        "between two wall-clock times in BOOKING_TIMEZONE. Slots overlapping "
        "existing ones are skipped, so a rerun creates nothing."
    )

    def add_arguments(self, parser):
        parser.add_argument("--staff", type=int, required=True, help="Staff id")
        parser.add_argument("--from", dest="first_day", type=parse_date, required=True)
        parser.add_argument("--to", dest="last_day", type=parse_date, required=True)
        parser.add_argument(
            "--between", type=parse_between, required=True, help="e.g. 09:00-17:00"
        )
        parser.add_argument(
            "--every", type=positive_minutes, required=True, help="Slot length (min)"
        )
        parser.add_argument(
            "--buffer",
            type=buffer_minutes,
            default=0,
            help="Minutes left free between consecutive slots (default 0)",
        )
        parser.add_argument(
            "--weekdays",
            type=parse_weekdays,
            default=frozenset(range(7)),
            help="e.g. mon-fri or mon,wed,fri (default: every day)",
        )

    def handle(
        self, *args, staff, first_day, last_day, between, every, weekdays, buffer, **o
    ):
        if last_day < first_day:
            raise CommandError("--to is before --from")
        try:
            member = Staff.objects.get(pk=staff)
        except Staff.DoesNotExist:
            raise CommandError(f"No staff member with id {staff}") from None
        try:
            created = availability_generate(
                staff=member,
                first_day=first_day,
                last_day=last_day,
                day_start=between[0],
                day_end=between[1],
                every_minutes=every,
                weekdays=weekdays,
                buffer_minutes=buffer,
            )
        except DomainError as error:
            raise CommandError(error.detail) from None
        self.stdout.write(f"Created {created} slots for {member}.")
