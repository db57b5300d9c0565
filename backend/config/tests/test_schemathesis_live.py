"""Issue 34: Schemathesis `--checks all` against a live server.

gunicorn with the production settings serves the test database on a free
loopback port; the `st` command line then runs every check it has
(positive and negative data acceptance included) over the examples,
coverage and fuzzing phases, anonymously and with a Manager's bearer token.
Any failure fails the test, with Schemathesis's report.

The example count is bounded and the generation deterministic, so a CI run
costs about a minute per database and repeats itself; docs/api.md gives the
longer local run (`FUZZ_MAX_EXAMPLES`, random seeds) and its figures.
backend/config/tests/fuzz/ holds the configuration and the hooks.
"""

import os
import subprocess
import sys
import urllib.request
from datetime import timedelta
from pathlib import Path

import pytest
from django.utils import timezone
from knox.models import AuthToken

from apps.availability.tests.factories import AvailabilityFactory
from apps.bookings import services
from apps.bookings.tests.factories import StaffUserFactory
from apps.services.tests.factories import ServiceFactory
from apps.staff.tests.factories import StaffFactory
from common.tests.connections import live_database_url

ROOT = Path(__file__).resolve().parents[3]
FUZZ = Path(__file__).with_name("fuzz")
ST = Path(sys.executable).with_name("st")
# The longer local run (docs/api.md) sets FUZZ_MAX_EXAMPLES: more examples,
# a random seed, and the coverage phase for the Manager's run too.
LONG_RUN = "FUZZ_MAX_EXAMPLES" in os.environ
MAX_EXAMPLES = int(os.environ.get("FUZZ_MAX_EXAMPLES", 8))

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def world():
    """A few rows with low ids, so generated ids sometimes hit real ones, and
    a Manager's token."""
    service = ServiceFactory()
    staff = StaffFactory(services=[service])
    slots = [AvailabilityFactory(staff=staff) for _ in range(4)]
    services.booking_create(
        service_id=service.pk,
        availability_id=slots[0].pk,
        customer_name="Guest",
        customer_email="guest@example.com",
        customer_phone="912345678",
        now=timezone.now() - timedelta(minutes=1),
    )
    _, token = AuthToken.objects.create(user=StaffUserFactory(role="manager"))
    return token


@pytest.fixture
def server(world, tmp_path):
    """gunicorn.conf.py with the production settings, as scripts/serve.sh
    runs it, on the test database."""
    sys.path.insert(0, str(ROOT / "scripts" / "cluster"))
    try:
        from topology import AppHost
    finally:
        sys.path.remove(str(ROOT / "scripts" / "cluster"))
    env = {
        "DJANGO_SETTINGS_MODULE": "config.settings.prod",
        "DJANGO_SECRET_KEY": "schemathesis-" + "x" * 40,
        "DJANGO_ALLOWED_HOSTS": "127.0.0.1,localhost",
        # Loopback HTTP: a production proxy terminates TLS in front.
        "DJANGO_SECURE_SSL_REDIRECT": "0",
        "DJANGO_EMAIL_BACKEND": "django.core.mail.backends.dummy.EmailBackend",
        "DATABASE_URL": live_database_url(),
        "BOOKING_LOG_LEVEL": "ERROR",
        "GUNICORN_WORKERS": "2",
        # One address sends every request: the limits a guest meets would
        # answer most of them 429 and hide the operations behind.
        **{
            f"BOOKING_{name}_THROTTLE_RATE": "100000000/min"
            for name in (
                "CREATE",
                "LOOKUP",
                "CREATE_NETWORK",
                "LOOKUP_NETWORK",
                "DESK_CREATE",
                "WAITLIST_JOIN",
                "WAITLIST_JOIN_NETWORK",
                "WAITLIST_LINK",
            )
        },
    }
    host = AppHost(tmp_path / "gunicorn", "app", env).start()
    yield host
    host.stop()


def _schemathesis(
    server, report: Path, *options: str, phases="examples,coverage,fuzzing"
) -> subprocess.Popen:
    command = [
        str(ST),
        "--config-file",
        str(FUZZ / "schemathesis.toml"),
        "run",
        str(report.parent / "openapi.json"),
        "--url",
        f"http://127.0.0.1:{server.port}",
        # A loaded CI machine may be slow; a timeout is no finding here.
        "--request-timeout",
        "60",
        "--checks",
        "all",
        "--phases",
        phases,
        "--max-examples",
        str(MAX_EXAMPLES),
        # One worker per run, the two runs side by side (Hypothesis's caches
        # are not safe across a run's worker threads: "inconsistent results").
        "--workers",
        "1",
        # CI repeats one run; the longer local run explores with a new seed.
        *([] if LONG_RUN else ["--generation-deterministic"]),
    ]
    command += options
    return subprocess.Popen(
        command,
        # Schemathesis keeps a .schemathesis/ cache where it runs.
        cwd=report.parent,
        env={**os.environ, "NO_COLOR": "1"},
        stdout=report.open("w"),
        stderr=subprocess.STDOUT,
    )


def test_anonymous_and_manager_requests_pass_every_check(server, world, tmp_path):
    """Anonymous and with a Manager's bearer token, at the same time."""
    # The schema as the server serves it, fetched once: building it takes
    # seconds, which on a loaded machine outlasted Schemathesis's timeout.
    url = f"http://127.0.0.1:{server.port}/api/schema/?format=json"
    with urllib.request.urlopen(url, timeout=300) as response:
        (tmp_path / "openapi.json").write_bytes(response.read())
    runs = {
        # The operations anyone may call (security lists `{}`); the staff
        # ones answer a guest 401, which the Manager's run checks too
        # (`ignored_auth` sends its requests without the token).
        "anonymous": _schemathesis(
            server, tmp_path / "anonymous.txt", "--include-by", "/security/1 == {}"
        ),
        "manager": _schemathesis(
            server,
            tmp_path / "manager.txt",
            "--header",
            f"Authorization: Bearer {world}",
            # The coverage phase walks every boundary of every staff
            # operation: about 4 minutes here, over CI's budget, so it runs
            # in the longer local run (the guest operations get it always).
            phases="examples,coverage,fuzzing" if LONG_RUN else "examples,fuzzing",
        ),
    }
    failed = {}
    for name, run in runs.items():
        run.wait(timeout=900)
        report = (tmp_path / f"{name}.txt").read_text()
        if run.returncode != 0:
            failed[name] = report[-15000:]
    assert not failed, "\n\n".join(
        f"== {name}\n{text}" for name, text in failed.items()
    )
