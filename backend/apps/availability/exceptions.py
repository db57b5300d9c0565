"""Domain errors of slot writes (see common.exceptions for the shape)."""

from django.utils.translation import gettext_lazy as _

from common.exceptions import DomainError, InvalidInput, LockTimeout


class SlotOverlap(InvalidInput):
    code = "slot_overlap"
    field = "start_time"
    default_detail = _("This slot overlaps another slot of the same staff member.")


class InvalidSlotTimes(InvalidInput):
    code = "invalid_slot_times"
    field = "end_time"
    default_detail = _("A slot must end after it starts.")


class SlotOutOfRange(InvalidInput):
    code = "date_out_of_range"
    field = "start_time"
    default_detail = _("This date is too far in the past or the future for a slot.")


class SlotHasActiveBooking(DomainError):
    code = "slot_booked"
    default_detail = _(
        "This slot holds an active booking; cancel the booking before moving "
        "or deleting the slot."
    )


class SlotHeld(DomainError):
    code = "slot_held"
    default_detail = _(
        "This slot is held for a waiting-list offer; it can be moved or deleted "
        "once the offer ends."
    )


# What a slot's create and update may answer (common.exceptions.raises).
SLOT_WRITE_ERRORS = (
    InvalidSlotTimes,
    SlotOverlap,
    SlotOutOfRange,
    SlotHasActiveBooking,
    SlotHeld,
    LockTimeout,
)
