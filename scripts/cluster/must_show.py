"""What must hold through HAProxy -> app hosts -> PgBouncer -> PostgreSQL
(issue 33), checked against a running cluster:

    scripts/cluster/must_show.py [--url http://127.0.0.1:8180]
                              [--database-url postgres://postgres@127.0.0.1/doceamor_cluster]

- race: 200 slots, each raced by 20 clients at once: 200 booked, 0 doubles,
  0 5xx. Every request comes from its own loopback address (a random 127.x.0.0/16),
  so the production limits stay on: HAProxy puts the address in
  X-Forwarded-For and the app (DJANGO_NUM_PROXIES=1) counts it as the client.
- unpaid limit: one client books 6 slots at once, its requests spread over
  the hosts: exactly BOOKING_MAX_UNPAID_PER_CLIENT (3) are held.
- throttle: one client sends N + 4 creates within a minute, spread over the
  hosts: exactly N (BOOKING_CREATE_THROTTLE_RATE, 10/min) get past the
  throttle, the rest 429 with Retry-After; another client is not throttled.
- scheduled expiry: Celery beat and its worker, on the Redis broker and
  through PgBouncer, cancel overdue unpaid bookings (each once).

Each returns its figures and `pass`; the tests
(backend/config/tests/test_topology.py) assert on them. Bookings and slots
are made in the database the cluster serves; the load's guest data comes
from scripts/bench/harness.py like every other load's.
"""

import argparse
import http.client
import ipaddress
import json
import random
import sys
import time
from collections import Counter
from pathlib import Path
from urllib.parse import urlparse

sys.path.append(str(Path(__file__).resolve().parents[1] / "bench"))

from harness import Database, answer_kind, future, guest, run_clients

RACE_SLOTS, RACE_CLIENTS = 200, 20
UNPAID_PER_CLIENT = 3
CREATE_THROTTLE_PER_MINUTE = 10


class Client:
    """HTTP from one loopback address, as one guest's machine."""

    def __init__(self, base_url: str, address: str, timeout: float = 30):
        parsed = urlparse(base_url)
        self.host, self.port = parsed.hostname, parsed.port
        self.address, self.timeout = address, timeout

    def post(self, path: str, body) -> tuple[int, dict, bytes]:
        connection = http.client.HTTPConnection(
            self.host, self.port, timeout=self.timeout, source_address=(self.address, 0)
        )
        try:
            connection.request(
                "POST",
                path,
                body=json.dumps(body).encode(),
                headers={"Content-Type": "application/json"},
            )
            response = connection.getresponse()
            # HAProxy sends header names in lower case.
            headers = {name.lower(): value for name, value in response.getheaders()}
            return response.status, headers, response.read()
        finally:
            connection.close()


# Its own generator: a test that patches or seeds the `random` module cannot
# make every check draw the same addresses.
_draws = random.Random()


def fresh_addresses(count: int) -> list[str]:
    """`count` loopback addresses of a /16 drawn at random (never 127.0.0.0/16),
    so a rerun on the same database meets no earlier run's holds."""
    base = int(ipaddress.IPv4Address(f"127.{_draws.randrange(1, 255)}.0.1"))
    return [str(ipaddress.IPv4Address(base + index)) for index in range(count)]


def race(base_url: str, db: Database, slots: int = RACE_SLOTS) -> dict:
    service_id, (staff_id,) = db.catalogue("cluster race", staff_count=1)
    # Three hours apart: at most 8 a day, under the per-service-day cap
    # (BOOKING_MAX_UNPAID_PER_SERVICE_DAY), which stays on like every limit.
    slot_ids = db.slots([staff_id], slots, start=future(300), minutes=180)
    kinds, hosts = Counter(), Counter()
    addresses = iter(fresh_addresses(slots * RACE_CLIENTS))

    def attempt(index, slot_id):
        client = Client(base_url, next(addresses))
        status, headers, body = client.post(
            "/api/bookings/", guest(service_id, slot_id, f"c{slot_id}-{index}")
        )
        return answer_kind(status, body), headers.get("x-app-host")

    started = time.monotonic()
    for slot_id in slot_ids:
        results, _ = run_clients(
            RACE_CLIENTS, lambda i, slot_id=slot_id: attempt(i, slot_id)
        )
        kinds.update(kind for kind, _ in results)
        hosts.update(host for _, host in results)
    seconds = time.monotonic() - started
    booked = db.scalar(
        "SELECT count(*) FROM bookings_booking"
        " WHERE status <> 'cancelled' AND availability_id = ANY(%s)",
        [slot_ids],
    )
    doubles = db.scalar(
        "SELECT count(*) FROM (SELECT availability_id FROM bookings_booking"
        " WHERE status <> 'cancelled' AND availability_id = ANY(%s)"
        " GROUP BY availability_id HAVING count(*) > 1) d",
        [slot_ids],
    )
    server_errors = sum(n for kind, n in kinds.items() if kind.startswith("5"))
    return {
        "slots": slots,
        "clients_per_slot": RACE_CLIENTS,
        "answers": dict(sorted(kinds.items())),
        "hosts": dict(sorted(hosts.items())),
        "booked": booked,
        "doubles": doubles,
        "server_errors": server_errors,
        "seconds": round(seconds, 1),
        "requests_per_second": round(slots * RACE_CLIENTS / seconds, 1),
        "pass": booked == slots
        and kinds["201"] == slots
        and kinds["409 slot_unavailable"] == slots * (RACE_CLIENTS - 1)
        and doubles == 0
        and server_errors == 0
        and len(hosts) >= 2,
    }


