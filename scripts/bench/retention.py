"""Retention over many old bookings: `apply_retention` on PostgreSQL.

Seeds N completed bookings whose appointments ended BOOKING_RETENTION_DAYS
+ 70 days ago, each with its audit events and two sent emails (as the flow
leaves them), runs `manage.py apply_retention` once (timed, with its peak
memory), checks that every one was anonymised and nothing of the guests is
left in bookings or the outbox, then runs it again (nothing to do).

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/doceamor_bench \\
        .venv/bin/python scripts/bench/retention.py --bookings 100000
"""

import argparse
import json
import os
import re
import subprocess
import sys

from expiry import manage
from harness import PROJECT_DIR, Database, future


def seed(db: Database, count: int) -> list[int]:
    service_id, staff_ids = db.catalogue("retention", staff_count=50)
    slot_ids = db.slots(staff_ids, count // 50, start=future(-800))
    with db.connect() as conn:
        booking_ids = [
            row[0]
            for row in conn.execute(
                "INSERT INTO bookings_booking (reference, service_id, staff_id,"
                " availability_id, ends_at, customer_name, customer_email,"
                " customer_phone, customer_phone_digits, customer_email_key,"
                " client_key, client_site_key, client_network_key, notes, locale,"
                " amount_due, status, payment_expires_at, payment_verified_at,"
                " cancel_reason, created_at, updated_at)"
                " SELECT 'R' || lpad(upper(to_hex(a.id)), 7, '0'), %s, a.staff_id,"
                " a.id, a.end_time, 'Retained Guest ' || a.id,"
                " 'retained' || a.id || '@guests.example', '+35191' || lpad("
                " a.id::text, 7, '0'), '35191' || lpad(a.id::text, 7, '0'),"
                " 'retained' || a.id || '@guests.example', 'k', '', '',"
                " 'a note', 'en', 30, 'completed', a.start_time - interval '1 day',"
                " a.start_time - interval '1 day', '', a.start_time - interval"
                " '2 days', a.end_time"
                " FROM availability_availability a WHERE a.id = ANY(%s)"
                " RETURNING id",
                [service_id, slot_ids],
            ).fetchall()
        ]
        conn.execute(
            "UPDATE availability_availability SET is_booked = true WHERE id = ANY(%s)",
            [slot_ids],
        )
        conn.execute(
            "INSERT INTO bookings_bookingslot (booking_id, availability_id, active)"
            " SELECT id, availability_id, true FROM bookings_booking"
            " WHERE id = ANY(%s)",
            [booking_ids],
        )
        conn.execute(
            "INSERT INTO bookings_bookingevent (booking_id, from_status, to_status,"
            " kind, source, note, data, created_at)"
            " SELECT b.id, f.from_status, f.to_status, f.kind, 'staff', '', '{}',"
            " b.created_at FROM bookings_booking b, (VALUES"
            " ('', 'awaiting_payment', 'created'),"
            " ('awaiting_payment', 'confirmed', 'payment_verified'),"
            " ('confirmed', 'completed', 'completed')) AS f(from_status, to_status,"
            " kind) WHERE b.id = ANY(%s)",
            [booking_ids],
        )
        conn.execute(
            "INSERT INTO notifications_notification (kind, booking_id, recipient,"
            " guest_triggered, recipient_key, subject, body_text, body_html,"
            " status, attempts, next_attempt_at, last_error, created_at, sent_at)"
            " SELECT k, b.id, b.customer_email, true, b.customer_email_key,"
            " 'Booking ' || b.reference, 'Hello ' || b.customer_name || ', '"
            " || b.customer_phone, '', 'sent', 1, b.created_at, '', b.created_at,"
            " b.created_at FROM bookings_booking b,"
            " unnest(ARRAY['booking_created', 'payment_confirmed']) k"
            " WHERE b.id = ANY(%s)",
            [booking_ids],
        )
        conn.execute("ANALYZE")
    return booking_ids


def anonymised(output: str) -> int:
    return int(re.search(r"Anonymised (\d+) bookings", output).group(1))


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--bookings", type=int, default=100_000)
    parser.add_argument("--batch-size", type=int, default=500)
    args = parser.parse_args()
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "config.settings.dev"}
    db = Database(env["DATABASE_URL"].replace("postgres://", "postgresql://"))
    subprocess.run(
        [sys.executable, "manage.py", "migrate", "-v", "0"],
        cwd=PROJECT_DIR,
        env=env,
        check=True,
    )
    ids = seed(db, args.bookings)
    batch = ["apply_retention", "--batch-size", str(args.batch_size)]
    output, seconds, rss = manage(*batch, env=env)
    again, again_seconds, _ = manage(*batch, env=env)
    left = db.scalar(
        "SELECT count(*) FROM bookings_booking WHERE id = ANY(%s) AND"
        " customer_name <> '[erased]'",
        [ids],
    )
    traces = db.scalar(
        "SELECT count(*) FROM notifications_notification WHERE booking_id ="
        " ANY(%s) AND (body_text LIKE '%%Retained Guest%%' OR recipient LIKE"
        " 'retained%%')",
        [ids],
    )
    result = {
        "bookings": len(ids),
        "batch_size": args.batch_size,
        "anonymised": anonymised(output),
        "seconds": round(seconds, 2),
        "bookings_per_second": round(len(ids) / seconds),
        "peak_rss_mib": round(rss, 1),
        "rerun_anonymised": anonymised(again),
        "rerun_seconds": round(again_seconds, 2),
        "bookings_left_with_contact": left,
        "emails_left_with_contact": traces,
    }
    print(json.dumps(result, indent=2))
    ok = result["anonymised"] == len(ids) and not left and not traces
    return 0 if ok and result["rerun_anonymised"] == 0 else 1


if __name__ == "__main__":
    sys.exit(main())
