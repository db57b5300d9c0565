"""The HTTP contract: plan section 6 API tests, permissions, lists, errors."""

import io
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from django.core.management import call_command
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from apps.availability.models import Availability
from apps.availability.tests.factories import AvailabilityFactory
from apps.bookings.models import Booking
from apps.bookings.tests.factories import BookingFactory, StaffUserFactory
from apps.services.models import Service
from apps.services.tests.factories import ServiceFactory
from apps.staff.models import Staff
from apps.staff.tests.factories import StaffFactory

Status = Booking.Status
pytestmark = pytest.mark.django_db


def book(client, payload, **overrides):
    return client.post("/api/bookings/", {**payload, **overrides}, format="json")


def assert_error(response, status_code, code):
    assert response.status_code == status_code, response.content
    body = response.json()
    assert body["code"] == code, body
    assert isinstance(body["detail"], str) and body["detail"]
    return body


@pytest.fixture
def booking(api_client, guest_payload):
    response = book(api_client, guest_payload)
    assert response.status_code == 201
    return Booking.objects.get(pk=response.json()["id"])


# --- plan 6, API tests ----------------------------------------------------------------


def test_guest_creates_a_booking_with_the_required_fields(api_client, guest_payload):
    response = book(api_client, guest_payload, notes="First visit")

    assert response.status_code == 201, response.content
    data = response.json()
    booking = Booking.objects.get(pk=data["id"])
    assert booking.customer_phone == guest_payload["customer_phone"]
    assert booking.notes == "First visit"
    assert booking.status == Status.AWAITING_PAYMENT
    assert booking.availability.is_booked
    assert booking.events.get().source == "guest"
    assert "events" not in data  # the audit trail is for staff


def test_create_returns_awaiting_payment_with_expiry_and_instructions(
    api_client, guest_payload, service
):
    data = book(api_client, guest_payload).json()
    booking = Booking.objects.get(pk=data["id"])

    assert data["status"] == "awaiting_payment"
    assert data["reference"] == booking.reference
    expires = datetime.fromisoformat(data["payment_expires_at"])
    assert expires == booking.created_at + timedelta(minutes=30)
    assert timezone.now() + timedelta(minutes=29) < expires
    instructions = data["payment_instructions"]
    assert instructions["amount"] == str(service.price)
    assert instructions["currency"] == "EUR"
    assert instructions["reference"] == booking.reference
    assert instructions["pay_by"] == data["payment_expires_at"]
    assert "reference" in instructions["instructions"]


@pytest.mark.parametrize(
    ("deactivate", "code", "field"),
    [("service", "inactive_service", "service"), ("staff", "inactive_staff", None)],
)
def test_cannot_book_inactive_service_or_staff(
    api_client, guest_payload, service, staff_member, deactivate, code, field
):
    target = service if deactivate == "service" else staff_member
    target.is_active = False
    target.save()

    body = assert_error(book(api_client, guest_payload), 400, code)
    assert body["errors"] == {field or "availability": [body["detail"]]}
    assert not Booking.objects.exists()


def test_cannot_book_an_already_booked_slot(api_client, guest_payload, booking):
    response = book(api_client, guest_payload, customer_email="late@example.com")
    assert_error(response, 409, "slot_unavailable")
    assert Booking.objects.get() == booking


@pytest.mark.parametrize(
    ("change", "code"),
    [
        ("past", "slot_in_past"),
        ("too_short", "slot_too_short"),
        ("not_offered", "service_not_offered"),
        ("wrong_staff", "staff_mismatch"),
    ],
)
def test_unbookable_slots_are_400_field_errors(
    api_client, guest_payload, service, slot, change, code
):
    overrides = {}
    if change == "past":
        Availability.objects.filter(pk=slot.pk).update(
            start_time=timezone.now() - timedelta(hours=2),
            end_time=timezone.now() - timedelta(hours=1),
        )
    elif change == "too_short":
        Service.objects.filter(pk=service.pk).update(duration_minutes=90)
    elif change == "not_offered":
        overrides["service"] = ServiceFactory().pk
    elif change == "wrong_staff":
        overrides["staff"] = StaffFactory(services=[service]).pk
    body = assert_error(book(api_client, guest_payload, **overrides), 400, code)
    assert set(body["errors"]) <= {"availability", "service", "staff"}
    assert not Booking.objects.exists()


