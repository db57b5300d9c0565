"""A guest on the booking page, in a real browser (Playwright + Debian Chromium).

Screenshots go to the test run's temporary directory (`screenshots/`); with
SAVE_DOCS_SCREENSHOTS=1 the booking form and the confirmation are also saved
to docs/img/ for the README.
"""

import os
import shutil
from datetime import datetime, timedelta
from pathlib import Path

import pytest
from django.conf import settings
from django.db import close_old_connections
from django.utils import timezone

from apps.availability.models import Availability
from apps.availability.tests.factories import AvailabilityFactory
from apps.bookings import services
from apps.bookings.models import Booking
from apps.bookings.tests.factories import unpaid_booking
from apps.schedules import services as calendar_services
from apps.schedules.models import Closure
from apps.services.tests.factories import ServiceFactory
from apps.staff.tests.factories import StaffFactory
from common.dates import local_day_bounds

# The browser is Debian's Chromium from the `browser` fixture (backend/conftest.py).
pytestmark = pytest.mark.django_db(transaction=True)

DOCS_IMG = Path(settings.PROJECT_DIR) / "docs" / "img"


@pytest.fixture
def screenshots(tmp_path_factory):
    directory = tmp_path_factory.getbasetemp() / "screenshots"
    directory.mkdir(exist_ok=True)

    def save(page, name, *, docs=False):
        path = directory / f"{name}.png"
        page.screenshot(path=str(path), full_page=True)
        if docs and os.environ.get("SAVE_DOCS_SCREENSHOTS"):
            DOCS_IMG.mkdir(parents=True, exist_ok=True)
            shutil.copy(path, DOCS_IMG / f"{name}.png")
        return path

    return save


@pytest.fixture
def new_page(browser, live_server):
    """A page in a fresh browser context (its own cookies: another guest).

    Every request it completes is recorded, to check none left the origin.
    """
    pages = []

    def make(*, width=1280, height=900, locale="en-GB"):
        context = browser.new_context(
            viewport={"width": width, "height": height}, locale=locale
        )
        page = context.new_page()
        page.set_default_timeout(15000)
        # What the browser actually fetched (a request the policy blocks
        # never finishes).
        page.requested_urls = []
        page.on(
            "requestfinished", lambda request: page.requested_urls.append(request.url)
        )
        page.errors = []
        page.on("pageerror", lambda error: page.errors.append(str(error)))
        # A Content-Security-Policy refusal is only a console error.
        page.on(
            "console",
            lambda message: (
                message.type == "error"
                and "Content Security Policy" in message.text
                and page.errors.append(message.text)
            ),
        )
        pages.append(page)
        return page

    yield make
    for page in pages:
        assert page.errors == [], "\n".join(page.errors)
        assert page.requested_urls
        elsewhere = [
            url
            for url in page.requested_urls
            if not url.startswith((live_server.url, f"blob:{live_server.url}"))
        ]
        assert elsewhere == []
        page.context.close()


@pytest.fixture
def salon(db, new_page):
    """A service, two staff members offering it, and free slots in three days.

    After the browser starts: on PostgreSQL the outage tests in
    test_concurrency can leave this thread's connection terminated, and
    close_old_connections() lets the next query replace it.
    """
    close_old_connections()
    service = ServiceFactory(
        name="Classic manicure",
        description="Shape, cuticle care and polish.",
        duration_minutes=45,
        price="25.00",
    )
    ana = StaffFactory(name="Ana Sousa", services=[service])
    rita = StaffFactory(name="Rita Lopes", services=[service])
    day = timezone.localdate() + timedelta(days=3)
    slots = {}
    for staff in (ana, rita):
        for hour in (10, 11, 15):
            start = timezone.make_aware(datetime(day.year, day.month, day.day, hour))
            slots[(staff.name, hour)] = AvailabilityFactory(
                staff=staff, start_time=start, end_time=start + timedelta(hours=1)
            )
    return {"service": service, "day": day, "slots": slots}


