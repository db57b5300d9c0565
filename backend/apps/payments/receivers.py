"""Listens to booking events: a paid booking cancelled with a refund owed
makes the bank credit that paid it a refund due (the SEPA refunds export and
the review pages read refunds from bank transactions).

Connected in `PaymentsConfig.ready()`; runs inside the cancellation's
transaction, so the refund commits with it or not at all.
"""

from django.dispatch import receiver

from apps.bookings.models import BookingEvent
from apps.bookings.signals import booking_events_recorded
from apps.payments.models import BankTransaction


@receiver(booking_events_recorded, dispatch_uid="payments.refunds_owed")
def mark_refunds_owed(sender, *, events, **kwargs):
    booking_ids = [
        event.booking_id
        for event in events
        if event.kind == BookingEvent.Kind.CANCELLED and event.data.get("refund_due")
    ]
    if booking_ids:
        BankTransaction.objects.filter(
            booking_id__in=booking_ids, outcome=BankTransaction.Outcome.MATCHED
        ).exclude(refund_status=BankTransaction.Refund.REFUNDED).update(
            refund_status=BankTransaction.Refund.DUE
        )
