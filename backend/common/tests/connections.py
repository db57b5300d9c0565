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


def live_database_url() -> str:
    """The test database as a DATABASE_URL, for a server process the test
    starts (it must read the rows the test wrote)."""
    database = connection.settings_dict
    if connection.vendor == "sqlite":
        return f"sqlite:///{database['NAME']}"
    user = database["USER"] or "postgres"
    host = database["HOST"] or "127.0.0.1"
    return f"postgres://{user}@{host}:{database['PORT'] or 5432}/{database['NAME']}"
