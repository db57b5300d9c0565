"""Settings shared by every environment; dev, test and prod override a few."""

from datetime import timedelta
from pathlib import Path
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import dj_database_url
from corsheaders.defaults import default_headers as cors_default_headers
from django.core.exceptions import ImproperlyConfigured

from common.jobs import beat_schedule, collect
from common.static_headers import add_static_headers
from config.env import env, env_bool, env_int, env_list

BACKEND_DIR = Path(__file__).resolve().parent.parent.parent
PROJECT_DIR = BACKEND_DIR.parent

SECRET_KEY = env("DJANGO_SECRET_KEY", "")
DEBUG = env_bool("DJANGO_DEBUG", False)
ALLOWED_HOSTS = env_list("DJANGO_ALLOWED_HOSTS", [])

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "corsheaders",
    "rest_framework",
    # Staff API tokens, stored only as SHA-512 digests, with an expiry.
    "knox",
    "django_filters",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "axes",
    "common",
    "apps.business",
    "apps.services",
    "apps.staff",
    "apps.availability",
    "apps.bookings",
    "apps.schedules",
    "apps.payments",
    "apps.notifications",
    "apps.webhooks",
    "apps.exports",
    "apps.waitlist",
    "apps.ratelimits",
    "apps.privacy",
    "apps.frontend",
]

MIDDLEWARE = [
    # Outermost: Django's own error pages under /api/ become JSON.
    "common.middleware.JsonApiErrorsMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "corsheaders.middleware.CorsMiddleware",
    # Django's, with a JSON 308 for an /api/ path missing its trailing slash.
    "common.middleware.ApiCommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    # A staff user's saved language over the browser's (after LocaleMiddleware).
    "apps.staff.middleware.StaffLanguageMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "csp.middleware.CSPMiddleware",
    "django_permissions_policy.PermissionsPolicyMiddleware",
    # Last, as django-axes asks: it turns a locked-out login into its response.
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "config.urls"
WSGI_APPLICATION = "config.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BACKEND_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
            ],
        },
    },
    {
        # Plain-text emails: nothing is HTML, so nothing is HTML-escaped
        # (`Sant'Ana`, not `Sant&#x27;Ana`). What a guest typed reaches them
        # only through greeting_name, which keeps letters and name punctuation.
        "NAME": "text",
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "APP_DIRS": True,
        "OPTIONS": {"autoescape": False},
    },
]


# How long a write waits for a row lock another transaction holds before it
# gives up (PostgreSQL: every statement of every transaction, set with SET
# LOCAL as it begins; a booking write then answers 503). SQLite writers queue
# for up to 20 s instead.
BOOKING_LOCK_TIMEOUT_SECONDS = env_int("BOOKING_LOCK_TIMEOUT_SECONDS", 3, minimum=1)


def database_from_url(url: str) -> dict:
    """Parse DATABASE_URL and add the options each engine needs for safe writes."""
    config = dj_database_url.parse(url)
    engine = config["ENGINE"]
    if engine == "django.db.backends.sqlite3":
        config["OPTIONS"] = {
            # BEGIN IMMEDIATE takes the write lock at the start of every
            # transaction, so concurrent writers queue (for up to `timeout`
            # seconds) instead of failing with "database is locked" mid-way.
            "transaction_mode": "IMMEDIATE",
            "timeout": 20,
            "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
        }
    elif engine == "django.db.backends.postgresql":
        # The stock backend, but every transaction opens with SET LOCAL
        # lock_timeout (common.postgresql): nothing is set per session, so the
        # app runs unchanged behind PgBouncer in transaction mode.
        config["ENGINE"] = "common.postgresql"
        config["CONN_MAX_AGE"] = env_int("DJANGO_CONN_MAX_AGE", 60, minimum=0)
        # No session state either: a server-side cursor outlives the
        # transaction that declared it (WITH HOLD, in autocommit), and a
        # pooler may hand its next FETCH to another server connection. Nor
        # prepared statements (Django's default, made explicit): psycopg
        # binds parameters on the client and never names a statement.
        config["DISABLE_SERVER_SIDE_CURSORS"] = True
        config.setdefault("OPTIONS", {})["prepare_threshold"] = None
        # A persistent connection that died while idle is replaced before use,
        # so the app recovers from a database restart without restarting.
        config["CONN_HEALTH_CHECKS"] = True
    else:
        raise ImproperlyConfigured(
            f"DATABASE_URL must point at SQLite or PostgreSQL, not {engine}."
        )
    return config


