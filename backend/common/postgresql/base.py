"""Django's PostgreSQL backend, with the lock timeout set per transaction.

`lock_timeout` used to ride in the connection's startup packet
(`options=-c lock_timeout=...`). A pooler in transaction mode refuses that
(PgBouncer: "unsupported startup parameter: options"), and a session `SET`
would leak to whichever client the pooler hands the server connection next.
So every transaction Django opens starts with

    BEGIN; SET LOCAL lock_timeout = '<BOOKING_LOCK_TIMEOUT_SECONDS>s'

sent as one simple query: the same single round trip as psycopg's own BEGIN,
and the setting ends with the transaction. Django's SQLite backend starts its
transactions through the same hook (`_start_transaction_under_autocommit`);
psycopg stays in autocommit mode and its commit() and rollback() follow the
server's transaction status. Statements outside a transaction take no row
lock that another request waits on for long, and run without the timeout.
"""

from django.conf import settings
from django.db.backends.postgresql import base

from common.db import wait_for_flush


def begin_statement() -> str:
    """The statement that opens every transaction (an int: nothing to quote);
    with `write_transaction(wait_for_flush=False)`, one whose COMMIT does
    not wait for the disk."""
    milliseconds = int(settings.BOOKING_LOCK_TIMEOUT_SECONDS) * 1000
    statement = f"BEGIN; SET LOCAL lock_timeout = '{milliseconds}ms'"
    if not wait_for_flush():
        statement += "; SET LOCAL synchronous_commit = off"
    return statement


class DatabaseWrapper(base.DatabaseWrapper):
    def _start_transaction_under_autocommit(self):
        # Called by transaction.atomic() for its outermost block, in place
        # of turning psycopg's autocommit off (which would send a bare BEGIN).
        with self.cursor() as cursor:
            cursor.execute(begin_statement())
