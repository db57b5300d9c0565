"""The fault matrix on the several-hosts topology (issue 33):

    scripts/cluster/faults.py [--hosts 2] [--database doceamor_cluster_faults]

HAProxy -> app hosts -> PgBouncer (transaction mode) -> PostgreSQL, Redis for
the throttles, started by `cluster.Cluster`; the clients of scripts/faults
(load.py: retry with the same Idempotency-Key, as docs/api.md says) book
through HAProxy while each fault is injected, and scripts/faults/checks.py
compares the database with what the clients were told. Scenarios:

- kill_9_celery_worker: a Celery worker and beat send the bookings' emails
  to a slow SMTP sink (aiosmtpd, `--smtp-delay` s between taking a message
  and answering 250); the worker gets SIGKILL while the sink holds a message
  unanswered, a new worker starts, and once the outbox is empty (the dead
  worker's rows come back after BOOKING_NOTIFICATION_LEASE_SECONDS, 60 here)
  the sink's Message-IDs are counted per outbox row: lost, duplicated.
- cluster_baseline: no fault.
- kill_9_app_host: one host's gunicorn master and workers killed with
  SIGKILL mid-load, started again 8 s later; HAProxy routes around it.
- restart_pgbouncer: PgBouncer stopped and started again on its port.
- restart_redis: redis-server stopped for 4 s and started again: the
  throttles fail open (each host logs it) and bookings continue.
- rolling_deploy: each host in turn drained in HAProxy, stopped (TERM,
  requests in flight finish), started and put back: 0 failed requests.

The load comes from one address, so the per-client limits are lifted as in
the single-host matrix (scripts/bench/stack_env.sh); the throttle is still
consulted on every create (and fails open without Redis). Writes
reliability-cluster-results.json and the "Several hosts" section of
docs/reliability.md (scripts/faults/reliability_report.py keeps it when it
regenerates the rest).
"""

import argparse
import json
import os
import re
import signal
import socket
import sys
import tempfile
import threading
import time
from collections import Counter
from datetime import UTC, datetime
from pathlib import Path

import psycopg

SCRIPTS = Path(__file__).resolve().parents[1]
sys.path[1:1] = [str(SCRIPTS / "faults"), str(SCRIPTS / "bench")]

from checks import database_checks, verdict  # noqa: E402 (scripts/faults)
from cluster import LIFTED_LIMITS, Cluster  # noqa: E402
from faults_report import report  # noqa: E402
from harness import (  # noqa: E402
    Api,
    Database,
    child_pids,
    future,
    machine,
    write_keeping_section,
)
from load import GIVE_UP_SECONDS, Load  # noqa: E402
from topology import PGBOUNCER, PROJECT_DIR, Celery, SmtpSink  # noqa: E402

MAIL_LEASE_SECONDS = 60  # the least BOOKING_NOTIFICATION_LEASE_SECONDS allows