def test_verify_payment_confirms_and_shows_who_and_when(
    staff_client, staff_user, booking
):
    response = staff_client.post(f"/api/bookings/{booking.pk}/verify-payment/")

    assert response.status_code == 200, response.content
    data = response.json()
    assert data["status"] == "confirmed"
    assert data["payment_verified_by"] == staff_user.username
    assert data["payment_verified_at"] is not None
    assert data["payment_instructions"] is None
    assert [e["to_status"] for e in data["events"]] == ["awaiting_payment", "confirmed"]
    booking.refresh_from_db()
    assert booking.payment_verified_by == staff_user
    assert_error(
        staff_client.post(f"/api/bookings/{booking.pk}/verify-payment/"),
        409,
        "invalid_transition",
    )


def test_complete_only_from_confirmed(staff_client, booking):
    url = f"/api/bookings/{booking.pk}/complete/"
    assert_error(staff_client.post(url), 409, "invalid_transition")
    staff_client.post(f"/api/bookings/{booking.pk}/verify-payment/")
    response = staff_client.post(url)
    assert response.status_code == 200
    assert response.json()["status"] == "completed"
    assert_error(staff_client.post(url), 409, "invalid_transition")


def test_cancellation_is_blocked_after_the_slot_starts(
    staff_client, booking, time_machine
):
    time_machine.move_to(booking.availability.start_time + timedelta(minutes=1))
    response = staff_client.post(
        f"/api/bookings/{booking.pk}/cancel/", {"reason": "late"}
    )
    assert_error(response, 409, "booking_started")
    booking.refresh_from_db()
    assert booking.status == Status.AWAITING_PAYMENT


def test_cancel_frees_the_slot_for_the_next_guest(
    api_client, staff_client, booking, guest_payload
):
    response = staff_client.post(
        f"/api/bookings/{booking.pk}/cancel/", {"reason": "Guest phoned"}
    )
    assert response.status_code == 200
    assert response.json()["cancel_reason"] == "Guest phoned"
    assert not Availability.objects.get(pk=booking.availability_id).is_booked
    assert book(api_client, guest_payload).status_code == 201


# --- client-sent fields ---------------------------------------------------------------


def test_client_sent_status_payment_and_audit_fields_are_ignored(
    api_client, guest_payload, staff_user
):
    response = book(
        api_client,
        guest_payload,
        status="completed",
        payment_expires_at="2099-01-01T00:00:00Z",
        payment_verified_at="2020-01-01T00:00:00Z",
        payment_verified_by=staff_user.pk,
        cancel_reason="x",
        reference="AAAAAAAA",
        amount_due="0.01",
        events=[{"to_status": "confirmed"}],
    )
    assert response.status_code == 201
    booking = Booking.objects.get()
    assert booking.status == Status.AWAITING_PAYMENT
    assert booking.payment_verified_at is None
    assert booking.payment_verified_by is None
    assert booking.reference != "AAAAAAAA"
    assert booking.amount_due != 0
    assert booking.payment_expires_at < timezone.now() + timedelta(hours=1)
    assert booking.events.count() == 1


# --- staff edits ----------------------------------------------------------------------


def test_patch_edits_contact_fields(staff_client, booking):
    response = staff_client.patch(
        f"/api/bookings/{booking.pk}/",
        {"customer_phone": "+44 20 7946 0000", "notes": "Prefers mornings"},
    )
    assert response.status_code == 200, response.content
    booking.refresh_from_db()
    assert booking.customer_phone == "+44 20 7946 0000"
    assert booking.notes == "Prefers mornings"


