"""Issue 20: hostile input is a 4xx, staff logins resist guessing, headers."""

import json
from datetime import timedelta

import pytest
from django.core.management import CommandError, call_command
from django.test import override_settings
from django.utils import timezone
from rest_framework.test import APIClient

from apps.availability.models import Availability
from apps.bookings.models import Booking
from apps.bookings.tests.factories import StaffUserFactory
from common.http import client_identity
from common.tests.assertions import assert_error

pytestmark = pytest.mark.django_db


# --- client errors are 4xx, in JSON ------------------------------------------------


def test_deeply_nested_json_is_a_400_not_a_recursion_error(api_client):
    body = "[" * 100_000 + "]" * 100_000
    response = api_client.post(
        "/api/bookings/", data=body, content_type="application/json"
    )
    assert_error(response, 400, "parse_error")
    assert not Booking.objects.exists()


def test_json_nested_past_the_limit_is_refused_and_within_it_is_not(
    api_client, guest_payload, settings
):
    settings.BOOKING_MAX_JSON_DEPTH = 4
    too_deep = {**guest_payload, "notes": [[[["x"]]]]}
    response = api_client.post(
        "/api/bookings/", data=json.dumps(too_deep), content_type="application/json"
    )
    assert_error(response, 400, "parse_error")
    response = api_client.post(
        "/api/bookings/",
        data=json.dumps(guest_payload),
        content_type="application/json",
    )
    assert response.status_code == 201, response.content


@pytest.mark.parametrize(
    "url",
    [
        "/api/availability/?date=9999-12-31",
        "/api/bookings/availability/?date=9999-12-31",
        "/api/availability/?date=0001-01-01",
        "/api/bookings/availability/days/?from=9999-12-30&to=9999-12-31",
        "/api/bookings/availability/days/?from=0001-01-01&to=0001-01-02",
    ],
)
def test_dates_outside_the_calendar_are_field_errors(api_client, url):
    body = assert_error(api_client.get(url), 400, "invalid")
    assert {"date", "from", "to"} & set(body["errors"])


def test_staff_date_filters_refuse_far_dates(staff_client):
    for url in ("/api/bookings/?date=9999-12-31", "/api/availability/?date=1999-1-1"):
        body = assert_error(staff_client.get(url), 400, "invalid")
        assert "date" in body["errors"]


def test_a_slot_in_year_9999_cannot_be_made(staff_client, staff_member, api_client):
    response = staff_client.post(
        "/api/availability/",
        {
            "staff": staff_member.pk,
            "start_time": "9999-12-31T10:00:00Z",
            "end_time": "9999-12-31T11:00:00Z",
        },
    )
    body = assert_error(response, 400, "date_out_of_range")
    assert "start_time" in body["errors"]
    assert not Availability.objects.filter(start_time__year=9999).exists()
    assert api_client.get("/api/availability/").status_code == 200


def test_the_date_range_is_configurable(staff_client, staff_member, settings):
    settings.BOOKING_MAX_YEARS_AHEAD = 1
    start = timezone.now() + timedelta(days=800)
    response = staff_client.post(
        "/api/availability/",
        {
            "staff": staff_member.pk,
            "start_time": start.isoformat(),
            "end_time": (start + timedelta(hours=1)).isoformat(),
        },
    )
    assert_error(response, 400, "date_out_of_range")


def test_create_slots_refuses_far_dates(staff_member):
    with pytest.raises(CommandError, match="Slots can be made from"):
        call_command(
            "create_slots",
            "--staff",
            str(staff_member.pk),
            "--from",
            "9999-12-01",
            "--to",
            "9999-12-02",
            "--between",
            "09:00-10:00",
            "--every",
            "60",
        )


def test_a_body_over_the_upload_limit_is_a_json_413(api_client, guest_payload):
    body = json.dumps({**guest_payload, "notes": "x" * 3_000_000})
    response = api_client.post(
        "/api/bookings/", data=body, content_type="application/json"
    )
    assert_error(response, 413, "request_too_large")
    assert response["Content-Type"] == "application/json"


def test_a_form_body_on_a_json_endpoint_is_a_415(api_client):
    """Issue 19: JSON endpoints take JSON only, as the schema says."""
    form = "&".join(f"field{i}=1" for i in range(1500))
    response = api_client.post(
        "/api/bookings/", data=form, content_type="application/x-www-form-urlencoded"
    )
    assert_error(response, 415, "unsupported_media_type")
    assert not Booking.objects.exists()


def test_too_many_multipart_fields_is_a_json_400():
    """The one multipart endpoint (a statement upload) still caps its fields."""
    from django.contrib.auth.models import Permission

    user = StaffUserFactory()
    user.user_permissions.set(
        Permission.objects.filter(codename="import_bank_statement")
    )
    client = APIClient()
    client.force_authenticate(user)
    response = client.post(
        "/api/payments/imports/",
        data={f"field{i}": "1" for i in range(1500)},
        format="multipart",
    )
    assert_error(response, 400, "too_many_fields")


