"""A new English string cannot land untranslated (issue 29): every message the
code and templates mark has Portuguese in its app's committed .po, none is
fuzzy, and every .po compiles. Needs Debian's gettext (msgfmt, xgettext)."""

import os
import shutil
import subprocess
from importlib import import_module
from pathlib import Path

import pytest
from django.utils.translation import override

from apps.bookings.models import Booking
from apps.staff.models import Staff
from common.labels import derived_labels, project_apps
from common.tests.translations import (
    PO_PATH,
    compiled_catalogs,
    conflicting,
    read_po,
    untranslated,
)

BACKEND = Path(__file__).resolve().parents[2]
TOOLS = ("msgfmt", "xgettext", "msgmerge", "msguniq")


@pytest.fixture(autouse=True)
def _gettext():
    missing = [tool for tool in TOOLS if shutil.which(tool) is None]
    if missing and os.environ.get("CI") == "true":
        pytest.fail(f"{', '.join(missing)} missing: CI needs Debian's gettext package")
    if missing:
        pytest.skip(f"{', '.join(missing)} missing: install Debian's gettext package")


def test_every_marked_message_has_portuguese():
    problems = untranslated(BACKEND)
    assert not problems, "\n".join(problems)


def test_no_message_is_translated_two_ways():
    problems = conflicting(BACKEND)
    assert not problems, "\n".join(problems)


def test_each_app_lists_the_labels_django_derives_for_its_models():
    # labels.py is what makemessages reads for them: a new field without a
    # verbose_name must be added there (and so translated).
    for config in project_apps():
        listed = set()
        if (Path(config.path) / "labels.py").exists():
            listed = set(import_module(f"{config.name}.labels").LABELS)
        assert listed == derived_labels(config), config.name


def test_derived_labels_read_in_portuguese():
    compiled_catalogs()
    field = Booking._meta.get_field("customer_name")
    with override("pt-pt"):
        assert str(field.verbose_name) == "nome do cliente"
        assert str(Booking._meta.verbose_name_plural) == "marcações"
        assert str(Staff._meta.verbose_name) == "profissional"
        assert str(Staff._meta.verbose_name_plural) == "profissionais"
    with override("en"):
        assert str(field.verbose_name) == "customer name"
        assert str(Staff._meta.verbose_name_plural) == "staff"


def test_every_po_file_compiles(tmp_path):
    catalogs = sorted(BACKEND.rglob(str(PO_PATH)))
    assert catalogs, "no app has a Portuguese catalog"
    for po in catalogs:
        result = subprocess.run(
            ["msgfmt", "--check", "-o", str(tmp_path / "django.mo"), str(po)],
            capture_output=True,
            text=True,
        )
        assert result.returncode == 0, f"{po.relative_to(BACKEND)}: {result.stderr}"


def test_an_english_string_added_to_a_template_fails(tmp_path):
    # The same check on a copy of the tree with one new, untranslated label on
    # the Desk: it names the app's .po and the message.
    copy = tmp_path / "backend"
    shutil.copytree(
        BACKEND, copy, ignore=shutil.ignore_patterns("tests", "__pycache__")
    )
    template = copy / "apps/bookings/templates/admin/bookings/desk.html"
    template.write_text(
        "{% load i18n %}<p>{% translate 'A label nobody translated' %}</p>\n"
        + template.read_text(encoding="utf-8"),
        encoding="utf-8",
    )

    problems = untranslated(copy)

    assert problems == [
        "apps/bookings/locale/pt_PT/LC_MESSAGES/django.po: untranslated: "
        "'A label nobody translated'"
    ]


def test_marked_text_in_an_app_without_a_locale_dir_fails(tmp_path):
    copy = tmp_path / "backend"
    shutil.copytree(
        BACKEND, copy, ignore=shutil.ignore_patterns("tests", "__pycache__")
    )
    app = copy / "apps/newapp"
    app.mkdir()
    (app / "__init__.py").write_text("")
    (app / "views.py").write_text(
        "from django.utils.translation import gettext as _\n\nTITLE = _('Hello')\n",
        encoding="utf-8",
    )

    problems = untranslated(copy)

    assert problems == [
        "apps/newapp: marks text but has no locale/ (apps/newapp/views.py)"
    ]


def test_a_fuzzy_entry_fails(tmp_path):
    copy = tmp_path / "backend"
    shutil.copytree(
        BACKEND, copy, ignore=shutil.ignore_patterns("tests", "__pycache__")
    )
    po = copy / "apps/bookings" / PO_PATH
    text = po.read_text(encoding="utf-8")
    first = next(entry for entry in read_po(po) if entry.msgid and not entry.obsolete)
    marker = f"msgid {first.msgid!r}".replace("'", '"')
    assert marker in text, marker
    po.write_text(text.replace(marker, "#, fuzzy\n" + marker, 1), encoding="utf-8")

    problems = untranslated(copy)

    assert problems == [
        f"apps/bookings/locale/pt_PT/LC_MESSAGES/django.po: fuzzy: {first.msgid!r}"
    ]
