"""Two send_webhooks processes over the same queue send each message once."""

import os
import subprocess
import sys
from collections import Counter

import pytest
from django.conf import settings
from django.utils import timezone

from apps.webhooks.models import WebhookDelivery, WebhookEndpoint
from apps.webhooks.tests.receiver import Receiver
from common.tests.connections import live_database_url

MESSAGES = 2000


@pytest.mark.postgresql_only
@pytest.mark.django_db(transaction=True)
def test_two_senders_deliver_each_of_2000_messages_exactly_once():
    with Receiver() as receiver:
        endpoint = WebhookEndpoint.objects.create(
            url=receiver.url, events=["booking.created"]
        )
        now = timezone.now()
        WebhookDelivery.objects.bulk_create(
            WebhookDelivery(
                endpoint=endpoint,
                event_type="booking.created",
                body=f'{{"type":"booking.created","data":{{"n":{index}}}}}',
                next_attempt_at=now,
                retry_until=now.replace(year=now.year + 1),
            )
            for index in range(MESSAGES)
        )
        environment = {
            **os.environ,
            "DATABASE_URL": live_database_url(),
            "DJANGO_SETTINGS_MODULE": "config.settings.test",
            "BOOKING_WEBHOOK_ALLOW_PRIVATE": "1",
            "BOOKING_LOG_LEVEL": "WARNING",
        }
        command = [sys.executable, "manage.py", "send_webhooks", "--batch-size", "50"]
        senders = [
            subprocess.Popen(
                command,
                cwd=settings.PROJECT_DIR,
                env=environment,
                stdout=subprocess.PIPE,
                stderr=subprocess.PIPE,
                text=True,
            )
            for _ in range(2)
        ]
        outputs = [sender.communicate(timeout=120) for sender in senders]

    assert [sender.returncode for sender in senders] == [0, 0], outputs
    delivered = [int(out.split()[1]) for out, _ in outputs]
    # Both took part, and between them sent every message once.
    assert sum(delivered) == MESSAGES and min(delivered) > 0, outputs
    per_id = Counter(item.headers["webhook-id"] for item in receiver.received)
    assert len(per_id) == MESSAGES
    assert max(per_id.values()) == 1
    assert WebhookDelivery.objects.filter(status="delivered").count() == MESSAGES
