#!/usr/bin/env bash
# Booking throughput under several gunicorn setups, to choose the default
# (gunicorn.conf.py). Each setup is WORKERSxTHREADS: 1 thread is the sync
# worker, more is gthread. Runs scripts/bench/run_all.sh --only throughput for
# each on a fresh database and writes scripts/bench/results-gunicorn-sweep.json,
# which the report (docs/benchmarks.md) shows as a table.
#
#   scripts/bench/gunicorn_sweep.sh [3x1 5x1 8x1 2x4 3x4 5x4]
set -euo pipefail
cd "$(dirname "$0")/../.."
configs=("$@")
[ ${#configs[@]} -gt 0 ] || configs=(3x1 5x1 8x1 2x4 3x4 5x4)
scratch="$(mktemp -d)"
trap 'rm -rf "$scratch"' EXIT
for config in "${configs[@]}"; do
  echo "== gunicorn ${config} (workers x threads)"
  GUNICORN_WORKERS="${config%x*}" GUNICORN_THREADS="${config#*x}" \
    scripts/bench/run_all.sh --only throughput \
    --json "$scratch/${config}.json" --report "$scratch/${config}.md" --before ""
done
.venv/bin/python - "$scratch" "${configs[@]}" > scripts/bench/results-gunicorn-sweep.json <<'PY'
import json
import sys
from pathlib import Path

scratch, configs = Path(sys.argv[1]), sys.argv[2:]
sweep = []
for config in configs:
    run = json.loads((scratch / f"{config}.json").read_text())
    workers, threads = (int(n) for n in config.split("x"))
    sweep.append(
        {
            "workers": workers,
            "threads": threads,
            "finished_at": run["finished_at"],
            "levels": run["throughput"]["levels"],
            "worker_peak_rss_mib": max(run["memory"]["gunicorn_workers_mib"].values()),
        }
    )
print(json.dumps(sweep, indent=2))
PY
echo "wrote scripts/bench/results-gunicorn-sweep.json"
