"""The built-in shredders: one module per app whose tables hold guests' data.

Imported by PrivacyConfig.ready, which registers them.
"""

from apps.privacy.registry import register
from apps.privacy.shredders.admin_log import AdminLogShredder
from apps.privacy.shredders.bookings import (
    AccessLinkShredder,
    BookingEventShredder,
    BookingShredder,
    IdempotencyShredder,
)
from apps.privacy.shredders.guest_requests import GuestRequestShredder
from apps.privacy.shredders.notifications import NotificationShredder
from apps.privacy.shredders.payments import BankTransactionShredder
from apps.privacy.shredders.waitlist import WaitlistShredder
from apps.privacy.shredders.webhooks import WebhookShredder

BUILT_IN = [
    BookingEventShredder(),
    IdempotencyShredder(),
    AccessLinkShredder(),
    NotificationShredder(),
    BankTransactionShredder(),
    WebhookShredder(),
    AdminLogShredder(),
    GuestRequestShredder(),
    WaitlistShredder(),
    BookingShredder(),
]


def register_built_in() -> None:
    for shredder in BUILT_IN:
        register(shredder)
