from django.apps import AppConfig


class CommonConfig(AppConfig):
    """The shared core as an app to carry `run_scheduled_jobs`, to translate
    the admin's derived labels (common.labels) and to hold DRF's text fields
    to JSON's types (common.fields); no models."""

    name = "common"

    def ready(self):
        from common.fields import refuse_coerced_json_types
        from common.labels import translate_derived_labels
        from common.lookups import register as register_lookups

        translate_derived_labels()
        refuse_coerced_json_types()
        register_lookups()