# --- clients -------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("remote_addr", "forwarded_for", "num_proxies", "expected"),
    [
        ("203.0.113.7", "", 0, "203.0.113.7"),
        ("203.0.113.7", "198.51.100.1", 0, "203.0.113.7"),  # XFF not trusted
        ("10.0.0.1", "198.51.100.1", 1, "198.51.100.1"),
        ("10.0.0.1", "6.6.6.6, 198.51.100.1", 1, "198.51.100.1"),  # forged left
        ("2001:db8:1:2:aaaa::1", "", 0, "2001:db8:1:2::/64"),
        ("2001:db8:1:2:bbbb::9", "", 0, "2001:db8:1:2::/64"),
        ("::ffff:203.0.113.7", "", 0, "203.0.113.7"),
    ],
)
def test_clients_are_told_apart_by_address_and_ipv6_slash_64(
    rf, settings, remote_addr, forwarded_for, num_proxies, expected
):
    settings.REST_FRAMEWORK = {**settings.REST_FRAMEWORK, "NUM_PROXIES": num_proxies}
    request = rf.get("/", REMOTE_ADDR=remote_addr, HTTP_X_FORWARDED_FOR=forwarded_for)
    assert client_identity(request) == expected


# --- staff logins --------------------------------------------------------------------


@pytest.fixture
def desk_user(db):
    return StaffUserFactory(username="desk", password="correct-horse-battery")


def admin_login(client, username, password, address="203.0.113.5"):
    return client.post(
        "/admin/login/?next=/admin/",
        {"username": username, "password": password},
        REMOTE_ADDR=address,
    )


@pytest.mark.parametrize(
    "login_url", ["/admin/login/?next=/admin/", "/api-auth/login/?next=/api/"]
)
def test_password_guessing_is_locked_out_then_the_right_password_fails_too(
    client, desk_user, login_url
):
    for _ in range(5):
        response = client.post(
            login_url, {"username": "desk", "password": "guess"}, REMOTE_ADDR="1.2.3.4"
        )
        assert response.status_code in (200, 429)
    response = client.post(
        login_url,
        {"username": "desk", "password": "correct-horse-battery"},
        REMOTE_ADDR="1.2.3.4",
    )
    assert response.status_code == 429
    assert "_auth_user_id" not in client.session
    assert "Too many failed sign-in attempts" in response.content.decode()
    assert response["Retry-After"] == "900"


def test_the_lockout_message_is_the_same_for_unknown_users(client, desk_user):
    pages = []
    for username in ("desk", "nobody-here"):
        for _ in range(6):
            response = admin_login(client, username, "guess")
        pages.append(response.content.decode().replace(username, "USER"))
    assert pages[0] == pages[1]


def test_a_guesser_elsewhere_does_not_lock_out_the_real_user(client, desk_user):
    for _ in range(6):
        admin_login(client, "desk", "guess", address="6.6.6.6")
    response = admin_login(client, "desk", "correct-horse-battery", "203.0.113.5")
    assert response.status_code == 302
    assert client.session["_auth_user_id"] == str(desk_user.pk)


def test_fewer_failures_than_the_limit_still_let_the_user_in(client, desk_user):
    for _ in range(4):
        admin_login(client, "desk", "typo")
    response = admin_login(client, "desk", "correct-horse-battery")
    assert response.status_code == 302


def test_a_manager_unlocks_a_login_in_the_admin(client, desk_user, admin_client):
    for _ in range(5):
        admin_login(client, "desk", "guess")
    assert admin_login(client, "desk", "correct-horse-battery").status_code == 429
    changelist = admin_client.get("/admin/axes/accessattempt/")
    assert changelist.status_code == 200
    assert "desk" in changelist.content.decode()
    call_command("axes_reset_username", "desk")
    assert admin_login(client, "desk", "correct-horse-battery").status_code == 302


@override_settings(AXES_FAILURE_LIMIT=2)
def test_the_failure_limit_is_a_setting(client, desk_user):
    for _ in range(2):
        admin_login(client, "desk", "guess")
    assert admin_login(client, "desk", "correct-horse-battery").status_code == 429


# --- headers -------------------------------------------------------------------------


@pytest.mark.parametrize("url", ["/api/services/", "/admin/login/", "/api/docs/"])
def test_pages_carry_a_strict_csp_and_permissions_policy(client, url):
    response = client.get(url)
    csp = response["Content-Security-Policy"]
    assert "default-src 'self'" in csp
    assert (
        "script-src 'self'" in csp
        and "unsafe-inline" not in csp.split("script-src")[1].split(";")[0]
    )
    assert "frame-ancestors 'none'" in csp
    assert "camera=()" in response["Permissions-Policy"]
    assert response["X-Frame-Options"] == "DENY"


def test_static_files_are_frame_protected(client):
    response = client.get("/static/admin/css/base.css")
    assert response.status_code == 200
    assert response["X-Frame-Options"] == "DENY"
    assert "frame-ancestors 'none'" in response["Content-Security-Policy"]


def test_an_unknown_api_path_is_json_whatever_the_client(api_client):
    response = APIClient().get("/api/no-such-thing/", HTTP_ACCEPT="text/html")
    assert response.status_code == 404
    assert response["Content-Type"] == "application/json"
