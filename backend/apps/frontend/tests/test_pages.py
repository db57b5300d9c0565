"""The pages the project serves: the guest page, the API docs, the API root."""

import re
from html.parser import HTMLParser
from pathlib import Path

import pytest
from django.contrib.staticfiles import finders
from rest_framework.test import APIClient

from apps.bookings.tests.factories import StaffUserFactory

pytestmark = pytest.mark.django_db

PAGES = [
    "/",
    "/booking/",
    "/booking/waitlist/",
    "/booking/waitlist/leave/?token=abc",
    "/booking/offer/?token=abc",
    "/api/docs/",
    "/api/redoc/",
    "/api/",
    "/api/services/",
    "/admin/login/",
    "/api-auth/login/",
]


class ReferenceCollector(HTMLParser):
    """Every URL an HTML page makes the browser load or link to."""

    attributes = {"src", "href", "action", "data", "poster", "srcset"}

    def __init__(self):
        super().__init__()
        self.urls = []
        self.inline_scripts = 0
        self.inline_handlers = []
        self._in_script = False

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        for name, value in attrs.items():
            if name in self.attributes and value:
                self.urls.append(value)
            if name.startswith("on"):
                self.inline_handlers.append(f"<{tag} {name}>")
        self._in_script = tag == "script" and "src" not in attrs

    def handle_data(self, data):
        if self._in_script and data.strip():
            self.inline_scripts += 1

    def handle_endtag(self, tag):
        if tag == "script":
            self._in_script = False


def collect(html: str) -> ReferenceCollector:
    collector = ReferenceCollector()
    collector.feed(html)
    return collector


def is_same_origin(url: str) -> bool:
    if url.startswith("http://testserver/"):
        return True
    return not re.match(r"^([a-z][a-z0-9+.-]*:)?//", url, re.IGNORECASE)


@pytest.mark.parametrize("path", PAGES)
def test_no_page_references_another_origin(client, path):
    response = client.get(path, HTTP_ACCEPT="text/html")

    assert response.status_code == 200
    html = response.content.decode()
    references = collect(html).urls
    assert references, "the page should load something"
    assert [url for url in references if not is_same_origin(url)] == []
    # Not even a hint to preconnect or a CSS @import of web fonts.
    assert "googleapis" not in html and "jsdelivr" not in html
    assert "unpkg" not in html and "cdn." not in html


OUR_PAGES = [
    "/",
    "/booking/",
    "/booking/waitlist/",
    "/booking/offer/",
    "/api/docs/",
    "/api/redoc/",
]


@pytest.mark.parametrize("path", OUR_PAGES)
def test_our_pages_run_without_inline_script(client, path):
    page = collect(client.get(path).content.decode())

    assert page.inline_scripts == 0
    assert page.inline_handlers == []


@pytest.mark.parametrize("path", OUR_PAGES)
def test_our_pages_are_served_under_the_strict_policy(client, path):
    policy = client.get(path)["Content-Security-Policy"]

    assert "default-src 'self'" in policy
    assert "script-src 'self';" in policy + ";"


def test_swagger_ui_setup_script_and_assets_are_served_here(client):
    page = client.get("/api/docs/").content.decode()
    script_url = re.search(r'<script src="([^"]+\?[^"]*script=[^"]*)"', page).group(1)
    script = client.get(script_url.replace("&amp;", "&"))

    assert script.status_code == 200
    assert script["Content-Type"].startswith("application/javascript")
    assert "/api/schema/" in script.content.decode()
    for asset in collect(page).urls:
        if "/static/" in asset:
            name = asset.split("/static/", 1)[1]
            assert finders.find(name), name


def test_the_guest_page_carries_its_settings_in_data_attributes(client, settings):
    settings.BOOKING_BUSINESS_NAME = "Salão <Rosa>"
    settings.BOOKING_WELCOME_TEXT = "Bem-vinda!"
    settings.BOOKING_WELCOME_TEXT_EN = "Welcome!"

    html = client.get("/", headers={"accept-language": "pt-PT"}).content.decode()

    assert "<title>Salão &lt;Rosa&gt;</title>" in html
    assert 'data-business-name="Salão &lt;Rosa&gt;"' in html
    assert "Bem-vinda!" in html
    assert 'data-timezone="Europe/Lisbon"' in html
    assert 'data-currency="EUR"' in html
    assert 'data-initial-view="book"' in html
    assert 'data-initial-view="manage"' in client.get("/booking/").content.decode()
    assert "Welcome!" not in html
    # The English page: the English text, the same name (none given in English).
    english = client.get("/", headers={"accept-language": "en"}).content.decode()
    assert "Welcome!" in english and "Bem-vinda!" not in english
    assert 'data-business-name="Salão &lt;Rosa&gt;"' in english


