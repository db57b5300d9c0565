"""Benchmark 2: booking creates per second through the API, side by side with
the framework's own floors and raw psycopg, in rotated rounds.

Every variant books the same kind of slot with the same load generator:

- `api`: the project, each client from its own address (X-Forwarded-For,
  read through DJANGO_NUM_PROXIES=1 as production behind its proxy does);
- `api_one_address`: the project, every client from one address, so they
  share the per-client lock and throttle row (the old benchmark's case);
- `f1`, `f2`: the floors (scripts/bench/floors), same gunicorn config;
- `before`: the project at another commit (BENCH_BEFORE_REF), on a database
  migrated by that commit, when run_all.sh serves one;
- `raw_psycopg`: the transaction straight through psycopg.

Each round runs every level, and within a level every variant in an order
rotated by round and level, so no variant always follows the same one (a
worker recycled, autovacuum, a warm cache). A level's rate is the median over
rounds; the shares are medians of the per-round ratios, with their range.
"""

import itertools
import os
import queue
import statistics
import threading
import time
from collections import Counter
from dataclasses import dataclass

import psycopg
from harness import (
    THROUGHPUT_LEVELS,
    answer_kind,
    creates_check,
    future,
    guest,
    guest_phone,
    latency_summary,
    postmaster_pid,
    run_clients,
    server_cpu_seconds,
)

# BENCH_ROUNDS and BENCH_REQUESTS scale a run down for a quick check.
ROUNDS = int(os.environ.get("BENCH_ROUNDS", 5))
# About a thousand creates a variant per level and round, so one lasts
# seconds, not a blip that one stray autovacuum can swing.
REQUESTS_PER_LEVEL = int(os.environ.get("BENCH_REQUESTS", 1000))
WARM_UP_REQUESTS = 50
# The levels the targets are set at (64 clients is shown, not judged).
TARGET_LEVELS = (8, 32)
F2_SHARE, F1_SHARE, CPU_OF_F2 = 0.8, 0.6, 1.25
TARGET = (
    f"API creates/s >= {F2_SHARE} x F2 and >= {F1_SHARE} x F1 at "
    f"{' and '.join(map(str, TARGET_LEVELS))} clients (medians over the rounds); "
    f"server CPU per create <= {CPU_OF_F2} x F2's"
)


@dataclass
class Server:
    """A gunicorn serving one variant: its client, master pid and database."""

    api: object
    pid: int
    db: object
    one_address: bool = False


def client_address(clients, index):
    """A distinct IPv4 address per client of a level."""
    return f"10.{clients}.{index // 250}.{index % 250 + 1}"


