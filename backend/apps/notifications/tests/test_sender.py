"""The sender: claims, backoff, giving up, sending again, and two senders at once."""

from datetime import timedelta

import pytest
from django.core import mail
from django.core.management import call_command
from django.test import override_settings
from django.utils import timezone

from apps.bookings.tests.threads import in_threads
from apps.notifications import outbox, sending, services
from apps.notifications.exceptions import NotificationNotFailed
from apps.notifications.models import Notification

Status = Notification.Status


def queue(count: int, *, now=None) -> list[Notification]:
    now = now or timezone.now()
    return Notification.objects.bulk_create(
        Notification(
            kind=Notification.Kind.BOOKING_CREATED,
            recipient=f"guest{index}@example.com",
            subject=f"Message {index}",
            body_text="Hello",
            next_attempt_at=now,
            created_at=now,
        )
        for index in range(count)
    )


@pytest.mark.django_db
def test_backoff_doubles_from_one_minute_and_is_capped():
    minutes = [services.backoff(n).total_seconds() / 60 for n in range(1, 9)]
    assert minutes == [1, 2, 4, 8, 16, 32, 60, 60]


@pytest.mark.django_db
@override_settings(BOOKING_NOTIFICATION_MAX_ATTEMPTS=3)
def test_failures_back_off_then_give_up(refusing_server):
    (notification,) = queue(1)
    now = timezone.now()
    expected_waits = [1, 2]
    for attempt, wait in enumerate(expected_waits, start=1):
        result = services.notifications_send_due(now=now)
        assert (result.sent, result.retried, result.failed) == (0, 1, 0)
        notification.refresh_from_db()
        assert notification.status == Status.QUEUED
        assert notification.attempts == attempt
        assert notification.next_attempt_at == now + timedelta(minutes=wait)
        assert "ConnectionRefusedError: Connection refused" in notification.last_error
        # Not due yet: nothing is tried before the backoff ends.
        assert services.notifications_send_due(now=now).batches == 0
        now = notification.next_attempt_at
    result = services.notifications_send_due(now=now)
    assert (result.sent, result.retried, result.failed) == (0, 0, 1)
    notification.refresh_from_db()
    assert notification.status == Status.FAILED
    assert notification.attempts == 3
    assert notification.claim_token is None
    assert services.notifications_send_due(now=now + timedelta(days=1)).batches == 0


@pytest.mark.django_db
def test_sending_again_requeues_only_failed_notifications():
    failed, sent = queue(2)
    Notification.objects.filter(pk=failed.pk).update(
        status=Status.FAILED, attempts=8, last_error="boom"
    )
    Notification.objects.filter(pk=sent.pk).update(status=Status.SENT)
    services.notification_resend(notification=failed)
    failed.refresh_from_db()
    assert (failed.status, failed.attempts) == (Status.QUEUED, 0)
    with pytest.raises(NotificationNotFailed):
        services.notification_resend(notification=sent)
    result = services.notifications_send_due()
    assert result.sent == 1
    assert [m.subject for m in mail.outbox] == [failed.subject]


@pytest.mark.django_db
def test_batch_size_and_once(capsys):
    queue(5)
    call_command("send_notifications", "--batch-size", "2", "--once")
    assert len(mail.outbox) == 2
    assert "Sent 2 notifications" in capsys.readouterr().out
    call_command("send_notifications", "--batch-size", "2")
    assert len(mail.outbox) == 5
    assert "Sent 3 notifications, 0 to retry, 0 failed, in 2 batches" in (
        capsys.readouterr().out
    )
    assert set(Notification.objects.values_list("status", flat=True)) == {"sent"}


@pytest.mark.django_db
def test_a_claimed_row_is_left_alone_until_its_lease_ends():
    """A sender that died mid-batch: its rows come back after the lease."""
    (notification,) = queue(1)
    now = timezone.now()
    token, claimed = sending._claim(batch_size=10, now=now)
    assert [n.pk for n in claimed] == [notification.pk]
    assert services.notifications_send_due(now=now).batches == 0
    lease_end = now + timedelta(seconds=900)
    assert services.notifications_send_due(now=lease_end).sent == 1
    # The dead sender's late report changes nothing: the token is no longer its.
    sending._mark_sent(claimed[0], token=token, now=now)
    notification.refresh_from_db()
    assert notification.sent_at == lease_end


@pytest.mark.django_db
def test_a_row_sent_again_after_its_lease_keeps_its_message_id():
    """The copy a killed sender causes is recognisably the same message."""
    first, second = queue(2)
    now = timezone.now()
    assert services.notifications_send_due(now=now).sent == 2
    # As if the sender had died after the server took `first`, before it
    # recorded the send: the row is claimable again once the lease ends.
    Notification.objects.filter(pk=first.pk).update(status=Status.QUEUED)
    later = now + timedelta(seconds=900)
    assert services.notifications_send_due(now=later).sent == 1
    ids = [message.extra_headers["Message-ID"] for message in mail.outbox]
    assert ids[0] == ids[2] == sending.message_id(first)
    assert ids[1] == sending.message_id(second) != ids[0]


