"""Write transactions, and the one lock order every writer follows.

Lock order: **staff, then slot, then booking**, each group in primary-key
order. Every services module that takes row locks (availability, bookings)
follows it, so two writers never wait for each other in a cycle. Locks are
`FOR NO KEY UPDATE`: inserting a booking takes `FOR KEY SHARE` on the rows it
references, which a plain `FOR UPDATE` would block. On SQLite the locks are
no-ops, and the IMMEDIATE transactions serialise writers instead.
"""

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from typing import TypeVar

from django.db import OperationalError, connection, transaction

from common.exceptions import LockTimeout

_LOCK_NOT_AVAILABLE = "55P03"
_ATTEMPTS = 3

T = TypeVar("T")


class ClashingInsert(Exception):
    """An insert clashed with a unique row; the database aborted the transaction.

    A random booking reference drawn twice, or an idempotency key another
    request stored after this one looked: `run_write_transaction` redoes the
    transaction from the start, and the fresh attempt avoids the clash. When
    a fresh attempt would clash again, `answer` is the error to give instead,
    raised once the transaction has rolled back. `exhausted` is the error to
    give if every attempt clashed (else the clash itself goes up).
    """

    def __init__(
        self, answer: Exception | None = None, exhausted: Exception | None = None
    ):
        super().__init__()
        self.answer = answer
        self.exhausted = exhausted


@contextmanager
def write_transaction(*, wait_for_flush: bool = True) -> Iterator[None]:
    """`transaction.atomic()` whose lock waits end in LockTimeout.

    On PostgreSQL every transaction opens with `SET LOCAL lock_timeout` =
    BOOKING_LOCK_TIMEOUT_SECONDS in its BEGIN (common.postgresql), so this
    costs no statement of its own and survives PgBouncer's transaction
    pooling. A request that cannot
    get its rows in time gets LockTimeout (503, retry shortly) instead of
    hanging a worker; the transaction is rolled back whole either way.

    `wait_for_flush=False` (PostgreSQL: `SET LOCAL synchronous_commit = off`
    in the same BEGIN) is for work a later run redoes by itself, such as an
    expiry batch: its COMMIT returns before the WAL reaches the disk, so a
    crash in the next fraction of a second may undo the whole transaction,
    never part of it. Any transaction that acts on it (books the freed slot,
    sends its email) commits synchronously, which flushes it first.
    """
    token = _wait_for_flush.set(wait_for_flush)
    try:
        with transaction.atomic():
            # BEGIN has been sent: what runs next, on_commit work included,
            # opens its transactions as usual.
            _wait_for_flush.reset(token)
            token = None
            yield
    except OperationalError as error:
        if getattr(error.__cause__, "sqlstate", None) == _LOCK_NOT_AVAILABLE:
            raise LockTimeout() from error
        raise
    finally:
        if token is not None:
            _wait_for_flush.reset(token)


def wait_for_flush() -> bool:
    """Whether the transaction opening now waits for its COMMIT to reach the
    disk (read by the PostgreSQL backend as it sends BEGIN)."""
    return _wait_for_flush.get()


_wait_for_flush = ContextVar("wait_for_flush", default=True)


def run_write_transaction(work: Callable[[], T]) -> T:
    """Run `work()` in a write transaction, redone whole after a ClashingInsert.

    Called inside another transaction, `work()` joins it without a savepoint
    (no statements of its own), and its errors go to the caller: a caller
    that handles a domain error and carries on (the idempotency layer stores
    the refusal) relies on `work()` raising its domain errors before its
    first write. A ClashingInsert goes up to the outermost
    `run_write_transaction`, which redoes everything.
    """
    if connection.in_atomic_block:
        return work()
    token = _redo_possible.set(True)
    try:
        return _run_with_redos(work)
    finally:
        _redo_possible.reset(token)


def redo_possible() -> bool:
    """Whether a ClashingInsert raised now would be redone: true inside the
    outermost `run_write_transaction`, false in a transaction opened any
    other way (there the clash would go up to the caller)."""
    return _redo_possible.get()


_redo_possible = ContextVar("redo_possible", default=False)


def _run_with_redos(work: Callable[[], T]) -> T:
    for attempt in range(1, _ATTEMPTS + 1):
        try:
            with write_transaction():
                return work()
        except ClashingInsert as clash:
            if clash.answer is not None:
                raise clash.answer from clash.__cause__
            if attempt == _ATTEMPTS:
                if clash.exhausted is not None:
                    raise clash.exhausted from clash
                raise
    raise AssertionError("unreachable")  # pragma: no cover