def bench_throughput(servers, db):
    """`servers` maps variant names to Server; `db` is the raw baseline's."""
    catalogues = {}  # one service and its staff per database
    for database in [db, *(server.db for server in servers.values())]:
        if database.url not in catalogues:
            catalogues[database.url] = database.catalogue("throughput", staff_count=10)
    refused = {}
    for number, (name, server) in enumerate(servers.items()):
        if server.one_address:
            continue
        found = warm_up(server, *catalogues[server.db.url], day=480 + number * 5)
        if found:
            refused[name] = found
    if refused:
        # Every level would be refused too: a failed run, with no rates.
        failure = f"warm-up creates refused: {refused}"
        return {"levels": [], "target": TARGET, "failed_run": [failure], "pass": False}

    variants = [*servers, "raw_psycopg"]
    postmaster = postmaster_pid(db)
    runs = {(clients, name): [] for clients in THROUGHPUT_LEVELS for name in variants}
    day = 500
    for round_ in range(ROUNDS):
        for position, clients in enumerate(THROUGHPUT_LEVELS):
            per_client = -(-REQUESTS_PER_LEVEL // clients)
            shift = (round_ + position) % len(variants)
            for name in variants[shift:] + variants[:shift]:
                if name == "raw_psycopg":
                    service_id, staff_ids = catalogues[db.url]
                    slots = slot_queue(db, staff_ids, clients * per_client, day)
                    run = raw_throughput(db, clients, per_client, slots, service_id)
                else:
                    server = servers[name]
                    service_id, staff_ids = catalogues[server.db.url]
                    run = http_throughput(
                        server,
                        clients,
                        per_client,
                        service_id,
                        staff_ids,
                        day,
                        postmaster=postmaster,
                    )
                runs[clients, name].append(run)
                day += 40
    levels = [
        level_summary(clients, per_client_total(clients), runs, variants)
        for clients in THROUGHPUT_LEVELS
    ]
    failed = [
        f"{level['clients']} clients: {failure}"
        for level in levels
        for failure in level["failed_run"]
    ]
    judged = [level for level in levels if level["clients"] in TARGET_LEVELS]
    return {
        "levels": levels,
        "rounds": ROUNDS,
        "target": TARGET,
        "failed_run": failed,
        "pass": not failed
        and all(level["api"]["non_201"] == 0 for level in levels)
        and all(level_meets(level) for level in judged),
    }


def per_client_total(clients):
    return clients * -(-REQUESTS_PER_LEVEL // clients)


def level_meets(level):
    """Whether a level meets the floor targets (True without the floors)."""
    if "api_share_of_f2" not in level:
        return True
    cpu = level.get("api_cpu_share_of_f2")
    return (
        level["api_share_of_f2"] >= F2_SHARE
        and level["api_share_of_f1"] >= F1_SHARE
        and (cpu is None or cpu <= CPU_OF_F2)
    )


def slot_queue(db, staff_ids, total, day):
    slots = queue.SimpleQueue()
    for slot_id in db.slots(staff_ids, total // len(staff_ids) + 1, start=future(day)):
        slots.put(slot_id)
    return slots


def http_throughput(
    server, clients, per_client, service_id, staff_ids, day, *, postmaster
):
    """One variant's creates at one level; committed bookings, not answers.

    CPU is read twice: the variant's gunicorn workers, and the whole
    PostgreSQL server (`postmaster`), which on a quiet machine is what the
    variant's statements cost the database."""
    total = clients * per_client
    per_staff = total // len(staff_ids) + 1
    slot_ids = server.db.slots(staff_ids, per_staff, start=future(day))
    slots = queue.SimpleQueue()
    for slot_id in slot_ids:
        slots.put(slot_id)

    def client(index):
        # One address for all, or one per client of this level.
        address = client_address(1, 0) if server.one_address else None
        headers = {"X-Forwarded-For": address or client_address(clients, index)}
        latencies, kinds = [], []
        for n in range(per_client):
            body = guest(service_id, slots.get(), f"t{clients}-{day}-{index}-{n}")
            status, _, data, elapsed = server.api.send(
                "POST", "/api/bookings/", body, headers
            )
            kinds.append(answer_kind(status, data))
            latencies.append(elapsed)
        return latencies, kinds

    cpu_before = server_cpu_seconds(server.pid)
    db_cpu_before = server_cpu_seconds(postmaster)
    results, wall = run_clients(clients, client)
    cpu = server_cpu_seconds(server.pid) - cpu_before
    db_cpu = server_cpu_seconds(postmaster) - db_cpu_before
    latencies = [x for batch, _ in results for x in batch]
    kinds = [x for _, batch in results for x in batch]
    # The rate is of bookings the database holds, not of answers: a refused
    # create is fast, and counted it would flatter the variant.
    committed = server.db.scalar(
        "SELECT count(*) FROM bookings_booking WHERE availability_id = ANY(%s)",
        [slot_ids],
    )
    check = creates_check(kinds, committed=committed, seconds=wall)
    return {
        "creates_per_second": check["committed_per_second"],
        "non_201": sum(1 for kind in kinds if kind != "201"),
        "share_4xx": check["share_4xx"],
        "cpu_ms_per_create": round(cpu * 1000 / committed, 2) if committed else None,
        "db_cpu_ms_per_create": (
            round(db_cpu * 1000 / committed, 2) if committed else None
        ),
        "latencies": latencies,
        "failures": check["failures"],
    }


def _median(values):
    values = [v for v in values if v is not None]
    return round(statistics.median(values), 3) if values else None


def _share(runs, clients, name, of, field="creates_per_second"):
    """(median, [min, max]) of name's figure over of's, round by round."""
    pairs = zip(runs[clients, name], runs[clients, of], strict=True)
    ratios = [a[field] / b[field] for a, b in pairs if a[field] and b[field]]
    if not ratios:
        return None, None
    return round(statistics.median(ratios), 3), [
        round(min(ratios), 3),
        round(max(ratios), 3),
    ]


def level_summary(clients, total, runs, variants):
    level = {"clients": clients, "requests": total, "failed_run": []}
    for name in variants:
        batch = runs[clients, name]
        rates = [run["creates_per_second"] for run in batch]
        summary = {
            "creates_per_second": _median(rates),
            "creates_per_second_rounds": rates,
            **latency_summary([x for run in batch for x in run["latencies"]]),
        }
        if name != "raw_psycopg":
            summary |= {
                "non_201": sum(run["non_201"] for run in batch),
                "share_4xx": max(run["share_4xx"] for run in batch),
                "cpu_ms_per_create": _median(
                    [run["cpu_ms_per_create"] for run in batch]
                ),
                "db_cpu_ms_per_create": _median(
                    [run["db_cpu_ms_per_create"] for run in batch]
                ),
            }
            level["failed_run"] += [
                f"{name}: {failure}" for run in batch for failure in run["failures"]
            ]
        level[name] = summary
    level["api_share_of_raw"], level["api_share_of_raw_spread"] = _share(
        runs, clients, "api", "raw_psycopg"
    )
    for floor in ("f2", "f1", "before", "api_one_address"):
        if floor in variants:
            level[f"api_share_of_{floor}"], level[f"api_share_of_{floor}_spread"] = (
                _share(runs, clients, "api", floor)
            )
    if "f2" in variants:
        level["api_cpu_share_of_f2"], level["api_cpu_share_of_f2_spread"] = _share(
            runs, clients, "api", "f2", "cpu_ms_per_create"
        )
        level["api_db_cpu_share_of_f2"], level["api_db_cpu_share_of_f2_spread"] = (
            _share(runs, clients, "api", "f2", "db_cpu_ms_per_create")
        )
    return level


def warm_up(server, service_id, staff_ids, *, day):
    """Book a few slots first: every worker imports, connects and caches.

    Returns the answers other than 201, by kind; none is expected.
    """
    per_staff = -(-WARM_UP_REQUESTS // len(staff_ids))
    slots = server.db.slots(staff_ids, per_staff, start=future(day))
    kinds = Counter()
    for n, slot_id in enumerate(slots[:WARM_UP_REQUESTS]):
        status, _, body, _ = server.api.send(
            "POST",
            "/api/bookings/",
            guest(service_id, slot_id, f"warm-{n}"),
            {"X-Forwarded-For": client_address(0, n)},
        )
        kinds[answer_kind(status, body)] += 1
    return {kind: count for kind, count in kinds.items() if kind != "201"}


RAW_REFERENCES = itertools.count()
# The baseline writes the same kind of row the API does: a valid E.164 phone.
RAW_PHONE = guest_phone(0)
RAW_CREATE = [
    "SELECT a.is_booked, a.start_time, a.end_time, s.is_active"
    " FROM availability_availability a JOIN staff_staff s ON s.id = a.staff_id"
    " WHERE a.id = %(slot)s FOR NO KEY UPDATE OF a",
    "INSERT INTO bookings_booking (reference, service_id, staff_id, availability_id,"
    " customer_name, customer_email, customer_phone, customer_phone_digits,"
    " customer_email_key, client_key, client_site_key, client_network_key, notes,"
    " locale, amount_due, status, payment_expires_at, cancel_reason, created_at,"
    " updated_at)"
    " SELECT %(ref)s, %(service)s, a.staff_id, a.id, 'Raw', 'raw@guests.example',"
    f" '{RAW_PHONE}', '{RAW_PHONE[1:]}', 'raw@guests.example', '', '', '', '',"
    " 'en', 30, 'awaiting_payment', now() + interval '30 minutes', '', now(), now()"
    " FROM availability_availability a WHERE a.id = %(slot)s"
    " RETURNING id",
    "UPDATE availability_availability SET is_booked = true, updated_at = now()"
    " WHERE id = %(slot)s",
    "INSERT INTO bookings_bookingevent (booking_id, kind, from_status, to_status,"
    " source, note, data, created_at) VALUES (%(booking)s, 'created', '',"
    " 'awaiting_payment', 'guest', '', '{}', now())",
]


def raw_throughput(db, clients, per_client, slots, service_id):
    """The same lock, re-check, insert and update transaction, through psycopg."""
    # lock_timeout for every transaction, as the app's have it (the app sets it
    # in each BEGIN, which costs no extra round trip; straight to PostgreSQL
    # here, the startup option does the same).
    connections = [
        psycopg.connect(db.url, options="-c lock_timeout=3000ms")
        for _ in range(clients)
    ]
    lock = threading.Lock()

    def client(index):
        conn = connections[index]
        latencies = []
        for _ in range(per_client):
            slot = slots.get()
            with lock:
                ref = f"W{next(RAW_REFERENCES):07d}"
            started = time.perf_counter()
            with conn.transaction():
                booked, _, _, active = conn.execute(
                    RAW_CREATE[0], {"slot": slot}
                ).fetchone()
                assert not booked and active
                (booking,) = conn.execute(
                    RAW_CREATE[1], {"ref": ref, "service": service_id, "slot": slot}
                ).fetchone()
                conn.execute(RAW_CREATE[2], {"slot": slot})
                conn.execute(RAW_CREATE[3], {"booking": booking})
            latencies.append(time.perf_counter() - started)
        return latencies, None

    try:
        results, wall = run_clients(clients, client)
    finally:
        for conn in connections:
            conn.close()
    latencies = [x for batch, _ in results for x in batch]
    return {
        "creates_per_second": round(len(latencies) / wall, 1),
        "latencies": latencies,
    }
