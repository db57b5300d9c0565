"""The whole database as pg_dump writes it: after an erasure, and after the
retention job, it holds neither the guest's email, phone (any format) nor
name, while the booking's reference, amount and status and the matched bank
line are still there."""

import io
import os
import subprocess

import pytest
from django.core.management import call_command
from django.db import connection

from apps.bookings.models import Booking
from apps.payments.models import BankTransaction
from apps.privacy.tests.conftest import ERASURES, move_to_past
from apps.privacy.tests.test_erasure import EMAIL, NEEDLES, paid_and_past
from apps.staff.tests.test_tokens import pg_dump

pytestmark = [pytest.mark.postgresql_only, pytest.mark.django_db(transaction=True)]


def dump() -> str:
    db = connection.settings_dict
    return subprocess.run(
        [
            pg_dump(),
            "--data-only",
            "-h",
            db["HOST"] or "127.0.0.1",
            "-p",
            str(db["PORT"] or 5432),
            "-U",
            db["USER"],
            db["NAME"],
        ],
        capture_output=True,
        text=True,
        env={**os.environ, "PGPASSWORD": db.get("PASSWORD") or ""},
        check=True,
        timeout=120,
    ).stdout.lower()


def found_in(text: str) -> list[str]:
    return [
        needle
        for needle in NEEDLES
        if needle.lower() in text or needle.encode().hex() in text
    ]


def assert_books_kept(booking, text):
    booking.refresh_from_db()
    assert booking.status == Booking.Status.COMPLETED
    line = BankTransaction.objects.get(booking=booking)
    assert line.outcome == BankTransaction.Outcome.MATCHED
    assert booking.reference.lower() in text
    assert f"{booking.amount_due}" in text


def test_after_an_erasure_pg_dump_holds_nothing_of_the_guest(
    guest_books, manager_client, contact_webhook
):
    booking = paid_and_past(guest_books, manager_client)
    assert found_in(dump()), "the dump must hold the guest before the erasure"

    response = manager_client.post(
        ERASURES, {"email": EMAIL, "reason": "the guest asked"}, format="json"
    )

    assert response.status_code == 201
    text = dump()
    assert found_in(text) == []
    assert_books_kept(booking, text)


def test_after_retention_pg_dump_holds_nothing_of_the_guest(
    guest_books, manager_client, contact_webhook, settings
):
    settings.BOOKING_RETENTION_DAYS = 730
    booking = paid_and_past(guest_books, manager_client)
    move_to_past(booking, days=731)

    call_command("run_scheduled_jobs", stdout=io.StringIO())

    text = dump()
    assert found_in(text) == []
    assert_books_kept(booking, text)