def unpaid_limit(base_url: str, db: Database, attempts: int = 6) -> dict:
    service_id, (staff_id,) = db.catalogue("cluster unpaid", staff_count=1)
    slot_ids = db.slots([staff_id], attempts, start=future(200))
    (address,) = fresh_addresses(1)
    client = Client(base_url, address)

    def attempt(index):
        status, headers, body = client.post(
            "/api/bookings/", guest(service_id, slot_ids[index], f"u{index}")
        )
        return answer_kind(status, body), headers.get("x-app-host")

    results, _ = run_clients(attempts, attempt)
    kinds = Counter(kind for kind, _ in results)
    hosts = Counter(host for _, host in results)
    held = db.scalar(
        "SELECT count(*) FROM bookings_booking"
        " WHERE status = 'awaiting_payment' AND availability_id = ANY(%s)",
        [slot_ids],
    )
    return {
        "client": client.address,
        "attempts": attempts,
        "answers": dict(sorted(kinds.items())),
        "hosts": dict(sorted(hosts.items())),
        "held": held,
        "pass": held == UNPAID_PER_CLIENT
        and kinds["201"] == UNPAID_PER_CLIENT
        and kinds["409 too_many_unpaid_bookings"] == attempts - UNPAID_PER_CLIENT
        and len(hosts) >= 2,
    }


def throttle(base_url: str, extra: int = 4) -> dict:
    # Fixed one-minute windows: start early in one, so all requests share it.
    while time.time() % 60 > 45:
        time.sleep(1)
    address, other = fresh_addresses(2)
    client = Client(base_url, address)
    sent = CREATE_THROTTLE_PER_MINUTE + extra
    results, sequence = [], []
    for _ in range(sent):
        # An empty body: refused with 400 after the throttle counted it, so
        # no booking is made and only the throttle can say 429.
        status, headers, _ = client.post("/api/bookings/", {})
        results.append((status, headers))
        # Each answer with its second of the minute, so a failed check shows
        # whether the requests left their window or met earlier hits.
        sequence.append([status, headers.get("x-app-host"), round(time.time() % 60, 1)])
    statuses = Counter(status for status, _ in results)
    hosts = Counter(h.get("x-app-host") for _, h in results)
    retry_after = sorted({h.get("retry-after") for s, h in results if s == 429})
    other_status, _, _ = Client(base_url, other).post("/api/bookings/", {})
    return {
        "client": client.address,
        "rate_per_minute": CREATE_THROTTLE_PER_MINUTE,
        "sent": sent,
        "statuses": {str(k): v for k, v in sorted(statuses.items())},
        "hosts": dict(sorted(hosts.items())),
        "retry_after": retry_after,
        "other_client_status": other_status,
        "sequence": sequence,
        "pass": statuses[400] == CREATE_THROTTLE_PER_MINUTE
        and statuses[429] == extra
        and None not in retry_after
        and other_status == 400
        and len(hosts) >= 2,
    }


def scheduled_expiry(db: Database, overdue: int = 5, timeout: float = 60) -> dict:
    """Celery beat and worker (`cluster.py start`, or Cluster(celery=True))
    run the expiry job through PgBouncer: overdue unpaid bookings are
    cancelled, each with one timeout event."""
    service_id, (staff_id,) = db.catalogue("cluster expiry", staff_count=1)
    slot_ids = db.slots([staff_id], overdue, start=future(250))
    db.overdue_bookings(service_id, slot_ids)
    started = time.monotonic()
    unpaid = overdue
    while unpaid and time.monotonic() - started < timeout:
        time.sleep(1)
        unpaid = db.scalar(
            "SELECT count(*) FROM bookings_booking"
            " WHERE service_id = %s AND status = 'awaiting_payment'",
            [service_id],
        )
    events = db.scalar(
        "SELECT count(*) FROM bookings_bookingevent e JOIN bookings_booking b"
        " ON b.id = e.booking_id WHERE b.service_id = %s"
        " AND e.note = 'payment timeout'",
        [service_id],
    )
    return {
        "overdue": overdue,
        "still_unpaid": unpaid,
        "timeout_events": events,
        "seconds": round(time.monotonic() - started, 1),
        "pass": unpaid == 0 and events == overdue,
    }


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--url", default="http://127.0.0.1:8180")
    parser.add_argument(
        "--database-url", default="postgres://postgres@127.0.0.1:5432/doceamor_cluster"
    )
    parser.add_argument("--only", default="race,unpaid_limit,throttle,scheduled_expiry")
    parser.add_argument("--race-slots", type=int, default=RACE_SLOTS)
    args = parser.parse_args(argv)
    db = Database(args.database_url)
    checks = {
        "race": lambda: race(args.url, db, args.race_slots),
        "unpaid_limit": lambda: unpaid_limit(args.url, db),
        "throttle": lambda: throttle(args.url),
        "scheduled_expiry": lambda: scheduled_expiry(db),
    }
    results = {name: checks[name]() for name in args.only.split(",")}
    print(json.dumps(results, indent=2))
    sys.exit(0 if all(r["pass"] for r in results.values()) else 1)


if __name__ == "__main__":
    main()
