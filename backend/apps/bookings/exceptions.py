"""Domain errors of the booking system, each carrying its HTTP meaning.

Every error has a stable machine-readable `code` the frontend can switch on
and an HTTP `status_code`; `common.api.exception_handler` renders them all in
one body shape, so no view catches them itself. Errors about one input field
name it in `field`, and are rendered as field errors (400).
"""


class BookingDomainError(Exception):
    status_code = 409
    code = "conflict"
    default_detail = "The request conflicts with the current state."
    field: str | None = None
    retry_after: int | None = None  # seconds, sent as Retry-After

    def __init__(self, detail: str | None = None, *, field: str | None = None):
        self.detail = detail or self.default_detail
        if field is not None:
            self.field = field
        super().__init__(self.detail)


# 400: the input names something that cannot be booked.
class InvalidBookingInput(BookingDomainError):
    status_code = 400
    code = "invalid"


class InactiveService(InvalidBookingInput):
    code = "inactive_service"
    field = "service"
    default_detail = "This service is not offered at the moment."


class InactiveStaff(InvalidBookingInput):
    code = "inactive_staff"
    field = "availability"
    default_detail = "The staff member of this slot is not taking bookings."


class ServiceNotOffered(InvalidBookingInput):
    code = "service_not_offered"
    field = "service"
    default_detail = "The staff member of this slot does not offer this service."


class SlotTooShort(InvalidBookingInput):
    code = "slot_too_short"
    field = "availability"
    default_detail = "This slot is shorter than the service."


class SlotInPast(InvalidBookingInput):
    code = "slot_in_past"
    field = "availability"
    default_detail = "This slot has already started."


class SlotTooSoon(InvalidBookingInput):
    code = "slot_too_soon"
    field = "availability"
    default_detail = "This slot starts too soon to be booked online."


class StaffMismatch(InvalidBookingInput):
    code = "staff_mismatch"
    field = "staff"
    default_detail = "The chosen staff member does not own this slot."


class SlotOverlap(InvalidBookingInput):
    code = "slot_overlap"
    field = "start_time"
    default_detail = "This slot overlaps another slot of the same staff member."


class InvalidSlotTimes(InvalidBookingInput):
    code = "invalid_slot_times"
    field = "end_time"
    default_detail = "A slot must end after it starts."


# 409: the request is valid but the current state does not allow it.
class SlotUnavailable(BookingDomainError):
    code = "slot_unavailable"
    default_detail = "This slot has just been taken. Please choose another one."


class InvalidTransition(BookingDomainError):
    code = "invalid_transition"
    default_detail = "The booking cannot move to that status from its current one."


class BookingImmutable(BookingDomainError):
    code = "booking_immutable"
    default_detail = "Completed bookings cannot be changed or deleted."


class BookingAlreadyStarted(BookingDomainError):
    code = "booking_started"
    default_detail = (
        "The appointment has already started; it can no longer be cancelled."
    )


class TooManyUnpaidBookings(BookingDomainError):
    code = "too_many_unpaid_bookings"
    default_detail = (
        "You already have the maximum number of bookings awaiting payment. "
        "Please pay for or cancel one of them first."
    )


class CancellationNoticePassed(BookingDomainError):
    code = "cancel_notice_passed"
    default_detail = (
        "Confirmed bookings can be cancelled online only up to the notice "
        "period before the appointment. Please contact us."
    )


class SlotHasActiveBooking(BookingDomainError):
    code = "slot_booked"
    default_detail = (
        "This slot holds an active booking; cancel the booking before moving "
        "or deleting the slot."
    )


# 503: try again shortly.
class LockTimeout(BookingDomainError):
    status_code = 503
    code = "lock_timeout"
    default_detail = (
        "The booking is being changed by another request right now. "
        "Please try again in a moment."
    )
    retry_after = 2