DATABASES = {
    "default": database_from_url(
        # An empty DATABASE_URL counts as unset.
        env("DATABASE_URL", "") or f"sqlite:///{PROJECT_DIR / 'db.sqlite3'}"
    )
}
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# Staff logins (admin, browsable API): django-axes counts failures per
# username and address together and locks that pair out for a cool-off, so a
# guesser cannot lock a real user out from elsewhere. The lockout page says
# the same whether or not the user exists.
AUTHENTICATION_BACKENDS = [
    "common.auth.LockoutBackend",
    "django.contrib.auth.backends.ModelBackend",
]
AXES_FAILURE_LIMIT = env_int("AXES_FAILURE_LIMIT", 5, minimum=1)
AXES_COOLOFF_TIME = timedelta(minutes=env_int("AXES_COOLOFF_MINUTES", 15, minimum=1))
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_RESET_ON_SUCCESS = True
# One client as every other limit counts it: an IPv4 address, or a whole
# IPv6 /64 (whose addresses one customer rotates through at will).
AXES_CLIENT_IP_CALLABLE = "common.http.client_login_address"
AXES_LOCKOUT_CALLABLE = "common.lockout.lockout_response"
AXES_VERBOSE = False

# After signing in at /api-auth/login/ without a `next`, staff land on the
# Desk (Django's default, /accounts/profile/, is no page here).
LOGIN_REDIRECT_URL = "admin:bookings_booking_desk"

AUTH_PASSWORD_VALIDATORS = [
    {
        "NAME": "django.contrib.auth.password_validation."
        "UserAttributeSimilarityValidator"
    },
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

# The business runs in one timezone: calendar dates in the API and slot
# generation are read in it, and datetimes are rendered with its offset.
BOOKING_TIMEZONE = env("BOOKING_TIMEZONE", "Europe/Lisbon")
try:
    ZoneInfo(BOOKING_TIMEZONE)
except (ZoneInfoNotFoundError, ValueError):
    raise ImproperlyConfigured(
        f"BOOKING_TIMEZONE {BOOKING_TIMEZONE!r} is not an IANA timezone name."
    ) from None
USE_TZ = True
TIME_ZONE = BOOKING_TIMEZONE
# Guests are answered in their language (issue 29): a booking keeps the one
# it was made in, every other answer follows Accept-Language (LocaleMiddleware).
# LANGUAGE_CODE is the business's own, for requests that name none.
LANGUAGES = [("pt-pt", "Português"), ("en", "English")]
LANGUAGE_CODE = env("BOOKING_LANGUAGE", "pt-pt").lower()
if LANGUAGE_CODE not in dict(LANGUAGES):
    raise ImproperlyConfigured(
        f"BOOKING_LANGUAGE {LANGUAGE_CODE!r} is not one of {sorted(dict(LANGUAGES))}."
    )
USE_I18N = True

from config.settings.booking import *  # noqa: E402, F403

# The throttles count requests per client in fixed windows every worker
# shares (apps.ratelimits): a table in the database by default, Redis when
# REDIS_URL is set (several app servers). Nothing uses Django's cache, so it
# keeps Django's default (per process, in memory).
REDIS_URL = env("REDIS_URL", "")
RATELIMIT_REDIS_PREFIX = env("RATELIMIT_REDIS_PREFIX", "doceamor:ratelimit:")

CORS_ALLOWED_ORIGINS = env_list("CORS_ALLOWED_ORIGINS", [])
# The guest frontend on the business's website sends Idempotency-Key with
# bookings, and its scripts read when to retry and whether a reply was replayed.
CORS_ALLOW_HEADERS = (*cors_default_headers, "idempotency-key")
CORS_EXPOSE_HEADERS = ["Retry-After", "Idempotent-Replayed"]

# Client errors stay client errors: request bodies and query values the API
# refuses with a 4xx before they can cost a 500 (see common.parsers).
DATA_UPLOAD_MAX_MEMORY_SIZE = env_int(
    "DJANGO_DATA_UPLOAD_MAX_MEMORY_SIZE", 2_621_440, minimum=1024
)
DATA_UPLOAD_MAX_NUMBER_FIELDS = 1000
BOOKING_MAX_JSON_DEPTH = 20
# Dates the API accepts in filters and slot writes: from this year to this
# many years ahead. Beyond them a calendar is not a plausible booking.
BOOKING_EARLIEST_YEAR = env_int("BOOKING_EARLIEST_YEAR", 2000, minimum=1)
BOOKING_MAX_YEARS_AHEAD = env_int("BOOKING_MAX_YEARS_AHEAD", 10, minimum=1)

# Headers: every page is same-origin only. No inline script anywhere (the
# pages carry none); inline style attributes are allowed because the Django
# admin and the browsable API use them, and a style cannot run code.
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": ["'self'"],
        "script-src": ["'self'"],
        "style-src": ["'self'", "'unsafe-inline'"],
        "img-src": ["'self'", "data:"],
        "font-src": ["'self'"],
        "connect-src": ["'self'"],
        "object-src": ["'none'"],
        "base-uri": ["'self'"],
        "form-action": ["'self'"],
        "frame-ancestors": ["'none'"],
    }
}
PERMISSIONS_POLICY = {
    feature: []
    for feature in (
        "accelerometer",
        "camera",
        "geolocation",
        "gyroscope",
        "magnetometer",
        "microphone",
        "payment",
        "usb",
    )
}
X_FRAME_OPTIONS = "DENY"