def test_put_needs_every_contact_field(staff_client, booking):
    response = staff_client.put(f"/api/bookings/{booking.pk}/", {"notes": "x"})
    body = assert_error(response, 400, "invalid")
    assert {"customer_name", "customer_email", "customer_phone"} <= set(body["errors"])
    full = {
        "customer_name": "New Name",
        "customer_email": "new@example.com",
        "customer_phone": "912345678",
        "notes": "",
    }
    assert staff_client.put(f"/api/bookings/{booking.pk}/", full).status_code == 200
    booking.refresh_from_db()
    assert booking.customer_name == "New Name"


def test_patch_status_goes_through_the_transition_rules(
    staff_client, staff_user, booking
):
    url = f"/api/bookings/{booking.pk}/"
    response = staff_client.patch(url, {"status": "completed"})
    assert_error(response, 409, "invalid_transition")
    response = staff_client.patch(url, {"status": "confirmed"})
    assert response.status_code == 200
    assert response.json()["payment_verified_by"] == staff_user.username
    response = staff_client.patch(url, {"status": "cancelled"})
    assert response.json()["status"] == "cancelled"
    assert not Availability.objects.get(pk=booking.availability_id).is_booked


def test_completed_booking_edits_and_delete_are_409(staff_client, booking):
    staff_client.post(f"/api/bookings/{booking.pk}/verify-payment/")
    staff_client.post(f"/api/bookings/{booking.pk}/complete/")
    url = f"/api/bookings/{booking.pk}/"
    before = Booking.objects.values().get(pk=booking.pk)

    assert_error(staff_client.patch(url, {"notes": "x"}), 409, "booking_immutable")
    assert_error(
        staff_client.patch(url, {"status": "cancelled"}), 409, "booking_immutable"
    )
    assert_error(staff_client.delete(url), 409, "booking_immutable")
    assert_error(
        staff_client.post(f"/api/bookings/{booking.pk}/cancel/"),
        409,
        "invalid_transition",
    )
    assert Booking.objects.values().get(pk=booking.pk) == before


def test_delete_removes_the_booking_and_frees_the_slot(staff_client, booking):
    assert staff_client.delete(f"/api/bookings/{booking.pk}/").status_code == 204
    assert not Booking.objects.exists()
    assert not Availability.objects.get(pk=booking.availability_id).is_booked


def test_unknown_ids_are_404(staff_client, api_client, guest_payload):
    for method, url in [
        ("get", "/api/bookings/999999/"),
        ("post", "/api/bookings/999999/verify-payment/"),
        ("post", "/api/bookings/999999/cancel/"),
        ("delete", "/api/bookings/999999/"),
        ("get", "/api/services/999999/"),
        ("get", "/api/availability/999999/"),
    ]:
        assert_error(getattr(staff_client, method)(url), 404, "not_found")


# --- permissions ----------------------------------------------------------------------


@pytest.fixture
def world(service, staff_member, slot, booking):
    return {
        "service": service.pk,
        "staff": staff_member.pk,
        "slot": slot.pk,
        "booking": booking.pk,
    }


STAFF_ONLY = [
    ("get", "/api/bookings/"),
    ("get", "/api/bookings/{booking}/"),
    ("patch", "/api/bookings/{booking}/"),
    ("put", "/api/bookings/{booking}/"),
    ("delete", "/api/bookings/{booking}/"),
    ("post", "/api/bookings/{booking}/verify-payment/"),
    ("post", "/api/bookings/{booking}/cancel/"),
    ("post", "/api/bookings/{booking}/complete/"),
    ("post", "/api/services/"),
    ("put", "/api/services/{service}/"),
    ("patch", "/api/services/{service}/"),
    ("delete", "/api/services/{service}/"),
    ("post", "/api/staff/"),
    ("put", "/api/staff/{staff}/"),
    ("patch", "/api/staff/{staff}/"),
    ("delete", "/api/staff/{staff}/"),
    ("post", "/api/availability/"),
    ("put", "/api/availability/{slot}/"),
    ("patch", "/api/availability/{slot}/"),
    ("delete", "/api/availability/{slot}/"),
]
PUBLIC_READS = [
    "/api/services/",
    "/api/services/{service}/",
    "/api/staff/",
    "/api/staff/{staff}/",
    "/api/availability/",
    "/api/bookings/availability/",
]


