"""Roles: the groups the migration keeps, createstaffuser, the demo logins."""

import io
import re

import pytest
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.core.management import CommandError, call_command
from rest_framework.test import APIClient

from apps.staff import roles

pytestmark = pytest.mark.django_db
User = get_user_model()


def group_permissions(name):
    return {
        f"{app}.{codename}"
        for app, codename in Group.objects.get(name=name).permissions.values_list(
            "content_type__app_label", "codename"
        )
    }


def test_the_migration_created_both_groups_from_the_table():
    # The test database is built by the migrations, so this is their result.
    for name, wanted in roles.ROLE_PERMISSIONS.items():
        assert group_permissions(name) == wanted


def test_every_permission_in_the_table_exists():
    roles.sync_role_groups(strict=True)


def test_sync_restores_a_tampered_group():
    group = Group.objects.get(name=roles.FRONT_DESK)
    group.permissions.clear()
    roles.sync_role_groups()
    assert (
        group_permissions(roles.FRONT_DESK) == roles.ROLE_PERMISSIONS[roles.FRONT_DESK]
    )


def test_the_desk_is_a_subset_of_the_manager():
    desk = roles.ROLE_PERMISSIONS[roles.FRONT_DESK]
    manager = roles.ROLE_PERMISSIONS[roles.MANAGER]
    assert desk < manager
    assert "services.change_service" not in desk
    assert "bookings.delete_booking" not in desk


def run(*args, stdin=None, monkeypatch=None):
    out = io.StringIO()
    if stdin is not None:
        monkeypatch.setattr("sys.stdin", io.StringIO(stdin))
    call_command("createstaffuser", *args, stdout=out)
    return out.getvalue()


def test_createstaffuser_creates_then_updates(monkeypatch):
    output = run("maria", "--role", "desk", "--email", "maria@example.com")
    password = output.split("Password: ")[1].split()[0]
    user = User.objects.get(username="maria")
    assert user.is_staff and not user.is_superuser
    assert user.check_password(password)
    assert list(user.groups.values_list("name", flat=True)) == [roles.FRONT_DESK]
    assert user.email == "maria@example.com"

    # Idempotent: rerunning changes the role, keeps the password, prints none.
    output = run("maria", "--role", "manager")
    assert "Password" not in output
    user.refresh_from_db()
    assert user.check_password(password)
    assert list(user.groups.values_list("name", flat=True)) == [roles.MANAGER]
    assert user.has_perm("services.change_service")


def test_createstaffuser_password_stdin_and_token(monkeypatch):
    output = run(
        "joao",
        "--role",
        "manager",
        "--password-stdin",
        "--token",
        stdin="a-long-enough-pass-phrase\n",
        monkeypatch=monkeypatch,
    )
    user = User.objects.get(username="joao")
    assert user.check_password("a-long-enough-pass-phrase")
    assert "a-long-enough-pass-phrase" not in output
    key = re.search(r"API token: (\w+)", output).group(1)
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {key}")
    assert client.get("/api/bookings/").status_code == 200


def test_createstaffuser_refuses_a_weak_or_empty_password(monkeypatch):
    for weak in ("\n", "123\n"):
        with pytest.raises(CommandError):
            run(
                "ana",
                "--role",
                "desk",
                "--password-stdin",
                stdin=weak,
                monkeypatch=monkeypatch,
            )
    assert not User.objects.filter(username="ana").exists()


def test_createstaffuser_rejects_an_unknown_role():
    with pytest.raises(CommandError):
        run("x", "--role", "owner")


def test_seed_demo_creates_one_login_per_role(settings):
    settings.BOOKING_DEMO_STAFF_USER = True
    out = io.StringIO()
    call_command("seed_demo", "--days", "1", stdout=out)
    assert "Front desk user 'demo-desk'" in out.getvalue()
    assert "Manager user 'demo-manager'" in out.getvalue()
    desk = User.objects.get(username="demo-desk")
    manager = User.objects.get(username="demo-manager")
    assert desk.has_perm("bookings.verify_payment")
    assert not desk.has_perm("services.change_service")
    assert manager.has_perm("services.change_service")