STATIC_URL = "static/"
STATIC_ROOT = PROJECT_DIR / "staticfiles"
# WhiteNoise serves the admin's and the browsable API's static files from the
# app server itself: compressed, with far-future cache headers.
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"
    },
}

WHITENOISE_ADD_HEADERS_FUNCTION = add_static_headers

REST_FRAMEWORK = {
    # Token first: an anonymous request then gets 401 with a WWW-Authenticate
    # header rather than session auth's bare 403.
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "common.auth.StaffTokenAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["common.permissions.ActionPermissions"],
    "DEFAULT_FILTER_BACKENDS": [
        "common.filters.StrictFilterBackend",
        "common.filters.StrictOrderingFilter",
    ],
    "DEFAULT_PAGINATION_CLASS": "common.api.StandardPagination",
    # JSON bodies only (the browsable API posts JSON from its raw-data form);
    # an endpoint that takes a file upload declares multipart itself.
    "DEFAULT_PARSER_CLASSES": ["common.parsers.JSONParser"],
    "DEFAULT_THROTTLE_RATES": {
        "booking_create": env("BOOKING_CREATE_THROTTLE_RATE", "10/min"),
        "booking_lookup": env("BOOKING_LOOKUP_THROTTLE_RATE", "20/min"),
        # The same endpoints per IPv6 /48, whatever /64 of it asks.
        "booking_create_network": env("BOOKING_CREATE_NETWORK_THROTTLE_RATE", "30/min"),
        "booking_lookup_network": env("BOOKING_LOOKUP_NETWORK_THROTTLE_RATE", "60/min"),
        # Bookings staff take at the desk, per staff user (no guest limits).
        "booking_create_desk": env("BOOKING_DESK_CREATE_THROTTLE_RATE", "30/min"),
        # Joining the waiting list, and its links (leave, accept, decline).
        "waitlist_join": env("BOOKING_WAITLIST_JOIN_THROTTLE_RATE", "5/min"),
        "waitlist_join_network": env(
            "BOOKING_WAITLIST_JOIN_NETWORK_THROTTLE_RATE", "15/min"
        ),
        "waitlist_link": env("BOOKING_WAITLIST_LINK_THROTTLE_RATE", "20/min"),
    },
    # Behind a reverse proxy set DJANGO_NUM_PROXIES=1, so the client's IP is
    # read from X-Forwarded-For; at 0 a client cannot forge it.
    "NUM_PROXIES": env_int("DJANGO_NUM_PROXIES", 0, minimum=0),
    "DEFAULT_SCHEMA_CLASS": "common.schema.ContractAutoSchema",
    "EXCEPTION_HANDLER": "common.api.exception_handler",
    "DATETIME_FORMAT": "iso-8601",
    "TEST_REQUEST_DEFAULT_FORMAT": "json",
}

