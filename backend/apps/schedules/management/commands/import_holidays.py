"""Load a country's public holidays as whole-day business closures."""

from datetime import date, timedelta

import holidays
from django.core.management.base import BaseCommand, CommandError

from apps.schedules import services
from apps.schedules.exceptions import ClosureConflicts
from apps.schedules.models import Closure
from common.commands import command_errors
from common.dates import local_day_bounds


class Command(BaseCommand):
    help = (
        "Create a whole-day business closure (kind `holiday`, the holiday's "
        "name as its public note) for each public holiday of a country and "
        "year, from the `holidays` library. Idempotent: a holiday already "
        "there is skipped. A holiday with bookings on it is left out and "
        "reported unless --on-conflict says what to do with them."
    )

    def add_arguments(self, parser):
        parser.add_argument("--country", required=True, help="ISO 3166 code: PT")
        parser.add_argument("--year", required=True, type=int)
        parser.add_argument(
            "--subdivision",
            help="The library's subdivision code, for regional holidays "
            "(Portugal: 11 is Lisbon).",
        )
        parser.add_argument(
            "--language",
            help="Language of the holiday names, as the library spells it "
            "(pt_PT); the library's default otherwise.",
        )
        parser.add_argument(
            "--on-conflict",
            choices=services.ON_CONFLICT_CHOICES,
            help="What to do with bookings on a holiday (as the API's "
            "`on_conflict`); without it such a holiday is not imported.",
        )

    def handle(self, *args, country, year, subdivision, language, on_conflict, **kw):
        calendar = _holidays(country, year, subdivision, language)
        created, present, refused = 0, 0, []
        for day, name in sorted(calendar.items()):
            with command_errors("import_holidays"):
                outcome = self._import_day(day, name, on_conflict)
            if outcome is None:
                present += 1
            elif isinstance(outcome, ClosureConflicts):
                refused.append(
                    f"{day.isoformat()} {name}: "
                    + ", ".join(row["reference"] for row in outcome.bookings)
                )
            else:
                created += 1
        where = f"{country}-{subdivision}" if subdivision else country
        self.stdout.write(
            f"Imported {created} holidays of {where} {year} "
            f"({present} already there, {len(calendar)} in all)."
        )
        if refused:
            raise CommandError(
                "Holidays with bookings, not imported (use --on-conflict): "
                + "; ".join(refused)
            )

    def _import_day(self, day: date, name: str, on_conflict):
        starts_at, _ = local_day_bounds(day)
        ends_at, _ = local_day_bounds(day + timedelta(days=1))
        if Closure.objects.filter(
            staff__isnull=True,
            kind=Closure.Kind.HOLIDAY,
            starts_at=starts_at,
            ends_at=ends_at,
        ).exists():
            return None
        try:
            return services.closure_create(
                starts_at=starts_at,
                ends_at=ends_at,
                kind=Closure.Kind.HOLIDAY,
                public_note=name[:200],
                on_conflict=on_conflict,
            )
        except ClosureConflicts as conflicts:
            return conflicts


def _holidays(country: str, year: int, subdivision, language):
    try:
        return holidays.country_holidays(
            country.upper(), subdiv=subdivision, years=year, language=language
        )
    except (NotImplementedError, ValueError) as error:
        # The library's own words: "Country XX not available", "Entity `PT`
        # does not have subdivision 99", an unknown language.
        raise CommandError(f"The holidays library says: {error}") from None
