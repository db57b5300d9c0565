"""Domain errors of the business calendar (see common.exceptions for the shape)."""

from common.exceptions import DomainError, InvalidInput


class InvalidWorkingHours(InvalidInput):
    code = "invalid_working_hours"
    field = "end"
    default_detail = "A rule must end after it starts, within one day (00:00-24:00)."


class SlotLongerThanRule(InvalidInput):
    code = "invalid_working_hours"
    field = "slot_minutes"
    default_detail = "The slot is longer than the working time of the rule."


class InvalidValidityPeriod(InvalidInput):
    code = "invalid_working_hours"
    field = "valid_until"
    default_detail = "`valid_until` must not be before `valid_from`."


class WorkingHoursOverlap(InvalidInput):
    code = "working_hours_overlap"
    field = "start"
    default_detail = (
        "This rule overlaps another rule of the same staff member on that weekday."
    )


class HorizonTooLong(InvalidInput):
    code = "horizon_too_long"
    field = "horizon_days"
    default_detail = "The horizon must be from 1 to 366 days."


class InvalidClosureTimes(InvalidInput):
    code = "invalid_closure_times"
    field = "ends_at"
    default_detail = "A closure must end after it starts."


class AbsenceNeedsStaff(InvalidInput):
    code = "absence_needs_staff"
    field = "staff"
    default_detail = "An absence is of one staff member: choose who."


class ClosureConflicts(DomainError):
    """409: active bookings lie inside the new (or widened) closure.

    The body lists them under `bookings`; the request may be sent again with
    `on_conflict` saying what to do with them.
    """

    code = "closure_conflicts"
    default_detail = (
        "Active bookings lie inside this closure. Send it again with "
        "`on_conflict` set to `keep`, `cancel` or `offer_reschedule`."
    )

    def __init__(self, bookings: list[dict], detail: str | None = None):
        super().__init__(detail)
        self.bookings = bookings

    def body_extra(self) -> dict:
        return {"bookings": self.bookings}


class ClosureOutOfRange(InvalidInput):
    code = "date_out_of_range"
    field = "starts_at"
    default_detail = "This date is too far in the past or the future for a closure."
