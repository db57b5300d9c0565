"""The create_slots command."""

from datetime import date, datetime, time

import pytest
from django.core.management import CommandError, call_command
from django.utils import timezone

from apps.availability.models import Availability

pytestmark = pytest.mark.django_db


def test_create_slots_command(staff_member, capsys):
    call_command(
        "create_slots",
        "--staff", str(staff_member.pk),
        "--from", "2031-03-03", "--to", "2031-03-09",
        "--between", "09:00-11:00", "--every", "30", "--weekdays", "mon-wed,sat",
    )  # fmt: skip
    assert "Created 16 slots" in capsys.readouterr().out
    zone = timezone.get_default_timezone()
    starts = {
        timezone.localtime(s.start_time, zone)
        for s in Availability.objects.filter(staff=staff_member)
    }
    assert {s.date() for s in starts} == {
        date(2031, 3, 3),
        date(2031, 3, 4),
        date(2031, 3, 5),
        date(2031, 3, 8),
    }
    assert min(starts).time() == time(9, 0)
    assert datetime.combine(date(2031, 3, 8), time(10, 30), tzinfo=zone) in starts


@pytest.mark.parametrize(
    "args",
    [
        ["--between", "17:00-09:00"],
        ["--weekdays", "fri-mon"],
        ["--weekdays", "funday"],
        ["--from", "03/03/2031"],
        ["--every", "0"],
    ],
)
def test_create_slots_rejects_bad_arguments(staff_member, args):
    base = {
        "--staff": str(staff_member.pk),
        "--from": "2031-03-03",
        "--to": "2031-03-09",
        "--between": "09:00-11:00",
        "--every": "30",
    }
    base.update(dict(zip(args[::2], args[1::2], strict=True)))
    with pytest.raises(CommandError):
        call_command("create_slots", *[x for pair in base.items() for x in pair])
    assert not Availability.objects.exists()


def test_create_slots_unknown_staff(db):
    with pytest.raises(CommandError, match="No staff member with id 999"):
        call_command(
            "create_slots",
            "--staff", "999", "--from", "2031-03-03", "--to", "2031-03-04",
            "--between", "09:00-10:00", "--every", "60",
        )  # fmt: skip


def test_create_slots_with_a_buffer(staff_member, capsys):
    call_command(
        "create_slots",
        "--staff", str(staff_member.pk),
        "--from", "2031-03-03", "--to", "2031-03-03",
        "--between", "09:00-12:00", "--every", "45", "--buffer", "15",
    )  # fmt: skip
    assert "Created 3 slots" in capsys.readouterr().out
    zone = timezone.get_default_timezone()
    times = [
        (
            timezone.localtime(slot.start_time, zone).time(),
            timezone.localtime(slot.end_time, zone).time(),
        )
        for slot in Availability.objects.filter(staff=staff_member).order_by(
            "start_time"
        )
    ]
    assert times == [
        (time(9, 0), time(9, 45)),
        (time(10, 0), time(10, 45)),
        (time(11, 0), time(11, 45)),
    ]


@pytest.mark.parametrize("buffer", ["-5", "x", "1441"])
def test_create_slots_rejects_a_bad_buffer(staff_member, buffer):
    with pytest.raises(CommandError):
        call_command(
            "create_slots",
            "--staff", str(staff_member.pk),
            "--from", "2031-03-03", "--to", "2031-03-03",
            "--between", "09:00-12:00", "--every", "45", "--buffer", buffer,
        )  # fmt: skip
    assert not Availability.objects.exists()
