"""Benchmarks of the real stack, each side by side with its baseline.

Run by scripts/bench/run_all.sh, which starts gunicorn on a fresh PostgreSQL
database and passes its address here. This process is the load: HTTP
clients in threads, and the raw-psycopg baselines at the same concurrency.

    bench.py --base-url http://127.0.0.1:8765 --database-url postgres://... \\
        --gunicorn-pid 1234 --json results.json --report docs/benchmarks.md

One module per benchmark (race, throughput, listing, expiry, memory), the load
generator, database helpers and guest data they share with the fault matrix
(harness), and the report writer (report, with analysis); this module runs
them and writes the results. A benchmark whose creates the server refused is a
failed run: marked so in the report, and this process exits non-zero.
"""

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

from expiry import bench_expiry
from harness import Api, Database, machine
from listing import DjangoInProcess, bench_listing
from memory import gunicorn_worker_peak_rss, gunicorn_worker_pss, import_footprint
from race import bench_race
from report import write_report
from throughput import Server, bench_throughput

# Issue 17's starting point: the code before it, measured by these scripts.
BEFORE = Path(__file__).with_name("results-before-issue-17.json")


SWEEP = Path(__file__).with_name("results-gunicorn-sweep.json")


def earlier(path):
    """Earlier runs the report shows: issue 17's before run, the worker sweep."""
    found = {}
    if path and Path(path).exists():
        found["before"] = json.loads(Path(path).read_text())
    if SWEEP.exists():
        found["gunicorn_sweep"] = json.loads(SWEEP.read_text())
    return found


def _run_script(name, env, *arguments):
    """Run another benchmark script on the benchmark database; its --json."""
    with tempfile.NamedTemporaryFile(suffix=".json") as output:
        subprocess.run(
            [
                sys.executable,
                str(Path(__file__).with_name(name)),
                *arguments,
                f"--json={output.name}",
            ],
            env=env,
            check=True,
            stdout=subprocess.DEVNULL,
        )
        return json.loads(Path(output.name).read_text())


def throttle_paths(env):
    """The guest throttle on the database and on Redis, against the old one."""
    # Without a reachable redis-server (127.0.0.1:6379) the Redis rows are
    # left out, and the report says so.
    return _run_script("throttle.py", env, "--checks=2000")


def profile_create(env):
    """Statements and in-process time per create, and the profile's top entries."""
    profile = _run_script(
        "profile_create.py", env, "--requests=200", "--top=25", "--sort=tottime"
    )
    without, keyed = profile["without key"], profile["with key"]
    return {
        **profile,
        # The issue 17 budget (10 without a key, 12 with one), plus the read
        # of the webhook endpoints the webhooks' outbox added (issue 31) and
        # the insert of the slots' holds (issue 27).
        "target": "<= 12 statements per create without a key, <= 14 with one",
        "pass": without["statements"] <= 12 and keyed["statements"] <= 14,
    }


