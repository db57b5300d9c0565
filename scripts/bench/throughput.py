"""Benchmark 2: booking creates per second through the API against the raw
psycopg transaction at the same concurrency."""

import itertools
import queue
import threading
import time
from collections import Counter

import psycopg
from harness import (
    THROUGHPUT_LEVELS,
    answer_kind,
    creates_check,
    future,
    guest,
    guest_phone,
    latency_summary,
    run_clients,
)


def bench_throughput(api, db):
    service_id, staff_ids = db.catalogue("throughput", staff_count=10)
    levels = []
    day = 500
    target = "API creates/s >= 25% of raw psycopg at each level"
    refused = warm_up(api, db, service_id, staff_ids)
    if refused:
        # Every level would be refused too: a failed run, with no rates.
        failure = f"warm-up creates refused: {refused}"
        return {"levels": [], "target": target, "failed_run": [failure], "pass": False}
    for clients in THROUGHPUT_LEVELS:
        # About a thousand creates a level, so a level lasts seconds, not a
        # blip that one stray autovacuum or cold worker can swing.
        per_client = -(-REQUESTS_PER_LEVEL // clients)
        total = clients * per_client
        api_slot_ids = db.slots(staff_ids, total // 10 + 1, start=future(day))
        api_slots = queue.SimpleQueue()
        for slot_id in api_slot_ids:
            api_slots.put(slot_id)
        raw_slots = queue.SimpleQueue()
        for slot_id in db.slots(staff_ids, total // 10 + 1, start=future(day + 40)):
            raw_slots.put(slot_id)
        day += 80

        def api_client(index, clients=clients, per_client=per_client, slots=api_slots):
            latencies, kinds = [], []
            for n in range(per_client):
                status, body, elapsed = api.request(
                    "POST",
                    "/api/bookings/",
                    guest(service_id, slots.get(), f"t{clients}-{index}-{n}"),
                )
                kinds.append(answer_kind(status, body))
                latencies.append(elapsed)
            return latencies, kinds

        results, wall = run_clients(clients, api_client)
        api_latencies = [x for lat, _ in results for x in lat]
        api_kinds = [x for _, batch in results for x in batch]
        raw = raw_throughput(db, clients, per_client, raw_slots, service_id)
        # The rate is of bookings the database holds, not of answers: a
        # refused create is fast, and counted it would flatter the API.
        committed = db.scalar(
            "SELECT count(*) FROM bookings_booking WHERE availability_id = ANY(%s)",
            [api_slot_ids],
        )
        creates = creates_check(api_kinds, committed=committed, seconds=wall)
        levels.append(
            {
                "clients": clients,
                "requests": total,
                "api": {
                    "creates_per_second": creates["committed_per_second"],
                    "non_201": sum(1 for kind in api_kinds if kind != "201"),
                    "share_4xx": creates["share_4xx"],
                    **latency_summary(api_latencies),
                },
                "raw_psycopg": raw,
                "api_share_of_raw": round(
                    committed / wall / raw["creates_per_second"], 3
                ),
                "failed_run": creates["failures"],
            }
        )
    failed = [
        f"{level['clients']} clients: {failure}"
        for level in levels
        for failure in level["failed_run"]
    ]
    return {
        "levels": levels,
        "target": target,
        "failed_run": failed,
        "pass": not failed
        and all(
            level["api_share_of_raw"] >= 0.25 and level["api"]["non_201"] == 0
            for level in levels
        ),
    }


REQUESTS_PER_LEVEL = 1000
WARM_UP_REQUESTS = 50


def warm_up(api, db, service_id, staff_ids):
    """Book a few slots first: every worker imports, connects and caches.

    Returns the answers other than 201, by kind; none is expected.
    """
    per_staff = -(-WARM_UP_REQUESTS // len(staff_ids))
    slots = db.slots(staff_ids, per_staff, start=future(480))
    kinds = Counter()
    for n, slot_id in enumerate(slots[:WARM_UP_REQUESTS]):
        status, body, _ = api.request(
            "POST", "/api/bookings/", guest(service_id, slot_id, f"warm-{n}")
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
    " customer_email_key, client_key, notes, amount_due, status,"
    " payment_expires_at, cancel_reason, created_at, updated_at)"
    " SELECT %(ref)s, %(service)s, a.staff_id, a.id, 'Raw', 'raw@guests.example',"
    f" '{RAW_PHONE}', '{RAW_PHONE[1:]}', 'raw@guests.example', '', '', 30,"
    " 'awaiting_payment', now() + interval '30 minutes', '', now(), now()"
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
        return latencies

    try:
        results, wall = run_clients(clients, client)
    finally:
        for conn in connections:
            conn.close()
    latencies = [x for batch in results for x in batch]
    return {
        "creates_per_second": round(len(latencies) / wall, 1),
        **latency_summary(latencies),
    }