@pytest.mark.parametrize(("method", "url"), STAFF_ONLY)
def test_anonymous_gets_401_on_staff_endpoints(api_client, world, method, url):
    before = list(Booking.objects.values())
    response = getattr(api_client, method)(url.format(**world), {}, format="json")
    assert_error(response, 401, "not_authenticated")
    assert "results" not in response.json()
    assert list(Booking.objects.values()) == before


@pytest.mark.parametrize(("method", "url"), STAFF_ONLY)
def test_non_staff_users_get_403_on_staff_endpoints(user_client, world, method, url):
    before = list(Booking.objects.values())
    response = getattr(user_client, method)(url.format(**world), {}, format="json")
    assert_error(response, 403, "permission_denied")
    assert list(Booking.objects.values()) == before


@pytest.mark.parametrize(("method", "url"), STAFF_ONLY)
def test_staff_reach_every_staff_endpoint(staff_client, world, method, url):
    response = getattr(staff_client, method)(url.format(**world), {}, format="json")
    assert response.status_code not in (401, 403), response.content
    assert response.status_code < 500


@pytest.mark.parametrize("url", PUBLIC_READS)
@pytest.mark.parametrize("client_name", ["api_client", "user_client", "staff_client"])
def test_public_reads_are_open_to_everyone(request, world, url, client_name):
    client = request.getfixturevalue(client_name)
    assert client.get(url.format(**world)).status_code == 200


def test_token_authentication_for_staff(booking, staff_user):
    call_command("drf_create_token", staff_user.username, stdout=io.StringIO())
    client = APIClient()
    token = Token.objects.get(user=staff_user)
    client.credentials(HTTP_AUTHORIZATION=f"Token {token.key}")
    assert client.get("/api/bookings/").status_code == 200
    client.credentials(HTTP_AUTHORIZATION="Token wrong")
    assert client.get("/api/bookings/").status_code == 401


def test_session_login_for_the_browsable_api(booking):
    StaffUserFactory(username="desk")
    client = APIClient(enforce_csrf_checks=True)
    assert client.login(username="desk", password="pass-word-123")
    assert client.get("/api/bookings/").status_code == 200
    assert client.get("/api-auth/login/").status_code == 200


# --- public lists ---------------------------------------------------------------------


def test_public_service_and_staff_lists_hide_inactive_and_private_fields(
    api_client, service, staff_member
):
    ServiceFactory(is_active=False, name="Retired")
    StaffFactory(is_active=False, name="Gone", services=[service])
    inactive_service = ServiceFactory(is_active=False)
    staff_member.services.add(inactive_service)

    services_data = api_client.get("/api/services/").json()["results"]
    assert [s["id"] for s in services_data] == [service.pk]
    assert set(services_data[0]) == {
        "id",
        "name",
        "description",
        "duration_minutes",
        "price",
        "is_active",
    }
    staff_data = api_client.get("/api/staff/").json()["results"]
    assert staff_data == [
        {"id": staff_member.pk, "name": staff_member.name, "services": [service.pk]}
    ]
    assert api_client.get(f"/api/services/{inactive_service.pk}/").status_code == 404


def test_staff_see_inactive_records_and_filter_them(staff_client, service):
    retired = ServiceFactory(is_active=False)
    StaffFactory(is_active=False)
    ids = [s["id"] for s in staff_client.get("/api/services/").json()["results"]]
    assert set(ids) == {service.pk, retired.pk}
    inactive = staff_client.get("/api/services/?is_active=false").json()["results"]
    assert [s["id"] for s in inactive] == [retired.pk]
    staff = staff_client.get("/api/staff/?is_active=false").json()["results"]
    assert len(staff) == 1 and "email" in staff[0]


