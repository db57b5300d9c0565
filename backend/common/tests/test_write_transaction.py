"""write_transaction(wait_for_flush=False): only that transaction's COMMIT
skips waiting for the disk; nothing leaks to the next transaction or to the
work it schedules on commit (PgBouncer hands the connection on)."""

import pytest
from django.db import connection, connections, transaction

from common.db import write_transaction

pytestmark = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(
        connection.vendor != "postgresql", reason="a PostgreSQL setting"
    ),
]


def _synchronous_commit():
    with connection.cursor() as cursor:
        cursor.execute("SHOW synchronous_commit")
        return cursor.fetchone()[0]


def test_only_the_marked_transaction_commits_without_waiting():
    after_commit = []
    with write_transaction(wait_for_flush=False):
        inside = _synchronous_commit()
        transaction.on_commit(
            lambda: after_commit.append(_in_a_plain_transaction()), robust=False
        )
    assert inside == "off"
    assert after_commit == ["on"]
    assert _in_a_write_transaction() == "on"
    assert _synchronous_commit() == "on"


def _in_a_plain_transaction():
    with transaction.atomic():
        return _synchronous_commit()


def _in_a_write_transaction():
    with write_transaction():
        return _synchronous_commit()


def test_a_failed_open_leaves_the_default(monkeypatch):
    def refuse(self):
        raise RuntimeError("no connection")

    monkeypatch.setattr(
        type(connections["default"]), "_start_transaction_under_autocommit", refuse
    )
    with pytest.raises(RuntimeError), write_transaction(wait_for_flush=False):
        pass
    monkeypatch.undo()
    assert _in_a_write_transaction() == "on"
