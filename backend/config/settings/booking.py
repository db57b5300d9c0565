"""The business's own settings: payments, guest limits, emails, webhooks and
retention, each read from the environment with a default (imported by base).
"""

import phonenumbers
from django.core.exceptions import ImproperlyConfigured

from config.env import env, env_bool, env_int

BOOKING_PAYMENT_TIMEOUT_MINUTES = env_int(
    "BOOKING_PAYMENT_TIMEOUT_MINUTES", 30, minimum=1
)
BOOKING_CURRENCY = env("BOOKING_CURRENCY", "EUR")
# The business's texts for guests come in Portuguese (the plain names) and
# English (`_EN`); Managers edit both in the business settings. An English
# text left empty falls back to the Portuguese one, never the other way.
BOOKING_PAYMENT_INSTRUCTIONS = env(
    "BOOKING_PAYMENT_INSTRUCTIONS",
    "Pague por transferência bancária e indique a referência da sua marcação. "
    "O seu horário fica reservado até ao prazo; as marcações não pagas são "
    "canceladas.",
)
BOOKING_PAYMENT_INSTRUCTIONS_EN = env(
    "BOOKING_PAYMENT_INSTRUCTIONS_EN",
    "Pay by bank transfer and quote your booking reference. "
    "Your slot is held until the deadline; unpaid bookings are cancelled.",
)

# Where guests pay by bank transfer: with both set (and EUR), the booking
# response and lookup carry an EPC QR code; refunds are exported from here.
BOOKING_PAYMENT_IBAN = env("BOOKING_PAYMENT_IBAN", "")
BOOKING_PAYMENT_BENEFICIARY = env("BOOKING_PAYMENT_BENEFICIARY", "")
BOOKING_PAYMENT_BIC = env("BOOKING_PAYMENT_BIC", "")

# Bank statement import: the largest file accepted, and the CSV layout used
# when an upload names none (a preset name, or JSON: {"date": "Valuta", ...});
# empty: the layout is recognised from the file's header.
BANK_STATEMENT_MAX_BYTES = env_int(
    "BANK_STATEMENT_MAX_BYTES", 5 * 1024 * 1024, minimum=1024
)
BANK_STATEMENT_CSV_MAPPING = env("BANK_STATEMENT_CSV_MAPPING", "")
# A statement with more credits than this is checked in the request, then
# applied by the job `apply_bank_statements` with progress on its import
# (202); fewer are applied in the request. About 20 ms a credit: the default
# keeps a request well under a worker's 30 s timeout.
BANK_STATEMENT_BACKGROUND_CREDITS = env_int(
    "BANK_STATEMENT_BACKGROUND_CREDITS", 300, minimum=1
)

# The guest booking page at `/` (off for a business with its own frontend).
BOOKING_GUEST_PAGE = env_bool("BOOKING_GUEST_PAGE", True)
BOOKING_BUSINESS_NAME = env("BOOKING_BUSINESS_NAME", "Doceamor")
# Empty: the same name in English.
BOOKING_BUSINESS_NAME_EN = env("BOOKING_BUSINESS_NAME_EN", "")
BOOKING_WELCOME_TEXT = env(
    "BOOKING_WELCOME_TEXT", "Escolha um serviço e a hora que lhe for mais conveniente."
)
BOOKING_WELCOME_TEXT_EN = env(
    "BOOKING_WELCOME_TEXT_EN", "Choose a service and a time that suits you."
)
# Phone numbers typed without a country code are read in this region
# (ISO 3166 code), then stored in E.164.
BOOKING_PHONE_REGION = env("BOOKING_PHONE_REGION", "PT").upper()
if BOOKING_PHONE_REGION not in phonenumbers.SUPPORTED_REGIONS:
    raise ImproperlyConfigured(
        f"BOOKING_PHONE_REGION {BOOKING_PHONE_REGION!r} is not a region code "
        "phonenumbers knows (ISO 3166, e.g. PT, ES, GB)."
    )

# The business calendar: the horizon job makes the slots the working hours
# call for this many days ahead (at most a year and a day).
BOOKING_SLOT_HORIZON_DAYS = env_int("BOOKING_SLOT_HORIZON_DAYS", 60, minimum=1)
if BOOKING_SLOT_HORIZON_DAYS > 366:
    raise ImproperlyConfigured("BOOKING_SLOT_HORIZON_DAYS must be at most 366.")