# Staff API tokens (django-rest-knox): the database keeps a SHA-512 digest
# and the first 15 characters, never the token; each expires after
# STAFF_API_TOKEN_DAYS. `createstaffuser --token` issues one and prints it
# once; `revokestafftokens` (or deleting it in the admin) ends it at once.
REST_KNOX = {
    "TOKEN_TTL": timedelta(days=env_int("STAFF_API_TOKEN_DAYS", 90, minimum=1)),
    "AUTH_HEADER_PREFIX": "Token",
    "AUTO_REFRESH": False,
}

SPECTACULAR_SETTINGS = {
    "TITLE": "Doceamor Booking API",
    "DESCRIPTION": (
        "Guests list services and free slots and create bookings that await an "
        "offline payment; staff verify payments, complete and cancel bookings."
    ),
    "VERSION": "2.0.0",
    # The repository carries no open-source licence: the API is the business's
    # own. Stated, so a generator or catalogue does not guess one.
    "LICENSE": {
        "name": "Proprietary: all rights reserved by the business",
        "identifier": "LicenseRef-Proprietary",
    },
    # Relative: the schema is served by the host it describes (/api/schema/),
    # so clients resolve every path against the address they fetched it from.
    "SERVERS": [{"url": "/", "description": "The host serving this schema."}],
    # 3.1: a nullable object is `oneOf: [$ref, {type: null}]`, which every
    # validator and client generator reads the same way.
    "OAS_VERSION": "3.1.0",
    "SERVE_INCLUDE_SCHEMA": False,
    # Swagger UI and ReDoc from the project's own static files, never a CDN.
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    "COMPONENT_SPLIT_REQUEST": True,
    # Only the token scheme is the contract: listing the session cookie too
    # made generated clients send the token as a cookie as well.
    "AUTHENTICATION_WHITELIST": ["common.auth.StaffTokenAuthentication"],
    "POSTPROCESSING_HOOKS": [
        "drf_spectacular.hooks.postprocess_schema_enums",
        "common.schema.contract_postprocessing_hook",
    ],
    "ENUM_NAME_OVERRIDES": {
        "BookingStatusEnum": "apps.bookings.models.Booking.Status",
        "ErasureSourceEnum": "apps.privacy.models.ErasureRecord.Source",
        "DeskPaymentEnum": "apps.bookings.models.DeskPayment",
        "BookingEventKindEnum": "apps.bookings.models.BookingEvent.Kind",
        "KindEnum": "apps.schedules.models.Closure.Kind",
        "WaitlistEntryStatusEnum": "apps.waitlist.models.WaitlistEntry.Status",
        "WaitlistOfferStatusEnum": "apps.waitlist.models.WaitlistOffer.Status",
        "ClosureConflictCodeEnum": "apps.schedules.serializers.CLOSURE_CONFLICT_CODES",
    },
}

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {
        "plain": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"},
    },
    "handlers": {
        "console": {"class": "logging.StreamHandler", "formatter": "plain"},
    },
    "root": {"handlers": ["console"], "level": "WARNING"},
    "loggers": {
        "apps": {
            "handlers": ["console"],
            "level": env("BOOKING_LOG_LEVEL", "INFO"),
            "propagate": False,
        },
    },
}

# The periodic jobs every app declares (its jobs.py): `run_scheduled_jobs`
# runs them in order from cron; Celery beat, when a broker is configured,
# runs the same list, each at the interval its variable sets (seconds).
SCHEDULED_JOBS = collect(INSTALLED_APPS)
CELERY_BROKER_URL = env("CELERY_BROKER_URL", "")
CELERY_RESULT_BACKEND = env("CELERY_RESULT_BACKEND", "") or None
CELERY_TIMEZONE = BOOKING_TIMEZONE
CELERY_BEAT_SCHEDULE = (
    beat_schedule(
        SCHEDULED_JOBS,
        seconds=lambda job: (
            env_int(job.interval_env, job.every_seconds, minimum=10)
            if job.interval_env
            else job.every_seconds
        ),
    )
    if CELERY_BROKER_URL
    else {}
)