def open_day(page, day):
    """Browse months until the day is shown, then choose it."""
    selector = f"button[data-date='{day.isoformat()}']"
    for _ in range(3):
        page.wait_for_selector("#calendar[aria-busy='false']")
        if page.locator(f"{selector}:not([disabled])").count():
            break
        page.click("#next-month")
    page.click(selector)
    page.wait_for_selector("button.slot")


def choose_slot(
    page, live_server, salon, *, staff="Ana Sousa", time="10:00", word="with"
):
    page.goto(f"{live_server.url}/")
    page.locator(".service-option label", has_text="Classic manicure").click()
    open_day(page, salon["day"])
    page.get_by_role("button", name=f"{time} {word} {staff}").click()
    page.wait_for_selector("#step-details:not([hidden])")


def fill_details(page, *, email="joana@example.com", phone="912 345 678"):
    page.fill("#customer_name", "Joana Silva")
    page.fill("#customer_email", email)
    page.fill("#customer_phone", phone)


def countdown_seconds(page) -> int:
    minutes, seconds = page.inner_text("#countdown").split(":")[-2:]
    return int(minutes) * 60 + int(seconds)


def test_a_guest_books_end_to_end(live_server, new_page, salon, screenshots):
    from playwright.sync_api import expect

    page = new_page()
    choose_slot(page, live_server, salon)
    fill_details(page)
    page.fill("#notes", "First visit")
    screenshots(page, "booking-form", docs=True)

    page.click("#book-button")
    page.wait_for_selector("#countdown")

    reference = page.inner_text("#booking-reference")
    booking = Booking.objects.get(reference=reference)
    assert booking.status == Booking.Status.AWAITING_PAYMENT
    assert booking.availability == salon["slots"][("Ana Sousa", 10)]
    assert booking.notes == "First visit"
    confirmation = page.inner_text("#confirmation")
    assert "€25.00" in confirmation
    assert "Ana Sousa" in confirmation
    # The page is English (en-GB): so is the booking, and the business's text.
    assert booking.locale == "en"
    assert settings.BOOKING_PAYMENT_INSTRUCTIONS_EN in confirmation
    # Times in the business timezone with its name, here Lisbon's 10:00.
    assert "10:00" in confirmation and ("WET" in confirmation or "WEST" in confirmation)
    first = countdown_seconds(page)
    assert 28 * 60 < first <= 30 * 60
    page.wait_for_timeout(2100)
    assert countdown_seconds(page) < first
    assert "left to pay" in page.inner_text("#countdown-live")
    screenshots(page, "confirmation", docs=True)

    page.context.grant_permissions(["clipboard-read", "clipboard-write"])
    page.get_by_role("button", name="Copy").click()
    expect(page.locator("#status")).to_have_text("Reference copied.")
    assert page.evaluate("navigator.clipboard.readText()") == reference


def test_a_slot_taken_meanwhile_says_so_and_shows_fresh_slots(
    live_server, new_page, salon, screenshots
):
    first = new_page()
    choose_slot(first, live_server, salon)
    fill_details(first, email="first@example.com", phone="912 000 001")

    second = new_page()
    choose_slot(second, live_server, salon)
    fill_details(second, email="second@example.com", phone="912 000 002")
    second.click("#book-button")
    second.wait_for_selector("#countdown")

    first.click("#book-button")
    first.wait_for_selector("#time-messages .notice-error")
    assert "someone has just booked that time" in first.inner_text("#time-messages")
    first.wait_for_selector("button.slot")
    shown = first.locator("button.slot").evaluate_all(
        "buttons => buttons.map(b => b.getAttribute('aria-label'))"
    )
    assert "10:00 with Ana Sousa" not in shown
    assert "11:00 with Ana Sousa" in shown and "10:00 with Rita Lopes" in shown
    assert first.locator("#step-details").is_hidden()
    screenshots(first, "slot-taken")
    taken = Booking.objects.get(availability=salon["slots"][("Ana Sousa", 10)])
    assert taken.customer_email == "second@example.com"

    # The fresh slots book normally.
    first.get_by_role("button", name="11:00 with Ana Sousa").click()
    first.click("#book-button")
    first.wait_for_selector("#countdown")
    assert Booking.objects.filter(customer_email="first@example.com").count() == 1


