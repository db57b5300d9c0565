"""The booking domain layer: every write that changes a booking's state.

The API, the admin, the bank import and the scheduled jobs all call these
functions, so the rules live in one place. By job:

- `create`: booking_create, with the unpaid-hold limits;
- `transitions`: verify payment, cancel, complete, reschedule, edit, delete;
- `expiry`: bookings_expire_unpaid, the payment deadline's batches;
- `locking`: the row locks, in the one lock order of `common.db`;
- `holds`: the slots a booking holds (one or several consecutive ones),
  taken and released together with their `is_booked` flags;
- `events`: the one place a `BookingEvent` is recorded and announced
  (`apps.bookings.signals`), which is how notifications and every later side
  effect hear of a change; this package imports none of them.
"""

from apps.bookings.services.create import (
    booking_create,
    check_slots_bookable,
    payment_deadline,
    same_contact,
    unpaid_bookings_of_client,
)
from apps.bookings.services.expiry import (
    PAYMENT_TIMEOUT_NOTE,
    PAYMENT_TIMEOUT_REASON,
    ExpiryResult,
    bookings_expire_unpaid,
)
from apps.bookings.services.locking import booking_lock, bookings_lock_skipping_held
from apps.bookings.services.transitions import (
    BOOKING_CONTACT_FIELDS,
    RESCHEDULABLE_STATUSES,
    booking_cancel,
    booking_complete,
    booking_delete,
    booking_reschedule,
    booking_update,
    booking_verify_payment,
)

__all__ = [
    "BOOKING_CONTACT_FIELDS",
    "PAYMENT_TIMEOUT_NOTE",
    "PAYMENT_TIMEOUT_REASON",
    "RESCHEDULABLE_STATUSES",
    "ExpiryResult",
    "booking_cancel",
    "booking_complete",
    "booking_create",
    "booking_delete",
    "booking_lock",
    "booking_reschedule",
    "booking_update",
    "booking_verify_payment",
    "bookings_expire_unpaid",
    "bookings_lock_skipping_held",
    "check_slots_bookable",
    "payment_deadline",
    "same_contact",
    "unpaid_bookings_of_client",
]
