"""The direction of the house, checked by reading the imports.

The shared core depends on no app. The booking core (services, staff,
availability, bookings) depends on nothing that listens to it: bookings
announces its events, and notifications, payments and every later
side-effect app listen (docs/architecture.md). A new app is added to
`ALLOWED_APP_IMPORTS` with the apps it may import.
"""

import ast
from pathlib import Path

BACKEND = Path(__file__).resolve().parents[2]
COMMON = BACKEND / "common"
APPS = BACKEND / "apps"

# Which apps each app's own code may import (tests and migrations aside).
ALLOWED_APP_IMPORTS = {
    # The business's own settings (name, account, sender): read by all,
    # imports no app.
    "business": set(),
    "services": set(),
    "staff": {"services"},
    "availability": {"services", "staff"},
    "ratelimits": set(),
    "bookings": {"availability", "services", "staff", "ratelimits", "business"},
    # The business calendar: writes slots through availability, cancels
    # bookings through bookings' services; announces, never calls, the rest.
    "schedules": {"availability", "bookings", "services", "staff"},
    "notifications": {
        "bookings",
        "availability",
        "schedules",
        "services",
        "staff",
        "business",
    },
    "payments": {"bookings", "availability", "services", "staff"},
    # Listens to bookings' and payments' events; emails the managers through
    # notifications' public service for staff alerts.
    "webhooks": {
        "bookings",
        "payments",
        "notifications",
        "availability",
        "services",
        "staff",
    },
    # Listens to booking events; holds slots through availability, books
    # through bookings' services, emails through notifications' public
    # service for guest emails. Nothing of the booking core imports it.
    "waitlist": {
        "availability",
        "bookings",
        "notifications",
        "ratelimits",
        "services",
        "staff",
    },
    # Reads bookings and payments; writes nothing.
    "exports": {"bookings", "payments", "availability", "services", "staff"},
    # Personal data: reads bookings and every app that copies a guest's data,
    # and overwrites it there (through webhooks' own redaction hook).
    "privacy": {
        "bookings",
        "waitlist",
        "ratelimits",
        "notifications",
        "payments",
        "webhooks",
        "availability",
        "services",
        "staff",
    },
    "frontend": {"business"},
}


def _imported_modules(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(), filename=str(path))
    modules = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            modules.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            modules.add(node.module)
    return modules


def _code_modules(root: Path):
    for path in root.rglob("*.py"):
        parts = path.relative_to(root).parts
        if "tests" not in parts and "migrations" not in parts:
            yield path


def app_imports(app: str) -> dict[str, set[str]]:
    """The other apps each module of `app` imports, by module path."""
    found = {}
    for path in _code_modules(APPS / app):
        others = {
            module.split(".")[1]
            for module in _imported_modules(path)
            if module.startswith("apps.") and module.split(".")[1] != app
        }
        if others:
            found[str(path.relative_to(BACKEND))] = others
    return found


def test_common_imports_no_app():
    offenders = {
        f"{path.relative_to(COMMON)}: {module}"
        for path in _code_modules(COMMON)
        for module in _imported_modules(path)
        if module == "apps" or module.startswith("apps.")
    }
    assert offenders == set()


def test_every_app_is_in_the_map():
    apps = {path.name for path in APPS.iterdir() if (path / "apps.py").exists()}
    assert apps == set(ALLOWED_APP_IMPORTS)


def test_each_app_imports_only_what_the_map_allows():
    offenders = {
        f"{module}: {sorted(others - ALLOWED_APP_IMPORTS[app])}"
        for app in ALLOWED_APP_IMPORTS
        for module, others in app_imports(app).items()
        if others - ALLOWED_APP_IMPORTS[app]
    }
    assert offenders == set()


def test_bookings_imports_no_side_effect_app():
    side_effect_apps = set(ALLOWED_APP_IMPORTS) - {
        "availability",
        "services",
        "staff",
        "ratelimits",
        "business",
    }
    imported = set().union(*app_imports("bookings").values())
    assert imported & side_effect_apps == set()
    assert {
        "notifications",
        "payments",
        "webhooks",
        "exports",
        "privacy",
        "waitlist",
    } <= side_effect_apps


def test_payments_and_notifications_import_no_webhooks():
    """Webhooks listen to payments and call notifications, never the reverse."""
    for app in ("payments", "notifications"):
        imported = set().union(*app_imports(app).values())
        assert "webhooks" not in imported and "exports" not in imported


def test_no_booking_core_app_imports_schedules():
    """bookings never imports the calendar; nor does anything it builds on."""
    for app in ("services", "staff", "availability", "bookings"):
        assert not any("schedules" in others for others in app_imports(app).values())


def test_schedules_imports_no_side_effect_app():
    imported = set().union(*app_imports("schedules").values())
    assert "notifications" not in imported and "payments" not in imported


def test_availability_imports_nothing_from_bookings():
    assert not any(
        "bookings" in others for others in app_imports("availability").values()
    )


def test_the_check_sees_an_app_import(tmp_path):
    sample = tmp_path / "sample.py"
    sample.write_text("def f():\n    from apps.bookings import models\n")
    assert _imported_modules(sample) == {"apps.bookings"}


MAX_MODULE_LINES = 500
PROJECT = BACKEND.parent


def _project_code_modules():
    """Every Python module of the project's own code: backend and scripts."""
    for root in (BACKEND, PROJECT / "scripts"):
        yield from _code_modules(root)


def test_no_code_module_is_over_500_lines():
    """A longer module is doing several jobs (CONVENTIONS: split it by job)."""
    long_modules = {
        str(path.relative_to(PROJECT)): lines
        for path in _project_code_modules()
        if (lines := len(path.read_text().splitlines())) > MAX_MODULE_LINES
    }
    assert long_modules == {}


def test_the_length_check_sees_settings_and_scripts():
    seen = {str(path.relative_to(PROJECT)) for path in _project_code_modules()}
    assert "backend/config/settings/base.py" in seen
    assert "scripts/cluster/faults.py" in seen
