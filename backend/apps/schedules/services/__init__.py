"""The business calendar's domain layer: every write of working hours and
closures, and the horizon job that turns working hours into slots.

- `working_hours`: weekly rules, checked under the staff member's lock;
- `horizon`: `slots_fill_horizon`, the periodic job (`jobs.py`);
- `closures`: closures and absences, with what they do to the bookings
  inside them, in one transaction.

Slots are written only through availability's services, bookings changed
only through bookings' services; guests hear of it through the signals
(`apps.schedules.signals`, and the booking events) that notifications
listens to.
"""

from apps.schedules.services.closures import (
    CANCEL,
    KEEP,
    OFFER_RESCHEDULE,
    ON_CONFLICT_CHOICES,
    ClosureResult,
    closure_conflicts,
    closure_create,
    closure_delete,
    closure_update,
    closure_validate,
    conflict_row,
    nearest_free_times,
)
from apps.schedules.services.horizon import (
    MAX_HORIZON_DAYS,
    HorizonResult,
    check_horizon_days,
    rule_slots,
    slots_fill_horizon,
)
from apps.schedules.services.working_hours import (
    working_hours_create,
    working_hours_delete,
    working_hours_update,
    working_hours_validate,
)

__all__ = [
    "CANCEL",
    "KEEP",
    "MAX_HORIZON_DAYS",
    "OFFER_RESCHEDULE",
    "ON_CONFLICT_CHOICES",
    "ClosureResult",
    "HorizonResult",
    "check_horizon_days",
    "closure_conflicts",
    "closure_create",
    "closure_delete",
    "closure_update",
    "closure_validate",
    "conflict_row",
    "nearest_free_times",
    "rule_slots",
    "slots_fill_horizon",
    "working_hours_create",
    "working_hours_delete",
    "working_hours_update",
    "working_hours_validate",
]
