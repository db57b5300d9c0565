"""Production settings: secrets from the environment, Django's deploy checks."""

import os
import secrets
import subprocess
import sys
from pathlib import Path

import pytest
from django.conf import settings

PROJECT_DIR = Path(settings.PROJECT_DIR)

# The environment docs/operations.md documents for production.
PRODUCTION_ENV = {
    "DJANGO_SECRET_KEY": secrets.token_urlsafe(50),
    "DJANGO_ALLOWED_HOSTS": "booking.example.com",
    "DJANGO_CSRF_TRUSTED_ORIGINS": "https://booking.example.com",
    "DATABASE_URL": "postgres://doceamor:secret@127.0.0.1:5432/doceamor",
    "CORS_ALLOWED_ORIGINS": "https://www.example.com",
    "EMAIL_HOST": "smtp.example.com",
}


def manage(*args, env):
    clean = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith(("DJANGO_", "DATABASE_", "BOOKING_"))
    }
    return subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=PROJECT_DIR,
        env={**clean, **env},
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_deploy_check_is_clean_with_the_documented_environment():
    result = manage(
        "check", "--deploy", "--settings=config.settings.prod", env=PRODUCTION_ENV
    )
    assert result.returncode == 0, result.stderr
    assert "System check identified no issues (0 silenced)." in result.stdout
    assert "WARNINGS" not in result.stdout + result.stderr


@pytest.mark.parametrize("missing", ["DJANGO_SECRET_KEY"])
def test_production_refuses_to_start_without_its_secret(missing):
    env = {k: v for k, v in PRODUCTION_ENV.items() if k != missing}
    result = manage("check", "--settings=config.settings.prod", env=env)
    assert result.returncode != 0
    assert f"Set the {missing} environment variable." in result.stderr


def test_production_settings_are_hardened():
    result = manage(
        "shell",
        "--no-imports",
        "--settings=config.settings.prod",
        "-c",
        "from django.conf import settings as s; print(s.DEBUG, s.SECURE_SSL_REDIRECT,"
        " s.SESSION_COOKIE_SECURE, s.CSRF_COOKIE_SECURE, s.SECURE_HSTS_SECONDS > 0,"
        " s.EMAIL_BACKEND, s.BOOKING_DEMO_STAFF_USER,"
        " s.BOOKING_WEBHOOK_REQUIRE_HTTPS, s.BOOKING_WEBHOOK_ALLOW_PRIVATE)",
        env=PRODUCTION_ENV,
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == [
        "False",
        "True",
        "True",
        "True",
        "True",
        "django.core.mail.backends.smtp.EmailBackend",
        "False",
        "True",
        "False",
    ]


@pytest.mark.django_db
def test_an_error_never_shows_a_stack_trace(client, monkeypatch):
    from apps.services import views

    def explode(self):
        raise ZeroDivisionError("secret internals")

    monkeypatch.setattr(views.ServiceViewSet, "get_queryset", explode)
    client.raise_request_exception = False
    response = client.get("/api/services/")
    assert response.status_code == 500
    assert response.json() == {
        "code": "server_error",
        "detail": "Something went wrong on our side.",
    }
    assert b"secret internals" not in response.content
    assert b"Traceback" not in response.content


@pytest.mark.parametrize(
    ("name", "value", "message"),
    [
        ("BOOKING_PHONE_REGION", "XX", "is not a region code"),
        ("BOOKING_GUEST_PAGE", "maybe", "must be a boolean"),
        ("BOOKING_SLOT_HORIZON_DAYS", "367", "must be at most 366"),
        ("BOOKING_SLOT_HORIZON_DAYS", "0", "must be at least 1"),
    ],
)
def test_bad_guest_settings_stop_the_start(name, value, message):
    result = manage("check", env={name: value})
    assert result.returncode != 0
    assert message in result.stderr


@pytest.fixture(scope="module")
def migrated_database(tmp_path_factory):
    """A database of its own, migrated: the guest page reads the business
    settings, and the project's dev database may be missing or older."""
    url = f"sqlite:///{tmp_path_factory.mktemp('guest-page') / 'db.sqlite3'}"
    result = manage("migrate", "--no-input", env={"DATABASE_URL": url})
    assert result.returncode == 0, result.stderr
    return url


@pytest.mark.parametrize(("value", "status"), [("0", "404"), ("1", "200")])
def test_the_guest_page_setting_turns_it_off(value, status, migrated_database):
    code = (
        "from django.test import Client; "
        "print(Client(HTTP_HOST='localhost').get('/').status_code)"
    )
    result = manage(
        "shell",
        "-c",
        code,
        env={"BOOKING_GUEST_PAGE": value, "DATABASE_URL": migrated_database},
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.split()[-1] == status
