"""Write transactions, and the one lock order every writer follows.

Lock order: **staff, then slot, then booking**, each group in primary-key
order. Every services module that takes row locks (availability, bookings)
follows it, so two writers never wait for each other in a cycle. Locks are
`FOR NO KEY UPDATE`: inserting a booking takes `FOR KEY SHARE` on the rows it
references, which a plain `FOR UPDATE` would block. On SQLite the locks are
no-ops, and the IMMEDIATE transactions serialise writers instead.
"""

from collections.abc import Iterator
from contextlib import contextmanager

from django.conf import settings
from django.db import OperationalError, connection, transaction

from common.exceptions import LockTimeout

_LOCK_NOT_AVAILABLE = "55P03"


@contextmanager
def write_transaction() -> Iterator[None]:
    """`transaction.atomic()` whose lock waits are bounded on PostgreSQL.

    A request that cannot get its rows within BOOKING_LOCK_TIMEOUT_SECONDS
    gets LockTimeout (503, retry shortly) instead of hanging a worker; the
    transaction is rolled back whole either way.
    """
    try:
        with transaction.atomic():
            if connection.vendor == "postgresql":
                with connection.cursor() as cursor:
                    cursor.execute(
                        "SELECT set_config('lock_timeout', %s, true)",
                        [f"{settings.BOOKING_LOCK_TIMEOUT_SECONDS * 1000:.0f}ms"],
                    )
            yield
    except OperationalError as error:
        if getattr(error.__cause__, "sqlstate", None) == _LOCK_NOT_AVAILABLE:
            raise LockTimeout() from error
        raise
