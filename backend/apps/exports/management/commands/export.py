"""Export bookings or payments to a file, e.g. the month's books from cron:

    python manage.py export bookings --from 2026-11-01 --to 2026-11-30 \\
        --format xlsx --output bookings-2026-11.xlsx
"""

import os
import tempfile
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from apps.exports import services
from apps.exports.serializers import (
    BookingExportQuerySerializer,
    PaymentExportQuerySerializer,
)
from common.commands import command_errors

QUERIES = {
    services.BOOKINGS: BookingExportQuerySerializer,
    services.PAYMENTS: PaymentExportQuerySerializer,
}


class Command(BaseCommand):
    help = (
        "Write the bookings or payments of a date range (days of the business "
        "timezone, both included) as xlsx or CSV, with the guests' names and "
        "emails unless --no-contact."
    )

    def add_arguments(self, parser):
        parser.add_argument("kind", choices=sorted(QUERIES))
        parser.add_argument("--from", dest="date_from", required=True)
        parser.add_argument("--to", dest="date_to", required=True)
        parser.add_argument(
            "--format", default="xlsx", help="xlsx (default), csv or csv-semicolon."
        )
        parser.add_argument(
            "--date-basis",
            default=None,
            help="bookings: appointment (default) or created; payments: paid "
            "(default), appointment or created.",
        )
        parser.add_argument("--status", default=None)
        parser.add_argument("--staff", default=None, help="A staff member's id.")
        parser.add_argument("--service", default=None, help="A service's id.")
        parser.add_argument("--output", required=True, help="The file to write.")
        parser.add_argument(
            "--no-contact",
            action="store_true",
            help="Leave out guests' names and emails (and payers' names).",
        )

    def handle(self, *args, kind, output, no_contact, **options):
        params = {
            "from": options["date_from"],
            "to": options["date_to"],
            "format": options["format"],
            "date_basis": options["date_basis"],
            "status": options["status"],
            "staff": options["staff"],
            "service": options["service"],
        }
        query = QUERIES[kind](
            data={key: value for key, value in params.items() if value is not None}
        )
        if not query.is_valid():
            raise CommandError(
                "; ".join(
                    f"--{field.replace('_', '-')}: {' '.join(map(str, errors))}"
                    for field, errors in query.errors.items()
                )
            )
        target = Path(output)
        with command_errors(f"exporting {kind}"):
            export = services.export_file(
                kind=kind,
                query=query.export_query(),
                file_format=query.validated_data["format"],
                include_contact=not no_contact,
            )
            # Written next to the target and renamed, so a cron job never
            # leaves (or a reader never sees) half a file under the name.
            descriptor, rows_file = tempfile.mkstemp(
                dir=target.parent, prefix=f".{target.name}."
            )
            try:
                with os.fdopen(descriptor, "wb") as handle:
                    for chunk in export.chunks:
                        handle.write(chunk)
                os.replace(rows_file, target)
            finally:
                if os.path.exists(rows_file):
                    os.unlink(rows_file)
        self.stdout.write(f"Wrote {target} ({target.stat().st_size} bytes).")
