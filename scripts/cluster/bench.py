"""Creates/s through the several-hosts topology with 1, 2 and 3 app hosts:

    scripts/cluster/bench.py [--hosts 1,2,3] [--clients 32] [--seconds 20]

Each round starts `cluster.Cluster` with N hosts (2 sync workers each)
against the same PostgreSQL database, books distinct slots through HAProxy
for a while with the fault matrix's clients (scripts/faults/load.py), and
reads what reached PostgreSQL from PgBouncer's own counters (`SHOW STATS`):
statements and transactions per committed booking. On one machine the hosts
share its CPUs, so the figure to compare is creates/s per CPU; the point is
that nothing outside PostgreSQL serialises the hosts, and that the pooler
adds no statement. A round that committed no booking or saw more than
harness.MAX_4XX_SHARE 4xx fails the run. Writes the "Several hosts" section
of docs/benchmarks.md.
"""

import argparse
import json
import os
import sys
import tempfile
import time
from collections import Counter
from datetime import UTC, datetime
from pathlib import Path

SCRIPTS = Path(__file__).resolve().parents[1]
sys.path[1:1] = [str(SCRIPTS / "faults"), str(SCRIPTS / "bench")]

import psycopg  # noqa: E402
from cluster import LIFTED_LIMITS, Cluster  # noqa: E402
from harness import (  # noqa: E402
    SECTION_END,
    SECTION_START,
    Api,
    Database,
    creates_check,
    future,
    machine,
    write_keeping_section,
)
from load import Load  # noqa: E402
from topology import PROJECT_DIR  # noqa: E402


def pgbouncer_totals(cluster, database):
    """PgBouncer's counters for `database`: (statements, transactions)."""
    admin = cluster.pgbouncer.url("pgbouncer")
    with psycopg.connect(
        admin, autocommit=True, cursor_factory=psycopg.ClientCursor
    ) as conn:
        cursor = conn.execute("SHOW STATS")
        columns = [c.name for c in cursor.description]
        for row in cursor.fetchall():
            stats = dict(zip(columns, row, strict=True))
            if stats["database"] == database:
                return int(stats["total_query_count"]), int(stats["total_xact_count"])
    return 0, 0


def round_with(hosts, args, day):
    cluster = Cluster(
        Path(tempfile.mkdtemp(prefix="doceamor-cluster-bench-")),
        database=args.database,
        hosts=hosts,
        env=LIFTED_LIMITS,
    )
    cluster.prepare_database()
    db = Database(cluster.direct_url)
    service_id, staff_ids = db.catalogue(f"bench {hosts} hosts", staff_count=20)
    slot_ids = db.slots(staff_ids, args.seconds * 30, start=future(day))
    cluster.start()
    try:
        api = Api(cluster.url, timeout=10)
        # Warm every worker (imports, first connections) before measuring.
        warm = Load(api, service_id, slot_ids[-200:], args.clients, "warm")
        warm.start()
        time.sleep(3)
        warm.finish()
        statements_before, xacts_before = pgbouncer_totals(cluster, args.database)
        committed_before = committed(db, service_id)
        load = Load(api, service_id, slot_ids[:-200], args.clients, f"h{hosts}")
        load.start()
        time.sleep(args.seconds)
        load.finish()
        statements_after, xacts_after = pgbouncer_totals(cluster, args.database)
        load_average = round(os.getloadavg()[0], 1)
    finally:
        cluster.stop()
    figures = load.figures([])
    booked = committed(db, service_id) - committed_before
    kinds = Counter(figures["errors"])
    kinds["201"] = figures["requests"] - kinds.total()
    creates = creates_check(kinds, committed=booked, seconds=figures["seconds"])
    cpus = os.cpu_count()
    return {
        "hosts": hosts,
        "workers": hosts * 2,
        "clients": args.clients,
        "seconds": figures["seconds"],
        "booked": booked,
        "creates_per_second": figures["per_second"],
        "creates_per_second_per_cpu": round(figures["per_second"] / cpus, 1),
        "p50_ms": figures["p50_ms"],
        "p99_ms": figures["p99_ms"],
        "errors": figures["errors"],
        # The machine's 1-minute load average as the round ended: other work
        # sharing the CPUs shows here.
        "load_average": load_average,
        # Health checks and the warm-up's tail are in the counters too: a
        # small overcount, the same for every round.
        "statements_per_booking": round(
            (statements_after - statements_before) / booked, 1
        )
        if booked
        else None,
        "transactions_per_booking": round((xacts_after - xacts_before) / booked, 1)
        if booked
        else None,
        "oversold": db.scalar(
            "SELECT count(*) FROM (SELECT availability_id FROM bookings_booking"
            " WHERE service_id = %s AND status <> 'cancelled'"
            " GROUP BY availability_id HAVING count(*) > 1) d",
            [service_id],
        ),
        "failures": creates["failures"],
    }