@pytest.mark.django_db
def test_send_again_admin_action_needs_the_permission(client, django_user_model):
    from django.contrib.auth.models import Permission

    (notification,) = queue(1)
    Notification.objects.filter(pk=notification.pk).update(status=Status.FAILED)
    clerk = django_user_model.objects.create_user("clerk", password="pw-123456789")
    clerk.is_staff = True
    clerk.save()
    clerk.user_permissions.add(Permission.objects.get(codename="view_notification"))
    client.force_login(clerk)
    url = "/admin/notifications/notification/"
    page = client.get(url)
    assert page.status_code == 200
    assert "send_again" not in page.content.decode()
    response = client.post(
        url, {"action": "send_again", "_selected_action": [notification.pk]}
    )
    notification.refresh_from_db()
    assert notification.status == Status.FAILED

    clerk.user_permissions.add(Permission.objects.get(codename="resend_notification"))
    clerk = django_user_model.objects.get(pk=clerk.pk)  # fresh permission cache
    client.force_login(clerk)
    assert "send_again" in client.get(url).content.decode()
    assert client.get(url, {"status__exact": "failed"}).status_code == 200
    response = client.post(
        url, {"action": "send_again", "_selected_action": [notification.pk]}
    )
    assert response.status_code == 302
    notification.refresh_from_db()
    assert notification.status == Status.QUEUED


def _send_in_threads(count: int, senders: int) -> list[int]:
    queue(count)
    in_threads(
        senders,
        lambda index: services.notifications_send_due(batch_size=50),
        timeout=300,
    )
    return sorted(int(m.subject.split()[-1]) for m in mail.outbox)


@pytest.mark.django_db(transaction=True)
def test_two_senders_send_each_of_2000_messages_exactly_once():
    subjects = _send_in_threads(2000, senders=2)
    assert subjects == list(range(2000))
    assert Notification.objects.filter(status=Status.SENT).count() == 2000


@pytest.mark.django_db(transaction=True)
def test_control_without_the_claim_two_senders_send_twice(monkeypatch):
    """The same race with a claim that marks nothing: duplicates appear, so
    the test above can fail."""

    def naive_claim(*, batch_size, now):
        rows = list(
            Notification.objects.filter(status=Status.QUEUED, next_attempt_at__lte=now)
            .exclude(claim_token__isnull=False)
            .order_by("pk")[:batch_size]
        )
        import time

        time.sleep(0.05)  # both senders read before either marks a row
        for row in rows:
            row.claim_token = sending.uuid.UUID(int=0)
        return sending.uuid.UUID(int=0), rows

    monkeypatch.setattr(sending, "_claim", naive_claim)
    mail.outbox.clear()
    queue(50)
    in_threads(2, lambda index: services.notifications_send_due(once=True))
    assert len(mail.outbox) > 50


@pytest.mark.django_db
def test_html_body_and_binary_attachments_are_sent(service, slot):
    """What a payment email with a QR code image needs (issue 15)."""
    from apps.bookings.tests.factories import unpaid_booking

    booking = unpaid_booking(service, slot)
    png = b"\x89PNG\r\n\x1a\n" + bytes(range(256))
    notification = services.notification_create(
        kind=Notification.Kind.BOOKING_CREATED,
        booking=booking,
        recipient="joana@example.com",
        attachments=[outbox.Attachment("pay.png", "image/png", png)],
    )
    Notification.objects.filter(pk=notification.pk).update(
        body_html="<p>Pay <b>now</b></p>"
    )
    Notification.objects.exclude(pk=notification.pk).delete()
    mail.outbox.clear()
    services.notifications_send_due()
    notification.refresh_from_db()  # rendered by the sender
    message = next(m for m in mail.outbox if m.subject == notification.subject)
    parts = {part.get_content_type(): part for part in message.message().walk()}
    assert parts["text/html"].get_payload(decode=True) == b"<p>Pay <b>now</b></p>"
    assert parts["image/png"].get_filename() == "pay.png"
    assert parts["image/png"].get_payload(decode=True) == png


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("role", "sees_outbox", "sends_again", "rotates_feeds"),
    [("desk", True, False, False), ("manager", True, True, True)],
)
def test_role_table(django_user_model, role, sees_outbox, sends_again, rotates_feeds):
    from apps.staff.roles import role_group

    user = django_user_model.objects.create_user(f"{role}-user", is_staff=True)
    user.groups.add(role_group(role))
    assert user.has_perm("notifications.view_notification") is sees_outbox
    assert user.has_perm("notifications.resend_notification") is sends_again
    assert user.has_perm("notifications.rotate_calendar_token") is rotates_feeds
    assert user.has_perm("notifications.view_staffcalendarfeed") is rotates_feeds