def main():
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--base-url", required=True)
    parser.add_argument("--database-url", required=True)
    parser.add_argument("--gunicorn-pid", type=int, required=True)
    parser.add_argument("--json", dest="json_path")
    parser.add_argument("--report")
    parser.add_argument(
        "--only",
        default="race,create,throttle,throughput,listing,expiry",
        help="comma-separated",
    )
    parser.add_argument(
        "--from-json", help="only regenerate --report from an earlier results file"
    )
    # The other servers of the throughput benchmark: URL and gunicorn pid.
    for name in ("f1", "f2", "before"):
        parser.add_argument(f"--{name}-url")
        parser.add_argument(f"--{name}-pid", type=int)
    parser.add_argument(
        "--before-database-url", help="the database the --before-url server uses"
    )
    parser.add_argument("--before-ref", help="the commit --before-url serves")
    parser.add_argument(
        "--before",
        default=str(BEFORE),
        help="results of an earlier run shown beside this one (its 'label' says "
        "which code it measured)",
    )
    if "--from-json" in sys.argv:
        options, _ = parser.parse_known_args(
            [*sys.argv[1:], "--base-url=-", "--database-url=-", "--gunicorn-pid=0"]
        )
        results = json.loads(Path(options.from_json).read_text())
        write_report({**results, **earlier(options.before)}, options.report)
        return
    options = parser.parse_args()
    wanted = set(options.only.split(","))
    api, db = Api(options.base_url), Database(options.database_url)
    # The commands run with the server's settings (run_all.sh: prod, DEBUG off).
    command_env = {**os.environ, "DATABASE_URL": options.database_url}
    results = {"machine": machine(), **earlier(options.before)}
    results["machine"]["postgresql"] = db.scalar("SHOW server_version")
    results["gunicorn_workers"] = len(gunicorn_worker_peak_rss(options.gunicorn_pid))
    # run_all.sh starts gunicorn with this process's environment.
    results["gunicorn_threads"] = int(os.environ.get("GUNICORN_THREADS", "1"))

    steps = [
        ("race", lambda: bench_race(api, db)),
        ("create", lambda: profile_create(command_env)),
        ("throttle", lambda: throttle_paths(command_env)),
        ("throughput", lambda: bench_throughput(servers(options, api, db), db)),
        (
            "listing",
            lambda: bench_listing(api, db, DjangoInProcess(options.database_url)),
        ),
        ("expiry", lambda: bench_expiry(db, command_env)),
    ]
    for name, step in steps:
        if name not in wanted:
            continue
        started = time.perf_counter()
        results[name] = step()
        summary = without_plans(results[name])
        print(f"\n== {name} ({time.perf_counter() - started:.1f} s)")
        if results[name].get("failed_run"):
            # Said first: the figures below measure a load the server refused.
            print(f"FAILED RUN: {'; '.join(results[name]['failed_run'])}")
        print(json.dumps(summary, indent=2))
        if name == "throughput":
            results["memory"] = memory(options.gunicorn_pid)
            if options.before_pid:
                results["memory"]["before"] = memory(
                    options.before_pid, footprint=False
                )
                results["memory"]["before"]["ref"] = options.before_ref
            print(json.dumps(results["memory"], indent=2))
    results["finished_at"] = datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC")
    if options.json_path:
        Path(options.json_path).write_text(json.dumps(results, indent=2) + "\n")
    if options.report:
        write_report(results, options.report)
    refused = [name for name in wanted if results.get(name, {}).get("failed_run")]
    failed = [name for name in wanted if not results.get(name, {}).get("pass", True)]
    print(f"\nTargets missed: {', '.join(failed)}" if failed else "\nAll targets met.")
    if refused:
        # A missed target is a finding; a refused load is a broken run.
        sys.exit(f"Failed runs (creates refused): {', '.join(refused)}")


def servers(options, api, db):
    """The throughput benchmark's variants that run_all.sh serves."""
    found = {
        "api": Server(api, options.gunicorn_pid, db),
        "api_one_address": Server(api, options.gunicorn_pid, db, one_address=True),
    }
    for name in ("f1", "f2", "before"):
        url = getattr(options, f"{name}_url")
        if url:
            own_db = Database(options.before_database_url) if name == "before" else db
            found[name] = Server(Api(url), getattr(options, f"{name}_pid"), own_db)
    return found


PSS_TARGET = 60


def memory(master_pid, *, footprint=True):
    """A gunicorn's workers after the throughput run: peak RSS, PSS now, and
    (for this checkout's code) what importing the app adds, step by step."""
    pss = gunicorn_worker_pss(master_pid)
    found = {
        "gunicorn_workers_mib": gunicorn_worker_peak_rss(master_pid),
        "gunicorn_workers_pss_mib": pss,
        "target": f"every worker's PSS <= {PSS_TARGET} MiB",
        "pass": bool(pss) and max(pss.values()) <= PSS_TARGET,
    }
    if footprint:
        found["import_footprint_mib"] = import_footprint()
    return found


def without_plans(section):
    """A section for the console: the query plans and profiles are in the report."""
    if isinstance(section, dict):
        return {
            key: without_plans(value)
            for key, value in section.items()
            if key not in ("explain_page_query", "profile_top")
        }
    return section


if __name__ == "__main__":
    main()
