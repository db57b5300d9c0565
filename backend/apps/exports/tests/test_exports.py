"""The accountant's exports: the month's bookings and payments as files."""

import csv
import io
from datetime import datetime
from zoneinfo import ZoneInfo

import openpyxl
import pytest
from django.contrib.auth.models import Permission
from django.core.management import call_command
from rest_framework.test import APIClient

from apps.availability.tests.factories import AvailabilityFactory
from apps.bookings import services as booking_services
from apps.bookings.tests.factories import StaffUserFactory
from apps.payments.services import bank_statement_import
from apps.payments.tests.samples import camt053
from apps.services.tests.factories import ServiceFactory
from apps.staff.tests.factories import StaffFactory

pytestmark = pytest.mark.django_db

LISBON = ZoneInfo("Europe/Lisbon")
HOSTILE = '=HYPERLINK("http://x","y")'
MONTH = {"from": "2030-03-01", "to": "2030-03-31"}


def at(day, hour=10, month=3):
    return datetime(2030, month, day, hour, tzinfo=LISBON)


@pytest.fixture
def books():
    """March 2030: four bookings of two services and two staff members (one
    paid at the desk, one by bank transfer, one unpaid, one cancelled), and
    one booking each side of the month."""
    cut, colour = (
        ServiceFactory(name="Cut", price=30),
        ServiceFactory(name="Colour", price=55),
    )
    ana = StaffFactory(name="Ana", services=[cut, colour])
    rui = StaffFactory(name="Rui", services=[cut])

    def book(service, member, start, name="Joana", email="joana@example.com"):
        slot = AvailabilityFactory(
            staff=member, start_time=start, end_time=start.replace(hour=start.hour + 1)
        )
        return booking_services.booking_create(
            service_id=service.pk,
            availability_id=slot.pk,
            customer_name=name,
            customer_email=email,
            customer_phone="912345678",
            source="staff",
        )

    desk_paid = book(cut, ana, at(3), name=HOSTILE, email="x@example.com")
    booking_services.booking_verify_payment(booking=desk_paid, actor=None)
    bank_paid = book(colour, ana, at(10), name="Maria", email="maria@example.com")
    bank_statement_import(
        content=camt053([{"amount": "60.00", "text": f"Ref {bank_paid.reference}"}]),
        file_name="march.xml",
    )
    unpaid = book(cut, rui, at(31, hour=22), name="Rita", email="rita@example.com")
    cancelled = book(cut, rui, at(20), name="Sara", email="sara@example.com")
    booking_services.booking_cancel(booking=cancelled, actor=None)
    book(cut, rui, at(28, month=2))
    book(cut, rui, at(1, hour=0, month=4))  # midnight Lisbon: April, not March
    return {
        "desk_paid": desk_paid,
        "bank_paid": bank_paid,
        "unpaid": unpaid,
        "cancelled": cancelled,
    }


def client_for(role="manager"):
    client = APIClient()
    client.force_authenticate(StaffUserFactory(role=role))
    return client


def download(client, kind="bookings", **params):
    response = client.get(f"/api/exports/{kind}/", {**MONTH, **params})
    assert response.status_code == 200, response.content
    assert response.streaming
    return response, b"".join(response.streaming_content)


def sheet_rows(content):
    workbook = openpyxl.load_workbook(io.BytesIO(content))
    return list(workbook.active.iter_rows(values_only=False))


def test_the_months_bookings_open_in_openpyxl_with_the_totals_right(books):
    response, content = download(client_for(), format="xlsx")
    assert response["Content-Type"].startswith(
        "application/vnd.openxmlformats-officedocument.spreadsheetml"
    )
    assert (
        'filename="bookings-2030-03-01-to-2030-03-31.xlsx"'
        in response["Content-Disposition"]
    )
    rows = sheet_rows(content)
    values = [[cell.value for cell in row] for row in rows]
    header = values[0]
    assert header[:10] == [
        "Reference",
        "Created",
        "Appointment",
        "Service",
        "Staff",
        "Amount due (EUR)",
        "Amount paid (EUR)",
        "Paid on",
        "Payment source",
        "Status",
    ]
    assert header[10:] == ["Guest name", "Guest email"]
    body = values[1 : next(i for i, row in enumerate(values) if not any(row))]
    by_reference = {row[0]: row for row in body}
    # One row per booking of March, appointment order, nothing from Feb or April.
    assert list(by_reference) == [
        books[k].reference for k in ("desk_paid", "bank_paid", "cancelled", "unpaid")
    ]
    desk = by_reference[books["desk_paid"].reference]
    assert desk[3:7] == ["Cut", "Ana", 30, 30]
    assert desk[8] == "Staff"
    bank = by_reference[books["bank_paid"].reference]
    assert bank[5:9] == [55, 60, datetime(2026, 3, 2), "Bank import"]
    assert by_reference[books["unpaid"].reference][6] == 0
    assert by_reference[books["unpaid"].reference][2] == datetime(2030, 3, 31, 22, 0)

    totals = values[len(body) + 2 :]
    flat = [
        [v for v in row if v is not None]
        for row in totals
        if any(v is not None for v in row)
    ]
    assert flat[0] == ["Totals per service"]
    assert flat[1] == ["Service", "Count", "Amount due", "Amount paid"]
    assert flat[2] == ["Colour", 1, 55, 60]
    assert flat[3] == ["Cut", 3, 90, 30]
    assert flat[4] == ["Total", 4, 145, 90]
    assert flat[5] == ["Totals per staff"]
    assert flat[7:10] == [["Ana", 2, 85, 90], ["Rui", 2, 60, 0], ["Total", 4, 145, 90]]


