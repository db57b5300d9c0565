"""The production topology on one machine, on loopback ports:

    HAProxy -> N gunicorn app hosts -> PgBouncer (transaction mode) -> PostgreSQL
                     \\-> redis-server (throttles, Celery broker) <- Celery worker, beat

    scripts/cluster/cluster.py start [--hosts 2] [--database doceamor_cluster]
    scripts/cluster/cluster.py status
    scripts/cluster/cluster.py stop

`start` creates the database if it is missing and migrates it directly
against PostgreSQL (never through PgBouncer: see docs/operations.md), then
starts every part detached and writes their ports and process ids to
`<dir>/cluster.json`; `stop` ends exactly those processes. The app hosts get
nothing but the environment a production host gets (prod settings,
DATABASE_URL pointing at PgBouncer, REDIS_URL, DJANGO_NUM_PROXIES=1).

PostgreSQL is the one already running (`--pg-host`, `--pg-port`; trust auth
on loopback for user `postgres`); the other parts are Debian's packages.
The tests (backend/config/tests/test_topology.py) start the same `Cluster`.
"""

import argparse
import json
import os
import secrets
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import psycopg
from topology import PROJECT_DIR, AppHost, Celery, HAProxy, PgBouncer, Redis

DEFAULT_DIR = Path("/tmp/doceamor-cluster")
# For loads from one address (the fault matrix, the benchmark): it may book
# without limit, as in scripts/bench/stack_env.sh; the throttle still counts.
LIFTED_LIMITS = {
    "BOOKING_CREATE_THROTTLE_RATE": "100000000/min",
    "BOOKING_MAX_UNPAID_PER_CLIENT": "100000000",
    "BOOKING_MAX_UNPAID_PER_SERVICE_DAY": "100000000",
}


def host_environment(database_url: str, redis_url: str, **overrides) -> dict:
    """What every app host (and the Celery processes) runs with."""
    return {
        "DJANGO_SETTINGS_MODULE": "config.settings.prod",
        "DJANGO_SECRET_KEY": overrides.pop("secret_key", secrets.token_urlsafe(40)),
        "DJANGO_ALLOWED_HOSTS": "127.0.0.1,localhost",
        # Loopback HTTP: a production proxy terminates TLS in front.
        "DJANGO_SECURE_SSL_REDIRECT": "0",
        "DJANGO_EMAIL_BACKEND": "django.core.mail.backends.dummy.EmailBackend",
        "DATABASE_URL": database_url,
        # What the acceptance check sets; PgBouncer keeps the server side warm.
        "DJANGO_CONN_MAX_AGE": "0",
        # HAProxy appends the client's address to X-Forwarded-For.
        "DJANGO_NUM_PROXIES": "1",
        "REDIS_URL": redis_url,
        "CELERY_BROKER_URL": redis_url.rsplit("/", 1)[0] + "/1",
        "BOOKING_LOG_LEVEL": "WARNING",
        "GUNICORN_WORKERS": "2",
        # Beat runs the expiry job every 10 s (120 in production), so a check
        # sees it within seconds.
        "BOOKING_EXPIRY_INTERVAL_SECONDS": "10",
        **overrides,
    }


