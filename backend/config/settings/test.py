"""Test settings: fast hashing, a file-backed SQLite test database."""

from .base import *  # noqa: F403
from .base import DATABASES, PROJECT_DIR

SECRET_KEY = "test-only-secret-key"
DEBUG = False
ALLOWED_HOSTS = ["testserver", "127.0.0.1", "localhost"]
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
BOOKING_DEMO_STAFF_USER = False
# Tests read English unless they ask for another language (Accept-Language,
# a booking's locale); the business default stays Portuguese elsewhere.
LANGUAGE_CODE = "en"

if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # A file, not Django's default in-memory database, so that the threads of
    # the concurrency tests share one database and really contend for locks.
    DATABASES["default"]["TEST"] = {"NAME": str(PROJECT_DIR / "test_db.sqlite3")}

EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
# High enough for the race tests' bursts; throttle tests set their own.
REST_FRAMEWORK = {
    **REST_FRAMEWORK,  # noqa: F405
    "DEFAULT_THROTTLE_RATES": {
        "booking_create": "100000/min",
        "booking_lookup": "100000/min",
        "booking_create_network": "100000/min",
        "booking_lookup_network": "100000/min",
        "booking_create_desk": "100000/min",
        "waitlist_join": "100000/min",
        "waitlist_link": "100000/min",
    },
}
# Tests render pages without running collectstatic first.
STORAGES = {
    **STORAGES,  # noqa: F405
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}
# No collectstatic in tests: WhiteNoise serves straight from the apps.
STATIC_ROOT = None
WHITENOISE_USE_FINDERS = True
