from django.apps import AppConfig


class CommonConfig(AppConfig):
    """The shared core as an app only to carry `run_scheduled_jobs`; no models."""

    name = "common"

    def ready(self):
        from common.fields import refuse_coerced_json_types

        refuse_coerced_json_types()
