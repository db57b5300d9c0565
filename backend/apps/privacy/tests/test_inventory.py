"""Every text field of the project is either erased by a shredder or listed as
holding no guest's data, with why."""

import pytest
from django.apps import apps
from django.db import models
from django.test.utils import isolate_apps

from apps.privacy.inventory import NOT_PERSONAL
from apps.privacy.registry import Shredder, covered_fields, register, shredders

TEXT_FIELDS = (models.CharField, models.TextField, models.JSONField, models.BinaryField)


def text_fields(model) -> list[str]:
    return [
        f"{model._meta.app_label}.{model.__name__}.{field.name}"
        for field in model._meta.concrete_fields
        if isinstance(field, TEXT_FIELDS) and not field.choices
    ]


def project_text_fields() -> set[str]:
    return {
        name
        for model in apps.get_models()
        if model.__module__.startswith("apps.") and model._meta.managed
        for name in text_fields(model)
    }


def test_every_text_field_is_erased_or_explained():
    unmapped = project_text_fields() - covered_fields() - set(NOT_PERSONAL)
    assert unmapped == set(), (
        "a new field may hold a guest's data: register a shredder for it "
        "(apps.privacy.registry) or explain it in apps.privacy.inventory"
    )


def test_the_map_names_only_fields_that_exist():
    everything = project_text_fields() | {
        "admin.LogEntry.object_repr",
        "admin.LogEntry.change_message",
    }
    assert (covered_fields() | set(NOT_PERSONAL)) - everything == set()
    assert covered_fields() & set(NOT_PERSONAL) == set()


@isolate_apps("apps.privacy")
def test_the_check_sees_a_new_field():
    class Waitlist(models.Model):
        guest_email = models.EmailField()
        status = models.CharField(max_length=5, choices=[("a", "A")])

        class Meta:
            app_label = "privacy"

        def __str__(self):
            return self.guest_email

    assert text_fields(Waitlist) == ["privacy.Waitlist.guest_email"]


@pytest.mark.parametrize("name", ["bookings", "notifications"])
def test_a_shredder_name_is_registered_once(name):
    class Again(Shredder):
        pass

    Again.name = name
    with pytest.raises(ValueError):
        register(Again())
    assert [s.name for s in shredders()].count(name) == 1
    assert shredders()[-1].name == "bookings"
