from django.apps import AppConfig


class CommonConfig(AppConfig):
    """The shared core as an app to carry `run_scheduled_jobs` and to translate
    the admin's derived labels (common.labels); no models."""

    name = "common"

    def ready(self):
        from common.labels import translate_derived_labels

        translate_derived_labels()
