"""The admin's labels for the fields and models Django names from their
attribute (`customer_name` reads "customer name"), in the reader's language.

Giving each field a verbose_name would write a migration for every model (and
collide with every other branch's migrations) for no change in the database.
Instead each app lists those names in its `labels.py`, for makemessages, and
they are made translatable here at startup. Migrations read a field's own
arguments (`_verbose_name`) and Meta's `original_attrs`, never these display
names, so `makemigrations --check` sees nothing.
"""

from django.apps import apps
from django.utils.translation import gettext_lazy, override


def project_apps():
    return [
        config for config in apps.get_app_configs() if config.name.startswith("apps.")
    ]


def _derived(model):
    """(object, attribute) of every label Django derived for the model."""
    opts = model._meta
    labels = [
        (field, "verbose_name")
        for field in opts.get_fields()
        if not field.auto_created and getattr(field, "_verbose_name", "") is None
    ]
    for name in ("verbose_name", "verbose_name_plural"):
        if name not in opts.original_attrs:
            labels.append((opts, name))
    return labels


def derived_labels(app_config) -> set[str]:
    """The English names Django derived for the app's fields and models: what
    its labels.py lists."""
    with override(None):
        return {
            str(getattr(owner, name))
            for model in app_config.get_models()
            for owner, name in _derived(model)
        }


def translate_derived_labels() -> None:
    for config in project_apps():
        for model in config.get_models():
            for owner, name in _derived(model):
                with override(None):
                    # Django's plural is a lazy "{verbose_name}s": read it in English.
                    english = str(getattr(owner, name))
                setattr(owner, name, gettext_lazy(english))
