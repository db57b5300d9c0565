"""Guests' own requests to export or erase (apps.privacy.guest)."""

from apps.privacy.registry import Shredder, Target


class GuestRequestShredder(Shredder):
    name = "guest_requests"
    verbose_name = "Requests made on the guest page (kept a day)"
    fields = ("privacy.GuestRequest.email",)

    def export(self, target: Target) -> list[dict]:
        return []

    def shred(self, target: Target, *, now) -> int:
        from apps.privacy.guest import guest_requests_forget

        return guest_requests_forget(target.email_keys) if target.email_keys else 0