class ClusterMatrix:
    def __init__(self, args):
        self.args = args
        self.cluster = Cluster(
            Path(tempfile.mkdtemp(prefix="doceamor-cluster-faults-")),
            database=args.database,
            hosts=args.hosts,
            env=LIFTED_LIMITS,
        )
        self.db = Database(self.cluster.direct_url)
        self.api = Api(self.cluster.url, timeout=10)
        self.results = {}
        self.service_ids = {}
        self.next_day = 500
        self.sink, self.workers, self.beat, self.mail_env = None, [], None, {}

    def fresh_database(self):
        """Each run on an empty database: no emails queued by an earlier run."""
        admin = self.cluster.direct_url.rsplit("/", 1)[0] + "/postgres"
        with psycopg.connect(admin, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{self.args.database}" WITH (FORCE)')

    def run_all(self, only):
        self.fresh_database()
        self.cluster.prepare_database()
        self.cluster.start()
        try:
            scenarios = {
                # First, while the outbox holds only its own bookings' emails.
                "kill_9_celery_worker": (10, self.kill_9_celery_worker),
                "cluster_baseline": (10, lambda load, windows: None),
                "kill_9_app_host": (20, self.kill_9_host),
                "restart_pgbouncer": (15, self.restart_pgbouncer),
                "restart_redis": (15, self.restart_redis),
                "rolling_deploy": (10 + 8 * self.args.hosts, self.rolling_deploy),
            }
            for name, (seconds, fault) in scenarios.items():
                if only and name not in only:
                    continue
                mail = name == "kill_9_celery_worker"
                try:
                    if mail:
                        self.start_mail()
                    self.run(name, seconds, fault)
                    if mail:
                        self.results[name].update(self.emails_delivered(name))
                finally:
                    if mail:
                        self.stop_mail()
                self.results[name].update(verdict(name, self.results[name]))
                self.results[name]["targets_missed"] += self.results[name].get(
                    "email_targets_missed", []
                )
                print(f"[cluster] {name}: {json.dumps(self.results[name])}", flush=True)
        finally:
            self.cluster.stop()

    def logs(self):
        return "".join(host.log.read_text(errors="replace") for host in self.hosts)

    @property
    def hosts(self):
        return self.cluster.hosts

    def run(self, name, seconds, fault):
        print(f"[cluster] {name}: {seconds} s", flush=True)
        service_id, staff_ids = self.db.catalogue(name, staff_count=20)
        self.service_ids[name] = service_id
        slot_ids = self.db.slots(staff_ids, seconds * 20, start=future(self.next_day))
        self.next_day += seconds * 20 // 40 + 2
        offsets = [len(host.log.read_text(errors="replace")) for host in self.hosts]
        load = Load(self.api, service_id, slot_ids, self.args.clients, name)
        windows, extra = [], {}
        load.start()
        injector = threading.Thread(
            target=lambda: extra.update(fault(load, windows) or {})
        )
        injector.start()
        time.sleep(seconds)
        injector.join()
        load.finish()
        logged = "".join(
            host.log.read_text(errors="replace")[offset:]
            for host, offset in zip(self.hosts, offsets, strict=True)
        )
        extra["store_failures_logged"] = logged.count("rate limit store failed")
        extra["server_errors_logged"] = dict(
            Counter(
                re.sub(r"\d+", "N", match.group(1))[:70]
                for match in re.finditer(r" ERROR (\S+ [^:\[]*)", logged)
            )
        )
        figures = load.figures(windows)
        self.results[name] = {
            **figures,
            "status_5xx": sum(v for k, v in figures["errors"].items() if k[:1] == "5"),
            "server_tracebacks": logged.count("Traceback"),
            **database_checks(self.db, service_id, load.told),
            **extra,
        }

    @staticmethod
    def at(load, offset):
        delay = load.started + offset - time.monotonic()
        if delay > 0:
            time.sleep(delay)

    # --- the faults: each a function of (load, windows) --------------------------

    def kill_9_host(self, load, windows):
        self.at(load, 5)
        host = self.hosts[0]
        started = time.monotonic()
        for pid in [host.pid, *child_pids(host.pid)]:
            os.kill(pid, signal.SIGKILL)
        host.process.wait()
        time.sleep(8)
        host.start()
        windows.append((started, time.monotonic()))
        return {"host_killed": host.name}

    # --- emails: a Celery worker killed while sending ---------------------------

    def start_mail(self):
        self.sink = SmtpSink(delay=self.args.smtp_delay).start()
        self.mail_env = {
            **self.cluster.env,
            "DJANGO_EMAIL_BACKEND": "django.core.mail.backends.smtp.EmailBackend",
            "EMAIL_HOST": "127.0.0.1",
            "EMAIL_PORT": str(self.sink.port),
            "EMAIL_USE_TLS": "0",
            "BOOKING_NOTIFICATION_LEASE_SECONDS": str(MAIL_LEASE_SECONDS),
            "BOOKING_NOTIFICATION_INTERVAL_SECONDS": "10",
        }
        beat_dir = self.cluster.directory / "celery-beat"
        self.beat = Celery(beat_dir, "beat", self.mail_env)
        self.workers = [self.new_worker()]
        self.beat.start()

    def new_worker(self):
        directory = self.cluster.directory / f"celery-worker-{len(self.workers) + 1}"
        return Celery(directory, "worker", self.mail_env).start()

    def stop_mail(self):
        for part in [self.beat, *self.workers]:
            if part:
                part.stop()
        if self.sink:
            self.sink.stop()

    def kill_9_celery_worker(self, load, windows):
        """SIGKILL the worker while the sink holds a message unanswered."""
        deadline = time.monotonic() + 40
        while len(self.sink.accepted) < 5 or self.sink.answering is None:
            if time.monotonic() > deadline:
                return {"worker_killed_mid_send": False}
            time.sleep(0.005)
        worker = self.workers[-1]
        started = time.monotonic()
        in_flight = self.sink.answering
        for pid in [worker.pid, *child_pids(worker.pid)]:
            os.kill(pid, signal.SIGKILL)
        worker.process.wait()
        self.kill = {"at": time.time(), "accepted_before": len(self.sink.accepted)}
        self.workers.append(self.new_worker())
        windows.append((started, time.monotonic()))
        return {
            "worker_killed_mid_send": True,
            "message_in_flight_at_kill": in_flight,
            "emails_taken_before_kill": self.kill["accepted_before"],
        }

    def emails_delivered(self, name):
        """Wait for the scenario's outbox to empty; count the sink's copies."""
        rows_sql = (
            "SELECT n.id, n.status, n.attempts, extract(epoch FROM n.sent_at)"
            " FROM notifications_notification n JOIN bookings_booking b"
            " ON b.id = n.booking_id WHERE b.service_id = %s"
        )
        service_id = self.service_ids[name]
        # Give up only when nothing was sent for longer than a lease.
        progress, last_queued = time.monotonic(), None
        while True:
            with self.db.connect() as conn:
                rows = conn.execute(rows_sql, [service_id]).fetchall()
            queued = sum(1 for row in rows if row[1] == "queued")
            if queued != last_queued:
                progress, last_queued = time.monotonic(), queued
            if not queued or time.monotonic() > progress + MAIL_LEASE_SECONDS + 30:
                break
            time.sleep(1)
        copies = Counter(
            int(match.group(1)) if match else None
            for match in (
                re.match(r"<notification\.(\d+)\.", message_id)
                for message_id in self.sink.accepted
            )
        )
        ids = {row[0] for row in rows}
        duplicated = {pk: n for pk, n in copies.items() if pk in ids and n > 1}
        in_flight = self.results[name].get("message_in_flight_at_kill") or ""
        match = re.match(r"<notification\.(\d+)\.", in_flight)
        in_flight_id = int(match.group(1)) if match else None
        kill_at = getattr(self, "kill", {}).get("at")
        last_sent = max((row[3] for row in rows if row[3] is not None), default=None)
        figures = {
            "emails_queued": len(rows),
            "emails_marked_sent": sum(1 for row in rows if row[1] == "sent"),
            "emails_not_sent": sum(1 for row in rows if row[1] != "sent"),
            "emails_received": sum(copies[pk] for pk in ids),
            "emails_lost": sum(1 for pk in ids if not copies[pk]),
            "emails_duplicated": sum(n - 1 for n in duplicated.values()),
            "duplicated_rows": sorted(duplicated),
            "in_flight_row": in_flight_id,
            "foreign_messages": sum(n for pk, n in copies.items() if pk not in ids),
            "last_sent_s_after_kill": (
                round(float(last_sent) - kill_at, 1) if kill_at and last_sent else None
            ),
            "lease_s": MAIL_LEASE_SECONDS,
            "smtp_delay_s": self.args.smtp_delay,
        }
        missed = []
        if not self.results[name].get("worker_killed_mid_send"):
            missed.append("the worker was not killed mid-send")
        for check in ("emails_lost", "emails_not_sent", "foreign_messages"):
            if figures[check]:
                missed.append(f"{check.replace('_', ' ')}: {figures[check]}")
        # At-least-once: only the message the sink held at the kill may repeat.
        others = [pk for pk in duplicated if pk != in_flight_id]
        if others or duplicated.get(in_flight_id, 0) > 2:
            missed.append(f"duplicates beyond the message in flight: {duplicated}")
        return {**figures, "email_targets_missed": missed}

    def restart_pgbouncer(self, load, windows):
        self.at(load, 5)
        started = time.monotonic()
        self.cluster.pgbouncer.restart()
        windows.append((started, time.monotonic()))

    def restart_redis(self, load, windows):
        self.at(load, 5)
        started = time.monotonic()
        self.cluster.redis.stop()
        time.sleep(4)
        self.cluster.redis.start()
        windows.append((started, time.monotonic()))

    def rolling_deploy(self, load, windows):
        self.at(load, 4)
        for host in self.hosts:
            started = time.monotonic()
            self.haproxy_command(f"set server app/{host.name} state drain")
            # Let the requests HAProxy already sent it finish, then restart.
            deadline = time.monotonic() + 15
            while self.server_stat(host.name, "scur") != "0":
                if time.monotonic() > deadline:
                    break
                time.sleep(0.1)
            host.stop()
            host.start()
            self.haproxy_command(f"set server app/{host.name} state ready")
            # Back in rotation once HAProxy's next health check passes.
            deadline = time.monotonic() + 10
            while "UP" not in self.server_stat(host.name, "status"):
                if time.monotonic() > deadline:
                    break
                time.sleep(0.2)
            windows.append((started, time.monotonic()))
        return {"hosts_restarted": [host.name for host in self.hosts]}

    def haproxy_command(self, command):
        with socket.socket(socket.AF_UNIX) as sock:
            sock.connect(str(self.cluster.haproxy.stats_socket))
            sock.sendall(command.encode() + b"\n")
            return sock.recv(65536).decode()

    def server_stat(self, name, column):
        """One column of HAProxy's `show stat` for a server of backend `app`."""
        header, *rows = self.haproxy_command("show stat").splitlines()
        index = header.lstrip("# ").split(",").index(column)
        for row in rows:
            fields = row.split(",")
            if fields[:2] == ["app", name]:
                return fields[index]
        return ""


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--hosts", type=int, default=2)
    parser.add_argument("--clients", type=int, default=16)
    parser.add_argument("--database", default="doceamor_cluster_faults")
    parser.add_argument("--only", default="")
    parser.add_argument(
        "--smtp-delay",
        type=float,
        default=0.1,
        help="seconds the SMTP sink waits before answering each message",
    )
    parser.add_argument("--json", default="reliability-cluster-results.json")
    parser.add_argument("--report", default=str(PROJECT_DIR / "docs/reliability.md"))
    parser.add_argument(
        "--report-only", action="store_true", help="rewrite the report from --json"
    )
    args = parser.parse_args()
    if args.report_only:
        report_path = Path(args.report)
        results = json.loads(Path(args.json).read_text())
        write_keeping_section(report_path, report_path.read_text(), report(results))
        return
    matrix = ClusterMatrix(args)
    started = time.monotonic()
    matrix.run_all({name for name in args.only.split(",") if name})
    version = os.popen(f"{PGBOUNCER} --version").read()
    results = {
        "finished_at": datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC"),
        "total_seconds": round(time.monotonic() - started),
        "machine": {**machine(), "postgresql": matrix.db.scalar("SHOW server_version")},
        "pgbouncer": version.split()[1] if version else "?",
        "hosts": args.hosts,
        "clients": args.clients,
        "give_up_seconds": GIVE_UP_SECONDS,
        "scenarios": matrix.results,
    }
    Path(args.json).write_text(json.dumps(results, indent=2))
    report_path = Path(args.report)
    write_keeping_section(report_path, report_path.read_text(), report(results))
    missed = {
        n: r["targets_missed"] for n, r in matrix.results.items() if r["targets_missed"]
    }
    if missed:
        sys.exit(f"Targets missed: {missed}")


if __name__ == "__main__":
    main()