def test_a_formula_name_comes_out_as_text(books):
    _, content = download(client_for(), format="xlsx")
    name_cells = [row[10] for row in sheet_rows(content)[1:5]]
    hostile = next(cell for cell in name_cells if "HYPERLINK" in str(cell.value))
    assert hostile.data_type == "s"
    assert hostile.value == "'" + HOSTILE

    for file_format, delimiter in (("csv", ","), ("csv-semicolon", ";")):
        _, content = download(client_for(), format=file_format)
        rows = list(
            csv.reader(io.StringIO(content.decode("utf-8-sig")), delimiter=delimiter)
        )
        names = [row[10] for row in rows[1:]]
        assert "'" + HOSTILE in names and HOSTILE not in names


def test_csv_semicolon_has_decimal_commas_and_a_bom(books):
    _, content = download(client_for(), format="csv-semicolon")
    assert content.startswith("\ufeff".encode())
    rows = list(csv.reader(io.StringIO(content.decode("utf-8-sig")), delimiter=";"))
    bank = next(row for row in rows if row[0] == books["bank_paid"].reference)
    assert bank[5:8] == ["55,00", "60,00", "2026-03-02"]
    _, content = download(client_for(), format="csv")
    rows = list(csv.reader(io.StringIO(content.decode("utf-8-sig"))))
    assert len(rows) == 5  # header and four bookings; totals only in the xlsx
    assert next(r for r in rows if r[0] == books["bank_paid"].reference)[5:7] == [
        "55.00",
        "60.00",
    ]


def test_filters_and_the_creation_date_basis(books):
    _, content = download(client_for(), format="csv", status="cancelled")
    rows = list(csv.reader(io.StringIO(content.decode("utf-8-sig"))))
    assert [row[0] for row in rows[1:]] == [books["cancelled"].reference]
    ana = books["desk_paid"].staff_id
    _, content = download(client_for(), format="csv", staff=ana)
    assert len(content.decode("utf-8-sig").splitlines()) == 3
    # Every booking was created today, not in March 2030.
    _, content = download(client_for(), format="csv", date_basis="created")
    assert len(content.decode("utf-8-sig").splitlines()) == 1


def test_guest_contact_only_for_a_role_that_may_see_it(books):
    user = StaffUserFactory(role="")
    user.user_permissions.add(Permission.objects.get(codename="export_bookings"))
    client = APIClient()
    client.force_authenticate(user)
    _, content = download(client, format="csv")
    header, *rows = list(csv.reader(io.StringIO(content.decode("utf-8-sig"))))
    assert "Guest name" not in header and "Guest email" not in header
    assert len(rows) == 4 and all(len(row) == 10 for row in rows)
    assert b"maria@example.com" not in content and b"HYPERLINK" not in content


@pytest.mark.parametrize(
    ("params", "field"),
    [
        ({"from": "2030-03-31", "to": "2030-03-01"}, "to"),
        ({"from": "", "to": "2030-03-01"}, "from"),
        ({"format": "pdf"}, "format"),
        ({"date_basis": "paid"}, "date_basis"),
        ({"staff": "x"}, "staff"),
    ],
)
def test_bad_queries_are_field_errors(params, field):
    response = client_for().get("/api/exports/bookings/", {**MONTH, **params})
    assert response.status_code == 400
    assert field in response.json()["errors"]


def test_front_desk_may_not_export():
    for kind in ("bookings", "payments"):
        response = client_for(role="desk").get(f"/api/exports/{kind}/", MONTH)
        assert response.status_code == 403


