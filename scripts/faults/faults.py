"""The fault matrix: faults injected into the production stack under load.

Run by scripts/faults/run_all.sh, which starts a throwaway PostgreSQL cluster
(so restarting it disturbs nothing else) and sets the environment. This
process starts gunicorn (gunicorn.conf.py, prod settings), drives it with
clients that follow docs/api.md's retry rules, injects each fault, checks the
database afterwards and writes docs/reliability.md.

Every client books distinct slots, one `Idempotency-Key` per submission
(with its own email and phone, so a booking maps back to its key), and
retries the same key on a network error, a 5xx or 409 `request_in_progress`,
waiting `Retry-After` (1 s, then doubling to 4 s, on a network error). A
client gives up on a submission after GIVE_UP_SECONDS of retrying.
"""

import argparse
import http.client
import itertools
import json
import os
import random
import re
import shlex
import signal
import subprocess
import sys
import threading
import time
import uuid
from collections import Counter
from datetime import UTC, datetime
from pathlib import Path

import psycopg

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "bench"))
from harness import PROJECT_DIR, Database, future, machine, percentile

GIVE_UP_SECONDS = 30
REQUEST_TIMEOUT_SECONDS = 10
ACTIVE = ("awaiting_payment", "confirmed", "completed")
EXPIRY_BOOKINGS = 3000


# --- the server ----------------------------------------------------------------------


def _children(pid):
    found = []
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                stat = Path(f"/proc/{entry}/stat").read_text()
            except OSError:
                continue
            if int(stat.rsplit(")", 1)[1].split()[1]) == pid:
                found.append(int(entry))
    return found


def _rss_mib(pid):
    try:
        status = Path(f"/proc/{pid}/status").read_text()
    except OSError:
        return None
    return int(re.search(r"VmRSS:\s+(\d+)", status).group(1)) / 1024


class Server:
    """gunicorn as scripts/serve.sh runs it (the access log off)."""

    def __init__(self, port, log_path, workers):
        self.port, self.log_path, self.workers = port, log_path, workers
        self.process = None
        self.log_path.write_text("")

    def start(self):
        self.process = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "gunicorn",
                "--config",
                "gunicorn.conf.py",
                "--access-logfile",
                "/dev/null",
            ],
            cwd=PROJECT_DIR,
            stdout=self.log_path.open("a"),
            stderr=subprocess.STDOUT,
        )
        deadline = time.monotonic() + 60
        while len(self.worker_pids()) < self.workers or not self.healthy():
            if self.process.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(f"gunicorn did not start; see {self.log_path}")
            time.sleep(0.1)

    def healthy(self):
        try:
            status, _, _ = request(self.port, "GET", "/api/health/")
        except OSError:
            return False
        return status == 200

    def worker_pids(self):
        return _children(self.process.pid) if self.process else []

    def signal(self, signum):
        os.kill(self.process.pid, signum)

    def stop(self):
        if self.process and self.process.poll() is None:
            self.process.terminate()
            self.process.wait(timeout=60)

    def log_text(self):
        return self.log_path.read_text(errors="replace")


def request(port, method, path, body=None, headers=None):
    conn = http.client.HTTPConnection(
        "127.0.0.1", port, timeout=REQUEST_TIMEOUT_SECONDS
    )
    try:
        payload = json.dumps(body).encode() if body is not None else None
        conn.request(
            method,
            path,
            body=payload,
            headers={"Content-Type": "application/json", **(headers or {})},
        )
        response = conn.getresponse()
        return response.status, dict(response.getheaders()), response.read()
    finally:
        conn.close()


# --- the clients ---------------------------------------------------------------------