@pytest.fixture
def slot_zoo(service, staff_member, slot):
    """Slots a guest must not see, next to the one bookable `slot`."""
    now = timezone.now()
    past = AvailabilityFactory(
        staff=staff_member,
        start_time=now - timedelta(hours=3),
        end_time=now - timedelta(hours=2),
    )
    booked = BookingFactory(service=service, availability__staff=staff_member)
    inactive_staff = AvailabilityFactory(staff=StaffFactory(is_active=False))
    inactive_staff.staff.services.add(service)
    short = AvailabilityFactory(
        staff=staff_member,
        start_time=now + timedelta(days=40),
        end_time=now + timedelta(days=40, minutes=30),
    )
    return {
        "past": past.pk,
        "booked": booked.availability_id,
        "inactive_staff": inactive_staff.pk,
        "short": short.pk,
    }


@pytest.mark.parametrize("url", ["/api/bookings/availability/", "/api/availability/"])
def test_guest_slot_lists_hide_past_booked_and_inactive(
    api_client, service, slot, slot_zoo, url
):
    ids = [s["id"] for s in api_client.get(url).json()["results"]]
    assert slot.pk in ids
    assert not {slot_zoo["past"], slot_zoo["booked"], slot_zoo["inactive_staff"]} & set(
        ids
    )
    for_service = api_client.get(url, {"service": service.pk}).json()["results"]
    assert [s["id"] for s in for_service] == [slot.pk]  # the short one is out
    assert set(for_service[0]) == {
        "id",
        "staff",
        "staff_name",
        "start_time",
        "end_time",
    }
    for hidden in ("past", "booked", "inactive_staff"):
        response = api_client.get(f"/api/availability/{slot_zoo[hidden]}/")
        assert response.status_code == 404
    # Too short for this service, yet bookable for a shorter one.
    assert slot_zoo["short"] in ids


def test_slots_for_an_inactive_service_are_none(api_client, service, slot):
    service.is_active = False
    service.save()
    response = api_client.get("/api/bookings/availability/", {"service": service.pk})
    assert response.json()["count"] == 0


def test_staff_see_every_slot_and_filter_by_is_booked(staff_client, slot, slot_zoo):
    all_ids = {
        s["id"] for s in staff_client.get("/api/availability/").json()["results"]
    }
    assert all_ids == {slot.pk, *slot_zoo.values()}
    booked = staff_client.get("/api/availability/?is_booked=true").json()["results"]
    assert [s["id"] for s in booked] == [slot_zoo["booked"]]
    assert booked[0]["is_booked"] is True


def test_slot_list_date_is_a_day_in_the_business_timezone(
    api_client, service, staff_member, settings
):
    settings.TIME_ZONE = "Pacific/Auckland"  # UTC+13 in its summer
    auckland = ZoneInfo("Pacific/Auckland")
    day = (timezone.now() + timedelta(days=10)).astimezone(auckland).date()
    inside = [
        datetime.combine(day, datetime.min.time(), tzinfo=auckland),
        datetime.combine(day, datetime.max.time(), tzinfo=auckland)
        - timedelta(hours=1, seconds=59),
    ]
    outside = [inside[0] - timedelta(hours=1), inside[0] + timedelta(days=1)]
    for start in inside + outside:
        AvailabilityFactory(
            staff=staff_member, start_time=start, end_time=start + timedelta(hours=1)
        )
    response = api_client.get(
        "/api/bookings/availability/", {"service": service.pk, "date": day.isoformat()}
    )
    starts = [
        datetime.fromisoformat(s["start_time"]) for s in response.json()["results"]
    ]
    assert starts == inside
    assert all(s["start_time"].endswith("+13:00") for s in response.json()["results"])


