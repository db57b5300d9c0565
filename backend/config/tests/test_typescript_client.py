"""Issue 19: a TypeScript client generated from the schema type-checks and runs.

The pinned openapi-typescript (clients/typescript/package-lock.json, installed
by `npm ci` there) regenerates the types from docs/openapi.yaml into a copy of
clients/typescript in a temporary folder, once per session; `tsc` then
compiles the openapi-fetch guest flow (src/guest-flow.ts) under the committed
tsconfig ("strict": true, noEmitOnError), and must reject every file in
must-fail/ with exactly the error its `// tsc rejects: TSnnnn` line names.
The example in docs/api.md compiles with the flow, and the versions it
installs are the pinned ones. The JavaScript tsc emitted runs in node
against a live server.

Without node or node_modules these tests skip with the reason, except under
CI=true, where .ci/run installs them and their absence is a failure.
"""

import json
import os
import re
import shutil
import subprocess
from dataclasses import dataclass
from pathlib import Path

import pytest
from django.utils import timezone
from knox.models import AuthToken

from apps.availability.models import Availability
from apps.bookings.models import Booking
from apps.bookings.tests.factories import StaffUserFactory

ROOT = Path(__file__).resolve().parents[3]
SCHEMA_FILE = ROOT / "docs" / "openapi.yaml"
API_GUIDE = ROOT / "docs" / "api.md"
CLIENT_DIR = ROOT / "clients" / "typescript"
NODE_MODULES = CLIENT_DIR / "node_modules"
GENERATOR = NODE_MODULES / "openapi-typescript" / "bin" / "cli.js"
HEY_API = NODE_MODULES / "@hey-api" / "openapi-ts" / "bin" / "run.js"
REDOCLY = NODE_MODULES / "@redocly" / "cli" / "bin" / "cli.js"
# Pinned for the hey-api and lint checks below, not in the guide's
# openapi-fetch set.
OTHER_TOOLS = {"@hey-api/openapi-ts", "zod", "@redocly/cli"}
TSC = NODE_MODULES / "typescript" / "bin" / "tsc"
NODE = shutil.which("node")
# tsc's diagnostics read `path(line,col): error TSnnnn: message`.
DIAGNOSTIC = re.compile(
    r"^(?P<file>[^\s(]+)\((?P<line>\d+),\d+\): error (?P<code>TS\d+)"
)
EXPECTED = re.compile(r"// tsc rejects: (?P<code>TS\d+)")


def _guide_section():
    """docs/api.md's TypeScript section: its commands and its example."""
    guide = API_GUIDE.read_text()
    start = guide.index("### TypeScript (openapi-typescript + openapi-fetch)")
    section = guide[start : guide.index("\n### ", start + 1)]
    commands = re.search(r"```sh\n(.*?)```", section, re.S)[1]
    example = re.search(r"```ts\n(.*?)```", section, re.S)[1]
    return commands, example


@dataclass
class Compiled:
    work: Path
    flow: subprocess.CompletedProcess
    must_fail: subprocess.CompletedProcess


def _node_major():
    version = subprocess.run(
        [NODE, "--version"], capture_output=True, text=True, check=True
    ).stdout
    return int(version.lstrip("v").split(".")[0])


def _require_tools():
    if NODE is None:
        missing = "node is not installed (apt-get install nodejs npm)"
    elif _node_major() < 20:
        missing = "node 20 or newer is needed (global fetch and crypto)"
    elif not all(path.exists() for path in (GENERATOR, TSC, HEY_API, REDOCLY)):
        missing = f"the npm tools are not installed: run `npm ci` in {CLIENT_DIR}"
    else:
        return
    if os.environ.get("CI") == "true":
        pytest.fail(f"CI=true but {missing}")
    pytest.skip(missing)


@pytest.fixture(scope="session")
def compiled(tmp_path_factory):
    """Generate the types into a copy of clients/typescript and run tsc twice
    at once: the flow (emitting JavaScript) and the must-fail files."""
    _require_tools()
    work = tmp_path_factory.mktemp("typescript")
    for name in ("package.json", "tsconfig.json", "tsconfig.must-fail.json"):
        shutil.copy(CLIENT_DIR / name, work / name)
    shutil.copytree(CLIENT_DIR / "must-fail", work / "must-fail")
    (work / "src").mkdir()
    shutil.copy(CLIENT_DIR / "src" / "guest-flow.ts", work / "src")
    # The guide's example compiles with the flow, against the same types.
    (work / "src" / "docs-example.ts").write_text(_guide_section()[1])
    (work / "node_modules").symlink_to(NODE_MODULES, target_is_directory=True)

    subprocess.run(
        [NODE, str(GENERATOR), str(SCHEMA_FILE), "-o", "src/doceamor.d.ts"],
        cwd=work,
        check=True,
        capture_output=True,
        timeout=120,
    )
    runs = [
        subprocess.Popen(
            [NODE, str(TSC), "-p", config, "--pretty", "false"],
            cwd=work,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
        )
        for config in ("tsconfig.json", "tsconfig.must-fail.json")
    ]
    results = []
    for run in runs:
        output, _ = run.communicate(timeout=180)
        results.append(subprocess.CompletedProcess(run.args, run.returncode, output))
    return Compiled(work, *results)


