"""Waiting-list entries (apps.waitlist): a guest's name, email and phone.

An entry is matched by its email (as the per-contact limit compares it) or
its phone's digits, and deleted with its offers: nothing in it is kept for
the accountant (a booking an offer made is the bookings' shredder's).
"""

from django.db.models import Q

from apps.privacy.registry import Shredder, Target


class WaitlistShredder(Shredder):
    name = "waitlist"
    verbose_name = "Waiting-list entries"
    fields = (
        "waitlist.WaitlistEntry.name",
        "waitlist.WaitlistEntry.email",
        "waitlist.WaitlistEntry.phone",
        "waitlist.WaitlistEntry.email_key",
        "waitlist.WaitlistEntry.phone_digits",
    )

    def _entries(self, target: Target):
        from apps.waitlist.models import WaitlistEntry

        digits = target.phone_keys | {
            booking.customer_phone_digits
            for booking in target.bookings
            if booking.customer_phone_digits
        }
        match = Q(email_key__in=target.email_keys) | Q(phone_digits__in=digits)
        if not target.email_keys and not digits:
            return WaitlistEntry.objects.none()
        return WaitlistEntry.objects.filter(match)

    def export(self, target: Target) -> list[dict]:
        return [
            {
                "service": entry.service.name,
                "date_from": entry.date_from.isoformat(),
                "date_to": entry.date_to.isoformat(),
                "name": entry.name,
                "email": entry.email,
                "phone": entry.phone,
                "status": entry.status,
                "created_at": entry.created_at.isoformat(),
            }
            for entry in self._entries(target).select_related("service")
        ]

    def shred(self, target: Target, *, now) -> int:
        deleted, _ = self._entries(target).delete()
        return deleted
