"""Payment and appointment reminders: due on time, once per booking, re-armed."""

from datetime import timedelta

import pytest
from django.core import mail
from django.core.management import call_command
from django.db import connection
from django.test import override_settings
from django.utils import timezone

from apps.availability.tests.factories import AvailabilityFactory
from apps.bookings import services as booking_services
from apps.bookings.tests.factories import StaffUserFactory, unpaid_booking
from apps.bookings.tests.threads import in_threads
from apps.notifications import reminders, services
from apps.notifications.models import Notification, Reminder
from apps.notifications.tests.helpers import attached_calendar

Kind = Notification.Kind


def far_slot(staff_member, days=3):
    start = timezone.now().replace(microsecond=0) + timedelta(days=days)
    return AvailabilityFactory(
        staff=staff_member, start_time=start, end_time=start + timedelta(hours=1)
    )


def reminders_of(kind):
    return Notification.objects.filter(kind=kind)


def move(booking, new_slot, *, now=None):
    """Reschedule through the booking service (issue 13), which calls the hook."""
    return booking_services.booking_reschedule(
        booking=booking, availability=new_slot, now=now
    )


@pytest.mark.django_db
class TestPaymentReminder:
    def test_sent_ten_minutes_before_the_deadline_once(self, service, slot):
        booking = unpaid_booking(service, slot)
        deadline = booking.payment_expires_at
        early = services.reminders_queue_due(now=deadline - timedelta(minutes=11))
        assert early.payment == 0
        due = services.reminders_queue_due(now=deadline - timedelta(minutes=10))
        assert due.payment == 1
        again = services.reminders_queue_due(now=deadline - timedelta(minutes=5))
        assert again.payment == 0
        services.notifications_send_due(now=deadline - timedelta(minutes=5))
        (reminder,) = reminders_of(Kind.PAYMENT_REMINDER)  # rendered when sent
        assert reminder.recipient == "joana@example.com"
        assert booking.reference in reminder.body_text
        assert f"€{booking.amount_due}" in reminder.body_text
        # New kinds of email carry no text the guest typed.
        assert booking.customer_name not in reminder.subject + reminder.body_text

    def test_not_sent_once_paid_or_past_the_deadline(self, service, slot, staff_user):
        booking = unpaid_booking(service, slot)
        booking_services.booking_verify_payment(booking=booking, actor=staff_user)
        services.reminders_queue_due(
            now=booking.payment_expires_at - timedelta(minutes=5)
        )
        other = unpaid_booking(
            service, far_slot(slot.staff), customer_email="late@example.com"
        )
        services.reminders_queue_due(now=other.payment_expires_at)
        assert not reminders_of(Kind.PAYMENT_REMINDER).exists()

    @override_settings(BOOKING_PAYMENT_REMINDER_MINUTES=0)
    def test_off_when_zero(self, service, slot):
        booking = unpaid_booking(service, slot)
        services.reminders_queue_due(
            now=booking.payment_expires_at - timedelta(minutes=5)
        )
        assert not reminders_of(Kind.PAYMENT_REMINDER).exists()

    @override_settings(BOOKING_PAYMENT_TIMEOUT_MINUTES=5)
    def test_none_when_the_whole_wait_is_inside_the_window(self, service, slot):
        booking = unpaid_booking(service, slot)
        services.reminders_queue_due(
            now=booking.payment_expires_at - timedelta(minutes=1)
        )
        assert not reminders_of(Kind.PAYMENT_REMINDER).exists()


