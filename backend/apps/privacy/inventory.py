"""The text fields that hold no guest's personal data, and why.

With the shredders' `fields` (registry.py) this is the map of every text,
JSON and binary field of the project: `tests/test_inventory.py` fails when a
model gains one that is in neither, so a feature that stores a guest's name,
email or phone cannot forget to say how it is erased. Fields with fixed
choices are codes, not text anyone typed, and need no entry.
"""

NOT_PERSONAL: dict[str, str] = {
    # The business's own data: its services, staff and calendar. Staff
    # members' contact details are the business's staff, not guests.
    "services.Service.name": "the business's catalogue",
    "services.Service.description": "the business's catalogue",
    "staff.Staff.name": "staff, not guests",
    "staff.Staff.email": "staff, not guests",
    "staff.Staff.phone": "staff, not guests",
    "schedules.Closure.public_note": "the business's notice of a closure",
    # The business's own settings (apps.business): its name, account and
    # contact details, shown to guests; no guest's.
    **{
        f"business.BusinessSettings.{name}": "the business's own settings"
        for name in (
            "name",
            "name_en",
            "welcome_text",
            "welcome_text_en",
            "payment_instructions",
            "payment_instructions_en",
            "iban",
            "bic",
            "beneficiary",
            "sender_email",
            "reply_to",
            "phone",
            "address",
            "website",
        )
    },
    # Codes and keyed hashes.
    "bookings.Booking.reference": "the accountant's key; random, names no one",
    "bookings.IdempotencyKey.client_fingerprint": "keyed HMAC of the address",
    "bookings.IdempotencyKey.request_fingerprint": "hash of the request body",
    "bookings.GuestProofWindow.reference": "a booking reference",
    "bookings.BookingAccessLink.token_hash": "SHA-256 of a random token",
    "notifications.StaffCalendarFeed.token": "random secret of a staff feed",
    "notifications.NotificationAttachment.content_type": "a MIME type",
    "ratelimits.Counter.key": "scope and keyed hash of a client's network",
    # Bank statements: the file's name and hash, counts, the bank's ids.
    "payments.BankStatementImport.file_name": "the name staff gave the file",
    "payments.BankStatementImport.file_sha256": "hash of the file",
    "payments.BankStatementImport.summary": "counts by outcome",
    "payments.BankStatementImport.error": "why a file could not be read",
    "payments.BankTransaction.dedup_key": (
        "the business account and the bank's id, or a SHA-256 of the line"
    ),
    "payments.BankTransaction.bank_transaction_id": "the bank's id",
    "payments.BankTransaction.currency": "a currency code",
    "payments.StatementFile.sha256": "hash of the file",
    "payments.StatementFile.file_name": "the name staff gave the file",
    # Webhooks: the business's endpoints and delivery errors (ours, not the
    # receiver's answer, which is erased: WebhookAttempt.response_excerpt).
    "webhooks.WebhookEndpoint.url": "the business's system",
    "webhooks.WebhookEndpoint.description": "the business's system",
    "webhooks.WebhookEndpoint.events": "event type codes",
    "webhooks.WebhookEndpoint.secret": "signing secret",
    "webhooks.WebhookEndpoint.previous_secret": "signing secret",
    "webhooks.WebhookEndpoint.disabled_reason": "why the endpoint stopped",
    "webhooks.WebhookDelivery.event_type": "an event type code",
    "webhooks.WebhookDelivery.message_id": "a random id",
    "webhooks.WebhookDelivery.last_error": "transport error, as we saw it",
    "webhooks.WebhookAttempt.error": "transport error, as we saw it",
    # The erasures themselves: never the contact (reason is scrubbed of it).
    "privacy.ErasureRecord.reason": "staff's why, the contact scrubbed out",
    "privacy.ErasureRecord.contact_hash": "keyed HMAC of the contact",
    "privacy.ErasureRecord.erased_references": "booking references",
    "privacy.ErasureRecord.kept": "booking references and why",
    "privacy.ErasureRecord.counts": "counts by shredder",
    "privacy.GuestRequest.token_hash": "SHA-256 of a random token",
    # The waiting list: codes, hashes and slot ids (the contact is shredded).
    "waitlist.WaitlistEntry.language": "a language code",
    "waitlist.WaitlistEntry.leave_token_hash": "SHA-256 of a random token",
    "waitlist.WaitlistEntry.client_key": "keyed hash of the client's address",
    "waitlist.WaitlistOffer.token_hash": "SHA-256 of a random token",
    "waitlist.WaitlistOffer.slot_ids": "slot ids",
}
