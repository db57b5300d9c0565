"""Claiming outbox rows: one shape for every sender (emails, webhooks).

A sender claims due rows in a short transaction (`SELECT ... FOR UPDATE
SKIP LOCKED` on PostgreSQL; SQLite's IMMEDIATE transactions admit one
claimer at a time) by stamping them with a claim token and pushing
`next_attempt_at` forward by a lease, then works outside any transaction.
Two senders never claim one row, no database lock is held while the other
side is slow, and a sender that dies mid-batch leaves its rows to be picked
up again when the lease ends. Every write after the claim is conditional on
the token, so a row another sender took over after a lease ran out is left
alone.

The model needs `next_attempt_at` and `claim_token` fields.
"""

import time
import uuid
from datetime import datetime, timedelta

from django.db import transaction
from django.db.models import Model, Q


def claim_due(
    model: type[Model],
    *,
    due: Q,
    now: datetime,
    batch_size: int,
    lease: timedelta,
) -> tuple[uuid.UUID, list[int]]:
    """Claim up to `batch_size` rows matching `due` whose time has come.

    Returns the claim token and the claimed ids, oldest due first.
    """
    token = uuid.uuid4()
    with transaction.atomic():
        claimed_ids = list(
            # `of=("self",)`: a `due` that joins (an enabled endpoint) locks
            # only the claimed rows, not the rows it reads through.
            model.objects.select_for_update(skip_locked=True, of=("self",))
            .filter(due, next_attempt_at__lte=now)
            .order_by("next_attempt_at", "pk")
            .values_list("pk", flat=True)[:batch_size]
        )
        if claimed_ids:
            model.objects.filter(pk__in=claimed_ids).update(
                claim_token=token, next_attempt_at=now + lease
            )
    return token, claimed_ids


def release(
    model: type[Model], ids: list[int], *, token: uuid.UUID, now: datetime
) -> int:
    """Give claimed rows back, due at `now`, for the next run to send."""
    return model.objects.filter(pk__in=ids, claim_token=token).update(
        claim_token=None, next_attempt_at=now
    )


class LeaseClock:
    """When a sender must stop starting sends: half-way through its lease.

    Stopping well before the lease ends means no other sender can have
    claimed a row this one is still sending.
    """

    def __init__(self, lease: timedelta):
        self.deadline = time.monotonic() + lease.total_seconds() / 2

    def expired(self) -> bool:
        return time.monotonic() > self.deadline
