"""The Desk speaks its staff's language (issue 29): a browser set to
Portuguese (Portugal) reads the Desk in Portuguese, one set to English reads
it in English, from the same server and the same user."""

import os
import shutil

import pytest

from apps.bookings.tests.factories import StaffUserFactory
from common.tests.connections import replace_dead_connection
from common.tests.translations import compiled_catalogs

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture(autouse=True)
def _catalogs():
    replace_dead_connection()
    if shutil.which("msgfmt") is None:
        message = "msgfmt is missing: install Debian's gettext package"
        if os.environ.get("CI") == "true":
            pytest.fail(message)
        pytest.skip(message)
    compiled_catalogs()


def desk_in(browser, live_server, locale):
    context = browser.new_context(locale=locale)
    page = context.new_page()
    page.set_default_timeout(15000)
    page.goto(f"{live_server.url}/admin/login/")
    page.fill("#id_username", "desk")
    page.fill("#id_password", "pass-word-123")
    page.click("input[type=submit]")
    page.goto(f"{live_server.url}/admin/bookings/booking/desk/")
    texts = {
        "lang": page.locator("html").get_attribute("lang"),
        "title": page.title(),
        "find": page.locator("label[for=desk-reference]").inner_text(),
        "new": page.locator("#desk-new").inner_text(),
        "unpaid": page.locator("#desk-unpaid h2").inner_text(),
        "today": page.locator("#desk-day-0 h2").inner_text(),
        "logout": page.locator("#logout-form button").inner_text(),
    }
    context.close()
    return texts


def test_the_desk_in_portuguese_and_in_english(live_server, browser):
    StaffUserFactory(username="desk", role="desk")

    portuguese = desk_in(browser, live_server, "pt-PT")
    english = desk_in(browser, live_server, "en-GB")

    assert portuguese["lang"] == "pt-pt"
    assert portuguese["title"].startswith("Receção")
    assert portuguese["find"] == (
        "Procurar uma marcação (referência, nome, telefone ou email)"
    )
    assert portuguese["new"] == "Nova marcação"
    assert portuguese["unpaid"].startswith("A aguardar pagamento")
    assert portuguese["today"].startswith("Hoje,")
    # Django's own admin strings come from Django's Portuguese catalog.
    assert portuguese["logout"].lower() == "sair"

    assert english["lang"] == "en"
    assert english["title"].startswith("Desk")
    assert english["find"] == "Find a booking (reference, name, phone or email)"
    assert english["new"] == "New booking"
    assert english["unpaid"].startswith("Awaiting payment")
    assert english["today"].startswith("Today,")
    assert english["logout"].lower() == "log out"
