"""Benchmark 1: many clients racing for the same slots, against a naive
check-then-insert baseline."""

import time
from collections import Counter

import psycopg
from harness import (
    RACE_CLIENTS,
    RACE_SLOTS,
    answer_kind,
    creates_check,
    future,
    guest,
    run_clients,
)

# What the losers of a race are told; every other 4xx is a refused create.
CONFLICT = "409 slot_unavailable"


def bench_race(api, db):
    service_id, (staff_id,) = db.catalogue("race", staff_count=1)
    slot_ids = db.slots([staff_id], RACE_SLOTS, start=future(400))
    statuses, kinds = Counter(), Counter()

    def attempt(index, slot_id):
        status, body, _ = api.request(
            "POST", "/api/bookings/", guest(service_id, slot_id, f"r{slot_id}-{index}")
        )
        return status, answer_kind(status, body)

    started = time.perf_counter()
    for slot_id in slot_ids:
        results, _ = run_clients(
            RACE_CLIENTS, lambda i, slot_id=slot_id: attempt(i, slot_id)
        )
        statuses.update(status for status, _ in results)
        kinds.update(kind for _, kind in results)
    elapsed = time.perf_counter() - started
    committed = db.scalar(
        "SELECT count(*) FROM bookings_booking"
        " WHERE status <> 'cancelled' AND availability_id = ANY(%s)",
        [slot_ids],
    )
    creates = creates_check(
        kinds, committed=committed, seconds=elapsed, expected={CONFLICT}
    )
    doubled = db.scalar(
        "SELECT count(*) FROM (SELECT availability_id FROM bookings_booking"
        " WHERE status <> 'cancelled' AND availability_id = ANY(%s)"
        " GROUP BY availability_id HAVING count(*) > 1) d",
        [slot_ids],
    )
    flag_mismatch = db.scalar(
        "SELECT count(*) FROM availability_availability a WHERE a.id = ANY(%s) AND"
        " a.is_booked <> EXISTS (SELECT 1 FROM bookings_booking b WHERE"
        " b.availability_id = a.id AND b.status <> 'cancelled')",
        [slot_ids],
    )
    naive = bench_naive_race(db)
    return {
        "slots": RACE_SLOTS,
        "clients_per_slot": RACE_CLIENTS,
        "status_counts": {str(k): v for k, v in sorted(statuses.items())},
        "answers": dict(sorted(kinds.items())),
        "created": statuses[201],
        "conflicts": kinds[CONFLICT],
        "server_errors": sum(v for k, v in statuses.items() if k >= 500),
        "slots_with_two_active_bookings": doubled,
        "is_booked_mismatches": flag_mismatch,
        "seconds": round(elapsed, 2),
        "naive_baseline": naive,
        "creates": creates,
        "failed_run": creates["failures"],
        "pass": not creates["failures"]
        and statuses[201] == RACE_SLOTS
        and kinds[CONFLICT] == RACE_SLOTS * (RACE_CLIENTS - 1)
        and doubled == 0
        and flag_mismatch == 0
        and naive["slots_double_booked"] >= 1,
    }


def bench_naive_race(db):
    """Check-then-insert without a lock or a constraint, at the same concurrency."""
    db.execute("DROP TABLE IF EXISTS bench_naive_booking, bench_naive_slot")
    db.execute("CREATE TABLE bench_naive_slot (id int PRIMARY KEY, is_booked bool)")
    db.execute("CREATE TABLE bench_naive_booking (id serial, slot_id int, client int)")
    db.execute(
        "INSERT INTO bench_naive_slot SELECT g, false FROM generate_series(1, %s) g",
        [RACE_SLOTS],
    )
    connections = [
        psycopg.connect(db.url, autocommit=False) for _ in range(RACE_CLIENTS)
    ]

    def attempt(index, slot_id):
        conn = connections[index]
        with conn.transaction():
            (booked,) = conn.execute(
                "SELECT is_booked FROM bench_naive_slot WHERE id = %s", [slot_id]
            ).fetchone()
            if booked:
                return False
            conn.execute(
                "INSERT INTO bench_naive_booking (slot_id, client) VALUES (%s, %s)",
                [slot_id, index],
            )
            conn.execute(
                "UPDATE bench_naive_slot SET is_booked = true WHERE id = %s", [slot_id]
            )
            return True

    try:
        for slot_id in range(1, RACE_SLOTS + 1):
            run_clients(RACE_CLIENTS, lambda i, slot_id=slot_id: attempt(i, slot_id))
    finally:
        for conn in connections:
            conn.close()
    doubled = db.scalar(
        "SELECT count(*) FROM (SELECT slot_id FROM bench_naive_booking"
        " GROUP BY slot_id HAVING count(*) > 1) d"
    )
    bookings = db.scalar("SELECT count(*) FROM bench_naive_booking")
    return {"slots_double_booked": doubled, "bookings_for_200_slots": bookings}
