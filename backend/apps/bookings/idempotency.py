"""`Idempotency-Key` support for booking creation, as payment APIs do it.

A client that retries a create after a timeout sends the same key; it gets
the first request's answer back instead of a second booking or a 409.

Three rules make that hold through crashes:

- **The answer commits with the booking.** `respond_once` runs the request
  and writes its answer (with the booking it made) in one transaction, so a
  booking is never committed without the answer its retry will get, and an
  answer is never stored for a booking that rolled back.
- **"In progress" is a lock held by a live transaction**: on PostgreSQL a
  transaction-scoped advisory lock on the key, taken with `try` so a
  duplicate is told at once instead of waiting. A worker that dies takes its
  connection, its transaction and the lock with it, and the next retry
  proceeds. SQLite's IMMEDIATE transactions serialise writers: a duplicate
  waits for the first to finish and then gets its answer.
- **A key belongs to its client.** The same key from another address is
  refused as a reused key, without the stored answer.

Server errors (5xx) store nothing: their transaction rolls back and the key
is free for the retry at once.
"""

import hashlib
import json
import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta

from django.conf import settings
from django.db import IntegrityError, connection
from django.utils import timezone
from django.utils.text import format_lazy
from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import OpenApiParameter

from apps.bookings.models import IdempotencyKey
from common.bulk import insert_row
from common.db import ClashingInsert, run_write_transaction
from common.exceptions import DomainError
from common.http import client_key

MAX_KEY_LENGTH = 255
# Visible ASCII only (no space, no control character), as the schema says.
KEY_REGEX = rf"^[!-~]{{1,{MAX_KEY_LENGTH}}}$"
KEY_PATTERN = re.compile(KEY_REGEX)

# The header as the schema documents it, beside the rules it states.
HEADER_PARAMETER = OpenApiParameter(
    "Idempotency-Key",
    location=OpenApiParameter.HEADER,
    required=False,
    # A plain string schema let a client send a space or 300 characters.
    type={
        "type": "string",
        "pattern": KEY_REGEX,
        "maxLength": MAX_KEY_LENGTH,
    },
    description="Any unique string (a UUID), reused for every retry of one "
    "submission. A retry with the same key and body from the same client gets "
    "the first answer again (header `Idempotent-Replayed: true`) instead of "
    "booking again; the same key with another body, or from another client, is "
    "422 `idempotency_key_reused`; while the first request is still running, "
    "409 `request_in_progress` with Retry-After. Keys are kept for 24 hours.",
)


class IdempotencyKeyReused(DomainError):
    status_code = 422
    code = "idempotency_key_reused"
    default_detail = _(
        "This Idempotency-Key was already used for another request. "
        "Send a new key for a new request."
    )


class IdempotentRequestInProgress(DomainError):
    code = "request_in_progress"
    default_detail = _(
        "A request with this Idempotency-Key is still being processed. "
        "Retry shortly to get its result."
    )
    retry_after = 1


class InvalidIdempotencyKey(DomainError):
    status_code = 400
    code = "invalid"
    field = "Idempotency-Key"
    default_detail = format_lazy(
        _("Send 1 to {length} visible ASCII characters."), length=MAX_KEY_LENGTH
    )


# What a keyed request may answer besides its operation's own errors.
ERRORS = (InvalidIdempotencyKey, IdempotencyKeyReused, IdempotentRequestInProgress)


@dataclass(frozen=True)
class IdempotentRequest:
    key: str
    client_fingerprint: str
    request_fingerprint: str


@dataclass(frozen=True)
class Answer:
    """What a request answered: replayed as is to every retry of its key."""

    status: int
    body: dict
    booking_id: int | None = None


def fingerprint(data) -> str:
    canonical = json.dumps(data, sort_keys=True, separators=(",", ":"), default=str)
    return hashlib.sha256(canonical.encode()).hexdigest()


def idempotent_request(request, *, key: str) -> IdempotentRequest:
    """The key, whose client sent it, and which body; 400 for a malformed key."""
    if not KEY_PATTERN.fullmatch(key or ""):
        raise InvalidIdempotencyKey()
    return IdempotentRequest(
        key=key,
        client_fingerprint=client_key(request),
        request_fingerprint=fingerprint(request.data),
    )


