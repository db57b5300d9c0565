"""Sending webhook messages: claim due rows, post them signed, back off.

Rows are claimed the way every outbox sender claims them (common.outbox:
`SKIP LOCKED` plus a lease, then sending outside any transaction), so two
`send_webhooks` never send one message, and no lock is held while a
receiver is slow. Each attempt is signed afresh (Standard Webhooks: a new
`webhook-timestamp` under the same `webhook-id`), checked against the
address rules again after resolving the host, logged with its answer, and
on failure retried after 5 s, 30 s, 2 min, 10 min, 30 min, 1 h, then
hourly, for BOOKING_WEBHOOK_RETRY_HOURS (3 days). A 410, or failures over
that long, disable the endpoint and tell the managers by email.
"""

import logging
import time
import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.conf import settings
from django.db import transaction
from django.db.models import F, Q
from django.utils import timezone
from standardwebhooks.webhooks import Webhook

from apps.webhooks import addresses, alerts, outbox
from apps.webhooks.exceptions import WebhookUrlNotAllowed
from apps.webhooks.models import WebhookAttempt, WebhookDelivery, WebhookEndpoint
from apps.webhooks.transport import Answer, post
from common.outbox import LeaseClock, claim_due, release

logger = logging.getLogger(__name__)

Status = WebhookDelivery.Status
RETRY_DELAYS = (
    timedelta(seconds=5),
    timedelta(seconds=30),
    timedelta(minutes=2),
    timedelta(minutes=10),
    timedelta(minutes=30),
    timedelta(hours=1),
)
USER_AGENT = "Doceamor-Webhooks/1.0"


@dataclass
class SendResult:
    delivered: int = 0
    retried: int = 0
    failed: int = 0
    postponed: int = 0
    batches: int = 0
    duration_seconds: float = 0.0

    def summary(self) -> str:
        return (
            f"Delivered {self.delivered} webhooks, {self.retried} to retry, "
            f"{self.failed} failed, {self.postponed} postponed, in {self.batches} "
            f"batches ({self.duration_seconds:.2f}s)."
        )


def backoff(attempts: int) -> timedelta:
    """The wait after the `attempts`-th failure: 5 s ... 1 h, then hourly."""
    return RETRY_DELAYS[min(attempts, len(RETRY_DELAYS)) - 1]


def signature_headers(
    endpoint: WebhookEndpoint, delivery: WebhookDelivery, *, now: datetime
) -> dict[str, str]:
    """The Standard Webhooks headers of one attempt, signed at `now`.

    During a rotation the message carries a signature by each secret,
    separated by a space, so the receiver may verify with either.
    """
    body = delivery.body.encode()
    signatures = [
        Webhook(secret).sign(msg_id=delivery.message_id, timestamp=now, data=body)
        for secret in endpoint.signing_secrets(now)
    ]
    return {
        "webhook-id": delivery.message_id,
        "webhook-timestamp": str(int(now.timestamp())),
        "webhook-signature": " ".join(signatures),
    }


def webhooks_send_due(
    *, batch_size: int = 50, once: bool = False, now: datetime | None = None
) -> SendResult:
    """Send queued messages whose time has come, batch after batch.

    With `once`, one batch at most. Never raises for a receiver's failure.
    """
    if batch_size < 1:
        raise ValueError("batch_size must be at least 1")
    started = time.monotonic()
    result = SendResult()
    while True:
        token, claimed = _claim(batch_size=batch_size, now=now or timezone.now())
        if not claimed:
            break
        result.batches += 1
        _send_batch(claimed, token=token, fixed_now=now, result=result)
        if once:
            break
    result.duration_seconds = time.monotonic() - started
    logger.info(
        "send_webhooks: delivered=%d retried=%d failed=%d postponed=%d batches=%d "
        "duration=%.3fs",
        result.delivered,
        result.retried,
        result.failed,
        result.postponed,
        result.batches,
        result.duration_seconds,
    )
    return result


def _lease() -> timedelta:
    return timedelta(seconds=settings.BOOKING_WEBHOOK_LEASE_SECONDS)


def _claim(*, batch_size: int, now: datetime):
    token, claimed_ids = claim_due(
        WebhookDelivery,
        due=Q(status=Status.QUEUED, endpoint__enabled=True),
        now=now,
        batch_size=batch_size,
        lease=_lease(),
    )
    if not claimed_ids:
        return token, []
    claimed = list(
        WebhookDelivery.objects.filter(pk__in=claimed_ids, claim_token=token)
        .select_related("endpoint")
        .order_by("next_attempt_at", "pk")
    )
    # One object per endpoint, so what a failure records on it (failing
    # since when) is seen by the batch's later messages to it.
    endpoints = {}
    for delivery in claimed:
        delivery.endpoint = endpoints.setdefault(
            delivery.endpoint_id, delivery.endpoint
        )
    return token, claimed


def _send_batch(claimed, *, token: uuid.UUID, fixed_now, result: SendResult):
    lease_clock = LeaseClock(_lease())
    targets: dict[int, addresses.Target | WebhookUrlNotAllowed] = {}
    # Endpoints that did not answer at all in this batch, and until when
    # their other messages wait: one dead receiver costs one timeout a batch.
    unreachable_until: dict[int, datetime] = {}
    for index, delivery in enumerate(claimed):
        if lease_clock.expired():
            release(
                WebhookDelivery,
                [item.pk for item in claimed[index:]],
                token=token,
                now=fixed_now or timezone.now(),
            )
            return
        endpoint = delivery.endpoint
        if endpoint.pk in unreachable_until:
            _postpone(delivery, token=token, until=unreachable_until[endpoint.pk])
            result.postponed += 1
            continue
        if endpoint.pk not in targets:
            targets[endpoint.pk] = _checked_target(endpoint)
        now = fixed_now or timezone.now()
        answer = _attempt(delivery, targets[endpoint.pk], now=now)
        finished = fixed_now or timezone.now()
        if answer.ok:
            _record_success(delivery, answer, token=token, now=finished)
            result.delivered += 1
            continue
        next_attempt_at = _record_failure(delivery, answer, token=token, now=finished)
        if next_attempt_at is None:
            result.failed += 1
        else:
            result.retried += 1
            if answer.status_code is None:
                unreachable_until[endpoint.pk] = next_attempt_at


