"""Every role against every staff endpoint, action and admin page.

One table: each row names a request and the roles allowed to make it. Each
(row, role) pair is its own test, with its own records, and checks both the
answer and, for writes, whether the database changed.
"""

from dataclasses import dataclass
from datetime import timedelta

import pytest
from django.test import Client
from django.utils import timezone
from rest_framework.test import APIClient

from apps.availability.models import Availability
from apps.availability.tests.factories import AvailabilityFactory
from apps.bookings.models import Booking
from apps.bookings.tests.factories import (
    StaffUserFactory,
    UserFactory,
    unpaid_booking,
)
from apps.privacy.models import ErasureRecord
from apps.schedules.models import Closure, WorkingHours
from apps.schedules.tests.factories import ClosureFactory, WorkingHoursFactory
from apps.services.models import Service
from apps.staff.models import Staff
from apps.waitlist.models import WaitlistOffer
from apps.waitlist.tests.factories import join
from apps.webhooks.models import WebhookDelivery, WebhookEndpoint

pytestmark = pytest.mark.django_db

ROLES = ["anonymous", "user", "staff_no_role", "desk", "manager", "superuser"]
DESK_UP = {"desk", "manager", "superuser"}
MANAGER_UP = {"manager", "superuser"}
EVERYONE = set(ROLES)


def make_user(role):
    if role == "anonymous":
        return None
    if role == "user":
        return UserFactory()
    if role == "superuser":
        return StaffUserFactory(role="", is_superuser=True)
    return StaffUserFactory(role="" if role == "staff_no_role" else role)


@pytest.fixture
def world(service, staff_member, slot):
    start = timezone.now().replace(microsecond=0) + timedelta(days=3)
    other_slot = AvailabilityFactory(
        staff=staff_member, start_time=start, end_time=start + timedelta(hours=1)
    )
    booking = unpaid_booking(service, slot)
    # Written straight to the table: the URL checks are not what these rows test.
    endpoint = WebhookEndpoint.objects.create(
        url="https://hooks.example.com/in", events=["booking.created"]
    )
    delivery = WebhookDelivery.objects.create(
        endpoint=endpoint,
        event_type="booking.created",
        body='{"type": "booking.created", "timestamp": null, "data": {}}',
        status="failed",
        retry_until=timezone.now(),
    )
    return {
        "endpoint": endpoint,
        "delivery": delivery,
        "service": service,
        "staff": staff_member,
        "slot": slot,
        "free_slot": other_slot,
        "booking": booking,
        "rule": WorkingHoursFactory(staff=staff_member),
        "closure": ClosureFactory(),
        "entry": join(service, email="waiting@example.com"),
    }


CLOSURE_BODY = {
    "starts_at": "2031-01-06T00:00:00Z",
    "ends_at": "2031-01-07T00:00:00Z",
    "kind": "holiday",
    "public_note": "A holiday",
}


@dataclass
class Case:
    name: str
    method: str
    url: str
    allowed: set
    ok: int = 200
    data: dict | None = None
    # Reads the state the request should have changed (None: a read).
    effect: object = None


def booking_status(w):
    return Booking.objects.get(pk=w["booking"].pk).status