def test_slot_list_rejects_bad_query_parameters(api_client):
    body = assert_error(
        api_client.get("/api/bookings/availability/?date=31-12-2026&service=x"),
        400,
        "invalid",
    )
    assert set(body["errors"]) == {"date", "service"}


def test_slots_are_ordered_by_start_time(api_client, service, staff_member):
    now = timezone.now()
    for days in (5, 2, 9):
        AvailabilityFactory(
            staff=staff_member,
            start_time=now + timedelta(days=days),
            end_time=now + timedelta(days=days, hours=1),
        )
    results = api_client.get("/api/bookings/availability/").json()["results"]
    starts = [s["start_time"] for s in results]
    assert starts == sorted(starts) and len(starts) == 3


# --- staff booking list ---------------------------------------------------------------


def test_booking_list_filters(staff_client, service, staff_member):
    now = timezone.now()
    unpaid = BookingFactory(service=service, availability__staff=staff_member)
    paid = BookingFactory(status=Status.CONFIRMED)
    day = timezone.localtime(unpaid.availability.start_time).date()

    def ids(query):
        response = staff_client.get("/api/bookings/", query)
        assert response.status_code == 200, response.content
        return [b["id"] for b in response.json()["results"]]

    assert ids({"status": "awaiting_payment"}) == [unpaid.pk]
    assert ids({"status": "confirmed"}) == [paid.pk]
    assert ids({"service": service.pk}) == [unpaid.pk]
    assert ids({"staff": paid.staff_id}) == [paid.pk]
    assert ids({"date": day.isoformat()}) == [unpaid.pk]
    assert ids({"ordering": "availability__start_time"}) == [unpaid.pk, paid.pk]
    assert ids({"ordering": "-availability__start_time"}) == [paid.pk, unpaid.pk]
    assert now < unpaid.payment_expires_at
    assert_error(staff_client.get("/api/bookings/?status=pending"), 400, "invalid")


def test_booking_detail_shows_the_audit_events(staff_client, staff_user, booking):
    staff_client.post(f"/api/bookings/{booking.pk}/verify-payment/")
    events = staff_client.get(f"/api/bookings/{booking.pk}/").json()["events"]
    assert [
        (e["from_status"], e["to_status"], e["source"], e["actor"]) for e in events
    ] == [
        ("", "awaiting_payment", "guest", None),
        ("awaiting_payment", "confirmed", "staff", staff_user.username),
    ]


# --- slot management ------------------------------------------------------------------


def test_staff_create_slots_with_naive_times_in_the_business_timezone(
    staff_client, staff_member, settings
):
    settings.TIME_ZONE = "America/New_York"
    response = staff_client.post(
        "/api/availability/",
        {
            "staff": staff_member.pk,
            "start_time": "2031-07-01T09:00:00",
            "end_time": "2031-07-01T10:00:00",
            "is_booked": True,
        },
    )
    assert response.status_code == 201, response.content
    assert response.json()["start_time"] == "2031-07-01T09:00:00-04:00"
    slot = Availability.objects.get(pk=response.json()["id"])
    assert slot.start_time == datetime(2031, 7, 1, 13, 0, tzinfo=ZoneInfo("UTC"))
    assert slot.is_booked is False  # read-only over the API


def test_slot_validation_is_400(staff_client, staff_member, slot):
    overlap = {
        "staff": staff_member.pk,
        "start_time": (slot.start_time + timedelta(minutes=30)).isoformat(),
        "end_time": (slot.end_time + timedelta(minutes=30)).isoformat(),
    }
    body = assert_error(
        staff_client.post("/api/availability/", overlap), 400, "slot_overlap"
    )
    assert "start_time" in body["errors"]
    reversed_times = {**overlap, "end_time": slot.start_time.isoformat()}
    assert_error(
        staff_client.post("/api/availability/", reversed_times),
        400,
        "invalid_slot_times",
    )
    assert Availability.objects.count() == 1


