"""Domain errors of bookings, each carrying its HTTP meaning (see common.exceptions)."""

from django.utils.translation import gettext_lazy as _

from common.exceptions import DomainError, InvalidInput, LockTimeout
from common.fields import unknown_id_message


# 400: the input names something that cannot be booked.
class InvalidBookingInput(InvalidInput):
    pass


class UnknownId(InvalidBookingInput):
    """An id that names nothing; the same words DRF's related fields use."""

    def __init__(self, pk):
        super().__init__(unknown_id_message(pk))


class UnknownService(UnknownId):
    field = "service"


class UnknownSlot(UnknownId):
    field = "availability"


class UnknownStaff(UnknownId):
    field = "staff"


class InactiveService(InvalidBookingInput):
    code = "inactive_service"
    field = "service"
    default_detail = _("This service is not offered at the moment.")


class InactiveStaff(InvalidBookingInput):
    code = "inactive_staff"
    field = "availability"
    default_detail = _("The staff member of this slot is not taking bookings.")


class ServiceNotOffered(InvalidBookingInput):
    code = "service_not_offered"
    field = "service"
    default_detail = _("The staff member of this slot does not offer this service.")


class SlotTooShort(InvalidBookingInput):
    code = "slot_too_short"
    field = "availability"
    default_detail = _("This slot is shorter than the service.")


class SlotInPast(InvalidBookingInput):
    code = "slot_in_past"
    field = "availability"
    default_detail = _("This slot has already started.")


class SlotTooSoon(InvalidBookingInput):
    code = "slot_too_soon"
    field = "availability"
    default_detail = _("This slot starts too soon to be booked online.")


class StaffMismatch(InvalidBookingInput):
    code = "staff_mismatch"
    field = "staff"
    default_detail = _("The chosen staff member does not own this slot.")


class SameSlot(InvalidBookingInput):
    code = "same_slot"
    field = "availability"
    default_detail = _("The booking is already in this slot.")


class NothingToRefund(InvalidBookingInput):
    code = "nothing_to_refund"
    field = "refund_due"
    default_detail = _("This booking was not paid, so no refund can be owed.")


class EmailRequired(InvalidBookingInput):
    code = "required"
    field = "customer_email"
    default_detail = _("This field is required.")


# 409: the request is valid but the current state does not allow it.
class SlotUnavailable(DomainError):
    code = "slot_unavailable"
    default_detail = _("This slot has just been taken. Please choose another one.")


class InvalidTransition(DomainError):
    code = "invalid_transition"
    default_detail = _("The booking cannot move to that status from its current one.")


class BookingImmutable(DomainError):
    code = "booking_immutable"
    default_detail = _("Completed bookings cannot be changed or deleted.")


class BookingAlreadyStarted(DomainError):
    code = "booking_started"
    default_detail = _(
        "The appointment has already started; it can no longer be cancelled."
    )


class BookingNotStarted(DomainError):
    code = "booking_not_started"
    default_detail = _(
        "The appointment has not started yet; it can be marked completed only "
        "once it has."
    )


class TooManyUnpaidBookings(DomainError):
    code = "too_many_unpaid_bookings"
    default_detail = _(
        "You already have the maximum number of bookings awaiting payment. "
        "Please pay for or cancel one of them first."
    )


TOO_MANY_HOLDS_FOR_CLIENT = _(
    "Too many bookings made from your connection are awaiting payment. "
    "Please pay for or cancel one of them first."
)
TOO_MANY_HOLDS_FOR_NETWORK = _(
    "Too many bookings made from your network are awaiting payment. "
    "Please pay for or cancel one of them first, or try again later."
)
TOO_MANY_HOLDS_FOR_DAY = _(
    "Too many bookings for this service on this day are awaiting payment. "
    "Please try again in a few minutes, or contact us to book."
)


class CancellationNoticePassed(DomainError):
    code = "cancel_notice_passed"
    default_detail = _(
        "Confirmed bookings can be cancelled online only up to the notice "
        "period before the appointment. Please contact us."
    )


class RescheduleNoticePassed(DomainError):
    code = "reschedule_notice_passed"
    default_detail = _(
        "Confirmed bookings can be moved online only up to the notice period "
        "before the appointment. Please contact us."
    )


# What each booking operation may answer, for the views' `raises`
# declarations (common.exceptions.raises): the schema documents these codes
# per operation, and a test's response with any other fails the contract.
# What `services.check_slots_bookable` refuses a slot with: every operation
# that books a slot (create, reschedule, a waiting-list offer) answers these.
SLOT_BOOKABLE_ERRORS = (
    InactiveStaff,
    ServiceNotOffered,
    SlotTooShort,
    SlotInPast,
    SlotTooSoon,
    SlotUnavailable,
)
CREATE_ERRORS = (
    UnknownService,
    UnknownSlot,
    UnknownStaff,
    InactiveService,
    *SLOT_BOOKABLE_ERRORS,
    StaffMismatch,
    EmailRequired,
    TooManyUnpaidBookings,
    LockTimeout,
)
CANCEL_ERRORS = (
    InvalidTransition,
    BookingAlreadyStarted,
    CancellationNoticePassed,
    LockTimeout,
)
UPDATE_ERRORS = (
    *CANCEL_ERRORS,
    NothingToRefund,
    BookingImmutable,
    BookingNotStarted,
)
COMPLETE_ERRORS = (InvalidTransition, BookingNotStarted, LockTimeout)
# A reschedule books the new slot, so it answers what booking it would.
RESCHEDULE_ERRORS = (
    InvalidTransition,
    BookingAlreadyStarted,
    RescheduleNoticePassed,
    SameSlot,
    *SLOT_BOOKABLE_ERRORS,
    LockTimeout,
)
