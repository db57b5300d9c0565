"""Local development: debug on, a throwaway secret, console everything."""

from .base import *  # noqa: F403
from .base import STORAGES, env, env_bool

DEBUG = env_bool("DJANGO_DEBUG", True)
SECRET_KEY = env("DJANGO_SECRET_KEY", "dev-only-insecure-secret-key-do-not-use")
ALLOWED_HOSTS = ["127.0.0.1", "localhost", "[::1]"]

# seed_demo may create a staff login here, never under prod settings.
BOOKING_DEMO_STAFF_USER = True

STORAGES = {
    **STORAGES,
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}