def test_booked_slot_cannot_be_moved_or_deleted(staff_client, booking):
    url = f"/api/availability/{booking.availability_id}/"
    later = booking.availability.start_time + timedelta(days=3)
    assert_error(
        staff_client.patch(
            url,
            {"start_time": later.isoformat(),
             "end_time": (later + timedelta(hours=1)).isoformat()},
        ),
        409,
        "slot_booked",
    )  # fmt: skip
    assert_error(staff_client.delete(url), 409, "slot_booked")
    assert staff_client.patch(url, {"is_booked": False}).status_code == 200
    assert Availability.objects.get(pk=booking.availability_id).is_booked


def test_free_slot_can_be_moved_and_deleted(staff_client, slot):
    later = slot.start_time + timedelta(days=3)
    response = staff_client.patch(
        f"/api/availability/{slot.pk}/",
        {
            "start_time": later.isoformat(),
            "end_time": (later + timedelta(hours=2)).isoformat(),
        },
    )
    assert response.status_code == 200, response.content
    slot.refresh_from_db()
    assert slot.start_time == later
    assert staff_client.delete(f"/api/availability/{slot.pk}/").status_code == 204
    assert not Availability.objects.exists()


def test_deleting_a_service_in_use_is_409_not_500(staff_client, booking):
    response = staff_client.delete(f"/api/services/{booking.service_id}/")
    assert_error(response, 409, "in_use")
    assert Service.objects.filter(pk=booking.service_id).exists()
    response = staff_client.delete(f"/api/staff/{booking.staff_id}/")
    assert_error(response, 409, "in_use")
    assert Staff.objects.filter(pk=booking.staff_id).exists()


@pytest.mark.parametrize(
    "payload",
    [
        {"name": "X", "duration_minutes": 0, "price": "10.00"},
        {"name": "X", "duration_minutes": 30, "price": "-1"},
        {"name": "X", "duration_minutes": 30, "price": "1e20"},
        {"name": "", "duration_minutes": 30, "price": "10"},
    ],
)
def test_invalid_services_are_400(staff_client, payload):
    assert_error(staff_client.post("/api/services/", payload), 400, "invalid")
    assert not Service.objects.exists()


def test_staff_manage_services_and_staff(staff_client, service):
    response = staff_client.post(
        "/api/staff/",
        {"name": "Dora", "email": "dora@example.com", "services": [service.pk]},
    )
    assert response.status_code == 201, response.content
    dora = Staff.objects.get(pk=response.json()["id"])
    assert list(dora.services.all()) == [service]
    response = staff_client.patch(f"/api/services/{service.pk}/", {"is_active": False})
    assert response.status_code == 200
    service.refresh_from_db()
    assert not service.is_active


# --- pagination and query budget ------------------------------------------------------


def test_lists_are_paginated_with_a_capped_page_size(api_client, staff_member):
    AvailabilityFactory.create_batch(120, staff=staff_member)
    data = api_client.get("/api/availability/?page_size=500").json()
    assert set(data) == {"count", "next", "previous", "results"}
    assert data["count"] == 120
    assert len(data["results"]) == 100
    assert data["next"] is not None


def _queries(client, url):
    with CaptureQueriesContext(connection) as captured:
        response = client.get(url)
    assert response.status_code == 200
    return len(captured)


@pytest.mark.parametrize(
    ("client_name", "url"),
    [
        ("staff_client", "/api/bookings/"),
        ("staff_client", "/api/availability/"),
        ("staff_client", "/api/services/"),
        ("staff_client", "/api/staff/"),
        ("api_client", "/api/availability/"),
        ("api_client", "/api/bookings/availability/"),
        ("api_client", "/api/services/"),
        ("api_client", "/api/staff/"),
    ],
)
def test_list_query_count_does_not_grow_with_page_size(request, client_name, url):
    client = request.getfixturevalue(client_name)
    service = ServiceFactory()
    for _ in range(30):
        member = StaffFactory(services=[service])
        BookingFactory(service=service, availability__staff=member)
        AvailabilityFactory(staff=member)
    small = _queries(client, f"{url}?page_size=2")
    large = _queries(client, f"{url}?page_size=60")
    assert small == large
    assert large <= 4


