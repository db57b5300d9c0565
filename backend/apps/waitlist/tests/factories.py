"""Waiting-list test data, written through the domain layer."""

from datetime import timedelta

from django.utils import timezone

from apps.waitlist.services import waitlist_join


def join(service, *, days=(0, 7), email="ana@example.com", phone="", **fields):
    """A waiting entry for `service` from today+days[0] to today+days[1]."""
    today = timezone.localdate()
    return waitlist_join(
        service_id=service.pk,
        date_from=today + timedelta(days=days[0]),
        date_to=today + timedelta(days=days[1]),
        name=fields.pop("name", "Ana"),
        email=email,
        phone=phone or f"+3519{abs(hash(email)) % 10**8:08d}",
        **fields,
    )
