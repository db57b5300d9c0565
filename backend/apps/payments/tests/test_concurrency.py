"""An import and the expiry job at once, on PostgreSQL, with real threads.

Every booking must end confirmed with its transaction `matched`, or cancelled
with its transaction `late`: never both, never neither.
"""

from datetime import timedelta

import pytest
from django.utils import timezone

from apps.availability.tests.factories import AvailabilityFactory
from apps.bookings import services as booking_services
from apps.bookings.models import Booking
from apps.bookings.tests.threads import in_threads
from apps.payments import services
from apps.payments.models import BankTransaction
from apps.payments.tests import samples
from apps.services.tests.factories import ServiceFactory
from apps.staff.tests.factories import StaffFactory

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.postgresql_only]
BOOKINGS = 40


def test_import_and_expiry_race():
    service = ServiceFactory(duration_minutes=60)
    staff = StaffFactory(services=[service])
    past = timezone.now() - timedelta(hours=1)
    bookings = []
    for index in range(BOOKINGS):
        start = timezone.now().replace(microsecond=0) + timedelta(days=1, hours=index)
        slot = AvailabilityFactory(
            staff=staff, start_time=start, end_time=start + timedelta(hours=1)
        )
        bookings.append(
            booking_services.booking_create(
                service_id=service.pk,
                availability_id=slot.pk,
                customer_name="G",
                customer_email=f"g{index}@example.com",
                customer_phone=f"91200{index:04d}",
                source="staff",
                now=past,  # already past its payment deadline
            )
        )
    content = samples.camt053(
        [{"amount": b.amount_due, "text": b.reference} for b in bookings]
    )

    def work(index):
        if index == 0:
            return services.bank_statement_import(content=content, file_name="s")
        return booking_services.bookings_expire_unpaid(batch_size=5)

    in_threads(2, work)
    booking_services.bookings_expire_unpaid()  # whatever the job skipped

    outcomes = dict(BankTransaction.objects.values_list("booking_id", "outcome"))
    assert len(outcomes) == BOOKINGS
    for booking in Booking.objects.all():
        if booking.status == Booking.Status.CONFIRMED:
            assert outcomes[booking.pk] == "matched"
        else:
            assert booking.status == Booking.Status.CANCELLED
            assert outcomes[booking.pk] == "late"
