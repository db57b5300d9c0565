"""The fault matrix: faults injected into the production stack under load.

Run by scripts/faults/run_all.sh, which starts a throwaway PostgreSQL cluster
(so restarting it disturbs nothing else) and sets the environment. This
process starts gunicorn (server), drives it with clients that follow
docs/api.md's retry rules (load), injects each fault (scenarios), checks the
database and judges each scenario afterwards (checks), and writes
docs/reliability.md (reliability_report). It exits non-zero when a scenario
missed its targets, a scenario that committed no bookings among them.
"""

import argparse
import json
import sys
import time
from datetime import UTC, datetime
from pathlib import Path

# The fault matrix shares the benchmarks' harness: the HTTP client, /proc
# readings, the database helpers and the one source of valid guest data.
sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "bench"))
from harness import MAX_4XX_SHARE, machine
from load import GIVE_UP_SECONDS
from reliability_report import write_report
from scenarios import Matrix


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
        "max_4xx_share": MAX_4XX_SHARE,
        "scenarios": matrix.results,
    }
    Path(args.json).write_text(json.dumps(results, indent=2))
    write_report(results, Path(args.report))
    missed = {
        name: result["targets_missed"]
        for name, result in matrix.results.items()
        if result["targets_missed"]
    }
    if missed:
        sys.exit(
            "Targets missed: "
            + "; ".join(f"{name}: {', '.join(why)}" for name, why in missed.items())
        )


if __name__ == "__main__":
    main()