API_CASES = [
    Case("list bookings", "get", "/api/bookings/", DESK_UP),
    Case("booking detail", "get", "/api/bookings/{booking}/", DESK_UP),
    Case(
        "edit booking notes",
        "patch",
        "/api/bookings/{booking}/",
        DESK_UP,
        data={"notes": "Ring at the side door."},
        effect=lambda w: Booking.objects.get(pk=w["booking"].pk).notes,
    ),
    Case(
        "status change by PATCH",
        "patch",
        "/api/bookings/{booking}/",
        DESK_UP,
        data={"status": "confirmed"},
        effect=booking_status,
    ),
    Case(
        "delete booking",
        "delete",
        "/api/bookings/{booking}/",
        MANAGER_UP,
        ok=204,
        effect=lambda w: Booking.objects.filter(pk=w["booking"].pk).exists(),
    ),
    Case(
        "verify payment",
        "post",
        "/api/bookings/{booking}/verify-payment/",
        DESK_UP,
        effect=booking_status,
    ),
    Case(
        "cancel",
        "post",
        "/api/bookings/{booking}/cancel/",
        DESK_UP,
        effect=booking_status,
    ),
    Case(
        "complete (refused by the state machine: 409 after the permission)",
        "post",
        "/api/bookings/{booking}/complete/",
        DESK_UP,
        ok=409,
    ),
    Case(
        "reschedule",
        "post",
        "/api/bookings/{booking}/reschedule/",
        DESK_UP,
        data={"availability": "{free_slot}"},
        effect=lambda w: Booking.objects.get(pk=w["booking"].pk).availability_id,
    ),
    Case(
        "create service",
        "post",
        "/api/services/",
        MANAGER_UP,
        ok=201,
        data={"name": "Pedicure", "duration_minutes": 30, "price": "20.00"},
        effect=lambda w: Service.objects.count(),
    ),
    Case(
        "change service",
        "patch",
        "/api/services/{service}/",
        MANAGER_UP,
        data={"price": "99.00"},
        effect=lambda w: Service.objects.get(pk=w["service"].pk).price,
    ),
    Case(
        "delete service (in use: 409 after the permission)",
        "delete",
        "/api/services/{service}/",
        MANAGER_UP,
        ok=409,
    ),
    Case(
        "create staff member",
        "post",
        "/api/staff/",
        MANAGER_UP,
        ok=201,
        data={"name": "Rita", "email": "rita@example.com"},
        effect=lambda w: Staff.objects.count(),
    ),
    Case(
        "change staff member",
        "patch",
        "/api/staff/{staff}/",
        MANAGER_UP,
        data={"phone": "+351 910 000 999"},
        effect=lambda w: Staff.objects.get(pk=w["staff"].pk).phone,
    ),
    Case(
        "delete staff member (in use: 409 after the permission)",
        "delete",
        "/api/staff/{staff}/",
        MANAGER_UP,
        ok=409,
    ),
    Case(
        "create slot",
        "post",
        "/api/availability/",
        MANAGER_UP,
        ok=201,
        data={
            "staff": "{staff}",
            "start_time": "2031-01-06T10:00:00Z",
            "end_time": "2031-01-06T11:00:00Z",
        },
        effect=lambda w: Availability.objects.count(),
    ),
    Case(
        "move slot",
        "patch",
        "/api/availability/{free_slot}/",
        MANAGER_UP,
        data={"end_time": "2031-01-07T11:00:00Z", "start_time": "2031-01-07T10:00:00Z"},
        effect=lambda w: Availability.objects.get(pk=w["free_slot"].pk).start_time,
    ),
    Case(
        "delete slot",
        "delete",
        "/api/availability/{free_slot}/",
        MANAGER_UP,
        ok=204,
        effect=lambda w: Availability.objects.filter(pk=w["free_slot"].pk).exists(),
    ),
    Case("list webhook endpoints", "get", "/api/webhooks/", MANAGER_UP),
    Case("webhook endpoint detail", "get", "/api/webhooks/{endpoint}/", MANAGER_UP),
    Case(
        "create webhook endpoint (a private URL: 400 after the permission)",
        "post",
        "/api/webhooks/",
        MANAGER_UP,
        ok=400,
        data={"url": "http://10.0.0.1/in", "events": ["booking.created"]},
        effect=lambda w: WebhookEndpoint.objects.count(),
    ),
    Case(
        "change webhook endpoint",
        "patch",
        "/api/webhooks/{endpoint}/",
        MANAGER_UP,
        data={"description": "CRM"},
        effect=lambda w: WebhookEndpoint.objects.get(pk=w["endpoint"].pk).description,
    ),
    Case(
        "rotate webhook secret",
        "post",
        "/api/webhooks/{endpoint}/rotate-secret/",
        MANAGER_UP,
        effect=lambda w: WebhookEndpoint.objects.get(pk=w["endpoint"].pk).secret,
    ),
    Case(
        "send a test webhook",
        "post",
        "/api/webhooks/{endpoint}/test/",
        MANAGER_UP,
        ok=202,
        effect=lambda w: WebhookDelivery.objects.count(),
    ),
    Case(
        "delete webhook endpoint",
        "delete",
        "/api/webhooks/{endpoint}/",
        MANAGER_UP,
        ok=204,
        effect=lambda w: WebhookEndpoint.objects.filter(pk=w["endpoint"].pk).exists(),
    ),
    Case("list webhook deliveries", "get", "/api/webhooks/deliveries/", MANAGER_UP),
    Case(
        "webhook delivery detail",
        "get",
        "/api/webhooks/deliveries/{delivery}/",
        MANAGER_UP,
    ),
    Case(
        "send a webhook delivery again",
        "post",
        "/api/webhooks/deliveries/{delivery}/send-again/",
        MANAGER_UP,
        ok=202,
        effect=lambda w: WebhookDelivery.objects.get(pk=w["delivery"].pk).status,
    ),
    Case(
        "export bookings",
        "get",
        "/api/exports/bookings/?from=2030-03-01&to=2030-03-31&format=csv",
        MANAGER_UP,
    ),
    Case(
        "export payments",
        "get",
        "/api/exports/payments/?from=2030-03-01&to=2030-03-31&format=xlsx",
        MANAGER_UP,
    ),
    # Issue 30: guests' personal data; erasing and exporting are Manager's.
    Case(
        "erase a guest's personal data",
        "post",
        "/api/privacy/erasures/",
        MANAGER_UP,
        ok=201,
        data={"email": "guest-erased@example.com", "reason": "asked"},
        effect=lambda w: ErasureRecord.objects.count(),
    ),
    Case("list erasures", "get", "/api/privacy/erasures/", MANAGER_UP),
    Case(
        "export a guest's personal data",
        "get",
        "/api/privacy/export/?email=guest-erased@example.com",
        MANAGER_UP,
    ),
    Case("list working hours", "get", "/api/working-hours/", DESK_UP),
    Case("working-hours rule", "get", "/api/working-hours/{rule}/", DESK_UP),
    Case(
        "create working hours",
        "post",
        "/api/working-hours/",
        MANAGER_UP,
        ok=201,
        data={
            "staff": "{staff}",
            "weekday": 2,
            "start": "09:00",
            "end": "13:00",
            "slot_minutes": 30,
        },
        effect=lambda w: WorkingHours.objects.count(),
    ),
    Case(
        "change working hours",
        "patch",
        "/api/working-hours/{rule}/",
        MANAGER_UP,
        data={"end": "12:00"},
        effect=lambda w: WorkingHours.objects.get(pk=w["rule"].pk).end_minute,
    ),
    Case(
        "delete working hours",
        "delete",
        "/api/working-hours/{rule}/",
        MANAGER_UP,
        ok=204,
        effect=lambda w: WorkingHours.objects.filter(pk=w["rule"].pk).exists(),
    ),
    Case(
        "fill the slot horizon",
        "post",
        "/api/working-hours/fill/",
        MANAGER_UP,
        # Two weeks always hold a future Monday (the rule's day); one week on
        # a Monday afternoon held none, and nothing was made.
        data={"horizon_days": 14},
        effect=lambda w: Availability.objects.count(),
    ),
    Case("list closures", "get", "/api/closures/", DESK_UP),
    Case("closure detail", "get", "/api/closures/{closure}/", DESK_UP),
    Case(
        "create closure",
        "post",
        "/api/closures/",
        MANAGER_UP,
        ok=201,
        data=CLOSURE_BODY,
        effect=lambda w: Closure.objects.count(),
    ),
    Case(
        "change closure",
        "patch",
        "/api/closures/{closure}/",
        MANAGER_UP,
        data={"public_note": "Moved"},
        effect=lambda w: Closure.objects.get(pk=w["closure"].pk).public_note,
    ),
    Case(
        "delete closure",
        "delete",
        "/api/closures/{closure}/",
        MANAGER_UP,
        ok=204,
        effect=lambda w: Closure.objects.filter(pk=w["closure"].pk).exists(),
    ),
    # Public endpoints stay public.
    Case(
        "closed days (public)",
        "get",
        "/api/closures/days/?from=2031-01-01&to=2031-01-31",
        EVERYONE,
    ),
    Case("waiting list", "get", "/api/waitlist/", DESK_UP),
    Case("waiting-list entry", "get", "/api/waitlist/{entry}/", DESK_UP),
    Case(
        "offer a slot by hand",
        "post",
        "/api/waitlist/{entry}/offer/",
        DESK_UP,
        ok=201,
        data={"availability": "{free_slot}"},
        effect=lambda w: WaitlistOffer.objects.count(),
    ),
    Case("services (public)", "get", "/api/services/", EVERYONE),
    Case("slots (public)", "get", "/api/availability/", EVERYONE),
    Case("bookable slots (public)", "get", "/api/bookings/availability/", EVERYONE),
]


