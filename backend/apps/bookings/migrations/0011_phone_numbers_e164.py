"""Store guests' phone numbers in E.164, as new bookings are.

Numbers without a country code are read in BOOKING_PHONE_REGION (as the API
reads them); a number that does not parse is left exactly as it is, and keeps
its digits as its contact key. The code is copied here, not imported, so the
migration keeps working whatever apps.bookings.phones becomes.
"""

import phonenumbers
from django.conf import settings
from django.db import migrations


def _e164(phone: str, region: str) -> str | None:
    try:
        number = phonenumbers.parse(phone, region)
    except phonenumbers.NumberParseException:
        return None
    if not phonenumbers.is_valid_number(number):
        return None
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


def normalise_phone_numbers(apps, schema_editor):
    Booking = apps.get_model("bookings", "Booking")
    region = getattr(settings, "BOOKING_PHONE_REGION", "PT")
    changed = []
    for booking in Booking.objects.only(
        "pk", "customer_phone", "customer_phone_digits"
    ).iterator(chunk_size=2000):
        e164 = _e164(booking.customer_phone.strip(), region)
        if e164 is None or e164 == booking.customer_phone:
            continue
        booking.customer_phone = e164
        booking.customer_phone_digits = e164[1:]
        changed.append(booking)
        if len(changed) >= 2000:
            Booking.objects.bulk_update(
                changed, ["customer_phone", "customer_phone_digits"]
            )
            changed = []
    Booking.objects.bulk_update(changed, ["customer_phone", "customer_phone_digits"])


class Migration(migrations.Migration):
    dependencies = [("bookings", "0010_idempotency_key_in_booking_transaction")]

    operations = [
        migrations.RunPython(normalise_phone_numbers, migrations.RunPython.noop),
    ]
