"""What an expiry batch costs the database: a fixed handful of set-based
statements, however many bookings the batch holds (issue 35)."""

from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from apps.bookings import services
from apps.bookings.models import Booking, BookingEvent
from apps.bookings.tests.test_expire_unpaid_bookings import expired_bookings
from apps.notifications.models import Notification

# Per batch: the candidates' read and their extra slots' read; then, in the
# batch's transaction, BEGIN, the slots' lock, one UPDATE ... RETURNING that
# locks, re-checks and cancels the bookings, the extra slots' and the slots'
# updates, the audit events' insert, and, from the listeners, the bookings'
# one read for the emails' snapshots, the outbox's insert and the webhook
# endpoints' read; COMMIT; after it the waiting list's sweep of the freed
# days (three statements with nobody waiting). Before issue 35 the bookings
# were locked and cancelled in two statements: 16.
BUDGET_PER_BATCH = 15


def _statements_per_batch(count, batch_size, *, notify=True):
    expired_bookings(count)
    later = timezone.now() + timedelta(minutes=1)
    with CaptureQueriesContext(connection) as captured:
        result = services.bookings_expire_unpaid(
            now=later, batch_size=batch_size, notify=notify
        )
    assert result.expired == count
    statements = [query["sql"] for query in captured.captured_queries]
    # The last read finds no more candidates and ends the run.
    return (len(statements) - 1) / result.batches, statements


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("count, batch_size", [(4, 2), (12, 6)])
def test_an_expiry_batch_costs_a_fixed_handful_of_statements(count, batch_size):
    per_batch, statements = _statements_per_batch(count, batch_size)

    assert per_batch == BUDGET_PER_BATCH, "\n".join(statements)
    assert (
        Notification.objects.filter(kind=Notification.Kind.BOOKING_CANCELLED).count()
        == count
    )
    assert BookingEvent.objects.filter(kind=BookingEvent.Kind.EXPIRED).count() == count
    assert not Booking.objects.filter(status=Booking.Status.AWAITING_PAYMENT).exists()


@pytest.mark.django_db(transaction=True)
def test_an_expiry_without_emails_reads_no_booking_model():
    """The guests are not told (--no-email): no listener reads the bookings,
    so none is loaded; the waiting list asks only when the freed slots start."""
    per_batch, statements = _statements_per_batch(4, 2, notify=False)

    # No outbox insert, one read of the slots' starts instead of the bookings'.
    assert per_batch == BUDGET_PER_BATCH - 1, "\n".join(statements)
    assert not any('"bookings_booking"."reference"' in sql for sql in statements)
    assert not Notification.objects.exists()