def test_the_payments_of_the_month(books):
    bank_statement_import(
        content=camt053(
            [
                {
                    "amount": "12.00",
                    "text": "no reference",
                    "name": "Ana Payer",
                    "date": "2030-03-05",
                    "ref": "X2",
                }
            ]
        ),
        file_name="more.xml",
    )
    _, content = download(
        client_for(),
        kind="payments",
        format="xlsx",
        **{"from": "2026-03-01", "to": "2030-12-31"},
    )
    values = [[c.value for c in row] for row in sheet_rows(content)]
    header = values[0]
    assert header[:5] == [
        "Paid on",
        "Amount",
        "Currency",
        "Payment source",
        "Booking reference",
    ]
    body = values[1 : next(i for i, row in enumerate(values) if not any(row))]
    sources = sorted((row[3], row[1], row[4], row[9]) for row in body)
    assert sources == sorted(
        [
            ("Bank import", 60, books["bank_paid"].reference, "Matched"),
            ("Bank import", 12, None, "Unmatched"),
            ("Staff", 30, books["desk_paid"].reference, "verified by staff"),
        ]
    )
    assert "Ana Payer" in [row[12] for row in body]
    flat = [
        [v for v in row if v is not None] for row in values[len(body) + 1 :] if any(row)
    ]
    assert [
        "Total",
        2,
        90,
    ] in flat  # what paid for bookings; the stray 12 is listed, not totalled


def test_the_export_command_writes_the_file(books, tmp_path):
    target = tmp_path / "march.xlsx"
    output = io.StringIO()
    call_command(
        "export",
        "bookings",
        "--from",
        "2030-03-01",
        "--to",
        "2030-03-31",
        "--format",
        "xlsx",
        "--output",
        str(target),
        stdout=output,
    )
    assert f"Wrote {target}" in output.getvalue()
    rows = list(openpyxl.load_workbook(target).active.iter_rows(values_only=True))
    assert rows[0][0] == "Reference" and rows[0][10] == "Guest name"
    assert len([r for r in rows[1:6] if r[0]]) == 4
    call_command(
        "export",
        "payments",
        "--from",
        "2030-03-01",
        "--to",
        "2030-03-31",
        "--format",
        "csv-semicolon",
        "--output",
        str(tmp_path / "p.csv"),
        "--no-contact",
        stdout=output,
    )
    assert "Payer" not in (tmp_path / "p.csv").read_text(encoding="utf-8-sig")


def test_the_export_command_refuses_bad_dates(tmp_path):
    from django.core.management.base import CommandError

    with pytest.raises(CommandError, match="--to"):
        call_command(
            "export",
            "bookings",
            "--from",
            "2030-03-31",
            "--to",
            "2030-03-01",
            "--output",
            str(tmp_path / "x.csv"),
        )
    assert not list(tmp_path.iterdir())


def test_the_admin_page_downloads_the_same_file(books, client):
    client.force_login(StaffUserFactory(role="manager"))
    page = client.get("/admin/exports/export/")
    assert page.status_code == 200 and b"Download" in page.content
    response = client.get(
        "/admin/exports/export/",
        {
            "kind": "bookings",
            "date_from": "2030-03-01",
            "date_to": "2030-03-31",
            "file_format": "csv",
        },
    )
    assert response.status_code == 200
    assert response["Content-Disposition"].startswith("attachment")
    content = b"".join(response.streaming_content).decode("utf-8-sig")
    assert books["bank_paid"].reference in content
    bad = client.get(
        "/admin/exports/export/",
        {
            "kind": "bookings",
            "date_from": "2030-03-31",
            "date_to": "2030-03-01",
            "file_format": "csv",
        },
    )
    assert bad.status_code == 200 and b"errorlist" in bad.content


def test_rows_come_in_chunks_in_order_and_complete(books, monkeypatch):
    """Chunks of 1: every row once, oldest first, one query per chunk (no
    server-side cursor, which PgBouncer's transaction pooling cannot keep)."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from apps.exports import selectors

    with CaptureQueriesContext(connection) as one_chunk:
        _, whole = download(client_for(), format="csv")
    monkeypatch.setattr(selectors, "CHUNK_SIZE", 1)
    with CaptureQueriesContext(connection) as four_chunks:
        _, chunked = download(client_for(), format="csv")
    assert chunked == whole
    rows = list(csv.reader(io.StringIO(chunked.decode("utf-8-sig"))))[1:]
    assert [row[0] for row in rows] == [
        books[name].reference
        for name in ("desk_paid", "bank_paid", "cancelled", "unpaid")
    ]
    assert len(four_chunks.captured_queries) == len(one_chunk.captured_queries) + 3
