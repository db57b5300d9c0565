"""Issue 26: staff API tokens are stored hashed, expire and can be revoked."""

import io
import os
import re
import shutil
import subprocess
from datetime import timedelta
from pathlib import Path

import pytest
from django.core.management import call_command
from django.db import connection
from django.utils import timezone
from knox.models import AuthToken
from rest_framework.test import APIClient

from apps.bookings.tests.factories import StaffUserFactory
from apps.staff.tokens import LEGACY_TABLE, legacy_tokens_migrate


def pg_dump() -> str:
    """The newest installed pg_dump (Debian keeps one per server version)."""
    installed = sorted(
        Path("/usr/lib/postgresql").glob("*/bin/pg_dump"),
        key=lambda path: int(path.parts[-3]) if path.parts[-3].isdigit() else 0,
    )
    found = str(installed[-1]) if installed else shutil.which("pg_dump")
    assert found, "pg_dump is needed: apt-get install postgresql-client"
    return found


def issue_token(username="tok-desk") -> str:
    out = io.StringIO()
    call_command("createstaffuser", username, "--role", "desk", "--token", stdout=out)
    return re.search(r"API token: (\w+) \(shown only this once", out.getvalue())[1]


def status_with(key: str) -> int:
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {key}")
    return client.get("/api/bookings/").status_code


def text_in_any_column(needle: str) -> list[str]:
    """Every table and text column whose value contains `needle`."""
    found = []
    introspection = connection.introspection
    with connection.cursor() as cursor:
        for table in introspection.table_names(cursor):
            for column in introspection.get_table_description(cursor, table):
                quoted_table = connection.ops.quote_name(table)
                quoted = connection.ops.quote_name(column.name)
                cursor.execute(
                    f"SELECT 1 FROM {quoted_table} "
                    f"WHERE CAST({quoted} AS TEXT) LIKE %s LIMIT 1",
                    [f"%{needle}%"],
                )
                if cursor.fetchone():
                    found.append(f"{table}.{column.name}")
    return found


def _make_legacy_table(key: str, user_id: int):
    with connection.cursor() as cursor:
        cursor.execute(
            f"CREATE TABLE {LEGACY_TABLE} (key varchar(40) PRIMARY KEY, "
            "created timestamp NOT NULL, user_id integer NOT NULL)"
        )
        cursor.execute(
            f"INSERT INTO {LEGACY_TABLE} VALUES (%s, %s, %s)",
            [key, timezone.now().replace(tzinfo=None), user_id],
        )


@pytest.mark.django_db
def test_an_issued_token_works_and_is_stored_nowhere_in_the_clear():
    key = issue_token()
    assert status_with(key) == 200
    assert status_with(key[:-1] + ("0" if key[-1] != "0" else "1")) == 401
    assert text_in_any_column(key) == []
    assert text_in_any_column(key[20:40]) == []


@pytest.mark.django_db
def test_a_token_expires(settings):
    key = issue_token()
    token = AuthToken.objects.get()
    assert token.expiry > timezone.now() + timedelta(days=89)
    AuthToken.objects.update(expiry=timezone.now() - timedelta(seconds=1))
    assert status_with(key) == 401


@pytest.mark.django_db
def test_revoking_ends_a_token_at_once_and_a_new_one_can_be_issued():
    key = issue_token("tok-a")
    other = issue_token("tok-b")
    out = io.StringIO()
    call_command("revokestafftokens", "tok-a", stdout=out)
    assert "Revoked 1 API tokens." in out.getvalue()
    assert status_with(key) == 401
    assert status_with(other) == 200
    assert status_with(issue_token("tok-a")) == 200


@pytest.mark.django_db
def test_plain_text_tokens_from_before_are_hashed_and_keep_working():
    user = StaffUserFactory(role="desk")
    legacy_key = "0123456789abcdef0123456789abcdef01234567"
    _make_legacy_table(legacy_key, user.pk)
    assert legacy_tokens_migrate() == 1
    assert LEGACY_TABLE not in connection.introspection.table_names()
    assert status_with(legacy_key) == 200
    assert text_in_any_column(legacy_key) == []
    assert AuthToken.objects.get().expiry > timezone.now() + timedelta(days=89)


@pytest.mark.postgresql_only
@pytest.mark.django_db(transaction=True)
def test_pg_dump_holds_no_staff_token_in_the_clear():
    key = issue_token()
    user = StaffUserFactory(role="manager")
    legacy_key = "fedcba9876543210fedcba9876543210fedcba98"
    _make_legacy_table(legacy_key, user.pk)
    legacy_tokens_migrate()
    assert status_with(key) == 200 and status_with(legacy_key) == 200
    db = connection.settings_dict
    environment = {**os.environ, "PGPASSWORD": db.get("PASSWORD") or ""}
    dump = subprocess.run(
        [
            pg_dump(),
            "--data-only",
            "-h",
            db["HOST"] or "127.0.0.1",
            "-p",
            str(db["PORT"] or 5432),
            "-U",
            db["USER"],
            db["NAME"],
        ],
        capture_output=True,
        text=True,
        env=environment,
        check=True,
        timeout=120,
    ).stdout
    assert "knox_authtoken" in dump
    assert key not in dump and legacy_key not in dump