class Cluster:
    def __init__(
        self,
        directory: Path,
        *,
        database: str,
        hosts: int = 2,
        pg_host: str = "127.0.0.1",
        pg_port: int = 5432,
        port: int | None = None,
        celery: bool = False,
        detach: bool = False,
        env: dict[str, str] | None = None,
    ):
        self.directory = Path(directory)
        self.database, self.pg_host, self.pg_port = database, pg_host, pg_port
        self.detach = detach
        self.redis = Redis(self.directory / "redis", detach=detach)
        self.pgbouncer = PgBouncer(
            self.directory / "pgbouncer",
            pg_host=pg_host,
            pg_port=pg_port,
            detach=detach,
        )
        self.env = host_environment(
            self.pgbouncer.url(database), self.redis.url(), **(env or {})
        )
        self.hosts = [
            AppHost(self.directory / f"app{i}", f"app{i}", self.env, detach=detach)
            for i in range(1, hosts + 1)
        ]
        self.haproxy = HAProxy(
            self.directory / "haproxy", self.hosts, port=port, detach=detach
        )
        self.celery = (
            [
                Celery(self.directory / "celery", role, self.env, detach=detach)
                for role in ("worker", "beat")
            ]
            if celery
            else []
        )

    @property
    def direct_url(self) -> str:
        """PostgreSQL itself, as migrations and checks connect."""
        return f"postgres://postgres@{self.pg_host}:{self.pg_port}/{self.database}"

    @property
    def url(self) -> str:
        return self.haproxy.url()

    def parts(self):
        return [self.redis, self.pgbouncer, *self.hosts, self.haproxy, *self.celery]

    def prepare_database(self):
        """Create the database if missing; migrate it straight to PostgreSQL."""
        admin = f"postgres://postgres@{self.pg_host}:{self.pg_port}/postgres"
        with psycopg.connect(admin, autocommit=True) as conn:
            exists = conn.execute(
                "SELECT 1 FROM pg_database WHERE datname = %s", [self.database]
            ).fetchone()
            if not exists:
                conn.execute(f'CREATE DATABASE "{self.database}"')
        subprocess.run(
            [sys.executable, "manage.py", "migrate", "--no-input", "-v0"],
            cwd=PROJECT_DIR,
            env={**os.environ, **self.env, "DATABASE_URL": self.direct_url},
            check=True,
        )

    def start(self):
        try:
            for part in self.parts():
                part.start()
        except BaseException:
            self.stop()
            raise
        return self

    def stop(self):
        for part in reversed(self.parts()):
            part.stop()

    def describe(self) -> dict:
        return {
            "url": self.url,
            "database": self.database,
            "direct_database_url": self.direct_url,
            "pgbouncer_url": self.env["DATABASE_URL"],
            "redis_url": self.env["REDIS_URL"],
            "parts": {
                part.name: {"port": part.port, "pid": part.pid, "log": str(part.log)}
                for part in self.parts()
            },
        }


def stop_recorded(directory: Path) -> list[str]:
    """End the processes a detached `start` recorded, by their ids."""
    state_file = directory / "cluster.json"
    if not state_file.exists():
        return []
    state = json.loads(state_file.read_text())
    stopped = []
    for name, part in reversed(list(state["parts"].items())):
        try:
            os.kill(part["pid"], signal.SIGTERM)
            stopped.append(name)
        except ProcessLookupError:
            continue
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            try:
                os.kill(part["pid"], 0)
            except ProcessLookupError:
                break
            time.sleep(0.1)
    # pgbouncer's own directory, when running as root (topology.PgBouncer).
    bouncer_dir = Path(state["parts"]["pgbouncer"]["log"]).parent
    if bouncer_dir.name.startswith("doceamor-pgbouncer-"):
        shutil.rmtree(bouncer_dir, ignore_errors=True)
    state_file.unlink()
    return stopped


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("action", choices=("start", "stop", "status"))
    parser.add_argument("--dir", type=Path, default=DEFAULT_DIR)
    parser.add_argument("--hosts", type=int, default=2)
    parser.add_argument("--database", default="doceamor_cluster")
    parser.add_argument("--pg-host", default="127.0.0.1")
    parser.add_argument("--pg-port", type=int, default=5432)
    parser.add_argument("--port", type=int, default=8180, help="HAProxy's port")
    parser.add_argument("--no-celery", action="store_true")
    args = parser.parse_args(argv)
    state_file = args.dir / "cluster.json"
    if args.action == "stop":
        print("stopped:", ", ".join(stop_recorded(args.dir)) or "nothing")
        return
    if args.action == "status":
        print(state_file.read_text() if state_file.exists() else "not running")
        return
    if state_file.exists():
        sys.exit(f"already running ({state_file}); stop it first")
    cluster = Cluster(
        args.dir,
        database=args.database,
        hosts=args.hosts,
        pg_host=args.pg_host,
        pg_port=args.pg_port,
        port=args.port,
        celery=not args.no_celery,
        detach=True,
    )
    cluster.prepare_database()
    cluster.start()
    state_file.write_text(json.dumps(cluster.describe(), indent=2))
    print(f"up: {cluster.url} ({args.hosts} app hosts); state in {state_file}")


if __name__ == "__main__":
    main()
