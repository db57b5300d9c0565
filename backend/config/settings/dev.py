"""Local development: debug on, a throwaway secret, console everything."""

from .base import *  # noqa: F403
from .base import PROJECT_DIR, STORAGES, env, env_bool, env_int

DEBUG = env_bool("DJANGO_DEBUG", True)
SECRET_KEY = env("DJANGO_SECRET_KEY", "dev-only-insecure-secret-key-do-not-use")
ALLOWED_HOSTS = ["127.0.0.1", "localhost", "[::1]"]

# seed_demo may create a staff login here, never under prod settings.
BOOKING_DEMO_STAFF_USER = True

# Emails land as files a newcomer can open (one .log file per message) in
# DJANGO_EMAIL_FILE_PATH; run.sh names the folder. DJANGO_EMAIL_BACKEND (and
# the EMAIL_* settings of prod.py) choose a real relay instead.
EMAIL_BACKEND = env(
    "DJANGO_EMAIL_BACKEND", "django.core.mail.backends.filebased.EmailBackend"
)
EMAIL_FILE_PATH = env(
    "DJANGO_EMAIL_FILE_PATH", str(PROJECT_DIR / "logs" / "sent-emails")
)
EMAIL_HOST = env("EMAIL_HOST", "localhost")
EMAIL_PORT = env_int("EMAIL_PORT", 25, minimum=1)
EMAIL_HOST_USER = env("EMAIL_HOST_USER", "")
EMAIL_HOST_PASSWORD = env("EMAIL_HOST_PASSWORD", "")
EMAIL_USE_TLS = env_bool("EMAIL_USE_TLS", False)

STORAGES = {
    **STORAGES,
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}