def test_the_guest_page_can_be_turned_off(client, settings):
    settings.BOOKING_GUEST_PAGE = False

    for path in ("/", "/booking/", "/booking/waitlist/", "/booking/offer/"):
        response = client.get(path)
        assert response.status_code == 404
        assert response.json()["code"] == "not_found"
    assert client.get("/api/services/").status_code == 200


def test_the_guest_page_accepts_only_safe_methods(client):
    assert client.post("/").status_code == 405


def test_the_translation_tables_have_the_same_keys():
    source = Path(finders.find("frontend/i18n.js")).read_text(encoding="utf-8")
    tables = dict(re.findall(r"\n  (\w+): \{\n(.*?)\n  \},", source, flags=re.DOTALL))
    keys = {
        language: set(re.findall(r"^\s+(\w+):", body, flags=re.MULTILINE))
        for language, body in tables.items()
    }

    assert set(keys) == {"en", "pt"}
    assert keys["en"] == keys["pt"]
    used = set(
        re.findall(r'\bt\("(\w+)"', Path(finders.find("frontend/guest.js")).read_text())
    )
    # t("status_" + status): a prefix some keys start with.
    prefixes = {key for key in used if key.endswith("_")}
    assert all(any(k.startswith(p) for k in keys["en"]) for p in prefixes)
    assert used - prefixes - keys["en"] == set()


PUBLIC_ROOT = {
    "services",
    "staff",
    "availability",
    "bookings",
    "bookings/availability",
    "bookings/availability/days",
    "bookings/lookup",
    "bookings/lookup/cancel",
    "bookings/lookup/reschedule",
    "closures/days",
    "privacy/requests",
    "privacy/requests/confirm",
    "waitlist",
    "waitlist/leave",
    "waitlist/offers/show",
    "waitlist/offers/accept",
    "waitlist/offers/decline",
    "schema",
    "docs",
    "redoc",
    "health",
}


def test_the_api_root_lists_the_public_endpoints_to_anyone(api_client):
    response = api_client.get("/api/")

    assert response.status_code == 200
    assert set(response.json()) == PUBLIC_ROOT
    for url in response.json().values():
        assert url.startswith("http://testserver/")


def test_the_api_root_ignores_a_bad_token(api_client):
    api_client.credentials(HTTP_AUTHORIZATION="Token wrong")

    # A wrong token is still refused as such, not shown a 200 for staff.
    assert api_client.get("/api/").status_code == 401


def test_the_api_root_is_browsable_for_visitors(client):
    response = client.get("/api/", HTTP_ACCEPT="text/html")

    assert response.status_code == 200
    assert "bookings/availability/days" in response.content.decode()


def test_staff_see_every_endpoint_in_the_root():
    client = APIClient()
    client.force_authenticate(StaffUserFactory())

    links = client.get("/api/").json()

    assert set(links) >= PUBLIC_ROOT
    assert links["bookings"] == "http://testserver/api/bookings/"


def test_the_waitlist_pages_say_which_view_and_never_act_on_open():
    """Opening an emailed link changes nothing (mail scanners open links): the
    page only shows a button; the API is called when the guest presses it."""
    from django.test import Client

    client = Client()
    for path, view in [
        ("/booking/waitlist/", "join"),
        ("/booking/waitlist/leave/?token=t", "leave"),
        ("/booking/offer/?token=t", "offer"),
    ]:
        html = client.get(path).content.decode()
        assert f'data-view="{view}"' in html
    assert client.post("/booking/offer/?token=t").status_code == 405


def test_the_guest_page_links_to_the_waiting_list(client):
    assert 'href="/booking/waitlist/"' in client.get("/").content.decode()