def _checked_target(endpoint: WebhookEndpoint):
    try:
        return addresses.check_url(endpoint.url)
    except WebhookUrlNotAllowed as refusal:
        return refusal


def _attempt(delivery: WebhookDelivery, target, *, now: datetime) -> Answer:
    if isinstance(target, WebhookUrlNotAllowed):
        return Answer(
            status_code=None,
            excerpt="",
            error=f"Not sent: {target.detail}",
            duration_ms=0,
        )
    headers = {
        "Content-Type": "application/json",
        "User-Agent": USER_AGENT,
        **signature_headers(delivery.endpoint, delivery, now=now),
    }
    return post(
        target,
        body=delivery.body.encode(),
        headers=headers,
        timeout=settings.BOOKING_WEBHOOK_TIMEOUT_SECONDS,
    )


def _log_attempt(
    delivery: WebhookDelivery, answer: Answer, *, now: datetime
) -> datetime:
    """Log one attempt; returns when it started."""
    attempted_at = now - timedelta(milliseconds=answer.duration_ms)
    WebhookAttempt.objects.create(
        delivery_id=delivery.pk,
        attempted_at=attempted_at,
        status_code=answer.status_code,
        duration_ms=answer.duration_ms,
        response_excerpt=answer.excerpt,
        error=answer.error,
    )
    return attempted_at


def _failed_since_first_attempt(delivery: WebhookDelivery, failing_since) -> bool:
    """Whether the endpoint failed every attempt (to any message) since this
    message's first: a message that gave up after its three days then means
    three days of nothing but failures."""
    first = (
        WebhookAttempt.objects.filter(delivery_id=delivery.pk)
        .order_by("attempted_at")
        .values_list("attempted_at", flat=True)
        .first()
    )
    return first is not None and failing_since <= first


def _record_success(delivery, answer: Answer, *, token: uuid.UUID, now: datetime):
    with transaction.atomic():
        updated = WebhookDelivery.objects.filter(
            pk=delivery.pk, claim_token=token
        ).update(
            status=Status.DELIVERED,
            delivered_at=now,
            attempts=F("attempts") + 1,
            last_status_code=answer.status_code,
            last_error="",
            claim_token=None,
        )
        if updated:
            _log_attempt(delivery, answer, now=now)
        WebhookEndpoint.objects.filter(
            pk=delivery.endpoint_id, failing_since__isnull=False
        ).update(failing_since=None)


def _failure_text(answer: Answer) -> str:
    if answer.status_code is None:
        return answer.error
    text = f"HTTP {answer.status_code}"
    if 300 <= answer.status_code < 400:
        text += " (redirects are not followed)"
    return text


def _record_failure(
    delivery, answer: Answer, *, token: uuid.UUID, now: datetime
) -> datetime | None:
    """Record a failed attempt; the next attempt's time, or None if given up."""
    attempts = delivery.attempts + 1
    endpoint = delivery.endpoint
    gone = answer.status_code == 410
    next_attempt_at = now + backoff(attempts)
    gave_up = gone or next_attempt_at > delivery.retry_until
    message = _failure_text(answer)
    with transaction.atomic():
        updated = WebhookDelivery.objects.filter(
            pk=delivery.pk, claim_token=token
        ).update(
            status=Status.FAILED if gave_up else Status.QUEUED,
            attempts=attempts,
            next_attempt_at=now if gave_up else next_attempt_at,
            last_status_code=answer.status_code,
            last_error=message,
            claim_token=None,
        )
        if not updated:
            return None if gave_up else next_attempt_at
        attempted_at = _log_attempt(delivery, answer, now=now)
        if endpoint.failing_since is None:
            WebhookEndpoint.objects.filter(
                pk=endpoint.pk, failing_since__isnull=True
            ).update(failing_since=attempted_at)
            endpoint.failing_since = attempted_at
        failing_since = endpoint.failing_since
        if gone:
            alerts.endpoint_disable(
                endpoint, reason="The receiver answered 410 Gone.", now=now
            )
        elif now - failing_since >= outbox.retry_window() or (
            gave_up and _failed_since_first_attempt(delivery, failing_since)
        ):
            alerts.endpoint_disable(
                endpoint,
                reason=f"Every attempt failed since {failing_since:%Y-%m-%d %H:%M} "
                f"UTC; the last: {message}",
                now=now,
            )
    log = logger.error if gave_up else logger.warning
    log(
        "webhook %s (%s to endpoint %s) attempt %d failed%s: %s",
        delivery.message_id,
        delivery.event_type,
        endpoint.pk,
        attempts,
        ", giving up" if gave_up else "",
        message,
    )
    return None if gave_up else next_attempt_at


def _postpone(delivery, *, token: uuid.UUID, until: datetime) -> None:
    WebhookDelivery.objects.filter(pk=delivery.pk, claim_token=token).update(
        claim_token=None, next_attempt_at=until
    )
