from datetime import timedelta

import factory
from django.contrib.auth import get_user_model
from django.utils import timezone

from apps.availability.tests.factories import AvailabilityFactory
from apps.bookings import services
from apps.bookings.models import ACTIVE_STATUSES, Booking, BookingSlot
from apps.services.tests.factories import ServiceFactory
from apps.staff.roles import role_group
from apps.staff.tests.factories import StaffFactory


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = get_user_model()
        django_get_or_create = ("username",)

    username = factory.Sequence(lambda n: f"user{n}")
    email = factory.LazyAttribute(lambda user: f"{user.username}@example.com")
    password = factory.django.Password("pass-word-123")
    is_staff = False


class StaffUserFactory(UserFactory):
    """A staff user in a role group: `role="desk"`, `"manager"` (the default,
    holding every staff permission) or `""` for staff status alone."""

    username = factory.Sequence(lambda n: f"frontdesk{n}")
    is_staff = True

    class Meta:
        skip_postgeneration_save = True

    @factory.post_generation
    def role(self, create, extracted, **kwargs):
        role = "manager" if extracted is None else extracted
        if create and role:
            self.groups.set([role_group(role)])


class BookingFactory(factory.django.DjangoModelFactory):
    """A booking written straight to the database, its slot's hold and flag
    kept in step.

    For states that are awkward to reach through the domain layer; tests of
    behaviour create bookings with `services.booking_create` instead.
    """

    class Meta:
        model = Booking
        skip_postgeneration_save = True

    service = factory.SubFactory(ServiceFactory)
    availability = factory.SubFactory(AvailabilityFactory)
    staff = factory.LazyAttribute(
        lambda booking: (
            booking.availability.staff if booking.availability else StaffFactory()
        )
    )
    customer_name = factory.Sequence(lambda n: f"Guest {n}")
    customer_email = factory.Sequence(lambda n: f"guest{n}@example.com")
    customer_phone = "+351 912 345 678"
    amount_due = factory.LazyAttribute(lambda booking: booking.service.price)
    status = Booking.Status.AWAITING_PAYMENT
    created_at = factory.LazyFunction(timezone.now)
    payment_expires_at = factory.LazyAttribute(
        lambda booking: booking.created_at + timedelta(minutes=30)
    )
    ends_at = factory.LazyAttribute(
        lambda booking: booking.availability.end_time if booking.availability else None
    )

    @factory.post_generation
    def sync_slot(self, create, extracted, **kwargs):
        if create and self.availability is not None:
            active = self.status in ACTIVE_STATUSES
            BookingSlot.objects.create(
                booking=self, availability=self.availability, active=active
            )
            self.availability.is_booked = active
            self.availability.save(update_fields=["is_booked"])


def unpaid_booking(service, slot, **overrides):
    """A booking made through the domain layer, as a guest makes one."""
    fields = {
        "customer_name": "Joana",
        "customer_email": "joana@example.com",
        "customer_phone": "912345678",
    }
    fields.update(overrides)
    return services.booking_create(
        service_id=service.pk, availability_id=slot.pk, **fields
    )
