"""The parts of the production topology, run on one machine on loopback ports:
PgBouncer (transaction pooling) in front of PostgreSQL, redis-server, gunicorn
app hosts, HAProxy in front of them, a Celery worker and beat.

Each part is the Debian package a production install uses, started with a
config written into a directory of its own, in the foreground as a child of
the caller (or detached, for `cluster.py start`). The tests
(`@pytest.mark.topology`) and `cluster.py` both build on these classes.
"""

import os
import pwd
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

PROJECT_DIR = Path(__file__).resolve().parents[2]
PGBOUNCER = shutil.which("pgbouncer") or "/usr/sbin/pgbouncer"
HAPROXY = shutil.which("haproxy") or "/usr/sbin/haproxy"
REDIS_SERVER = shutil.which("redis-server") or "/usr/bin/redis-server"


def free_port() -> int:
    """A TCP port on 127.0.0.1 nobody listens on right now."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def wait_for_port(port: int, process: subprocess.Popen, what: str, log: Path):
    deadline = time.monotonic() + 30
    while True:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=1).close()
            return
        except OSError:
            pass
        if process.poll() is not None or time.monotonic() > deadline:
            tail = log.read_text(errors="replace")[-2000:] if log.exists() else ""
            raise RuntimeError(f"{what} did not start on port {port}:\n{tail}")
        time.sleep(0.05)


class Process:
    """A child process with its log file; `detach` outlives the caller."""

    name = "process"

    def __init__(self, directory: Path, port: int | None = None, detach=False):
        self.directory = Path(directory)
        self.directory.mkdir(parents=True, exist_ok=True)
        self.port = port or free_port()
        self.detach = detach
        self.process: subprocess.Popen | None = None
        self.log = self.directory / f"{self.name}.log"

    def command(self) -> list[str]:
        raise NotImplementedError

    def environment(self) -> dict[str, str] | None:
        return None

    def start(self):
        self.process = subprocess.Popen(
            self.command(),
            cwd=PROJECT_DIR,
            env=self.environment(),
            stdout=self.log.open("a"),
            stderr=subprocess.STDOUT,
            start_new_session=self.detach,
        )
        self.wait_ready()
        return self

    def wait_ready(self):
        wait_for_port(self.port, self.process, self.name, self.log)

    @property
    def pid(self) -> int | None:
        return self.process.pid if self.process else None

    def kill(self):
        """kill -9, as a crash would."""
        self.process.kill()
        self.process.wait(timeout=30)

    def stop(self):
        if self.process and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self.kill()

    def restart(self):
        self.stop()
        self.start()


class PgBouncer(Process):
    """Debian's pgbouncer in `pool_mode = transaction`, trust auth, every
    database of the PostgreSQL server behind it (`*`)."""

    name = "pgbouncer"

    def __init__(
        self,
        directory,
        *,
        pg_host="127.0.0.1",
        pg_port=5432,
        users=("postgres",),
        pool_size=20,
        extra: str = "",
        **kwargs,
    ):
        if os.geteuid() == 0:
            # pgbouncer refuses to run as root and drops to `postgres` (-u),
            # which must reach its files: a directory of its own in /tmp.
            directory = tempfile.mkdtemp(prefix="doceamor-pgbouncer-")
            os.chmod(directory, 0o755)
        super().__init__(directory, **kwargs)
        self.pg_host, self.pg_port, self.users = pg_host, pg_port, users
        self.pool_size, self.extra = pool_size, extra

    def write_config(self) -> Path:
        userlist = self.directory / "userlist.txt"
        userlist.write_text("".join(f'"{user}" ""\n' for user in self.users))
        ini = self.directory / "pgbouncer.ini"
        ini.write_text(
            "[databases]\n"
            f"* = host={self.pg_host} port={self.pg_port}\n"
            "[pgbouncer]\n"
            "listen_addr = 127.0.0.1\n"
            f"listen_port = {self.port}\n"
            "unix_socket_dir =\n"
            "auth_type = trust\n"
            f"auth_file = {userlist}\n"
            "pool_mode = transaction\n"
            f"default_pool_size = {self.pool_size}\n"
            "max_client_conn = 500\n"
            f"admin_users = {self.users[0]}\n"
            f"logfile = {self.log}\n"
            f"{self.extra}\n"
        )
        if os.geteuid() == 0:
            owner = pwd.getpwnam("postgres")
            for path in (self.directory, userlist, ini, self.log):
                path.touch(exist_ok=True)
                os.chown(path, owner.pw_uid, owner.pw_gid)
        return ini

    def command(self):
        ini = self.write_config()
        user = ["-u", "postgres"] if os.geteuid() == 0 else []
        return [PGBOUNCER, *user, str(ini)]

    def start(self):
        # pgbouncer writes its own log file; its stdout only says it started.
        self.directory.mkdir(parents=True, exist_ok=True)
        self.log.touch(exist_ok=True)
        return super().start()

    def stop(self):
        super().stop()
        if self.directory.name.startswith("doceamor-pgbouncer-"):
            shutil.rmtree(self.directory, ignore_errors=True)

    def url(self, database: str, user: str = "postgres") -> str:
        return f"postgres://{user}@127.0.0.1:{self.port}/{database}"


class Redis(Process):
    name = "redis"

    def command(self):
        return [
            REDIS_SERVER,
            "--bind",
            "127.0.0.1",
            "--port",
            str(self.port),
            "--save",
            "",
            "--appendonly",
            "no",
            "--dir",
            str(self.directory),
        ]

    def url(self, db: int = 0) -> str:
        return f"redis://127.0.0.1:{self.port}/{db}"


class AppHost(Process):
    """gunicorn with gunicorn.conf.py, as scripts/serve.sh runs it."""

    def __init__(self, directory, name: str, env: dict[str, str], **kwargs):
        self.name = name
        super().__init__(directory, **kwargs)
        self.env = env

    def environment(self):
        return {
            **os.environ,
            **self.env,
            "GUNICORN_BIND": f"127.0.0.1:{self.port}",
        }

    def command(self):
        return [
            sys.executable,
            "-m",
            "gunicorn",
            "--config",
            "gunicorn.conf.py",
            "--access-logfile",
            "/dev/null",
        ]

    def wait_ready(self):
        import http.client

        deadline = time.monotonic() + 60
        while True:
            try:
                connection = http.client.HTTPConnection("127.0.0.1", self.port, 2)
                connection.request("GET", "/api/health/")
                if connection.getresponse().status == 200:
                    return
            except (OSError, http.client.HTTPException):
                pass
            if self.process.poll() is not None or time.monotonic() > deadline:
                tail = self.log.read_text(errors="replace")[-3000:]
                raise RuntimeError(f"{self.name} did not start:\n{tail}")
            time.sleep(0.1)


class HAProxy(Process):
    """HAProxy in front of the app hosts: round robin, health checks on
    /api/health/, the client's address in X-Forwarded-For."""

    name = "haproxy"

    def __init__(self, directory, hosts: list[AppHost], **kwargs):
        super().__init__(directory, **kwargs)
        self.hosts = hosts
        self.stats_socket = self.directory / "haproxy.sock"

    def write_config(self) -> Path:
        servers = "".join(
            f"    server {host.name} 127.0.0.1:{host.port} check\n"
            for host in self.hosts
        )
        config = self.directory / "haproxy.cfg"
        config.write_text(
            "global\n"
            f"    stats socket {self.stats_socket} mode 600 level admin\n"
            "    maxconn 2000\n"
            "defaults\n"
            "    mode http\n"
            "    timeout connect 2s\n"
            "    timeout client 60s\n"
            "    timeout server 60s\n"
            # A request whose connection to a host failed goes to another.
            "    retries 2\n"
            "    option redispatch\n"
            "frontend web\n"
            f"    bind 127.0.0.1:{self.port}\n"
            "    option forwardfor\n"
            "    default_backend app\n"
            "backend app\n"
            "    balance roundrobin\n"
            "    option httpchk GET /api/health/\n"
            "    http-check expect status 200\n"
            # A check waits its turn behind requests at a busy host's sync
            # workers: a short check timeout would take a slow, live host
            # out (both at once, on a starved machine: HAProxy's 503).
            "    timeout check 5s\n"
            "    default-server inter 1s fall 3 rise 2\n"
            # Which host answered, so a test can see both were used.
            "    http-response set-header X-App-Host %[srv_name]\n"
            f"{servers}"
        )
        return config

    def command(self):
        config = self.write_config()
        check = subprocess.run(
            [HAPROXY, "-c", "-q", "-f", str(config)], capture_output=True, text=True
        )
        if check.returncode:
            raise RuntimeError(f"haproxy config invalid: {check.stderr}")
        return [HAPROXY, "-db", "-f", str(config)]

    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"


