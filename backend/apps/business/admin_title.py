"""The admin is titled with the business's name, read at each page."""

from django.contrib import admin
from django.utils.functional import lazy


def _title(suffix: str) -> str:
    from apps.business.selectors import business_settings

    return f"{business_settings().name}{suffix}"


def install() -> None:
    # Lazy strings are evaluated each time a page renders them, so a new
    # name shows without a restart.
    admin.site.site_header = lazy(_title, str)(" administration")
    admin.site.site_title = lazy(_title, str)(" admin")
