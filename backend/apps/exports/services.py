"""An export as a file: the table of its kind, rendered in its format.

Exports change nothing; they read through `selectors` and `tables` and are
rendered by `writers`. The API, the admin page and `manage.py export` all
build them here, so each shows the same rows.
"""

from collections.abc import Iterator
from dataclasses import dataclass

from apps.exports import tables, writers
from apps.exports.selectors import ExportQuery

BOOKINGS, PAYMENTS = "bookings", "payments"
TABLES = {BOOKINGS: tables.bookings_table, PAYMENTS: tables.payments_table}
PERMISSIONS = {
    BOOKINGS: "exports.export_bookings",
    PAYMENTS: "exports.export_payments",
}
CONTACT_PERMISSION = "exports.export_guest_contact"


@dataclass
class ExportFile:
    filename: str
    content_type: str
    chunks: Iterator[bytes]


def export_file(
    *, kind: str, query: ExportQuery, file_format: str, include_contact: bool
) -> ExportFile:
    """The export of `kind` (bookings, payments) as a lazily rendered file."""
    table = TABLES[kind](query, include_contact=include_contact)
    return ExportFile(
        filename=f"{kind}-{query.date_from:%Y-%m-%d}-to-{query.date_to:%Y-%m-%d}."
        + writers.EXTENSIONS[file_format],
        content_type=writers.CONTENT_TYPES[file_format],
        chunks=writers.chunks(table, file_format),
    )


def may_see_contact(user) -> bool:
    """Guests' names and emails are exported only to a role that may see them."""
    return user.has_perm(CONTACT_PERMISSION)
