"""Weekly working hours: every write, checked under the staff member's lock.

A rule's slots appear on the next run of the horizon job (`horizon`), which
also removes the free slots a changed or deleted rule no longer makes.
"""

from datetime import date

from django.db.models import Q

from apps.availability.services import lock_staff
from apps.schedules import exceptions
from apps.schedules.models import MINUTES_PER_DAY, WorkingHours
from apps.staff.models import Staff
from common.db import write_transaction

RULE_FIELDS = (
    "staff",
    "weekday",
    "start_minute",
    "end_minute",
    "slot_minutes",
    "buffer_minutes",
    "valid_from",
    "valid_until",
)


def working_hours_validate(
    *,
    staff_id: int,
    weekday: int,
    start_minute: int,
    end_minute: int,
    slot_minutes: int,
    valid_from: date | None = None,
    valid_until: date | None = None,
    rule: WorkingHours | None = None,
    **_ignored,
) -> None:
    """Raise the error a rule write would meet; write nothing.

    The writes call it under the staff lock; forms (the admin) call it first
    for friendly field errors.
    """
    if not 0 <= start_minute < end_minute <= MINUTES_PER_DAY:
        raise exceptions.InvalidWorkingHours()
    if slot_minutes > end_minute - start_minute:
        raise exceptions.SlotLongerThanRule()
    if valid_from and valid_until and valid_until < valid_from:
        raise exceptions.InvalidValidityPeriod()
    overlapping = WorkingHours.objects.filter(
        staff_id=staff_id,
        weekday=weekday,
        start_minute__lt=end_minute,
        end_minute__gt=start_minute,
    )
    # Two rules whose validity periods do not meet may share the hours.
    if valid_until is not None:
        overlapping = overlapping.filter(
            Q(valid_from__isnull=True) | Q(valid_from__lte=valid_until)
        )
    if valid_from is not None:
        overlapping = overlapping.filter(
            Q(valid_until__isnull=True) | Q(valid_until__gte=valid_from)
        )
    if rule is not None:
        overlapping = overlapping.exclude(pk=rule.pk)
    if overlapping.exists():
        raise exceptions.WorkingHoursOverlap()


def working_hours_create(
    *,
    staff: Staff,
    weekday: int,
    start_minute: int,
    end_minute: int,
    slot_minutes: int,
    buffer_minutes: int = 0,
    valid_from: date | None = None,
    valid_until: date | None = None,
) -> WorkingHours:
    """Add a weekly rule; the staff row lock makes the overlap check race-free."""
    fields = {
        "weekday": weekday,
        "start_minute": start_minute,
        "end_minute": end_minute,
        "slot_minutes": slot_minutes,
        "buffer_minutes": buffer_minutes,
        "valid_from": valid_from,
        "valid_until": valid_until,
    }
    with write_transaction():
        lock_staff(staff.pk)
        working_hours_validate(staff_id=staff.pk, **fields)
        return WorkingHours.objects.create(staff=staff, **fields)


def working_hours_update(*, rule: WorkingHours, changes: dict) -> WorkingHours:
    """Change a rule (its staff member too); the old and new staff are locked."""
    unknown = set(changes) - set(RULE_FIELDS)
    if unknown:
        raise ValueError(f"working_hours_update cannot change {sorted(unknown)}")
    new_staff = changes.get("staff")
    with write_transaction():
        lock_staff(rule.staff_id, *([new_staff.pk] if new_staff else []))
        rule = WorkingHours.objects.select_for_update().get(pk=rule.pk)
        for name, value in changes.items():
            setattr(rule, name, value)
        working_hours_validate(
            staff_id=rule.staff_id,
            **{name: getattr(rule, name) for name in RULE_FIELDS if name != "staff"},
            rule=rule,
        )
        rule.save()
        return rule


def working_hours_delete(*, rule: WorkingHours) -> None:
    """Delete a rule; the next horizon run removes the free slots it made."""
    with write_transaction():
        lock_staff(rule.staff_id)
        WorkingHours.objects.filter(pk=rule.pk).delete()