# Where guests book (the guest page's address): emails link to it, to book
# again or to move a booking ("Manage my booking", reference filled in).
BOOKING_SITE_URL = env("BOOKING_SITE_URL", "http://127.0.0.1:8000").rstrip("/")

# Guests: limits that keep one person or script from hoarding slots.
BOOKING_MIN_NOTICE_MINUTES = env_int("BOOKING_MIN_NOTICE_MINUTES", 0, minimum=0)
BOOKING_MAX_UNPAID_PER_CONTACT = env_int("BOOKING_MAX_UNPAID_PER_CONTACT", 2, minimum=1)
BOOKING_MAX_UNPAID_PER_CLIENT = env_int("BOOKING_MAX_UNPAID_PER_CLIENT", 3, minimum=1)
# Wider buckets for IPv6, where one customer holds many /64s: its /56 (a home
# or small site) and its /48 (a tunnel broker's free allocation). IPv4 has
# none: one address is one client (see common.http).
BOOKING_MAX_UNPAID_PER_SITE = env_int("BOOKING_MAX_UNPAID_PER_SITE", 6, minimum=1)
BOOKING_MAX_UNPAID_PER_NETWORK = env_int(
    "BOOKING_MAX_UNPAID_PER_NETWORK", 10, minimum=1
)
# Guest bookings awaiting payment for one service on one day (business
# timezone), from any number of clients: no rotation of addresses holds a
# whole day. Staff bookings are not counted and not refused.
BOOKING_MAX_UNPAID_PER_SERVICE_DAY = env_int(
    "BOOKING_MAX_UNPAID_PER_SERVICE_DAY", 8, minimum=1
)
# Emails a guest's actions cause (booked, cancelled, moved, unpaid) reaching
# one mailbox per hour; anyone can type someone else's address.
BOOKING_MAX_GUEST_EMAILS_PER_HOUR = env_int(
    "BOOKING_MAX_GUEST_EMAILS_PER_HOUR", 5, minimum=1
)
BOOKING_GUEST_CANCEL_NOTICE_HOURS = env_int(
    "BOOKING_GUEST_CANCEL_NOTICE_HOURS", 24, minimum=0
)
BOOKING_IDEMPOTENCY_KEY_HOURS = 24
# Wrong proofs (reference + email or phone) one booking reference takes per
# hour, from anywhere; past it the reference opens only through a
# single-use link emailed to the booking's address, valid this many minutes.
BOOKING_MAX_FAILED_PROOFS_PER_HOUR = env_int(
    "BOOKING_MAX_FAILED_PROOFS_PER_HOUR", 10, minimum=1
)
BOOKING_ACCESS_LINK_MINUTES = env_int("BOOKING_ACCESS_LINK_MINUTES", 30, minimum=5)

# The waiting list (apps.waitlist): a freed time is offered to the guests
# waiting for it, first come first served ("first": each offer holds the
# time for its guest this many minutes, then passes on) or to all at once
# ("all": nothing is held, the first to book wins).
BOOKING_WAITLIST_OFFER_MINUTES = env_int(
    "BOOKING_WAITLIST_OFFER_MINUTES", 15, minimum=1
)
BOOKING_WAITLIST_OFFER_MODE = env("BOOKING_WAITLIST_OFFER_MODE", "first")
if BOOKING_WAITLIST_OFFER_MODE not in ("first", "all"):
    raise ImproperlyConfigured("BOOKING_WAITLIST_OFFER_MODE must be 'first' or 'all'.")
# Open entries per client (one address) and per contact (email or phone),
# how far ahead an entry may reach, and how long closed entries are kept.
BOOKING_WAITLIST_MAX_PER_CLIENT = env_int(
    "BOOKING_WAITLIST_MAX_PER_CLIENT", 3, minimum=1
)
BOOKING_WAITLIST_MAX_PER_CONTACT = env_int(
    "BOOKING_WAITLIST_MAX_PER_CONTACT", 3, minimum=1
)
BOOKING_WAITLIST_MAX_DAYS = env_int("BOOKING_WAITLIST_MAX_DAYS", 90, minimum=1)
BOOKING_WAITLIST_PURGE_DAYS = env_int("BOOKING_WAITLIST_PURGE_DAYS", 30, minimum=1)

