from django.apps import AppConfig


class FrontendConfig(AppConfig):
    """Pages a browser loads: the guest booking page and the API docs."""

    name = "apps.frontend"
    label = "frontend"
    verbose_name = "Guest page and API docs"
