"""Benchmark 5: the peak memory of the gunicorn workers."""

import re
import subprocess
from pathlib import Path


def gunicorn_worker_peak_rss(master_pid):
    workers = subprocess.run(
        ["pgrep", "-P", str(master_pid)], capture_output=True, text=True
    ).stdout.split()
    peaks = {}
    for pid in workers:
        status = Path(f"/proc/{pid}/status").read_text()
        peak_kib = int(re.search(r"VmHWM:\s+(\d+) kB", status).group(1))
        peaks[pid] = round(peak_kib / 1024, 1)
    return peaks