# --- documentation --------------------------------------------------------------------


def test_openapi_schema_is_valid(tmp_path):
    target = tmp_path / "schema.yml"
    call_command("spectacular", "--validate", "--fail-on-warn", "--file", str(target))
    schema = target.read_text()
    for path in (
        "/api/bookings/{id}/verify-payment/",
        "/api/bookings/{id}/cancel/",
        "/api/bookings/{id}/complete/",
        "/api/bookings/availability/",
    ):
        assert path in schema
    assert "Error:" in schema  # the shared error body is a component


def test_schema_and_docs_are_served(api_client):
    assert api_client.get("/api/schema/").status_code == 200
    assert api_client.get("/api/docs/").status_code == 200


# --- error bodies ---------------------------------------------------------------------


def test_every_error_has_the_documented_shape(api_client, staff_client, guest_payload):
    cases = [
        (api_client.post("/api/bookings/", {}, format="json"), 400),
        (
            api_client.post("/api/bookings/", "{oops", content_type="application/json"),
            400,
        ),
        (api_client.get("/api/bookings/"), 401),
        (api_client.delete("/api/services/1/"), 401),
        (staff_client.get("/api/bookings/424242/"), 404),
        (staff_client.get("/api/bookings/not-an-id/"), 404),
        (api_client.get("/no/such/page/"), 404),
        (staff_client.post("/api/bookings/availability/"), 405),
    ]
    for response, status_code in cases:
        assert response.status_code == status_code
        body = response.json()
        assert set(body) <= {"code", "detail", "errors"}
        assert isinstance(body["code"], str) and isinstance(body["detail"], str)


def test_no_500_from_odd_input(api_client, staff_client, guest_payload, booking):
    odd_values = [None, "", "x" * 5000, -1, 10**20, [], {}, "2026-13-45", "\x00"]
    for field in guest_payload:
        for value in odd_values:
            response = api_client.post(
                "/api/bookings/", {**guest_payload, field: value}, format="json"
            )
            assert response.status_code in (400, 409), (field, value, response.content)
    for value in odd_values:
        response = staff_client.patch(
            f"/api/bookings/{booking.pk}/", {"status": value}, format="json"
        )
        assert response.status_code in (200, 400, 409), (value, response.content)
        response = staff_client.post(
            "/api/availability/",
            {"staff": value, "start_time": value, "end_time": value},
            format="json",
        )
        assert response.status_code == 400, (value, response.content)


@pytest.mark.parametrize(
    "query",
    [
        "/api/availability/?service=96074175189217562095347826688",
        "/api/availability/?staff=96074175189217562095347826688",
        "/api/bookings/?service=96074175189217562095347826688",
        "/api/bookings/?staff=-96074175189217562095347826688",
        "/api/bookings/availability/?service=96074175189217562095347826688",
        "/api/services/96074175189217562095347826688/",
    ],
)
def test_ids_beyond_the_integer_range_are_400_or_404_not_500(staff_client, query):
    # Found by Schemathesis: a NumberFilter passed the number to the database.
    response = staff_client.get(query)
    assert response.status_code in (400, 404), response.content


def test_schema_allows_the_creation_events_empty_from_status():
    # Found by Schemathesis: "" was not in the documented enum.
    from drf_spectacular.generators import SchemaGenerator

    schema = SchemaGenerator().get_schema(request=None, public=True)
    from_status = schema["components"]["schemas"]["BookingEvent"]["properties"][
        "from_status"
    ]
    allowed = [
        option["$ref"].rsplit("/", 1)[-1] for option in from_status.get("oneOf", [])
    ]
    assert "BlankEnum" in allowed
    assert schema["components"]["schemas"]["BlankEnum"]["enum"] == [""]