def test_a_slot_deleted_meanwhile_reads_as_taken_and_shows_fresh_slots(
    live_server, new_page, salon
):
    page = new_page()
    choose_slot(page, live_server, salon)
    fill_details(page)
    # Staff delete the chosen slot before the guest sends the form: the API
    # answers 400 `invalid` for the availability id, not a field to fix.
    Availability.objects.filter(pk=salon["slots"][("Ana Sousa", 10)].pk).delete()

    page.click("#book-button")
    page.wait_for_selector("#time-messages .notice-error")
    assert "someone has just booked that time" in page.inner_text("#time-messages")
    assert "Invalid pk" not in page.inner_text("body")
    page.wait_for_selector("button.slot")
    shown = page.locator("button.slot").evaluate_all(
        "buttons => buttons.map(b => b.getAttribute('aria-label'))"
    )
    assert "10:00 with Ana Sousa" not in shown
    assert "11:00 with Ana Sousa" in shown
    assert not Booking.objects.exists()


def test_manage_my_booking_finds_and_cancels(live_server, new_page, salon, screenshots):
    booking = unpaid_booking(
        salon["service"],
        salon["slots"][("Rita Lopes", 15)],
        customer_email="rui@example.com",
    )
    page = new_page()
    page.goto(f"{live_server.url}/booking/")
    page.fill("#lookup-reference", booking.reference.lower())
    page.fill("#lookup-contact", "wrong@example.com")
    page.click("#lookup-form button[type=submit]")
    page.wait_for_selector("#lookup-messages .notice-error")
    assert "No booking matches" in page.inner_text("#lookup-messages")

    page.fill("#lookup-contact", "RUI@example.com")
    page.click("#lookup-form button[type=submit]")
    page.wait_for_selector("#manage-result:not([hidden])")
    details = page.inner_text("#manage-details")
    assert "Awaiting payment" in details and booking.reference in details
    assert "15:00" in details
    page.wait_for_selector("#countdown")
    screenshots(page, "manage-booking")

    page.get_by_role("button", name="Cancel this booking").click()
    page.get_by_role("button", name="Yes, cancel it").click()
    page.wait_for_selector("#manage-messages .notice-success")
    assert "Cancelled" in page.inner_text("#manage-details")
    booking.refresh_from_db()
    assert booking.status == Booking.Status.CANCELLED
    assert page.get_by_role("button", name="Cancel this booking").count() == 0


def test_an_emailed_link_opens_a_locked_booking_and_cancels_it(
    live_server, new_page, salon
):
    """Issue 26: a reference locked by wrong proofs opens through the link the
    guest was emailed; each request spends its token and uses the next."""
    import re

    from apps.bookings.guest_access import access_links_send, booking_for_proof
    from apps.notifications.models import Notification
    from apps.notifications.services import notifications_send_due

    booking = unpaid_booking(
        salon["service"],
        salon["slots"][("Ana Sousa", 11)],
        customer_email="ines@example.com",
    )
    for i in range(settings.BOOKING_MAX_FAILED_PROOFS_PER_HOUR):
        booking_for_proof(reference=booking.reference, phone=f"+35191200{i:04d}")
    assert (
        booking_for_proof(reference=booking.reference, email="ines@example.com") is None
    )
    assert access_links_send() == 1
    notifications_send_due()  # the sender renders the email
    body = Notification.objects.get(kind="access_link").body_text
    link = re.search(r"/booking/#\S+", body).group(0)

    page = new_page()
    page.goto(f"{live_server.url}{link}")
    page.wait_for_selector("#manage-result:not([hidden])")
    assert booking.reference in page.inner_text("#manage-details")
    assert "access=" not in page.url
    page.get_by_role("button", name="Cancel this booking").click()
    page.get_by_role("button", name="Yes, cancel it").click()
    page.wait_for_selector("#manage-messages .notice-success")
    booking.refresh_from_db()
    assert booking.status == Booking.Status.CANCELLED


