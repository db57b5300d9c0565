"""`Idempotency-Key` support for booking creation, as payment APIs do it.

A client that retries a create after a timeout sends the same key; it gets
the first request's response back instead of a second booking or a 409.
"""

import hashlib
import json
from dataclasses import dataclass
from datetime import timedelta

from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils import timezone

from apps.bookings.models import IdempotencyKey
from common.exceptions import DomainError

# A request that claimed a key and then died (crash, killed worker) leaves it
# in flight; after this long a retry may take it over.
ABANDONED_AFTER = timedelta(seconds=60)
MAX_KEY_LENGTH = 255


class IdempotencyKeyReused(DomainError):
    status_code = 422
    code = "idempotency_key_reused"
    default_detail = (
        "This Idempotency-Key was already used with a different request body."
    )


class IdempotentRequestInProgress(DomainError):
    code = "request_in_progress"
    default_detail = (
        "A request with this Idempotency-Key is still being processed. "
        "Retry shortly to get its result."
    )
    retry_after = 1


class InvalidIdempotencyKey(DomainError):
    status_code = 400
    code = "invalid"
    field = "Idempotency-Key"
    default_detail = f"Send 1 to {MAX_KEY_LENGTH} visible ASCII characters."


@dataclass(frozen=True)
class StoredResponse:
    status: int
    body: dict


def fingerprint(data) -> str:
    canonical = json.dumps(data, sort_keys=True, separators=(",", ":"), default=str)
    return hashlib.sha256(canonical.encode()).hexdigest()


def claim(*, key: str, request_fingerprint: str) -> IdempotencyKey | StoredResponse:
    """Claim the key for this request, or return what its first use answered.

    Raises IdempotencyKeyReused for a different body, and
    IdempotentRequestInProgress while the first request is still running.
    """
    if (
        not key
        or len(key) > MAX_KEY_LENGTH
        or not key.isascii()
        or not key.isprintable()
    ):
        raise InvalidIdempotencyKey()
    now = timezone.now()
    expired_before = now - timedelta(hours=settings.BOOKING_IDEMPOTENCY_KEY_HOURS)
    IdempotencyKey.objects.filter(key=key, created_at__lt=expired_before).delete()
    try:
        with transaction.atomic():
            return IdempotencyKey.objects.create(
                key=key, request_fingerprint=request_fingerprint, created_at=now
            )
    except IntegrityError:
        existing = IdempotencyKey.objects.get(key=key)
    if existing.request_fingerprint != request_fingerprint:
        raise IdempotencyKeyReused()
    if existing.response_status is not None:
        return StoredResponse(existing.response_status, existing.response_body)
    taken_over = IdempotencyKey.objects.filter(
        pk=existing.pk,
        response_status=None,
        created_at=existing.created_at,
        created_at__lt=now - ABANDONED_AFTER,
    ).update(created_at=now)
    if taken_over:
        existing.created_at = now
        return existing
    raise IdempotentRequestInProgress()


def record(claimed: IdempotencyKey, *, status: int, body) -> None:
    """Keep the answer for retries; a server error frees the key instead."""
    if status >= 500:
        IdempotencyKey.objects.filter(pk=claimed.pk).delete()
        return
    IdempotencyKey.objects.filter(pk=claimed.pk).update(
        response_status=status, response_body=body
    )


def purge_expired(*, now=None) -> int:
    now = now or timezone.now()
    cutoff = now - timedelta(hours=settings.BOOKING_IDEMPOTENCY_KEY_HOURS)
    deleted, _ = IdempotencyKey.objects.filter(created_at__lt=cutoff).delete()
    return deleted
