"""The test database connection, after tests that kill database sessions."""

from django.db import connection


def replace_dead_connection():
    """Start the next query on a live connection.

    A connection closed inside an atomic block is only marked closed
    (`closed_in_transaction`), and every later close() is then a no-op, so
    once an outage test has terminated its session Django keeps the dead
    handle and the next query fails ("terminating connection due to
    administrator command", then "the connection is closed"). Dropping an
    unusable handle makes the next query connect afresh.
    """
    if connection.connection is not None and not connection.is_usable():
        connection.connection = None
    connection.close()