class Load:
    """`clients` threads booking distinct slots, retrying as docs/api.md says."""

    def __init__(self, port, service_id, slot_ids, clients, tag):
        self.port, self.service_id, self.tag = port, service_id, tag
        self.slots = iter(slot_ids)
        self.lock = threading.Lock()
        self.stop = threading.Event()
        self.attempts = []  # (started, finished, kind)
        self.told = {}  # key -> booking id the client was given
        self.final = Counter()  # submissions by how they ended
        self.threads = [
            threading.Thread(target=self._client, args=(i,), daemon=True)
            for i in range(clients)
        ]

    def start(self):
        self.started = time.monotonic()
        for thread in self.threads:
            thread.start()

    def finish(self):
        self.stop.set()
        for thread in self.threads:
            thread.join(GIVE_UP_SECONDS + 60)
        self.finished = time.monotonic()

    def _client(self, index):
        number = 0
        while not self.stop.is_set():
            with self.lock:
                slot_id = next(self.slots, None)
            if slot_id is None:
                return
            number += 1
            self._submit(slot_id, f"{self.tag}-{index}-{number}")

    def _submit(self, slot_id, name):
        key = str(uuid.uuid4())
        digits = f"{abs(hash(key)) % 10**9:09d}"
        payload = {
            "service": self.service_id,
            "availability": slot_id,
            "customer_name": "Fault Client",
            "customer_email": f"{name}@faults.example",
            "customer_phone": f"+1 555 {digits}",
        }
        give_up_at = time.monotonic() + GIVE_UP_SECONDS
        network_wait = 1.0
        while True:
            started = time.monotonic()
            try:
                status, headers, body = request(
                    self.port,
                    "POST",
                    "/api/bookings/",
                    payload,
                    {"Idempotency-Key": key},
                )
                data = json.loads(body) if body else {}
                kind = str(status) if status < 400 else f"{status} {data.get('code')}"
            except (OSError, http.client.HTTPException) as error:
                status, headers, data = None, {}, {}
                kind = f"network: {type(error).__name__}"
            with self.lock:
                self.attempts.append((started, time.monotonic(), kind))
            if status == 201:
                with self.lock:
                    self.told[key] = data["id"]
                    self.final["booked"] += 1
                return
            retriable = (
                status is None
                or status >= 500
                or (status == 409 and data.get("code") == "request_in_progress")
            )
            if not retriable:
                with self.lock:
                    self.final[f"refused: {kind}"] += 1
                return
            if time.monotonic() > give_up_at:
                with self.lock:
                    self.final["gave up"] += 1
                return
            if "Retry-After" in headers:
                time.sleep(float(headers["Retry-After"]))
            else:
                time.sleep(network_wait)
                network_wait = min(network_wait * 2, 4.0)


# --- checks --------------------------------------------------------------------------


def database_checks(db, service_id, told):
    with db.connect() as conn:
        double = conn.execute(
            "SELECT count(*) FROM (SELECT availability_id FROM bookings_booking"
            " WHERE status = ANY(%s) GROUP BY availability_id HAVING count(*) > 1) d",
            [list(ACTIVE)],
        ).fetchone()[0]
        mismatched = conn.execute(
            "SELECT count(*) FROM availability_availability a WHERE a.is_booked <>"
            " EXISTS (SELECT 1 FROM bookings_booking b WHERE b.availability_id = a.id"
            " AND b.status = ANY(%s))",
            [list(ACTIVE)],
        ).fetchone()[0]
        committed = {
            row[0]
            for row in conn.execute(
                "SELECT id FROM bookings_booking WHERE service_id = %s", [service_id]
            )
        }
        duplicates = conn.execute(
            "SELECT count(*) FROM (SELECT customer_email FROM bookings_booking"
            " WHERE service_id = %s GROUP BY customer_email HAVING count(*) > 1) d",
            [service_id],
        ).fetchone()[0]
        keys_to_other_bookings = conn.execute(
            "SELECT count(*) FROM bookings_idempotencykey k JOIN bookings_booking b"
            " ON b.id = k.booking_id WHERE b.service_id = %s AND k.key <> ALL(%s)",
            [service_id, list(told)],
        ).fetchone()[0]
    told_ids = set(told.values())
    return {
        "bookings_committed": len(committed),
        "double_bookings": double,
        "is_booked_mismatches": mismatched,
        "untold_bookings": len(committed - told_ids),
        "told_but_missing": len(told_ids - committed),
        "duplicates_per_key": duplicates,
        "keys_untold": keys_to_other_bookings,
    }