def _fill(value, w):
    if isinstance(value, str) and value.startswith("{") and value.endswith("}"):
        return w[value[1:-1]].pk
    return value


def _url(template, w):
    return template.format(**{name: obj.pk for name, obj in w.items()})


@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize("case", API_CASES, ids=lambda case: case.name)
def test_api_matrix(case, role, world):
    client = APIClient()
    user = make_user(role)
    if user is not None:
        client.force_authenticate(user)
    data = {key: _fill(value, world) for key, value in (case.data or {}).items()}
    before = case.effect(world) if case.effect else None

    response = getattr(client, case.method)(_url(case.url, world), data or None)

    if role in case.allowed:
        assert response.status_code == case.ok, response.content
        if case.effect and case.ok < 300:
            assert case.effect(world) != before
    else:
        expected = 401 if role == "anonymous" else 403
        assert response.status_code == expected, response.content
        body = response.json()
        assert body["code"] in {"not_authenticated", "permission_denied"}
        if case.effect:
            assert case.effect(world) == before


ADMIN_LOGIN = "/admin/login/"

ADMIN_CASES = [
    Case("admin index", "get", "/admin/", DESK_UP | {"staff_no_role"}),
    Case("desk page", "get", "/admin/bookings/booking/desk/", DESK_UP),
    Case("booking list", "get", "/admin/bookings/booking/", DESK_UP),
    Case(
        "booking change form",
        "get",
        "/admin/bookings/booking/{booking}/change/",
        DESK_UP,
    ),
    Case(
        "save booking notes",
        "post",
        "/admin/bookings/booking/{booking}/change/",
        DESK_UP,
        ok=302,
        data={
            "customer_name": "Joana",
            "customer_email": "joana@example.com",
            "customer_phone": "912345678",
            "notes": "Prefers mornings.",
            "locale": "pt-pt",
            "events-TOTAL_FORMS": "1",
            "events-INITIAL_FORMS": "1",
        },
        effect=lambda w: Booking.objects.get(pk=w["booking"].pk).notes,
    ),
    Case(
        "delete booking page",
        "get",
        "/admin/bookings/booking/{booking}/delete/",
        MANAGER_UP,
    ),
    Case(
        "verify payment action",
        "post",
        "/admin/bookings/booking/",
        DESK_UP,
        ok=302,
        data={"action": "verify_payment", "_selected_action": "{booking}"},
        effect=booking_status,
    ),
    Case(
        "cancel action",
        "post",
        "/admin/bookings/booking/",
        DESK_UP,
        ok=302,
        data={"action": "cancel_bookings", "_selected_action": "{booking}"},
        effect=booking_status,
    ),
    Case(
        "desk verify button",
        "post",
        "/admin/bookings/booking/desk/",
        DESK_UP,
        ok=302,
        data={"operation": "verify", "booking": "{booking}"},
        effect=booking_status,
    ),
    Case(
        "reschedule page",
        "get",
        "/admin/bookings/booking/{booking}/reschedule/",
        DESK_UP,
    ),
    Case(
        "reschedule submit",
        "post",
        "/admin/bookings/booking/{booking}/reschedule/",
        DESK_UP,
        ok=302,
        data={"availability": "{free_slot}"},
        effect=lambda w: Booking.objects.get(pk=w["booking"].pk).availability_id,
    ),
    Case("service list", "get", "/admin/services/service/", DESK_UP),
    Case("service add form", "get", "/admin/services/service/add/", MANAGER_UP),
    Case(
        "save service",
        "post",
        "/admin/services/service/{service}/change/",
        MANAGER_UP,
        ok=302,
        data={"name": "Renamed", "duration_minutes": "60", "price": "30.00"},
        effect=lambda w: Service.objects.get(pk=w["service"].pk).name,
    ),
    Case("staff add form", "get", "/admin/staff/staff/add/", MANAGER_UP),
    Case("slot list", "get", "/admin/availability/availability/", DESK_UP),
    Case("waiting list (admin)", "get", "/admin/waitlist/waitlistentry/", DESK_UP),
    Case(
        "waiting-list entry (admin)",
        "get",
        "/admin/waitlist/waitlistentry/{entry}/change/",
        DESK_UP,
    ),
    Case("slot add form", "get", "/admin/availability/availability/add/", MANAGER_UP),
    Case(
        "generate slots form",
        "get",
        "/admin/availability/availability/generate/",
        MANAGER_UP,
    ),
    Case("working hours list", "get", "/admin/schedules/workinghours/", DESK_UP),
    Case(
        "working hours add form",
        "get",
        "/admin/schedules/workinghours/add/",
        MANAGER_UP,
    ),
    Case(
        "save working hours",
        "post",
        "/admin/schedules/workinghours/add/",
        MANAGER_UP,
        ok=302,
        data={
            "staff": "{staff}",
            "weekday": "3",
            "start_minute": "14:00",
            "end_minute": "18:00",
            "slot_minutes": "60",
            "buffer_minutes": "0",
        },
        effect=lambda w: WorkingHours.objects.count(),
    ),
    Case("closure list", "get", "/admin/schedules/closure/", DESK_UP),
    Case("closure add form", "get", "/admin/schedules/closure/add/", MANAGER_UP),
    Case(
        "save closure",
        "post",
        "/admin/schedules/closure/add/",
        MANAGER_UP,
        ok=302,
        data={
            "starts_at_0": "2031-01-06",
            "starts_at_1": "00:00",
            "ends_at_0": "2031-01-07",
            "ends_at_1": "00:00",
            "kind": "holiday",
            "public_note": "A holiday",
        },
        effect=lambda w: Closure.objects.count(),
    ),
    Case(
        "delete closure",
        "post",
        "/admin/schedules/closure/{closure}/delete/",
        MANAGER_UP,
        ok=302,
        data={"post": "yes"},
        effect=lambda w: Closure.objects.filter(pk=w["closure"].pk).exists(),
    ),
    Case(
        "webhook endpoint list",
        "get",
        "/admin/webhooks/webhookendpoint/",
        MANAGER_UP,
    ),
    Case(
        "webhook endpoint add form",
        "get",
        "/admin/webhooks/webhookendpoint/add/",
        MANAGER_UP,
    ),
    Case(
        "webhook endpoint change form",
        "get",
        "/admin/webhooks/webhookendpoint/{endpoint}/change/",
        MANAGER_UP,
    ),
    Case(
        "send a test event action",
        "post",
        "/admin/webhooks/webhookendpoint/",
        MANAGER_UP,
        ok=302,
        data={"action": "send_test_event", "_selected_action": "{endpoint}"},
        effect=lambda w: WebhookDelivery.objects.count(),
    ),
    Case(
        "rotate secret action (shows the secret)",
        "post",
        "/admin/webhooks/webhookendpoint/",
        MANAGER_UP,
        data={"action": "rotate_secret", "_selected_action": "{endpoint}"},
        effect=lambda w: WebhookEndpoint.objects.get(pk=w["endpoint"].pk).secret,
    ),
    Case(
        "webhook delivery list",
        "get",
        "/admin/webhooks/webhookdelivery/",
        MANAGER_UP,
    ),
    Case(
        "webhook delivery page",
        "get",
        "/admin/webhooks/webhookdelivery/{delivery}/change/",
        MANAGER_UP,
    ),
    Case(
        "send again action",
        "post",
        "/admin/webhooks/webhookdelivery/",
        MANAGER_UP,
        ok=302,
        data={"action": "send_again", "_selected_action": "{delivery}"},
        effect=lambda w: WebhookDelivery.objects.get(pk=w["delivery"].pk).status,
    ),
    Case("erasure records", "get", "/admin/privacy/erasurerecord/", MANAGER_UP),
    Case(
        "erase or export form",
        "get",
        "/admin/privacy/erasurerecord/request/",
        MANAGER_UP,
    ),
    Case(
        "erase a guest in the admin",
        "post",
        "/admin/privacy/erasurerecord/request/",
        MANAGER_UP,
        ok=302,
        data={
            "action": "erase",
            "email": "guest-erased@example.com",
            "reason": "asked",
        },
        effect=lambda w: ErasureRecord.objects.count(),
    ),
    Case(
        "export a guest in the admin",
        "post",
        "/admin/privacy/erasurerecord/request/",
        MANAGER_UP,
        data={"action": "export", "email": "guest-erased@example.com"},
    ),
    Case("export page", "get", "/admin/exports/export/", MANAGER_UP),
    Case(
        "export download",
        "get",
        "/admin/exports/export/?kind=bookings&date_from=2030-03-01"
        "&date_to=2030-03-31&file_format=xlsx",
        MANAGER_UP,
    ),
    Case(
        "delete slot",
        "post",
        "/admin/availability/availability/{free_slot}/delete/",
        MANAGER_UP,
        ok=302,
        data={"post": "yes"},
        effect=lambda w: Availability.objects.filter(pk=w["free_slot"].pk).exists(),
    ),
    # Issue 26: staff API tokens (hashed) in the admin: no role is granted
    # them; `createstaffuser --token` and `revokestafftokens` manage them.
    Case("API token list", "get", "/admin/knox/authtoken/", {"superuser"}),
    Case("API token add form", "get", "/admin/knox/authtoken/add/", {"superuser"}),
]