# Email: guests hear about their booking; the business about new ones.
BOOKING_NOTIFY_EMAIL = env("BOOKING_NOTIFY_EMAIL", "")
DEFAULT_FROM_EMAIL = env("DEFAULT_FROM_EMAIL", "Doceamor <bookings@localhost>")
# First-run defaults of the business settings a Manager then edits in the
# admin (apps.business): reply-to, phone, address and website in emails.
BOOKING_REPLY_TO_EMAIL = env("BOOKING_REPLY_TO_EMAIL", "")
BOOKING_BUSINESS_PHONE = env("BOOKING_BUSINESS_PHONE", "")
BOOKING_BUSINESS_ADDRESS = env("BOOKING_BUSINESS_ADDRESS", "")
BOOKING_BUSINESS_WEBSITE = env("BOOKING_BUSINESS_WEBSITE", "")
# How long a worker process keeps the business settings before reading them
# again (a save shows at once in the process that saved it).
BUSINESS_SETTINGS_CACHE_SECONDS = env_int(
    "BUSINESS_SETTINGS_CACHE_SECONDS", 10, minimum=0
)
EMAIL_BACKEND = "django.core.mail.backends.console.EmailBackend"
EMAIL_TIMEOUT = 10

# Notifications: an outbox in the database, sent by `send_notifications`.
BOOKING_NOTIFICATION_MAX_ATTEMPTS = env_int(
    "BOOKING_NOTIFICATION_MAX_ATTEMPTS", 8, minimum=1
)
# How long a sender owns the rows it claimed; it starts no send after half of
# it, so another sender never takes over a row still being sent.
BOOKING_NOTIFICATION_LEASE_SECONDS = env_int(
    "BOOKING_NOTIFICATION_LEASE_SECONDS", 900, minimum=60
)
BOOKING_PAYMENT_REMINDER_MINUTES = env_int(
    "BOOKING_PAYMENT_REMINDER_MINUTES", 10, minimum=0
)
BOOKING_REMINDER_HOURS = env_int("BOOKING_REMINDER_HOURS", 24, minimum=0)
BOOKING_CALENDAR_UID_DOMAIN = env("BOOKING_CALENDAR_UID_DOMAIN", "doceamor.booking")
BOOKING_CALENDAR_ORGANIZER_NAME = env("BOOKING_CALENDAR_ORGANIZER_NAME", "Doceamor")

# Webhooks (apps.webhooks): signed messages to the business's own systems,
# written with the change and sent by `send_webhooks`. Targets on loopback or
# private addresses are refused unless BOOKING_WEBHOOK_ALLOW_PRIVATE is on
# (development and tests only); production requires https.
BOOKING_WEBHOOK_ALLOW_PRIVATE = env_bool("BOOKING_WEBHOOK_ALLOW_PRIVATE", False)
BOOKING_WEBHOOK_REQUIRE_HTTPS = False
BOOKING_WEBHOOK_TIMEOUT_SECONDS = env_int(
    "BOOKING_WEBHOOK_TIMEOUT_SECONDS", 10, minimum=1
)
# Retries of a message, and failures of an endpoint before it is disabled.
BOOKING_WEBHOOK_RETRY_HOURS = env_int("BOOKING_WEBHOOK_RETRY_HOURS", 72, minimum=1)
BOOKING_WEBHOOK_LEASE_SECONDS = env_int(
    "BOOKING_WEBHOOK_LEASE_SECONDS", 900, minimum=60
)
# How long the previous secret keeps signing after a rotation.
BOOKING_WEBHOOK_SECRET_OVERLAP_HOURS = env_int(
    "BOOKING_WEBHOOK_SECRET_OVERLAP_HOURS", 24, minimum=0
)
BOOKING_WEBHOOK_RETENTION_DAYS = env_int(
    "BOOKING_WEBHOOK_RETENTION_DAYS", 30, minimum=4
)

# Personal data (apps.privacy): how long guests' names, emails and phones are
# kept after the appointment ends (completed, cancelled and past confirmed
# bookings), and after an unpaid booking was cancelled or expired. The
# retention job then anonymises them; amounts, dates and references stay.
BOOKING_RETENTION_DAYS = env_int("BOOKING_RETENTION_DAYS", 730, minimum=1)
BOOKING_RETENTION_UNPAID_DAYS = env_int("BOOKING_RETENTION_UNPAID_DAYS", 30, minimum=1)
BOOKING_RETENTION_BATCH_SIZE = env_int("BOOKING_RETENTION_BATCH_SIZE", 500, minimum=1)