def test_the_page_at_a_phone_width(live_server, new_page, salon, screenshots):
    page = new_page(width=390, height=844)
    choose_slot(page, live_server, salon, staff="Rita Lopes", time="11:00")
    fill_details(page)
    screenshots(page, "phone-form")
    assert page.evaluate("document.documentElement.scrollWidth") <= 390

    page.click("#book-button")
    page.wait_for_selector("#countdown")
    screenshots(page, "phone-confirmation")
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    book = page.get_by_role("button", name="Book another appointment").bounding_box()
    assert book["x"] >= 0 and book["x"] + book["width"] <= 390


def test_portuguese_from_the_browser_language(live_server, new_page, salon):
    page = new_page(locale="pt-PT")
    page.goto(f"{live_server.url}/")
    page.wait_for_selector(".service-option")
    assert page.evaluate("document.documentElement.lang") == "pt"
    assert page.inner_text("#service-title") == "Escolha um serviço"
    assert page.get_by_role("link", name="A minha marcação").count() == 1


def test_a_portuguese_guest_books_in_portuguese(live_server, new_page, salon):
    """The page sends its language: the server answers errors in it, and the
    booking keeps it for its emails."""
    page = new_page(locale="pt-PT")
    choose_slot(page, live_server, salon, word="com")
    fill_details(page, phone="12")
    page.click("#book-button")
    # The server's own words (the page checks no phone number itself).
    error = page.locator("#customer_phone-error")
    error.wait_for(state="visible")
    assert "Introduza um número de telefone válido" in error.inner_text()

    page.fill("#customer_phone", "912 345 678")
    page.click("#book-button")
    page.wait_for_selector("#countdown")
    booking = Booking.objects.get(reference=page.inner_text("#booking-reference"))
    assert booking.locale == "pt-pt"
    confirmation = page.inner_text("#confirmation")
    assert settings.BOOKING_PAYMENT_INSTRUCTIONS in confirmation
    assert settings.BOOKING_PAYMENT_INSTRUCTIONS_EN not in confirmation


def press_tab_until(page, selector, limit=80):
    for _ in range(limit):
        page.keyboard.press("Tab")
        if page.evaluate(
            "selector => document.activeElement.matches(selector)", selector
        ):
            return
    raise AssertionError(f"Tab never reached {selector}")


def test_booking_with_the_keyboard_only(live_server, new_page, salon, screenshots):
    page = new_page()
    page.goto(f"{live_server.url}/")
    page.wait_for_selector(".service-option")

    press_tab_until(page, "input[name=service]")
    page.keyboard.press("Space")
    day = salon["day"].isoformat()
    for _ in range(3):
        page.wait_for_selector("#calendar[aria-busy='false']")
        if page.locator(f"button[data-date='{day}']:not([disabled])").count():
            break
        press_tab_until(page, "#next-month")
        page.keyboard.press("Enter")
    press_tab_until(page, f"button[data-date='{day}']")
    page.keyboard.press("Enter")
    page.wait_for_selector("button.slot")
    press_tab_until(page, "button[aria-label='15:00 with Rita Lopes']")
    page.keyboard.press("Enter")
    page.wait_for_selector("#step-details:not([hidden])")

    press_tab_until(page, "#customer_name")
    page.keyboard.type("Joana Silva")
    page.keyboard.press("Tab")
    page.keyboard.type("joana@example.com")
    page.keyboard.press("Tab")
    page.keyboard.type("+351 912 345 678")
    page.keyboard.press("Enter")  # submits the form from a text field

    page.wait_for_selector("#countdown")
    assert page.evaluate("document.activeElement.id") == "done-title"
    booking = Booking.objects.get(customer_email="joana@example.com")
    assert booking.availability == salon["slots"][("Rita Lopes", 15)]
    screenshots(page, "keyboard-confirmation")