class Celery(Process):
    """A Celery worker (`worker`) or beat (`beat`) on the Redis broker."""

    def __init__(self, directory, role: str, env: dict[str, str], **kwargs):
        self.name = f"celery-{role}"
        super().__init__(directory, **kwargs)
        self.role, self.env = role, env

    def environment(self):
        return {**os.environ, **self.env}

    def command(self):
        role = ["worker", "--concurrency", "1", "--pool", "solo"]
        if self.role == "beat":
            role = ["beat", "--schedule", str(self.directory / "celerybeat-schedule")]
        return [
            sys.executable,
            "-m",
            "celery",
            "--workdir",
            str(PROJECT_DIR / "backend"),
            "-A",
            "config",
            *role,
            "--loglevel",
            "INFO",
        ]

    def wait_ready(self):
        deadline = time.monotonic() + 30
        ready = "ready." if self.role == "worker" else "beat: Starting"
        while ready not in self.log.read_text(errors="replace"):
            if self.process.poll() is not None or time.monotonic() > deadline:
                tail = self.log.read_text(errors="replace")[-3000:]
                raise RuntimeError(f"{self.name} did not start:\n{tail}")
            time.sleep(0.2)


class SmtpSink:
    """A mail server on loopback (aiosmtpd, in a thread of the caller) that
    keeps the Message-ID of every message it takes.

    `delay` seconds pass between taking a message (the end of DATA) and
    answering 250, as at a slow server that scans what it receives: a sender
    killed in that window has handed the message over without knowing it.
    `answering` is the Message-ID in that window, if any.
    """

    def __init__(self, delay: float = 0.0):
        self.delay, self.port = delay, free_port()
        self.accepted: list[str] = []
        self.answering: str | None = None
        self.controller = None

    async def handle_DATA(self, server, session, envelope):
        import asyncio
        from email import message_from_bytes

        message_id = message_from_bytes(envelope.content)["Message-ID"] or "?"
        self.accepted.append(message_id)
        self.answering = message_id
        try:
            await asyncio.sleep(self.delay)
        finally:
            self.answering = None
        return "250 Message accepted for delivery"

    def start(self):
        from aiosmtpd.controller import Controller

        self.controller = Controller(self, hostname="127.0.0.1", port=self.port)
        self.controller.start()
        return self

    def stop(self):
        if self.controller:
            self.controller.stop()
            self.controller = None
