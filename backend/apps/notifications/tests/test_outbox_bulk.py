"""The outbox's many-row insert (common.bulk: one JSON document on
PostgreSQL) stores exactly what Django's bulk_create stores."""

from datetime import UTC, datetime

import pytest
from django.forms.models import model_to_dict

from apps.notifications.models import Notification
from common.bulk import bulk_insert

pytestmark = pytest.mark.django_db


def _rows(tag):
    moment = datetime(2026, 12, 7, 21, 3, 0, 288570, tzinfo=UTC)
    return [
        Notification(
            kind=Notification.Kind.BOOKING_CANCELLED,
            recipient=f"{tag}-{index}@example.com",
            guest_triggered=index % 2 == 0,
            recipient_key=f"key-{index}" if index % 2 == 0 else "",
            subject='A "quoted" \\ subject, {braces}, ção',
            body_text="line one\nline two\ttab",
            snapshot=(
                None
                if index == 1
                else {"extra": {"who": "O'Brien"}, "n": [1, None, "x"], "b": True}
            ),
            ics_sequence=None if index else 3,
            next_attempt_at=moment,
            created_at=moment.replace(microsecond=0),
        )
        for index in range(4)
    ]


def _stored(notifications):
    fields = [
        field.name
        for field in Notification._meta.concrete_fields
        if field.name not in ("id", "recipient")
    ]
    return [
        model_to_dict(Notification.objects.get(pk=n.pk), fields=fields)
        for n in notifications
    ]


def test_bulk_insert_stores_what_bulk_create_stores_and_sets_keys_in_order():
    inserted = bulk_insert(_rows("bulk"))
    created = Notification.objects.bulk_create(_rows("orm"))

    assert [n.pk for n in inserted] == sorted(n.pk for n in inserted)
    assert all(not n._state.adding for n in inserted)
    assert [Notification.objects.get(pk=n.pk).recipient for n in inserted] == [
        f"bulk-{index}@example.com" for index in range(4)
    ]
    assert _stored(inserted) == _stored(created)
    # A JSON null is no JSON value but SQL NULL, as bulk_create writes it.
    assert Notification.objects.filter(snapshot__isnull=True).count() == 2


def test_bulk_insert_of_nothing_writes_nothing():
    assert bulk_insert([]) == []
    assert not Notification.objects.exists()