def test_field_errors_appear_next_to_their_fields(live_server, new_page, salon):
    page = new_page()
    choose_slot(page, live_server, salon)
    fill_details(page, phone="12")
    page.click("#book-button")

    page.wait_for_selector("#customer_phone-error:not([hidden])")
    assert page.get_attribute("#customer_phone", "aria-invalid") == "true"
    assert page.locator("#customer_name-error").is_hidden()
    assert Booking.objects.count() == 0


@pytest.mark.parametrize(
    ("path", "rendered"),
    [
        ("/api/docs/", ".swagger-ui .info .title"),
        ("/api/redoc/", "h1:has-text('Doceamor Booking API')"),
    ],
)
def test_the_api_docs_render_from_the_project_itself(
    live_server, new_page, path, rendered
):
    page = new_page()
    page.goto(f"{live_server.url}{path}")

    page.wait_for_selector(rendered)
    assert "Doceamor Booking API" in page.inner_text("body")
    # ReDoc's bundle would ask cdn.redoc.ly for its vendor's logo; the page
    # never lets it (new_page fails the test on any refusal or foreign request).


def test_a_lost_answer_and_a_503_are_retried_with_the_same_key(
    live_server, new_page, salon
):
    page = new_page()
    attempts = []

    def flaky_network(route):
        request = route.request
        if request.method != "POST":
            route.continue_()
            return
        attempts.append(request.headers.get("idempotency-key"))
        if len(attempts) == 1:
            route.abort("connectionreset")
        elif len(attempts) == 2:
            route.fulfill(
                status=503,
                headers={"Retry-After": "1", "Content-Type": "application/json"},
                body='{"code": "database_unavailable", "detail": "Busy."}',
            )
        else:
            route.continue_()

    page.route("**/api/bookings/", flaky_network)
    choose_slot(page, live_server, salon)
    fill_details(page)
    page.click("#book-button")

    page.wait_for_selector("#countdown")
    assert len(attempts) == 3
    assert attempts[0] and len(set(attempts)) == 1
    assert Booking.objects.count() == 1


def test_too_many_requests_waits_for_retry_after(live_server, new_page, salon):
    page = new_page()
    answers = []

    def throttled_once(route):
        if route.request.method != "POST":
            route.continue_()
            return
        answers.append(route.request.url)
        if len(answers) == 1:
            route.fulfill(
                status=429,
                headers={"Retry-After": "2", "Content-Type": "application/json"},
                body='{"code": "throttled", "detail": "Too many requests."}',
            )
        else:
            route.continue_()

    page.route("**/api/bookings/", throttled_once)
    choose_slot(page, live_server, salon)
    fill_details(page)
    page.click("#book-button")

    page.wait_for_selector("#details-messages .notice-info")
    assert "Trying again in 2 seconds" in page.inner_text("#details-messages")
    assert Booking.objects.count() == 0
    page.wait_for_selector("#countdown")
    assert len(answers) == 2
    assert Booking.objects.count() == 1


def find_booking(page, live_server, booking, contact):
    page.goto(f"{live_server.url}/booking/?reference={booking.reference}")
    page.fill("#lookup-contact", contact)
    page.click("#lookup-form button[type=submit]")
    page.wait_for_selector("#manage-result:not([hidden])")


def open_reschedule_day(page, day):
    """In "Manage my booking": open the picker and choose the day."""
    page.get_by_role("button", name="Change the time").click()
    page.wait_for_selector("#reschedule:not([hidden])")
    selector = f"#re-month-body button[data-date='{day.isoformat()}']"
    for _ in range(3):
        page.wait_for_selector("#re-calendar[aria-busy='false']")
        if page.locator(f"{selector}:not([disabled])").count():
            break
        page.click("#re-next-month")
    page.click(selector)
    page.wait_for_selector("#re-slots button.slot")


