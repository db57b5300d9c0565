"""The admin is titled with the business's name, read at each page."""

from django.contrib import admin
from django.utils.functional import lazy
from django.utils.translation import gettext_lazy as _


def _title(template) -> str:
    from apps.business.selectors import business_settings

    return str(template) % {"name": business_settings().name}


def install() -> None:
    # Lazy strings are evaluated each time a page renders them, so a new
    # name (or the reader's language) shows without a restart.
    admin.site.site_header = lazy(_title, str)(_("%(name)s administration"))
    admin.site.site_title = lazy(_title, str)(_("%(name)s admin"))
