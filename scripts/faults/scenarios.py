"""The faults of the fault matrix, each injected into gunicorn or PostgreSQL
while the clients book, and the scenario runner that measures and checks each.
"""

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
from collections import Counter
from pathlib import Path

import psycopg
from checks import database_checks, expiry_checks, verdict
from harness import PROJECT_DIR, Database, future, percentile, proc_mib
from load import Load
from server import Server

EXPIRY_BOOKINGS = 3000


class Matrix:
    """Every scenario in turn against one gunicorn; `results` by scenario."""

    def __init__(self, args):
        self.args = args
        self.db = Database(args.database_url)
        self.admin_db = Database(args.admin_database_url)
        self.server = Server(
            args.port, Path(args.log_dir) / "gunicorn.log", args.workers
        )
        self.results = {}
        self.next_start_day = 2

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
                    # Judged once everything the scenario adds is in.
                    self.results[name].update(verdict(name, self.results[name]))
                    result = json.dumps(self.results[name])
                    print(f"[faults] {name}: {result}", flush=True)
        finally:
            self.server.stop()

    def catalogue(self, label, slots, staff_count=20):
        service_id, staff_ids = self.db.catalogue(label, staff_count=staff_count)
        per_staff = slots // staff_count + 1
        start = future(self.next_start_day)
        self.next_start_day += per_staff // 40 + 2  # 30-minute slots, days apart
        return service_id, self.db.slots(staff_ids, per_staff, start=start)

    def run(self, name, seconds, faults=lambda load, windows: None, slots=None):
        """Book for `seconds` while `faults(load, windows)` injects the fault."""
        print(f"[faults] {name}: {seconds} s", flush=True)
        service_id, slot_ids = self.catalogue(name, slots or seconds * 400)
        log_offset = len(self.server.log_text())
        load = Load(self.server.api, service_id, slot_ids, self.args.clients, name)
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
        extra["server_errors_logged"] = dict(
            Counter(
                re.sub(r"\d+", "N", match.group(1))[:70]
                for match in re.finditer(r" ERROR (\S+ [^:\[]*)", server_log)
            )
        )
        self.results[name] = {
            **load.figures(windows),
            "server_tracebacks": server_log.count("Traceback"),
            **database_checks(self.db, service_id, load.told),
            **extra,
        }
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

    def expiry(self):
        service_id, slot_ids = self.catalogue("overdue", EXPIRY_BOOKINGS, 10)
        self.db.overdue_bookings(service_id, slot_ids[:EXPIRY_BOOKINGS])
        self.run("two_expiry_jobs", 20, self.two_expiry_jobs)
        self.results["two_expiry_jobs"].update(
            expiry_checks(self.db, service_id, EXPIRY_BOOKINGS)
        )

    def soak(self):
        seconds = self.args.soak_seconds
        samples = []

        def sample(load, windows):
            while time.monotonic() < load.started + seconds - 1:
                pids = self.server.worker_pids()
                rss = [r for r in (proc_mib(p, "VmRSS") for p in pids) if r]
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