def test_the_guest_flow_type_checks_under_strict(compiled):
    config = json.loads((CLIENT_DIR / "tsconfig.json").read_text())
    assert config["compilerOptions"]["strict"] is True
    assert config["compilerOptions"]["noEmitOnError"] is True
    assert compiled.flow.returncode == 0, compiled.flow.stdout
    assert compiled.flow.stdout == ""
    generated = (compiled.work / "src" / "doceamor.d.ts").read_text()
    assert '"/api/bookings/{id}/verify-payment/"' in generated
    assert (compiled.work / "dist" / "guest-flow.js").exists()
    assert (compiled.work / "dist" / "docs-example.js").exists()

    flow = (CLIENT_DIR / "src" / "guest-flow.ts").read_text()
    # The check means something only if nothing in the flow switches it off.
    for escape in (": any", "as any", "<any>", "as unknown as", "@ts-", "!."):
        assert escape not in flow, escape


def test_the_guide_installs_the_pinned_versions():
    package = json.loads((CLIENT_DIR / "package.json").read_text())
    pinned = {**package["dependencies"], **package["devDependencies"]}
    commands, _ = _guide_section()
    installed = dict(re.findall(r"\b([a-z][\w-]*)@(\d[\w.-]*)", commands))
    assert installed == {
        name: version
        for name, version in pinned.items()
        if name != "@types/node" and name not in OTHER_TOOLS
    }
    lock = json.loads((CLIENT_DIR / "package-lock.json").read_text())["packages"]
    for name, version in pinned.items():
        assert lock[f"node_modules/{name}"]["version"] == version


def test_tsc_rejects_each_must_fail_file_where_it_says(compiled):
    expected = set()
    for path in sorted((CLIENT_DIR / "must-fail").glob("*.ts")):
        for number, line in enumerate(path.read_text().splitlines(), start=1):
            if marker := EXPECTED.search(line):
                expected.add((f"must-fail/{path.name}", number, marker["code"]))
    assert {name for name, _, _ in expected} == {
        "must-fail/string-id.ts",
        "must-fail/missing-field.ts",
        "must-fail/unknown-error-code.ts",
        "must-fail/staff-field-for-guests.ts",
        "must-fail/public-audience-staff-field.ts",
        "must-fail/unknown-code-for-operation.ts",
    }
    found = {
        (match["file"], int(match["line"]), match["code"])
        for match in map(DIAGNOSTIC.match, compiled.must_fail.stdout.splitlines())
        if match
    }
    assert compiled.must_fail.returncode != 0
    # Exactly the marked errors: none missing, and no other error (say a bad
    # import) that would make a file fail for the wrong reason.
    assert found == expected, compiled.must_fail.stdout
    assert "Type 'string' is not assignable to type 'number'" in (
        compiled.must_fail.stdout
    )