def test_manage_my_booking_reschedules_to_another_time(
    live_server, new_page, salon, screenshots
):
    old_slot = salon["slots"][("Rita Lopes", 15)]
    new_slot = salon["slots"][("Ana Sousa", 11)]
    booking = unpaid_booking(
        salon["service"], old_slot, customer_email="rui@example.com"
    )
    page = new_page()
    find_booking(page, live_server, booking, "rui@example.com")
    assert "15:00" in page.inner_text("#manage-details")

    open_reschedule_day(page, salon["day"])
    # The booking's own slot is not offered; the others are.
    slots = page.locator("#re-slots")
    assert slots.get_by_role("button", name="15:00 with Rita Lopes").count() == 0
    slots.get_by_role("button", name="11:00 with Ana Sousa").click()
    page.wait_for_selector("#re-confirm:not([hidden])")
    assert "Ana Sousa" in page.inner_text("#re-choice")
    # The confirm button has the focus: Enter moves the booking.
    assert page.evaluate("document.activeElement.id") == "re-confirm-button"
    screenshots(page, "manage-reschedule")
    page.keyboard.press("Enter")

    page.wait_for_selector("#manage-messages .notice-success")
    assert "moved" in page.inner_text("#manage-messages")
    assert page.locator("#reschedule").is_hidden()
    details = page.inner_text("#manage-details")
    assert "11:00" in details and "Ana Sousa" in details and "15:00" not in details
    assert booking.reference in details and "Awaiting payment" in details

    booking.refresh_from_db()
    old_slot.refresh_from_db()
    new_slot.refresh_from_db()
    assert booking.availability_id == new_slot.pk
    assert booking.staff_id == new_slot.staff_id
    assert booking.status == Booking.Status.AWAITING_PAYMENT
    assert new_slot.is_booked and not old_slot.is_booked
    assert Booking.objects.filter(availability=old_slot).count() == 0

    # A fresh lookup shows the new time too.
    find_booking(page, live_server, booking, "rui@example.com")
    assert "11:00" in page.inner_text("#manage-details")


def test_reschedule_to_a_slot_taken_meanwhile_says_so_and_refreshes(
    live_server, new_page, salon
):
    booking = unpaid_booking(
        salon["service"],
        salon["slots"][("Rita Lopes", 15)],
        customer_email="rui@example.com",
    )
    page = new_page()
    find_booking(page, live_server, booking, "rui@example.com")
    open_reschedule_day(page, salon["day"])
    page.locator("#re-slots").get_by_role("button", name="10:00 with Ana Sousa").click()
    page.wait_for_selector("#re-confirm:not([hidden])")
    # Someone else books that time before the guest confirms.
    unpaid_booking(
        salon["service"],
        salon["slots"][("Ana Sousa", 10)],
        customer_email="other@example.com",
    )
    page.click("#re-confirm-button")
    page.wait_for_selector("#reschedule-messages .notice-error")
    assert "someone has just booked" in page.inner_text("#reschedule-messages")
    page.wait_for_selector("#re-slots button.slot")
    slots = page.locator("#re-slots")
    assert slots.get_by_role("button", name="10:00 with Ana Sousa").count() == 0
    assert slots.get_by_role("button", name="11:00 with Ana Sousa").count() == 1
    assert page.locator("#re-confirm").is_hidden()
    booking.refresh_from_db()
    assert booking.availability_id == salon["slots"][("Rita Lopes", 15)].pk