def committed(db, service_id):
    return db.scalar(
        "SELECT count(*) FROM bookings_booking WHERE service_id = %s", [service_id]
    )


def report(results):
    m = results["machine"]
    lines = [
        SECTION_START,
        "## Several hosts: creates/s with 1, 2 and 3 app hosts",
        "",
        "Generated by `scripts/cluster/bench.py` (do not edit by hand) on "
        f"{results['finished_at']}: HAProxy → N gunicorn app hosts (2 sync "
        "workers each, `config.settings.prod`) → PgBouncer in transaction mode "
        f"→ PostgreSQL {m['postgresql']}, throttles on redis-server, on one "
        f"machine with {m['cpus']} CPUs (shared with other work while this ran), "
        f"{results['clients']} clients booking distinct slots through HAProxy "
        f"for {results['seconds']} s a round. Statements and transactions are "
        "PgBouncer's own counts (`SHOW STATS`) over the round, per committed "
        "booking.",
        "",
        "| app hosts | workers | creates/s | per CPU | p50 ms | p99 ms | "
        "statements / booking | transactions / booking | errors | oversold | "
        "load average |",
        "| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |",
    ]
    for r in results["rounds"]:
        errors = ", ".join(f"{k}: {v}" for k, v in r["errors"].items()) or "none"
        lines.append(
            f"| {r['hosts']} | {r['workers']} | {r['creates_per_second']} | "
            f"{r['creates_per_second_per_cpu']} | {r['p50_ms']} | {r['p99_ms']} | "
            f"{r['statements_per_booking']} | {r['transactions_per_booking']} | "
            f"{errors} | {r['oversold']} | {r.get('load_average', '-')} |"
        )
    lines += [
        "",
        "The hosts share the machine's CPUs with each other, HAProxy, PgBouncer "
        "and PostgreSQL (and, here, with other work), so more hosts cannot make "
        "more creates/s on it: more worker processes on the same 2 CPUs take "
        "turns, and the figure falls as the load average rises. What the table "
        "does show is that a host more costs nothing per booking (the same "
        "statements and transactions, nothing oversold, no errors); showing "
        "the scaling itself needs hosts on CPUs of their own. The load "
        "sends an `Idempotency-Key`, so a booking is the 14 statements of "
        "`test_a_create_costs_a_fixed_handful_of_statements` (the throttle's "
        "upsert in a transaction of its own, then `BEGIN; SET LOCAL "
        "lock_timeout` ... `COMMIT`): PgBouncer and the per-transaction lock "
        "timeout add none. A load average well above the CPU count means "
        "other work took most of the machine, and the absolute creates/s "
        "fall with it (compare the single-host figures above, measured on "
        "an idle machine).",
        SECTION_END,
    ]
    return "\n".join(lines) + "\n"


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--hosts", default="1,2,3")
    parser.add_argument("--clients", type=int, default=32)
    parser.add_argument("--seconds", type=int, default=20)
    parser.add_argument("--database", default="doceamor_cluster_bench")
    parser.add_argument("--json", default="benchmark-cluster-results.json")
    parser.add_argument("--report", default=str(PROJECT_DIR / "docs/benchmarks.md"))
    parser.add_argument(
        "--report-only", action="store_true", help="rewrite the report from --json"
    )
    args = parser.parse_args()
    path = Path(args.report)
    if args.report_only:
        results = json.loads(Path(args.json).read_text())
        write_keeping_section(path, path.read_text(), report(results))
        return
    rounds = []
    for index, hosts in enumerate(int(n) for n in args.hosts.split(",")):
        result = round_with(hosts, args, day=700 + 60 * index)
        print(f"[bench] {json.dumps(result)}", flush=True)
        rounds.append(result)
    db = Database(f"postgres://postgres@127.0.0.1:5432/{args.database}")
    results = {
        "finished_at": datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC"),
        "machine": {**machine(), "postgresql": db.scalar("SHOW server_version")},
        "clients": args.clients,
        "seconds": args.seconds,
        "rounds": rounds,
    }
    Path(args.json).write_text(json.dumps(results, indent=2))
    write_keeping_section(path, path.read_text(), report(results))
    failed = {r["hosts"]: r["failures"] for r in rounds if r["failures"]}
    if failed or any(r["oversold"] for r in rounds):
        sys.exit(f"failed rounds: {failed}")


if __name__ == "__main__":
    main()
