"""The export: every booking of the contact and nothing of anyone else."""

import pytest

from apps.privacy.tests.conftest import ERASURES, EXPORT, pay_by_csv, run_jobs

pytestmark = pytest.mark.django_db

SHARED_NAME = "Ana Sousa"


def test_the_export_holds_every_booking_of_the_contact_and_no_one_else(
    guest_books, manager_client, contact_webhook
):
    mine = [
        guest_books(SHARED_NAME, "ana.sousa@example.org", "+351 913 000 111"),
        # The same mailbox written otherwise is the same guest.
        guest_books(SHARED_NAME, "Ana.Sousa+spa@Example.org", "+351 913 000 111"),
    ]
    theirs = guest_books(SHARED_NAME, "ana.sousa@other.example", "+351 914 999 888")
    pay_by_csv(
        manager_client, mine[0], payer="A SOUSA", iban="PT50000000000000000000111"
    )
    pay_by_csv(
        manager_client, theirs, payer="A SOUSA", iban="PT50000000000000000000999"
    )
    run_jobs()

    response = manager_client.get(EXPORT, {"email": "ana.sousa@example.org"})

    assert response.status_code == 200, response.content
    data = response.json()
    assert sorted(b["reference"] for b in data["bookings"]) == sorted(
        b.reference for b in mine
    )
    text = response.content.decode()
    assert theirs.reference not in text
    assert "ana.sousa@other.example" not in text and "914999888" not in text
    assert "PT50000000000000000000999" not in text
    assert [t["payer_account"] for t in data["bank_transactions"]] == [
        "PT50000000000000000000111"
    ]
    assert {e["kind"] for e in data["booking_events"]} == {
        "created",
        "payment_verified",
    }
    assert {n["recipient"] for n in data["notifications"]} >= {
        "ana.sousa@example.org",
        "Ana.Sousa+spa@Example.org",
    }
    assert data["webhook_deliveries"]
    assert response["Cache-Control"] == "private, no-store"

    by_phone = manager_client.get(EXPORT, {"phone": "913000111"}).json()
    assert sorted(b["reference"] for b in by_phone["bookings"]) == sorted(
        b.reference for b in mine
    )


def test_after_erasure_the_export_shows_only_the_record(guest_books, manager_client):
    booking = guest_books(SHARED_NAME, "ana.sousa@example.org", "+351 913 000 111")
    manager_client.post(f"/api/bookings/{booking.pk}/cancel/", {"reason": "x"})
    manager_client.post(
        ERASURES, {"email": "ana.sousa@example.org", "reason": "asked"}, format="json"
    )

    data = manager_client.get(EXPORT, {"email": "ana.sousa@example.org"}).json()

    assert data["bookings"] == [] and data["notifications"] == []
    assert [e["bookings_erased"] for e in data["erasures"]] == [[booking.reference]]


@pytest.mark.parametrize(
    "query", [{}, {"email": "not-an-email"}, {"email": "a@b.example", "phone": "912"}]
)
def test_a_bad_query_is_a_400(manager_client, query):
    assert manager_client.get(EXPORT, query).status_code == 400
