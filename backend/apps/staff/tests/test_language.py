"""A staff user's own language wins over their browser's (issue 29): saved
on "My language", read from the session from login on."""

import shutil

import pytest
from django.urls import reverse

from apps.bookings.tests.factories import StaffUserFactory
from apps.staff.models import StaffLanguage
from common.tests.translations import compiled_catalogs

pytestmark = pytest.mark.django_db

DESK = "/admin/bookings/booking/desk/"


@pytest.fixture(autouse=True)
def _catalogs():
    if shutil.which("msgfmt") is None:
        pytest.skip("msgfmt is missing: install Debian's gettext package")
    compiled_catalogs()


def log_in(client, user):
    client.force_login(user)  # sends user_logged_in, as the login form does


def desk_heading(client, accept_language):
    response = client.get(DESK, HTTP_ACCEPT_LANGUAGE=accept_language)
    assert response.status_code == 200
    return response


def test_without_a_choice_the_browser_decides(client):
    log_in(client, StaffUserFactory(username="rita", role="desk"))

    assert "Nova marcação" in desk_heading(client, "pt-PT").content.decode()
    assert "New booking" in desk_heading(client, "en").content.decode()


def test_a_saved_language_wins_over_the_browser(client):
    user = StaffUserFactory(username="rita", role="desk")
    log_in(client, user)

    page = client.get(reverse("admin:staff_my_language"), HTTP_ACCEPT_LANGUAGE="pt-PT")
    assert "Idioma" in page.content.decode()
    saved = client.post(
        reverse("admin:staff_my_language"),
        {"language": "en"},
        HTTP_ACCEPT_LANGUAGE="pt-PT",
        follow=True,
    )
    assert "Your language is saved." in saved.content.decode()
    assert StaffLanguage.objects.get(user=user).language == "en"
    assert "New booking" in desk_heading(client, "pt-PT").content.decode()

    # The choice outlives the session: the next login reads it.
    client.logout()
    log_in(client, user)
    assert "New booking" in desk_heading(client, "pt-PT").content.decode()

    # Back to the browser's language.
    client.post(
        reverse("admin:staff_my_language"),
        {"language": ""},
        HTTP_ACCEPT_LANGUAGE="pt-PT",
    )
    assert not StaffLanguage.objects.filter(user=user).exists()
    assert "Nova marcação" in desk_heading(client, "pt-PT").content.decode()


def test_an_unknown_language_is_a_form_error(client):
    log_in(client, StaffUserFactory(username="rita", role="desk"))

    response = client.post(reverse("admin:staff_my_language"), {"language": "fr"})

    assert response.status_code == 200
    assert response.context["form"].errors["language"]
    assert not StaffLanguage.objects.exists()