def summarise(load, windows, checks, tracebacks):
    kinds = Counter(kind for _, _, kind in load.attempts)
    successes = sorted(finished for _, finished, kind in load.attempts if kind == "201")
    latencies = [
        finished - started for started, finished, kind in load.attempts if kind == "201"
    ]
    recovery = []
    for _, end in windows:
        after = [t for t in successes if t >= end]
        recovery.append(round(after[0] - end, 2) if after else None)
    gaps = [b - a for a, b in itertools.pairwise(successes)]
    elapsed = load.finished - load.started
    return {
        "seconds": round(elapsed, 1),
        "requests": len(load.attempts),
        "submissions": sum(load.final.values()),
        "booked": load.final["booked"],
        "per_second": round(len(successes) / elapsed, 1),
        "p50_ms": round(percentile(latencies, 50) * 1000) if latencies else None,
        "p99_ms": round(percentile(latencies, 99) * 1000) if latencies else None,
        "errors": {k: v for k, v in sorted(kinds.items()) if k not in ("201",)},
        # When each kind of error was seen (seconds into the scenario).
        "errors_between_s": {
            kind: [
                round(
                    min(s for s, _, k in load.attempts if k == kind) - load.started, 1
                ),
                round(
                    max(f for _, f, k in load.attempts if k == kind) - load.started, 1
                ),
            ]
            for kind in sorted(kinds)
            if kind != "201"
        },
        "status_500": sum(v for k, v in kinds.items() if k.startswith("500")),
        "gave_up": load.final["gave up"],
        "refused": {k: v for k, v in load.final.items() if k.startswith("refused")},
        "fault_windows_s": [round(end - start, 2) for start, end in windows],
        "recovery_s": recovery,
        "longest_gap_s": round(max(gaps), 2) if gaps else None,
        "server_tracebacks": tracebacks,
        **checks,
    }


# --- scenarios -----------------------------------------------------------------------


