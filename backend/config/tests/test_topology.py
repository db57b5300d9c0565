"""The production topology, end to end (issue 33): HAProxy -> two gunicorn app
hosts (prod settings) -> PgBouncer in transaction mode -> PostgreSQL, with the
throttles on redis-server and Celery beat and a worker running the jobs.
scripts/cluster starts it; scripts/cluster/must_show.py holds the checks,
which also run by hand against `cluster.py start`.

The race here is TOPOLOGY_RACE_SLOTS (40) slots x 20 clients, to keep CI
short; `must_show.py` runs the full 200 (docs/operations.md has the figures).
"""

import json
import os

import pytest
from django.db import connection

pytestmark = [pytest.mark.topology, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def cluster(topology, tmp_path, transactional_db):
    """Two app hosts on the test database, through PgBouncer; the tables are
    flushed after the test, once the hosts have stopped."""
    import cluster as cluster_module

    database = connection.settings_dict
    running = cluster_module.Cluster(
        tmp_path / "cluster",
        database=database["NAME"],
        hosts=2,
        pg_host=database["HOST"] or "127.0.0.1",
        pg_port=int(database["PORT"] or 5432),
        celery=True,
    ).start()
    yield running
    running.stop()


def test_two_hosts_behind_haproxy_through_pgbouncer(cluster):
    # scripts/cluster is on the path (the `topology` fixture).
    import must_show
    from harness import Database

    db = Database(cluster.direct_url)
    slots = int(os.environ.get("TOPOLOGY_RACE_SLOTS", 40))

    race = must_show.race(cluster.url, db, slots)
    unpaid = must_show.unpaid_limit(cluster.url, db)
    throttle = must_show.throttle(cluster.url)
    expiry = must_show.scheduled_expiry(db)

    # Every slot booked once, the losers told 409, no 5xx, over both hosts.
    assert race["pass"], json.dumps(race, indent=2)
    # One client, its requests spread over both hosts: exactly 3 held (the
    # limit is counted under a lock in the database, not per host).
    assert unpaid["pass"], json.dumps(unpaid, indent=2)
    assert unpaid["held"] == 3
    # 10/min counted in Redis across both hosts: 10 through, 4 refused.
    assert throttle["pass"], json.dumps(throttle, indent=2)
    assert throttle["statuses"] == {"400": 10, "429": 4}
    # Celery beat and a worker run the expiry job through PgBouncer.
    assert expiry["pass"], json.dumps(expiry, indent=2)