@pytest.mark.django_db
class TestAppointmentReminder:
    def test_sent_a_day_before_with_the_invite_once(self, service, staff_member):
        booking = unpaid_booking(service, far_slot(staff_member))
        booking_services.booking_verify_payment(
            booking=booking, actor=StaffUserFactory()
        )
        start = booking.availability.start_time
        (armed,) = Reminder.objects.filter(kind=Reminder.Kind.APPOINTMENT)
        assert armed.due_at == start - timedelta(hours=24)
        assert armed.status == Reminder.Status.PENDING
        assert services.reminders_queue_due(
            now=armed.due_at - timedelta(seconds=1)
        ) == (services.ReminderResult())
        assert services.reminders_queue_due(now=armed.due_at).appointment == 1
        assert (
            services.reminders_queue_due(now=start - timedelta(hours=1)).appointment
            == 0
        )
        services.notifications_send_due(now=armed.due_at)
        reminder_mail = next(m for m in mail.outbox if "Reminder" in m.subject)
        assert booking.reference in reminder_mail.body
        (event,) = attached_calendar(reminder_mail).walk("VEVENT")
        assert event.decoded("dtstart") == start
        assert event["sequence"] == 0

    def test_skipped_when_the_booking_was_cancelled(self, service, staff_member):
        booking = unpaid_booking(service, far_slot(staff_member))
        staff_user = StaffUserFactory()
        booking_services.booking_verify_payment(booking=booking, actor=staff_user)
        booking_services.booking_cancel(booking=booking, actor=staff_user)
        due = booking.availability.start_time - timedelta(hours=24)
        result = services.reminders_queue_due(now=due)
        assert (result.appointment, result.skipped) == (0, 1)
        assert not reminders_of(Kind.APPOINTMENT_REMINDER).exists()

    def test_none_when_confirmed_inside_the_window(self, service, slot, staff_user):
        booking = unpaid_booking(service, slot)  # the slot starts in 24 h
        booking_services.booking_verify_payment(booking=booking, actor=staff_user)
        services.reminders_queue_due(now=slot.start_time - timedelta(hours=1))
        assert not reminders_of(Kind.APPOINTMENT_REMINDER).exists()

    @override_settings(BOOKING_REMINDER_HOURS=0)
    def test_off_when_zero(self, service, staff_member, staff_user):
        booking = unpaid_booking(service, far_slot(staff_member))
        booking_services.booking_verify_payment(booking=booking, actor=staff_user)
        assert not Reminder.objects.exists()

    def test_a_reschedule_re_arms_it_for_the_new_time(
        self, service, staff_member, staff_user
    ):
        booking = unpaid_booking(service, far_slot(staff_member, days=3))
        booking = booking_services.booking_verify_payment(
            booking=booking, actor=staff_user
        )
        first_due = booking.availability.start_time - timedelta(hours=24)
        assert services.reminders_queue_due(now=first_due).appointment == 1
        new_slot = far_slot(staff_member, days=10)
        move(booking, new_slot, now=first_due)
        (armed,) = Reminder.objects.filter(kind=Reminder.Kind.APPOINTMENT)
        assert armed.status == Reminder.Status.PENDING
        assert armed.due_at == new_slot.start_time - timedelta(hours=24)
        assert services.reminders_queue_due(now=armed.due_at).appointment == 1
        assert reminders_of(Kind.APPOINTMENT_REMINDER).count() == 2
        latest = reminders_of(Kind.APPOINTMENT_REMINDER).order_by("-pk").first()
        assert latest.ics_sequence == 1  # the reschedule's invite


@pytest.mark.django_db(transaction=True)
def test_two_reminder_jobs_queue_each_reminder_once(service, staff_member):
    staff_user = StaffUserFactory()
    base = timezone.now().replace(microsecond=0) + timedelta(days=3)
    bookings = []
    for index in range(20):
        start = base + timedelta(hours=index)
        booking = unpaid_booking(
            service,
            AvailabilityFactory(
                staff=staff_member,
                start_time=start,
                end_time=start + timedelta(hours=1),
            ),
            customer_email=f"guest{index}@example.com",
            customer_phone=f"91000{index:04d}",
        )
        if index % 2:
            booking_services.booking_verify_payment(booking=booking, actor=staff_user)
        bookings.append(booking)
    # Every unpaid one is inside its payment window; then every paid one is
    # past its appointment reminder's due time and before its start.
    now = bookings[0].payment_expires_at - timedelta(minutes=5)
    later = base + timedelta(hours=19 - 24)
    for moment in (now, later):
        in_threads(
            2,
            lambda index, moment=moment: services.reminders_queue_due(
                now=moment, batch_size=3
            ),
        )
    payment = reminders_of(Kind.PAYMENT_REMINDER).values_list("booking_id", flat=True)
    appointment = reminders_of(Kind.APPOINTMENT_REMINDER).values_list(
        "booking_id", flat=True
    )
    assert sorted(payment) == sorted(b.pk for b in bookings[0::2])
    assert sorted(appointment) == sorted(b.pk for b in bookings[1::2])


@pytest.mark.django_db
def test_queue_reminders_command(service, slot, capsys):
    unpaid_booking(service, slot)
    call_command("queue_reminders")
    assert "Queued 0 payment and 0 appointment reminders" in capsys.readouterr().out


@pytest.mark.postgresql_only
@pytest.mark.django_db
def test_the_reminder_queries_use_their_indexes(service, slot):
    unpaid_booking(service, slot)
    now = timezone.now()
    appointment_due = Reminder.objects.filter(
        status=Reminder.Status.PENDING, kind=Reminder.Kind.APPOINTMENT, due_at__lte=now
    ).order_by("due_at", "pk")
    with connection.cursor() as cursor:
        cursor.execute("SET LOCAL enable_seqscan = off")
    assert "booking_unpaid_expiry_idx" in (
        reminders.payment_reminders_due(now=now).explain()
    )
    assert "reminder_due_idx" in appointment_due.explain()