@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize("case", ADMIN_CASES, ids=lambda case: case.name)
def test_admin_matrix(case, role, world):
    client = Client()
    user = make_user(role)
    if user is not None:
        client.force_login(user)
    data = {key: _fill(value, world) for key, value in (case.data or {}).items()}
    before = case.effect(world) if case.effect else None

    response = getattr(client, case.method)(_url(case.url, world), data)

    if role in case.allowed:
        assert response.status_code == case.ok, response.content[:2000]
        if case.ok == 302:
            assert not response["Location"].startswith(ADMIN_LOGIN)
        if case.effect:
            assert case.effect(world) != before
    else:
        if role in ("anonymous", "user"):
            # The admin sends people without staff status to its login page.
            assert response.status_code == 302
            assert response["Location"].startswith(ADMIN_LOGIN)
        else:
            assert response.status_code == 403
        if case.effect:
            assert case.effect(world) == before


def test_every_api_action_is_in_a_permission_table():
    """A new action without a row would be refused to everyone; keep the
    tables and the routes in step."""
    from config.urls import router

    for _, viewset, _ in router.registry:
        actions = {"list", "retrieve", "create", "update", "partial_update", "destroy"}
        actions = {name for name in actions if hasattr(viewset, name)}
        actions |= {extra.__name__ for extra in viewset.get_extra_actions()}
        assert actions <= set(viewset.action_permissions), viewset