@pytest.mark.django_db(transaction=True)
def test_the_compiled_flow_runs_against_a_live_server(
    compiled, live_server, service, slot
):
    desk = StaffUserFactory(role="desk")
    _, token = AuthToken.objects.create(user=desk)
    ran = subprocess.run(
        [NODE, str(compiled.work / "dist" / "guest-flow.js")],
        env={
            **os.environ,
            "DOCEAMOR_BASE_URL": live_server.url,
            "DOCEAMOR_SERVICE_ID": str(service.pk),
            "DOCEAMOR_DATE": timezone.localdate(slot.start_time).isoformat(),
            "DOCEAMOR_STAFF_TOKEN": token,
        },
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert ran.returncode == 0, ran.stderr
    result = json.loads(ran.stdout)

    cancelled = Booking.objects.get(reference=result["cancelledReference"])
    verified = Booking.objects.get(pk=result["verifiedId"])
    assert result == {
        "serviceName": service.name,
        "slotId": slot.pk,
        "cancelledReference": cancelled.reference,
        "replayed": True,
        "takenCode": "slot_unavailable",
        "anonymousVerifyCode": "not_authenticated",
        "verifiedId": verified.pk,
        "verifiedBy": desk.username,
        "verifiedStatus": "confirmed",
    }
    assert cancelled.status == Booking.Status.CANCELLED
    assert cancelled.cancel_reason == "Plans changed"
    assert verified.status == Booking.Status.CONFIRMED
    assert verified.payment_verified_by == desk
    assert verified.availability_id == slot.pk
    assert Availability.objects.get(pk=slot.pk).is_booked
    assert Booking.objects.count() == 2


@pytest.fixture(scope="session")
def hey_api(tmp_path_factory):
    """Issue 34: the SDK @hey-api/openapi-ts generates (zod validators, dates
    with offsets) from docs/openapi.yaml, and hey-api/flow.ts compiled with it
    under tsconfig.hey-api.json ("strict": true)."""
    _require_tools()
    work = tmp_path_factory.mktemp("hey-api")
    for name in ("package.json", "openapi-ts.config.mjs", "tsconfig.hey-api.json"):
        shutil.copy(CLIENT_DIR / name, work / name)
    (work / "hey-api").mkdir()
    shutil.copy(CLIENT_DIR / "hey-api" / "flow.ts", work / "hey-api")
    (work / "node_modules").symlink_to(NODE_MODULES, target_is_directory=True)
    config = ["-f", "openapi-ts.config.mjs", "-i", str(SCHEMA_FILE)]
    subprocess.run(
        [NODE, str(HEY_API), *config],
        cwd=work,
        check=True,
        capture_output=True,
        timeout=180,
    )
    compiled = subprocess.run(
        [NODE, str(TSC), "-p", "tsconfig.hey-api.json", "--pretty", "false"],
        cwd=work,
        capture_output=True,
        text=True,
        timeout=180,
    )
    return work, compiled


def test_the_hey_api_sdk_types_ids_as_numbers_and_compiles_strict(hey_api):
    work, compiled = hey_api
    config = json.loads((CLIENT_DIR / "tsconfig.hey-api.json").read_text())
    assert config["compilerOptions"]["strict"] is True
    assert compiled.returncode == 0, compiled.stdout
    generated = work / "hey-api" / "generated"
    types = (generated / "types.gen.ts").read_text()
    validators = (generated / "zod.gen.ts").read_text()
    for text in (types, validators):
        assert "bigint" not in text.lower()
    # The create body's ids: numbers, bounded where a JavaScript number is exact.
    create = re.search(
        r"export const zBookingCreateRequest = z\.object\(\{(.*?)\}\)", validators, re.S
    )[1]
    assert "service: z.int().gte(1).lte(9007199254740991)" in create
    assert "z.iso.datetime({ offset: true })" in validators
    assert (work / "dist-hey-api" / "flow.js").exists()


@pytest.mark.django_db(transaction=True)
def test_the_hey_api_flow_books_with_numeric_ids_against_a_live_server(
    hey_api, live_server, service, slot
):
    work, compiled = hey_api
    assert compiled.returncode == 0, compiled.stdout
    desk = StaffUserFactory(role="desk")
    _, token = AuthToken.objects.create(user=desk)
    ran = subprocess.run(
        [NODE, str(work / "dist-hey-api" / "flow.js")],
        env={
            **os.environ,
            "DOCEAMOR_BASE_URL": live_server.url,
            "DOCEAMOR_SERVICE_ID": str(service.pk),
            "DOCEAMOR_DATE": timezone.localdate(slot.start_time).isoformat(),
            "DOCEAMOR_STAFF_TOKEN": token,
        },
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert ran.returncode == 0, ran.stderr
    result = json.loads(ran.stdout)
    booking = Booking.objects.get(pk=result["bookingId"])
    # The server refuses ids sent as strings: the booking is the proof that
    # the SDK sent numbers.
    assert result["slotId"] == slot.pk == booking.availability_id
    assert result["idType"] == "number"
    assert result["lookedUp"] == booking.reference
    assert result["verifiedStatus"] == "confirmed"
    booking.refresh_from_db()
    assert booking.status == Booking.Status.CONFIRMED
    assert booking.payment_verified_by == desk


def test_redocly_lint_finds_nothing_with_the_committed_config():
    """The recommended rules, less the two redocly.yaml turns off with its
    reasons: no error and no warning."""
    _require_tools()
    linted = subprocess.run(
        [NODE, str(REDOCLY), "lint", str(SCHEMA_FILE), "--config", "redocly.yaml"],
        cwd=ROOT,
        env={
            **os.environ,
            "REDOCLY_TELEMETRY": "off",
            "REDOCLY_SUPPRESS_UPDATE_NOTICE": "true",
        },
        capture_output=True,
        text=True,
        timeout=180,
    )
    output = linted.stdout + linted.stderr
    assert linted.returncode == 0, output
    assert "Your API description is valid" in output
    assert "warning" not in output.lower().replace("deprecation warning", "")
