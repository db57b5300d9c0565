"""gunicorn for the fault matrix: started, signalled and stopped as production
runs it, its workers found through /proc (harness.child_pids)."""

import http.client
import os
import subprocess
import sys
import time

from harness import PROJECT_DIR, Api, child_pids

# How long a client waits for an answer before it counts a network error.
REQUEST_TIMEOUT_SECONDS = 10


class Server:
    """gunicorn as scripts/serve.sh runs it (the access log off)."""

    def __init__(self, port, log_path, workers):
        self.api = Api(f"http://127.0.0.1:{port}", timeout=REQUEST_TIMEOUT_SECONDS)
        self.log_path, self.workers = log_path, workers
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
            status, _, _ = self.api.request("GET", "/api/health/")
        except (OSError, http.client.HTTPException):
            return False
        return status == 200

    def worker_pids(self):
        return child_pids(self.process.pid) if self.process else []

    def signal(self, signum):
        os.kill(self.process.pid, signum)

    def stop(self):
        if self.process and self.process.poll() is None:
            self.process.terminate()
            self.process.wait(timeout=60)

    def log_text(self):
        return self.log_path.read_text(errors="replace")
