from pathlib import Path

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from apps.payments import selectors, services
from apps.payments.exceptions import PaymentsError
from apps.payments.statements import CSV_PRESETS, FORMATS


class Command(BaseCommand):
    help = (
        "Import a bank statement (CAMT.053, MT940 or CSV) and reconcile its "
        "credits with bookings. Prints one line per outcome."
    )

    def add_arguments(self, parser):
        parser.add_argument("file", type=Path)
        parser.add_argument("--format", choices=FORMATS, default=None)
        parser.add_argument("--dry-run", action="store_true")
        parser.add_argument(
            "--csv-preset", choices=list(CSV_PRESETS), default="", help="Bank layout."
        )
        parser.add_argument(
            "--csv-map",
            default="",
            help='JSON column mapping, e.g. \'{"date": "Valuta", "delimiter": ";"}\'.',
        )

    def handle(self, *args, file: Path, **options):
        try:
            if file.stat().st_size > settings.BANK_STATEMENT_MAX_BYTES:
                raise CommandError(
                    f"{file}: larger than BANK_STATEMENT_MAX_BYTES "
                    f"({settings.BANK_STATEMENT_MAX_BYTES} bytes)."
                )
            content = file.read_bytes()
        except OSError as error:
            raise CommandError(f"{file}: {error.strerror}") from None
        try:
            csv_dialect = None
            if options["format"] in (None, "csv"):
                csv_dialect = selectors.csv_dialect_for(
                    preset=options["csv_preset"], mapping=options["csv_map"]
                )
            result = services.bank_statement_import(
                content=content,
                file_name=file.name,
                file_format=options["format"],
                csv_dialect=csv_dialect,
                dry_run=options["dry_run"],
            )
        except PaymentsError as error:
            raise CommandError(f"{file}: {error.detail}") from None
        prefix = "dry run, nothing written: " if result.dry_run else ""
        self.stdout.write(f"{prefix}{file.name} read as {result.file_format}")
        for outcome, count in result.summary.items():
            self.stdout.write(f"{outcome}: {count}")
