"""Benchmark 4: expire_unpaid_bookings over many overdue bookings against the
raw SQL pair. The command queues every guest's cancellation email (an outbox
row each) in its batches, as in production; the raw pair writes none."""

import re
import subprocess
import sys
import time

from harness import EXPIRY_BOOKINGS, PROJECT_DIR, future, run_clients

# A child's ru_maxrss includes what it inherited at fork, before exec; so
# the command is started by this small wrapper, not by the (large) harness.
PEAK_RSS_WRAPPER = (
    "import resource, subprocess, sys\n"
    "code = subprocess.call(sys.argv[1:])\n"
    "peak = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss\n"
    "print(f'PEAK_RSS_KIB={peak}')\n"
    "sys.exit(code)\n"
)


def manage(*args, env):
    """Run a management command; return (stdout, wall seconds, peak RSS MiB)."""
    started = time.perf_counter()
    process = subprocess.run(
        [sys.executable, "-c", PEAK_RSS_WRAPPER, sys.executable, "manage.py", *args],
        cwd=PROJECT_DIR,
        env=env,
        capture_output=True,
        text=True,
    )
    elapsed = time.perf_counter() - started
    output = process.stdout + process.stderr
    if process.returncode != 0:
        raise RuntimeError(f"manage.py {' '.join(args)} failed:\n{output}")
    peak_kib = int(re.search(r"PEAK_RSS_KIB=(\d+)", output).group(1))
    return output, elapsed, peak_kib / 1024


def expired_count(output):
    return int(re.search(r"Expired (\d+) unpaid", output).group(1))


def bench_expiry(db, command_env):
    service_id, staff_ids = db.catalogue("expiry", staff_count=50)
    slot_ids = db.slots(staff_ids, EXPIRY_BOOKINGS // 50, start=future(2000))
    db.overdue_bookings(service_id, slot_ids)
    db.execute("ANALYZE bookings_booking")

    notifications_sql = (
        "SELECT count(*) FROM notifications_notification n JOIN bookings_booking b"
        " ON b.id = n.booking_id WHERE b.availability_id = ANY(%s)"
        " AND n.kind = 'booking_cancelled'"
    )

    def reset():
        with db.connect() as conn:
            conn.execute(
                "DELETE FROM notifications_notification WHERE booking_id IN (SELECT id"
                " FROM bookings_booking WHERE availability_id = ANY(%s))",
                [slot_ids],
            )
            conn.execute(
                "DELETE FROM bookings_bookingevent WHERE booking_id IN (SELECT id FROM"
                " bookings_booking WHERE availability_id = ANY(%s))",
                [slot_ids],
            )
            conn.execute(
                "UPDATE bookings_booking SET status = 'awaiting_payment',"
                " cancel_reason = '' WHERE availability_id = ANY(%s)",
                [slot_ids],
            )
            conn.execute(
                "UPDATE availability_availability SET is_booked = true"
                " WHERE id = ANY(%s)",
                [slot_ids],
            )
            conn.execute("VACUUM ANALYZE bookings_booking")

    args = ["expire_unpaid_bookings", "--batch-size", "1000"]
    one_output, one_seconds, one_rss = manage(*args, env=command_env)
    one_count = expired_count(one_output)
    one_emails = db.scalar(notifications_sql, [slot_ids])
    rerun_count = expired_count(manage(*args, env=command_env)[0])

    reset()
    outputs = [None, None]

    def copy(index):
        outputs[index] = manage(*args, env=command_env)

    _, two_seconds = run_clients(2, copy)
    two_counts = [expired_count(output) for output, _, _ in outputs]
    events = db.scalar(
        "SELECT count(*) FROM bookings_bookingevent e JOIN bookings_booking b"
        " ON b.id = e.booking_id WHERE b.availability_id = ANY(%s)"
        " AND e.note = 'payment timeout'",
        [slot_ids],
    )
    deadlocks = sum("deadlock" in output.lower() for output, _, _ in outputs)
    two_emails = db.scalar(notifications_sql, [slot_ids])

    # The same run without its emails, to show what queueing them costs.
    reset()
    _, quiet_seconds, _ = manage(*args, "--no-email", env=command_env)

    reset()
    with db.connect() as conn:
        started = time.perf_counter()
        with conn.transaction():
            released = conn.execute(
                "UPDATE bookings_booking SET status = 'cancelled', cancel_reason ="
                " 'Payment was not received before the deadline.', updated_at = now()"
                " WHERE status = 'awaiting_payment' AND payment_expires_at <= now()"
                " RETURNING availability_id"
            ).fetchall()
            conn.execute(
                "UPDATE availability_availability SET is_booked = false,"
                " updated_at = now() WHERE id = ANY(%s)",
                [[row[0] for row in released]],
            )
        raw_seconds = time.perf_counter() - started
    return {
        "bookings": EXPIRY_BOOKINGS,
        "one_run": {
            "expired": one_count,
            "emails_queued": one_emails,
            "seconds": round(one_seconds, 2),
            "peak_rss_mib": round(one_rss, 1),
        },
        "immediate_rerun_expired": rerun_count,
        "two_copies": {
            "expired": two_counts,
            "sum": sum(two_counts),
            "seconds": round(two_seconds, 2),
            "timeout_events": events,
            "emails_queued": two_emails,
            "deadlocks_reported": deadlocks,
        },
        "without_emails_seconds": round(quiet_seconds, 2),
        "raw_sql_pair_seconds": round(raw_seconds, 2),
        "one_run_vs_raw": round(one_seconds / raw_seconds, 2),
        "two_copies_vs_one": round(two_seconds / one_seconds, 2),
        "target": "one run <= 3 x raw pair; two copies <= 1.2 x one copy",
        "pass": one_count == EXPIRY_BOOKINGS
        and rerun_count == 0
        and sum(two_counts) == EXPIRY_BOOKINGS
        and events == EXPIRY_BOOKINGS
        and one_emails == two_emails == EXPIRY_BOOKINGS
        and one_seconds <= 3 * raw_seconds
        and two_seconds <= 1.2 * one_seconds,
    }