class Matrix:
    def __init__(self, args):
        self.args = args
        self.db = Database(args.database_url)
        self.admin_db = Database(args.admin_database_url)
        self.server = Server(
            args.port, Path(args.log_dir) / "gunicorn.log", args.workers
        )
        self.results = {}
        self.next_start_day = 2

    def catalogue(self, label, slots, staff_count=20):
        service_id, staff_ids = self.db.catalogue(label, staff_count=staff_count)
        per_staff = slots // staff_count + 1
        start = future(self.next_start_day)
        self.next_start_day += per_staff // 40 + 2  # 30-minute slots, days apart
        return service_id, self.db.slots(staff_ids, per_staff, start=start)

    def run(self, name, seconds, faults=lambda load, windows: None, slots=None):
        print(f"[faults] {name}: {seconds} s", flush=True)
        service_id, slot_ids = self.catalogue(name, slots or seconds * 400)
        log_offset = len(self.server.log_text())
        load = Load(self.args.port, service_id, slot_ids, self.args.clients, name)
        windows, extra = [], {}
        load.start()
        injector = threading.Thread(
            target=lambda: extra.update(faults(load, windows) or {})
        )
        injector.start()
        time.sleep(seconds)
        injector.join()
        load.finish()
        server_log = self.server.log_text()[log_offset:]
        tracebacks = server_log.count("Traceback")
        extra["server_errors_logged"] = dict(
            Counter(
                re.sub(r"\d+", "N", match.group(1))[:70]
                for match in re.finditer(r" ERROR (\S+ [^:\[]*)", server_log)
            )
        )
        checks = database_checks(self.db, service_id, load.told)
        self.results[name] = {**summarise(load, windows, checks, tracebacks), **extra}
        print(f"[faults] {name}: {json.dumps(self.results[name])}", flush=True)
        return load

    @staticmethod
    def at(load, offset):
        delay = load.started + offset - time.monotonic()
        if delay > 0:
            time.sleep(delay)

    # Each fault: a function of (load, windows) that appends (start, end).

    def restart_postgresql(self, load, windows):
        self.at(load, 8)
        started = time.monotonic()
        # The new postmaster inherits pg_ctl's output: send it to the log, or
        # a pipe left open by it would never reach EOF.
        restart = ["restart", "-m", "fast", "-w", "-l", self.args.pg_log]
        subprocess.run(
            [*shlex.split(self.args.pg_ctl), *restart],
            check=True,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        windows.append((started, time.monotonic()))

    def kill_workers(self, load, windows):
        for offset in range(3, self.args.kill_seconds - 2, 4):
            self.at(load, offset)
            victim = random.choice(self.server.worker_pids())
            os.kill(victim, signal.SIGKILL)
            now = time.monotonic()
            windows.append((now, now))

    def hup(self, load, windows):
        self.at(load, 5)
        self.server.signal(signal.SIGHUP)
        now = time.monotonic()
        windows.append((now, now))

    def term_and_restart(self, load, windows):
        self.at(load, 5)
        started = time.monotonic()
        self.server.signal(signal.SIGTERM)
        self.server.process.wait(timeout=60)
        stopped = time.monotonic()
        self.server.start()
        windows.append((started, time.monotonic()))
        return {
            "term_to_exit_s": round(stopped - started, 2),
            "start_to_ready_s": round(time.monotonic() - stopped, 2),
        }

    def exhaust_connections(self, load, windows):
        self.at(load, 6)
        started = time.monotonic()
        fillers = []
        while True:
            try:
                fillers.append(psycopg.connect(self.args.database_url, autocommit=True))
            except psycopg.OperationalError:
                break
        # The app's own connections are persistent: drop them, as a database
        # failover or an idle-connection reaper would, so workers must reconnect.
        filler_pids = [conn.info.backend_pid for conn in fillers]
        with self.admin_db.connect() as admin:
            admin.execute(
                "SELECT pg_terminate_backend(pid) FROM pg_stat_activity"
                " WHERE datname = current_database() AND usename = %s"
                " AND pid <> ALL(%s)",
                [psycopg.conninfo.conninfo_to_dict(self.args.database_url)["user"],
                 filler_pids],
            )  # fmt: skip
        time.sleep(4)
        for conn in fillers:
            conn.close()
        windows.append((started, time.monotonic()))
        return {"connections_held": len(fillers)}

    def two_expiry_jobs(self, load, windows):
        self.at(load, 3)
        outputs = [None, None]

        def job(index):
            outputs[index] = subprocess.run(
                [sys.executable, "manage.py", "expire_unpaid_bookings", "--no-email"],
                cwd=PROJECT_DIR,
                capture_output=True,
                text=True,
            )

        threads = [threading.Thread(target=job, args=(i,)) for i in range(2)]
        started = time.monotonic()
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        counts = []
        for output in outputs:
            match = re.search(r"Expired (\d+) unpaid", output.stdout)
            counts.append(int(match.group(1)) if match else output.stderr[-300:])
        elapsed = round(time.monotonic() - started, 2)
        return {"expiry_counts": counts, "expiry_seconds": elapsed}

    def overdue_bookings(self):
        service_id, slot_ids = self.catalogue("overdue", EXPIRY_BOOKINGS, 10)
        slot_ids = slot_ids[:EXPIRY_BOOKINGS]
        with self.db.connect() as conn:
            conn.execute(
                "INSERT INTO bookings_booking (reference, service_id, staff_id,"
                " availability_id, customer_name, customer_email, customer_phone,"
                " customer_phone_digits, customer_email_key, client_key, notes,"
                " amount_due, status, payment_expires_at, cancel_reason, created_at,"
                " updated_at)"
                " SELECT 'X' || lpad(upper(to_hex(a.id)), 7, '0'), %s, a.staff_id,"
                " a.id, 'Late payer', 'late' || a.id || '@faults.example', '555',"
                " '555', 'late' || a.id || '@faults.example', '', '', 30,"
                " 'awaiting_payment', now() - interval '1 hour', '',"
                " now() - interval '2 hours', now()"
                " FROM availability_availability a WHERE a.id = ANY(%s)",
                [service_id, slot_ids],
            )
            conn.execute(
                "UPDATE availability_availability SET is_booked = true"
                " WHERE id = ANY(%s)",
                [slot_ids],
            )
        return service_id

    def expiry_checks(self, service_id):
        with self.db.connect() as conn:
            still_unpaid, expired_events, events_per_booking = conn.execute(
                "SELECT count(*) FILTER (WHERE b.status = 'awaiting_payment'),"
                " (SELECT count(*) FROM bookings_bookingevent e JOIN bookings_booking"
                "  x ON x.id = e.booking_id WHERE x.service_id = %s"
                "  AND e.note = 'payment timeout'),"
                " (SELECT coalesce(max(n), 0) FROM (SELECT count(*) n FROM"
                "  bookings_bookingevent e JOIN bookings_booking x ON x.id ="
                "  e.booking_id WHERE x.service_id = %s GROUP BY e.booking_id) c)"
                " FROM bookings_booking b WHERE b.service_id = %s",
                [service_id, service_id, service_id],
            ).fetchone()
        return {
            "overdue_bookings": EXPIRY_BOOKINGS,
            "still_unpaid_after": still_unpaid,
            "timeout_events": expired_events,
            "max_events_per_booking": events_per_booking,
        }

    def soak(self):
        seconds = self.args.soak_seconds
        samples = []

        def sample(load, windows):
            while time.monotonic() < load.started + seconds - 1:
                pids = self.server.worker_pids()
                rss = [r for r in map(_rss_mib, pids) if r is not None]
                samples.append((time.monotonic() - load.started, rss))
                time.sleep(5)

        load = self.run("soak", seconds, sample)
        minutes = []
        for minute in range(0, max(1, -(-seconds // 60))):
            low, high = load.started + minute * 60, load.started + (minute + 1) * 60
            inside = [a for a in load.attempts if low <= a[1] < high]
            ok = [f - s for s, f, k in inside if k == "201"]
            span = min(high, load.finished) - low
            rss = [r for t, values in samples if minute * 60 <= t < (minute + 1) * 60
                   for r in values]  # fmt: skip
            minutes.append(
                {
                    "minute": minute + 1,
                    "seconds": round(span),
                    "bookings_per_second": round(len(ok) / span, 1) if span else 0,
                    "p99_ms": round(percentile(ok, 99) * 1000) if ok else None,
                    "non_2xx": sum(1 for _, _, k in inside if k != "201"),
                    "worker_rss_mib_mean": (
                        round(sum(rss) / len(rss), 1) if rss else None
                    ),
                    "worker_rss_mib_max": round(max(rss), 1) if rss else None,
                }
            )
        self.results["soak"]["minutes"] = minutes

    def run_all(self, only):
        self.server.start()
        try:
            scenarios = {
                "baseline": lambda: self.run("baseline", 15),
                "postgresql_restart": lambda: self.run(
                    "postgresql_restart", 25, self.restart_postgresql
                ),
                "kill_9_workers": lambda: self.run(
                    "kill_9_workers", self.args.kill_seconds, self.kill_workers
                ),
                "hup": lambda: self.run("hup", 15, self.hup),
                "term_and_restart": lambda: self.run(
                    "term_and_restart", 20, self.term_and_restart
                ),
                "connections_exhausted": lambda: self.run(
                    "connections_exhausted", 20, self.exhaust_connections
                ),
                "soak": self.soak,
                "two_expiry_jobs": self.expiry,
            }
            for name, scenario in scenarios.items():
                if not only or name in only:
                    scenario()
        finally:
            self.server.stop()

    def expiry(self):
        overdue_service = self.overdue_bookings()
        self.run("two_expiry_jobs", 20, self.two_expiry_jobs)
        self.results["two_expiry_jobs"].update(self.expiry_checks(overdue_service))


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--database-url", required=True, help="as the app connects")
    parser.add_argument("--admin-database-url", required=True, help="a superuser")
    parser.add_argument("--pg-ctl", required=True, help="pg_ctl -D <cluster>")
    parser.add_argument("--pg-log", required=True, help="the cluster's log file")
    parser.add_argument("--workers", type=int, required=True)
    parser.add_argument("--clients", type=int, default=16)
    parser.add_argument("--soak-seconds", type=int, default=90)
    parser.add_argument("--kill-seconds", type=int, default=25)
    parser.add_argument("--log-dir", required=True)
    parser.add_argument("--json", required=True)
    parser.add_argument("--report", required=True)
    parser.add_argument("--only", default="", help="comma-separated scenario names")
    args = parser.parse_args()
    matrix = Matrix(args)
    started = time.monotonic()
    matrix.run_all({name for name in args.only.split(",") if name})
    from reliability_report import write_report

    results = {
        "finished_at": datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC"),
        "total_seconds": round(time.monotonic() - started),
        "machine": {
            **machine(),
            "postgresql": matrix.admin_db.scalar("SHOW server_version"),
        },
        "gunicorn_workers": args.workers,
        "clients": args.clients,
        "give_up_seconds": GIVE_UP_SECONDS,
        "scenarios": matrix.results,
    }
    Path(args.json).write_text(json.dumps(results, indent=2))
    write_report(results, Path(args.report))


if __name__ == "__main__":
    main()