def respond_once(
    idempotent: IdempotentRequest, answer: Callable[[], Answer]
) -> tuple[Answer, bool]:
    """Answer a keyed request once: run `answer()` or replay what it gave.

    Returns the answer and whether it is a replay. `answer()` runs inside
    this function's transaction, and its result is stored in it before the
    commit. Raises IdempotencyKeyReused for a different body or client,
    IdempotentRequestInProgress while a live transaction holds the key, and
    lets `answer()`'s own exceptions through (rolling everything back).
    """
    return run_write_transaction(lambda: _respond_once(idempotent, answer))


def _respond_once(idempotent: IdempotentRequest, answer: Callable[[], Answer]):
    locked, stored = _lock_and_look_up(idempotent.key)
    stored = _stored_answer(idempotent, stored, may_expire=locked)
    if stored is not None:
        return stored, True
    if not locked:
        raise IdempotentRequestInProgress()
    result = answer()
    try:
        insert_row(
            IdempotencyKey(
                key=idempotent.key,
                client_fingerprint=idempotent.client_fingerprint,
                request_fingerprint=idempotent.request_fingerprint,
                booking_id=result.booking_id,
                response_status=result.status,
                response_body=result.body,
                created_at=timezone.now(),
            )
        )
    except IntegrityError as error:
        # The lookup's snapshot predates the lock: a request that committed
        # this key in between was not seen. Redo the whole transaction; the
        # next look finds its answer and replays it.
        raise ClashingInsert() from error
    return result, False


_STORED_FIELDS = (
    "id",
    "client_fingerprint",
    "request_fingerprint",
    "booking_id",
    "response_status",
    "response_body",
    "created_at",
)


def _lock_and_look_up(key: str) -> tuple[bool, IdempotencyKey | None]:
    """Take the key's lock if no live transaction has it, and read its answer.

    One statement on PostgreSQL: a transaction-scoped advisory lock taken
    with `try`, so a duplicate is told at once instead of waiting. SQLite has
    no such lock and needs none: its writers run one at a time.
    """
    stored = IdempotencyKey.objects.filter(key=key).only(*_STORED_FIELDS)
    if connection.vendor != "postgresql":
        return True, stored.first()
    digest = hashlib.sha256(f"idempotency-key:{key}".encode()).digest()
    lock_id = int.from_bytes(digest[:8], "big", signed=True)
    columns = ", ".join(f"k.{connection.ops.quote_name(c)}" for c in _STORED_FIELDS)
    # LEFT JOIN from a one-row table: the lock's answer comes back even when
    # no answer is stored (then the row's id is NULL).
    (row,) = IdempotencyKey.objects.raw(
        f"SELECT pg_try_advisory_xact_lock(%s) AS locked, {columns}"
        f" FROM (SELECT 1) AS one"
        f" LEFT JOIN {IdempotencyKey._meta.db_table} AS k ON k.key = %s",
        [lock_id, key],
    )
    return row.locked, row if row.pk is not None else None


def _stored_answer(
    idempotent: IdempotentRequest, stored: IdempotencyKey | None, *, may_expire: bool
) -> Answer | None:
    if stored is None:
        return None
    if stored.created_at < _expired_before():
        # Only the holder of the key's lock frees an expired key; without the
        # lock the request is refused as in progress and retried.
        if may_expire:
            IdempotencyKey.objects.filter(pk=stored.pk).delete()
        return None
    if (
        stored.client_fingerprint != idempotent.client_fingerprint
        or stored.request_fingerprint != idempotent.request_fingerprint
    ):
        # One answer for both, so another client learns nothing about the
        # request the key was first used for.
        raise IdempotencyKeyReused()
    return Answer(stored.response_status, stored.response_body, stored.booking_id)


def _expired_before():
    return timezone.now() - timedelta(hours=settings.BOOKING_IDEMPOTENCY_KEY_HOURS)


def purge_expired(*, now=None) -> int:
    now = now or timezone.now()
    cutoff = now - timedelta(hours=settings.BOOKING_IDEMPOTENCY_KEY_HOURS)
    deleted, _ = IdempotencyKey.objects.filter(created_at__lt=cutoff).delete()
    return deleted