def test_reschedule_after_the_notice_period_says_to_call(
    live_server, new_page, salon, staff_user, settings
):
    # A confirmed booking three days ahead, with a notice period of a week.
    settings.BOOKING_GUEST_CANCEL_NOTICE_HOURS = 24 * 7
    old_slot = salon["slots"][("Rita Lopes", 15)]
    booking = unpaid_booking(
        salon["service"], old_slot, customer_email="rui@example.com"
    )
    services.booking_verify_payment(booking=booking, actor=staff_user)
    page = new_page()
    find_booking(page, live_server, booking, "rui@example.com")
    assert "Confirmed" in page.inner_text("#manage-details")
    open_reschedule_day(page, salon["day"])
    page.locator("#re-slots").get_by_role("button", name="11:00 with Ana Sousa").click()
    page.click("#re-confirm-button")
    page.wait_for_selector("#manage-messages .notice-error")
    assert "too late to change the time online" in page.inner_text("#manage-messages")
    assert page.locator("#reschedule").is_hidden()
    booking.refresh_from_db()
    assert booking.availability_id == old_slot.pk


# --- a closed day ----------------------------------------------------------------


def show_month_of(page, day):
    """Browse months until `day` is in the calendar."""
    selector = f"#month-body button[data-date='{day.isoformat()}']"
    for _ in range(3):
        page.wait_for_selector("#calendar[aria-busy='false']")
        if page.locator(selector).count():
            return page.locator(selector)
        page.click("#next-month")
    raise AssertionError(f"{day} never shown")


@pytest.mark.parametrize(
    ("locale", "width", "closed_word"),
    [("en-GB", 1280, "closed"), ("pt-PT", 390, "fechado")],
)
def test_a_holiday_is_shown_closed_with_its_note(
    live_server, new_page, salon, locale, width, closed_word
):
    holiday = salon["day"]
    start, end = local_day_bounds(holiday)
    # The holiday closes the day that had free slots.
    calendar_services.closure_create(
        starts_at=start,
        ends_at=end,
        kind=Closure.Kind.HOLIDAY,
        public_note="Town festival",
    )
    page = new_page(width=width, height=900, locale=locale)
    page.goto(f"{live_server.url}/")
    page.locator(".service-option label", has_text="Classic manicure").click()

    day = show_month_of(page, holiday)

    assert day.is_disabled()
    assert "day-closed" in day.get_attribute("class")
    assert f"{closed_word}: Town festival" in day.get_attribute("aria-label")
    notes = page.locator("#closed-notes")
    assert notes.is_visible()
    assert f"{closed_word}: Town festival" in notes.inner_text()
    # The day after, not closed, is not listed.
    assert (holiday + timedelta(days=1)).isoformat() not in (notes.inner_html())


def test_a_guest_asks_for_erasure_and_confirms_with_the_emailed_link(
    live_server, new_page, salon
):
    """Issue 30: "Your personal data" asks for a link; the link erases."""
    import re

    from apps.notifications.models import Notification
    from apps.notifications.services import notifications_send_due
    from apps.privacy.guest import guest_links_send

    booking = unpaid_booking(
        salon["service"],
        salon["slots"][("Ana Sousa", 11)],
        customer_email="marta@example.com",
    )
    services.booking_cancel(booking=booking, actor=None, source="staff", reason="")
    page = new_page()
    page.goto(f"{live_server.url}/booking/")
    page.fill("#privacy-email", "marta@example.com")
    page.get_by_role("button", name="Email me a link to erase my data").click()
    page.wait_for_selector("#privacy-messages .notice")
    assert "we have emailed it a link" in page.inner_text("#privacy-messages")
    assert guest_links_send() == 1
    notifications_send_due()  # the sender renders the email
    body = Notification.objects.get(kind="privacy_link").body_text
    link = re.search(r"/booking/#privacy=\S+", body).group(0)

    page = new_page()
    page.goto(f"{live_server.url}{link}")
    page.wait_for_selector("#privacy-confirm:not([hidden])")
    assert "privacy=" not in page.url
    page.get_by_role("button", name="Confirm").click()
    page.wait_for_selector("#privacy-confirm-messages .notice")
    assert "Erased" in page.inner_text("#privacy-confirm-messages")
    assert booking.reference in page.inner_text("#privacy-confirm-messages")
    booking.refresh_from_db()
    assert booking.customer_email == "erased@invalid"
    assert page.errors == []
